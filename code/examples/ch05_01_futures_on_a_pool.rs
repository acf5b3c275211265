//! Recipe 5.1: futures on a pool. One CPU-bound job, cut into pieces, run
//! sequentially, on a pool of threads and on a pool of worker processes (this
//! same program, started again in its worker role); the pools hand back each
//! piece's result as soon as it is done, in whatever order that happens, and
//! an ordered map over the thread pool hands them back in piece order.
//!
//! Run: cargo run -p cookbook --example ch05_01_futures_on_a_pool [-- --below 1500000 --jobs 16 --workers 4 --runs 3]
//! Worker role (started by the program itself): --worker START..END

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate rayon;
extern crate tokio;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use rayon::prelude::*;
use std::ops::Range;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use tokio::process::Command;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

// ANCHOR: threads
/// A pool of `pool.current_num_threads()` threads. Every piece is submitted at
/// once; each sends `(piece, count)` back when it is done, and the loop below
/// receives them in the order they complete, like `as_completed`.
fn on_thread_pool(pool: &rayon::ThreadPool, pieces: &[Range<u32>]) -> Vec<u64> {
    let (done, completed) = mpsc::channel();
    for (index, piece) in pieces.iter().cloned().enumerate() {
        let done = done.clone();
        pool.spawn(move || {
            let _ = done.send((index, count_primes(piece)));
        });
    }
    drop(done); // the loop ends when every worker's sender is gone
    let mut counts = vec![None; pieces.len()];
    for (index, count) in completed {
        counts[index] = Some(count);
    }
    counts
        .into_iter()
        .map(|c| c.expect("every piece reported"))
        .collect()
}
// ANCHOR_END: threads

// ANCHOR: map
/// Like `Executor.map`: the results come back in the order of the pieces,
/// whatever order the pool finishes them in, so no piece number is needed.
fn map_on_thread_pool(pool: &rayon::ThreadPool, pieces: &[Range<u32>]) -> Vec<u64> {
    pool.install(|| pieces.par_iter().cloned().map(count_primes).collect())
}
// ANCHOR_END: map

// ANCHOR: processes
/// A pool of at most `workers` processes at a time, each this program started
/// again with `--worker START..END`. Each child is a future (`output()`); the
/// semaphore keeps `workers` of them running and `join_next` yields them as
/// they finish.
async fn on_process_pool(workers: usize, pieces: &[Range<u32>]) -> Vec<u64> {
    let program = std::env::current_exe().expect("path of this program");
    let slots = Arc::new(Semaphore::new(workers));
    let mut running = JoinSet::new();
    for (index, piece) in pieces.iter().enumerate() {
        let slot = Arc::clone(&slots).acquire_owned();
        let mut child = Command::new(&program);
        child.args(["--worker", &format!("{}..{}", piece.start, piece.end)]);
        // If this task is dropped (the pool is abandoned after a failure, or
        // main panics), its child is killed rather than left running.
        child.kill_on_drop(true);
        running.spawn(async move {
            let _slot = slot.await.expect("the semaphore is never closed");
            let output = child.output().await.expect("start a worker process");
            assert!(
                output.status.success(),
                "a worker failed: {}",
                output.status
            );
            let text = String::from_utf8(output.stdout).expect("a worker prints text");
            (index, text.trim().parse::<u64>().expect("one count"))
        });
    }
    let mut counts = vec![None; pieces.len()];
    while let Some(finished) = running.join_next().await {
        let (index, count) = finished.expect("a worker task panicked");
        counts[index] = Some(count);
    }
    counts
        .into_iter()
        .map(|c| c.expect("every piece reported"))
        .collect()
}

/// The worker role: count the primes in one range and print the count.
fn worker(range: Range<u32>) {
    println!("{}", count_primes(range));
}
// ANCHOR_END: processes

/// Largest `--below`: the sequential count takes about half a second there.
const MAX_BELOW: u32 = 3_000_000;

