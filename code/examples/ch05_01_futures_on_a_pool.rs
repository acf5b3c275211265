//! Recipe 5.1: futures on a pool. One CPU-bound job, cut into pieces, run
//! sequentially, on a pool of threads and on a pool of worker processes (this
//! same program, started again in its worker role); the pools hand back each
//! piece's result as soon as it is done, in whatever order that happens.
//!
//! Run: cargo run -p cookbook --example ch05_01_futures_on_a_pool [-- --below 1500000 --jobs 16 --workers 4 --runs 3]
//! Worker role (started by the program itself): --worker START..END

use cookbook::cli::{Options, fail};
use cookbook::measure::{median_time, ms, speedup};
use cookbook::workload::{count_primes, split};
use std::ops::Range;
use std::sync::{Arc, mpsc};
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
fn worker(range: &str) {
    let parse = |bound: &str| bound.parse::<u32>().unwrap_or_else(|e| fail(e));
    let Some((start, end)) = range.split_once("..") else {
        fail(format_args!("--worker takes START..END, not '{range}'"));
    };
    println!("{}", count_primes(parse(start)..parse(end)));
}
// ANCHOR_END: processes

fn main() {
    let options = Options::from_env(&[
        ("below", "1500000"),
        ("jobs", "16"),
        ("workers", "4"),
        ("runs", "3"),
        ("worker", ""),
    ]);
    let role: String = options.get("worker");
    if !role.is_empty() {
        return worker(&role);
    }
    let below: u32 = options.get("below");
    let jobs = options.positive("jobs");
    let workers = options.positive("workers");
    let runs = options.positive("runs");

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
    let (processes, process_time) =
        median_time(runs, || runtime.block_on(on_process_pool(workers, &pieces)));

    // Same counts for every piece, not just the same total.
    assert_eq!(threaded, sequential, "thread pool disagrees");
    assert_eq!(processes, sequential, "process pool disagrees");
    let total: u64 = sequential.iter().sum();
    println!(
        "primes below {below} in {} pieces: {total} (all three agree, piece by piece)",
        pieces.len()
    );
    println!("sequential:            {}", ms(sequential_time));
    println!(
        "thread pool ({workers}):       {}  speedup {}",
        ms(thread_time),
        speedup(sequential_time, thread_time)
    );
    println!(
        "process pool ({workers}):      {}  speedup {}",
        ms(process_time),
        speedup(sequential_time, process_time)
    );
    // ANCHOR_END: main
}
