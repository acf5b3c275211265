//! Recipe 5.2's scheduling functions on tokio's paused test clock: time only
//! moves when every task is waiting on a timer, and then jumps straight to the
//! next deadline. So these tests check exact virtual times and take no real time.
//!
//! The functions are the listing's own, included whole: what a reader copies
//! from the page is what these tests check.

/// Recipe 5.2's listing.
#[allow(dead_code)] // the listing's `main` and its printing
mod listing {
    include!("../examples/ch05_02_event_loop.rs");
}

use listing::{call_at, call_later, every};
use std::time::Duration;
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);

// ANCHOR: paused
#[tokio::test(start_paused = true)]
async fn call_later_fires_each_callback_exactly_at_its_delay_in_deadline_order() {
    let real_start = std::time::Instant::now();
    let fired = call_later(&[(60 * MS, "c"), (20 * MS, "a"), (40 * MS, "b")]).await;

    let order: Vec<_> = fired.iter().map(|f| f.name).collect();
    assert_eq!(order, ["a", "b", "c"]);
    for callback in &fired {
        assert_eq!(callback.at, callback.asked, "{} fired late", callback.name);
    }
    // The test runtime is current-thread: the callbacks ran on the test's thread.
    let here = std::thread::current().name().map(str::to_owned);
    assert!(fired.iter().all(|f| Some(&f.thread) == here.as_ref()));
    assert!(
        real_start.elapsed() < 50 * MS,
        "the paused clock did not sleep"
    );
}

#[tokio::test(start_paused = true)]
async fn equal_delays_fire_at_the_same_virtual_instant() {
    let fired = call_later(&[(5 * MS, "x"), (5 * MS, "y"), (Duration::ZERO, "now")]).await;
    assert_eq!(fired[0].name, "now");
    assert_eq!(fired[0].at, Duration::ZERO);
    assert!(fired[1..].iter().all(|f| f.at == 5 * MS));
}

#[tokio::test(start_paused = true)]
async fn call_at_fires_at_the_absolute_deadline() {
    let start = Instant::now();
    tokio::time::advance(7 * MS).await; // time passes before the call is made
    let fired = call_at(start, start + 30 * MS, "deadline").await;
    assert_eq!(fired.asked, 30 * MS);
    assert_eq!(fired.at, 30 * MS);
    // A deadline already in the past fires at once.
    let late = call_at(start, start + 10 * MS, "past").await;
    assert_eq!(late.at, 30 * MS);
}

#[tokio::test(start_paused = true)]
async fn every_ticks_at_zero_then_once_per_period() {
    let times = every(25 * MS, 4).await;
    assert_eq!(times, [Duration::ZERO, 25 * MS, 50 * MS, 75 * MS]);
}

#[tokio::test(start_paused = true)]
async fn call_later_and_every_interleave_by_virtual_time() {
    let later = [(15 * MS, "between"), (25 * MS, "after")];
    let start = Instant::now();
    let (ticks, fired) = tokio::join!(every(10 * MS, 3), call_later(&later));
    assert_eq!(ticks, [Duration::ZERO, 10 * MS, 20 * MS]);
    assert_eq!(fired[0].at, 15 * MS);
    assert_eq!(fired[1].at, 25 * MS);
    assert_eq!(start.elapsed(), 25 * MS);
}
