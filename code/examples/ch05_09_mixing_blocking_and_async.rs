//! Recipe 5.9: mixing blocking and async code. A ticker task shows whether the
//! runtime is still responsive while a CPU-bound job runs: called directly in
//! async code, the job stalls it; moved to `spawn_blocking` or handed to rayon
//! (with a oneshot channel for the answer), the ticks keep coming.
//!
//! Run: cargo run -p cookbook --example ch05_09_mixing_blocking_and_async [-- --below 2000000 --tick-ms 5]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate rayon;
extern crate tokio;

use clap::Parser;
use rayon::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// The CPU-bound job, on one thread.
fn count_primes(below: u32) -> u64 {
    (0..below).filter(|&n| is_prime(n)).count() as u64
}

/// The same job split over rayon's pool.
fn count_primes_in_parallel(below: u32) -> u64 {
    (0..below).into_par_iter().filter(|&n| is_prime(n)).count() as u64
}

// ANCHOR: ticker
/// A task that counts ticks, standing in for everything else the runtime
/// should keep doing: answering requests, heartbeats, timeouts.
fn start_ticker(period: Duration) -> (Arc<AtomicU64>, watch::Receiver<u64>, JoinHandle<()>) {
    let ticks = Arc::new(AtomicU64::new(0));
    let (announce, first) = watch::channel(0);
    let counter = Arc::clone(&ticks);
    let ticker = tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            interval.tick().await;
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            announce.send_replace(n);
        }
    });
    (ticks, first, ticker)
}

/// Runs `job` (an async block that does the CPU work one way or another) and
/// returns its answer, how many ticks happened meanwhile, and how long it took.
async fn ticks_during<F>(period: Duration, job: F) -> (u64, u64, Duration)
where
    F: Future<Output = u64>,
{
    let (ticks, mut first, ticker) = start_ticker(period);
    first.wait_for(|&n| n >= 1).await.expect("ticker alive"); // it is running
    let before = ticks.load(Ordering::SeqCst);
    let start = Instant::now();
    let answer = job.await;
    let elapsed = start.elapsed();
    let during = ticks.load(Ordering::SeqCst) - before;
    ticker.abort();
    (answer, during, elapsed)
}
// ANCHOR_END: ticker

/// A ticker task next to a CPU-bound job: blocking, spawn_blocking, rayon.
#[derive(Parser)]
struct Args {
    /// The job counts the primes below this number. At least 1 000 000, so
    /// that even the parallel job outlasts a few ticks.
    #[arg(long, default_value_t = 2_000_000,
          value_parser = clap::value_parser!(u32).range(1_000_000..=10_000_000))]
    below: u32,
    /// The ticker's period, in milliseconds.
    #[arg(long, default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=10))]
    tick_ms: u64,
}

fn main() {
    let Args { below, tick_ms } = parse_args();
    let period = Duration::from_millis(tick_ms);

    // ANCHOR: main
    // One thread, like asyncio's event loop: whatever blocks it blocks everything.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("build the runtime");

    // Bad: the job runs inside async code, on the runtime's only thread.
    let (blocked, blocked_ticks, blocked_time) =
        runtime.block_on(ticks_during(period, async { count_primes(below) }));

    // Good: spawn_blocking moves the job to the runtime's blocking-thread pool.
    let (offloaded, offloaded_ticks, offloaded_time) =
        runtime.block_on(ticks_during(period, async {
            tokio::task::spawn_blocking(move || count_primes(below))
                .await
                .expect("the blocking job panicked")
        }));

    // Good: rayon runs the job on its own pool; a oneshot brings the answer back.
    let (parallel, parallel_ticks, parallel_time) = runtime.block_on(ticks_during(period, async {
        let (answer, answered) = oneshot::channel();
        rayon::spawn(move || {
            let _ = answer.send(count_primes_in_parallel(below));
        });
        answered
            .await
            .expect("the job always replies (a panic in rayon::spawn aborts the process)")
    }));

    assert_eq!(offloaded, blocked);
    assert_eq!(parallel, blocked);
    assert_eq!(
        blocked_ticks, 0,
        "nothing else can run while the job blocks the thread"
    );
    assert!(
        offloaded_ticks >= 1 && parallel_ticks >= 1,
        "the ticker kept ticking"
    );
    let rate = |ticks: u64, time: Duration| ticks as f64 / time.as_secs_f64();
    println!(
        "primes below {below}: {blocked} (all three agree); a tick every {} ms",
        period.as_millis()
    );
    println!(
        "job inside async code: {blocked_ticks} ticks during the job    {}",
        ms(blocked_time)
    );
    println!(
        "spawn_blocking:        ticker kept ticking, {:.1} ticks/s  {}",
        rate(offloaded_ticks, offloaded_time),
        ms(offloaded_time)
    );
    println!(
        "rayon::spawn+oneshot:  ticker kept ticking, {:.1} ticks/s  {}",
        rate(parallel_ticks, parallel_time),
        ms(parallel_time)
    );
    // ANCHOR_END: main
}

/// Trial division by odd numbers up to the square root.
fn is_prime(n: u32) -> bool {
    if n < 4 {
        return n >= 2;
    }
    if n % 2 == 0 {
        return false;
    }
    (3..)
        .step_by(2)
        .take_while(|&d| d <= n / d) // d * d <= n, without overflow
        .all(|d| n % d != 0)
}

/// `12.345 ms`: times keep their decimals, so the book's tests can tell a
/// measurement (which varies) from a count (which must not).
fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1e3)
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