/// Counts primes sequentially, on a thread pool and on a process pool.
#[derive(Parser)]
struct Args {
    /// Count the primes below this number.
    #[arg(long, default_value_t = 1_500_000,
          value_parser = clap::value_parser!(u32).range(0..=i64::from(MAX_BELOW)))]
    below: u32,
    /// Pieces the job is cut into.
    #[arg(long, default_value_t = 16,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=256))]
    jobs: usize,
    /// Threads in the pool, and processes running at once.
    #[arg(long, default_value_t = 4,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    workers: usize,
    /// Timed runs of each version; the median is shown.
    #[arg(long, default_value_t = 3,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=5))]
    runs: usize,
    /// Worker role (the program starts itself with it): count the primes in
    /// START..END and print the count.
    #[arg(long, value_name = "START..END", value_parser = parse_range)]
    worker: Option<Range<u32>>,
}

fn main() {
    let Args {
        below,
        jobs,
        workers,
        runs,
        worker: role,
    } = parse_args();
    if let Some(range) = role {
        return worker(range);
    }

    // ANCHOR: main
    let pieces = split(below, jobs);
    let threads = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()
        .expect("build the thread pool");
    // One thread is enough to wait for child processes.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build the runtime");

    let (sequential, sequential_time) = median_time(runs, || {
        pieces.iter().cloned().map(count_primes).collect::<Vec<_>>()
    });
    let (threaded, thread_time) = median_time(runs, || on_thread_pool(&threads, &pieces));
    let (mapped, map_time) = median_time(runs, || map_on_thread_pool(&threads, &pieces));
    let (processes, process_time) =
        median_time(runs, || runtime.block_on(on_process_pool(workers, &pieces)));

    // Same counts for every piece, not just the same total.
    assert_eq!(threaded, sequential, "thread pool disagrees");
    assert_eq!(mapped, sequential, "ordered map disagrees");
    assert_eq!(processes, sequential, "process pool disagrees");
    let total: u64 = sequential.iter().sum();
    println!(
        "primes below {below} in {} pieces: {total} (all four agree, piece by piece)",
        pieces.len()
    );
    println!("sequential:            {}", ms(sequential_time));
    println!(
        "thread pool ({workers}):       {}  speedup {}",
        ms(thread_time),
        speedup(sequential_time, thread_time)
    );
    println!(
        "thread pool map ({workers}):   {}  speedup {}",
        ms(map_time),
        speedup(sequential_time, map_time)
    );
    println!(
        "process pool ({workers}):      {}  speedup {}",
        ms(process_time),
        speedup(sequential_time, process_time)
    );
    // ANCHOR_END: main
}

/// `START..END` for the worker role, with START <= END <= `MAX_BELOW`.
fn parse_range(text: &str) -> Result<Range<u32>, String> {
    let expected = || format!("expected START..END with START <= END <= {MAX_BELOW}");
    let (start, end) = text.split_once("..").ok_or_else(expected)?;
    match (start.parse::<u32>(), end.parse::<u32>()) {
        (Ok(start), Ok(end)) if start <= end && end <= MAX_BELOW => Ok(start..end),
        _ => Err(expected()),
    }
}

/// How many primes `range` holds.
fn count_primes(range: Range<u32>) -> u64 {
    range.filter(|&n| is_prime(n)).count() as u64
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

/// `0..below` cut into `parts` contiguous ranges (fewer if `below` is small).
fn split(below: u32, parts: usize) -> Vec<Range<u32>> {
    let step = below
        .div_ceil(u32::try_from(parts).unwrap_or(u32::MAX))
        .max(1);
    (0..below)
        .step_by(step as usize)
        .map(|start| start..start.saturating_add(step).min(below))
        .collect()
}

/// Runs `work` `runs` times; returns its result and the median time, which
/// shrugs off the odd run disturbed by another process.
fn median_time<T>(runs: usize, mut work: impl FnMut() -> T) -> (T, Duration) {
    let mut times = Vec::with_capacity(runs);
    let mut result = None;
    for _ in 0..runs {
        let start = Instant::now();
        result = Some(std::hint::black_box(work()));
        times.push(start.elapsed());
    }
    times.sort();
    (result.expect("at least one run"), times[runs / 2])
}

/// `12.345 ms`: times keep their decimals, so the book's tests can tell a
/// measurement (which varies) from a count (which must not).
fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1e3)
}

/// How many times faster `new` is than `old`: `3.42x`.
fn speedup(old: Duration, new: Duration) -> String {
    format!("{:.2}x", old.as_secs_f64() / new.as_secs_f64())
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
