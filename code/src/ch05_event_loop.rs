//! Recipe 5.2: scheduling work for later on a tokio runtime, the way asyncio's
//! `loop.call_later`, `loop.call_at` and a periodic callback do it.
//!
//! The functions take their times from `tokio::time`, which a test can pause
//! and advance by hand (`#[tokio::test(start_paused = true)]`): the tests in
//! `code/tests/async_clock.rs` check the exact virtual times at which each
//! callback fires, without sleeping for real. The listing runs them on the
//! real clock.

use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{self, Instant, MissedTickBehavior};

/// One callback that ran: its name, the delay it asked for, when it ran
/// (measured from the start of the schedule) and the thread it ran on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    pub name: &'static str,
    pub asked: Duration,
    pub at: Duration,
    pub thread: String,
}

// ANCHOR: call_later
/// Runs each `(delay, name)` callback once, `delay` after the call, each in a
/// task of its own, and returns them in the order they fired. Like
/// `loop.call_later(delay, callback)`: nothing waits for anything else, the
/// runtime's timer wakes each task when its deadline passes.
pub async fn call_later(schedule: &[(Duration, &'static str)]) -> Vec<Fired> {
    let start = Instant::now();
    let (report, mut reports) = mpsc::unbounded_channel();
    for &(delay, name) in schedule {
        let report = report.clone();
        tokio::spawn(async move {
            time::sleep(delay).await;
            // The callback itself: here it only says when and where it ran.
            let _ = report.send(Fired {
                name,
                asked: delay,
                at: start.elapsed(),
                thread: current_thread_name(),
            });
        });
    }
    drop(report); // the loop below ends when every task has reported
    let mut fired = Vec::with_capacity(schedule.len());
    while let Some(callback) = reports.recv().await {
        fired.push(callback);
    }
    fired
}
// ANCHOR_END: call_later

// ANCHOR: call_at
/// Runs `name` at the absolute instant `deadline`, like `loop.call_at(when, ...)`;
/// returns how long after `start` it ran.
pub async fn call_at(start: Instant, deadline: Instant, name: &'static str) -> Fired {
    time::sleep_until(deadline).await;
    Fired {
        name,
        asked: deadline - start,
        at: start.elapsed(),
        thread: current_thread_name(),
    }
}
// ANCHOR_END: call_at

// ANCHOR: every
/// A periodic callback: `ticks` ticks, `period` apart, the first one at once.
/// Returns the time of each tick from the start. `Delay` means a late tick
/// pushes the later ones back instead of firing a burst to catch up.
pub async fn every(period: Duration, ticks: usize) -> Vec<Duration> {
    let start = Instant::now();
    let mut interval = time::interval(period);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut times = Vec::with_capacity(ticks);
    for _ in 0..ticks {
        interval.tick().await;
        times.push(start.elapsed());
    }
    times
}
// ANCHOR_END: every

fn current_thread_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_owned()
}
