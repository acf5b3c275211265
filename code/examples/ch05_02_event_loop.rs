// Recipe 5.2: the event loop. Scheduling work for later on a tokio runtime,
// the way asyncio's `loop.call_soon`, `loop.call_later`, `loop.call_at` and a
// periodic callback do it; the same schedule of callbacks run on a
// current-thread runtime (one thread, like asyncio's loop) and on a
// multi-thread runtime (a pool of worker threads).
//
// Run: cargo run -p cookbook --example ch05_02_event_loop [-- --period-ms 25 --ticks 4]
//
// The scheduling functions take their times from `tokio::time`, which a test
// can pause and advance by hand: code/tests/async_clock.rs includes this file
// as a module and checks the exact virtual times at which each callback fires,
// without sleeping for real. (Plain comments, not `//!`, for that reason: an
// included file cannot carry inner doc comments.) The listing runs them on the
// real clock.

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate tokio;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::time::Duration;
use tokio::runtime::{Builder, Runtime};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
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

// ANCHOR: call_soon
/// Runs `callback` at the loop's next turn, like `loop.call_soon(callback)`:
/// a task with no timer, queued behind the tasks that are ready already. On a
/// current-thread runtime it cannot start before the caller reaches an `.await`.
pub fn call_soon<T, F>(callback: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::spawn(async move { callback() })
}
// ANCHOR_END: call_soon

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

// ANCHOR: schedule
/// What the loop does on either runtime: one callback as soon as possible,
/// three submitted out of order, one at an absolute deadline, and a periodic
/// tick. Returns the callbacks that ran and the times of the ticks.
async fn schedule(period: Duration, ticks: usize) -> (Vec<Fired>, Vec<Duration>) {
    let ms = Duration::from_millis;
    let later = [(ms(60), "c"), (ms(20), "a"), (ms(40), "b")];
    let start = Instant::now();
    let soon = call_soon(move || Fired {
        name: "soon",
        asked: Duration::ZERO,
        at: start.elapsed(),
        thread: current_thread_name(),
    });
    // join! polls all four in this task: they wait at the same time.
    let (mut fired, at, soon, ticks) = tokio::join!(
        call_later(&later),
        call_at(start, start + ms(50), "at 50 ms"),
        soon,
        every(period, ticks),
    );
    fired.push(at);
    fired.push(soon.expect("the call_soon task panicked"));
    (fired, ticks)
}
// ANCHOR_END: schedule

// ANCHOR: runtimes
fn current_thread_runtime() -> Runtime {
    // One thread: the one that calls block_on. Tasks take turns on it.
    Builder::new_current_thread()
        .enable_time() // the timer; enable_io() would add the I/O driver
        .build()
        .expect("build a current-thread runtime")
}

fn multi_thread_runtime() -> Runtime {
    // A pool of worker threads that run tasks in parallel and steal work.
    Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("worker")
        .enable_time()
        .build()
        .expect("build a multi-thread runtime")
}
// ANCHOR_END: runtimes

fn report(title: &str, runtime: &Runtime, period: Duration, ticks: usize) {
    let (mut fired, tick_times) = runtime.block_on(schedule(period, ticks));
    println!("{title}");
    // A timer never fires early; printed in the order of the delays asked for.
    fired.sort_by_key(|f| f.asked);
    for callback in &fired {
        assert!(
            callback.at >= callback.asked,
            "{} fired early",
            callback.name
        );
        println!(
            "  {:<9} asked {:>2} ms, ran at {:5.1} ms on thread '{}'",
            callback.name,
            callback.asked.as_millis(),
            callback.at.as_secs_f64() * 1e3,
            callback.thread
        );
    }
    assert_eq!(tick_times.len(), ticks);
    let shown: Vec<String> = tick_times
        .iter()
        .map(|t| format!("{:.1}", t.as_secs_f64() * 1e3))
        .collect();
    println!(
        "  every {} ms: {ticks} ticks, at {} ms",
        period.as_millis(),
        shown.join(", ")
    );
}

/// Delayed and periodic callbacks on two kinds of tokio runtime.
#[derive(Parser)]
struct Args {
    /// The periodic callback's period, in milliseconds.
    #[arg(long, default_value_t = 25,
          value_parser = clap::value_parser!(u64).range(1..=100))]
    period_ms: u64,
    /// How many ticks (each runtime runs them all: at most 50 x 100 ms, 5 s).
    #[arg(long, default_value_t = 4,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=50))]
    ticks: usize,
}

fn main() {
    let Args { period_ms, ticks } = parse_args();
    let period = Duration::from_millis(period_ms);

    // ANCHOR: main
    report(
        "current_thread runtime (block_on on the main thread):",
        &current_thread_runtime(),
        period,
        ticks,
    );
    report(
        "multi_thread runtime (2 worker threads):",
        &multi_thread_runtime(),
        period,
        ticks,
    );
    // ANCHOR_END: main
}

/// The name of the thread this runs on: `main`, or the name the multi-thread
/// runtime gives its workers (`thread_name`).
fn current_thread_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_owned()
}

/// Reads the options. A bad one gets clap's own `error:` line (without the
/// usage text clap adds below it) and exit status 2; `--help` works as usual.
fn parse_args() -> Args {
    Args::try_parse().unwrap_or_else(|error| {
        if !error.use_stderr() {
            error.exit() // --help or --version: printed, exit status 0
        }
        eprintln!("{}", error.to_string().lines().next().unwrap_or_default());
        std::process::exit(2)
    })
}
