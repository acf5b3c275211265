//! Recipe 5.2: the event loop. The same schedule of delayed and periodic
//! callbacks run on a current-thread runtime (one thread, like asyncio's loop)
//! and on a multi-thread runtime (a pool of worker threads).
//!
//! Run: cargo run -p cookbook --example ch05_02_event_loop [-- --period-ms 25 --ticks 4]

use cookbook::ch05_event_loop::{Fired, call_at, call_later, every};
use cookbook::cli::Options;
use std::time::Duration;
use tokio::runtime::{Builder, Runtime};

// ANCHOR: schedule
/// What the loop does on either runtime: three callbacks submitted out of
/// order, one at an absolute deadline, and a periodic tick.
async fn schedule(period: Duration, ticks: usize) -> (Vec<Fired>, Fired, Vec<Duration>) {
    let ms = Duration::from_millis;
    let later = [(ms(60), "c"), (ms(20), "a"), (ms(40), "b")];
    let start = tokio::time::Instant::now();
    // join! polls all three in this task: they wait at the same time.
    tokio::join!(
        call_later(&later),
        call_at(start, start + ms(50), "at 50 ms"),
        every(period, ticks),
    )
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
    let (mut fired, at, tick_times) = runtime.block_on(schedule(period, ticks));
    println!("{title}");
    // A timer never fires early; printed in the order of the delays asked for.
    fired.push(at);
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

fn main() {
    let options = Options::from_env(&[("period-ms", "25"), ("ticks", "4")]);
    let period = Duration::from_millis(options.positive("period-ms") as u64);
    let ticks = options.positive("ticks");

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
