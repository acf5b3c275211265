//! Recipe 5.2's scheduling functions on tokio's paused test clock. A paused
//! clock moves only when the runtime has nothing to do, and then jumps
//! straight to the next timer deadline, whatever the tasks are waiting for: a
//! timer, but also a socket or a channel that something outside the runtime
//! will feed. So these tests check exact virtual times and take no real time,
//! and the last two show the trap: a timeout that fires at once while real
//! I/O is still on its way.
//!
//! The functions are the listing's own, included whole: what a reader copies
//! from the page is what these tests check.

/// Recipe 5.2's listing.
#[allow(dead_code)] // the listing's `main` and its printing
mod listing {
    include!("../examples/ch05_02_event_loop.rs");
}

use listing::{call_at, call_later, call_soon, every};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::time::{Instant, error::Elapsed};

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
// ANCHOR_END: paused

#[tokio::test(start_paused = true)]
async fn call_soon_runs_callbacks_in_order_once_the_caller_awaits() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let log = |name: &'static str| {
        let order = Arc::clone(&order);
        move || order.lock().unwrap().push(name)
    };
    let first = call_soon(log("first"));
    let second = call_soon(log("second"));
    // The test runtime has one thread, and this task still holds it.
    log("caller")();
    second.await.unwrap();
    first.await.unwrap();
    assert_eq!(*order.lock().unwrap(), ["caller", "first", "second"]);
}

// ANCHOR: trap
/// Connects to a peer on a plain thread that answers after 50 ms of real
/// time, and reads its answer under a 5 s `timeout`. Returns the outcome and
/// how much time passed on tokio's clock and on the real one.
async fn read_reply_within_5_s() -> (Result<usize, Elapsed>, Duration, Duration) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let _ = stream.write_all(b"pong"); // the reader may have gone
    });
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let (virtual_start, real_start) = (Instant::now(), std::time::Instant::now());
    let mut reply = [0; 4];
    let outcome = tokio::time::timeout(5000 * MS, stream.read(&mut reply)).await;
    let elapsed = (virtual_start.elapsed(), real_start.elapsed());
    drop(stream);
    peer.join().unwrap();
    (outcome.map(|read| read.unwrap()), elapsed.0, elapsed.1)
}

/// The trap: while the read waits for the socket, the runtime has nothing to
/// do, so the paused clock jumps to the next deadline, the timeout's. It
/// fires at once, 5 virtual seconds later, though the reply is 50 ms away.
#[tokio::test(start_paused = true)]
async fn a_paused_clock_fires_a_timeout_while_real_io_is_pending() {
    let (outcome, on_tokio_clock, on_real_clock) = read_reply_within_5_s().await;
    assert!(outcome.is_err(), "the timeout fired before the reply came");
    assert_eq!(on_tokio_clock, 5000 * MS);
    assert!(on_real_clock < 1000 * MS, "and it took no real time");
}

/// The same read on the real clock gets its reply.
#[tokio::test]
async fn the_real_clock_waits_for_the_reply() {
    let (outcome, on_tokio_clock, _) = read_reply_within_5_s().await;
    assert_eq!(outcome, Ok(4), "the reply arrived in time");
    assert!(on_tokio_clock < 5000 * MS);
}
// ANCHOR_END: trap
