//! Recipe 1.6: Rust in a parallel world. Three correct ways to let threads work
//! on the same data, each one a way the compiler can check: shared read-only
//! borrows, atomics, and a mutex owned jointly through `Arc`.
//!
//! Run: cargo run -p cookbook --example ch01_06_ownership [-- --threads 4 --per-thread 100000]

extern crate clap; // named for `mdbook test`; Cargo does not need it

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

// ANCHOR: send_sync
/// Compiles only for types that may move to another thread (`Send`) or be
/// used from several threads through shared references (`Sync`).
fn assert_send<T: Send>() {}
fn assert_sync<T: Sync>() {}

fn what_the_compiler_knows() {
    assert_send::<Vec<u64>>(); // owned data moves between threads freely
    assert_sync::<AtomicU64>(); // atomic updates are safe from any thread
    assert_sync::<Mutex<Vec<u64>>>(); // the lock serialises access
    assert_send::<Arc<Mutex<Vec<u64>>>>(); // shared ownership, thread-safe count
    // assert_send::<std::rc::Rc<u64>>(); // rejected: Rc's count is not atomic
    // assert_sync::<std::cell::Cell<u64>>(); // rejected: unsynchronised mutation
}
// ANCHOR_END: send_sync

// ANCHOR: listing
/// Many readers, no writer: shared `&[u64]` borrows, scoped so they cannot
/// outlive the data.
fn sum_in_halves(data: &[u64]) -> u64 {
    let (left, right) = data.split_at(data.len() / 2);
    thread::scope(|s| {
        let left = s.spawn(|| left.iter().sum::<u64>());
        let right = s.spawn(|| right.iter().sum::<u64>());
        left.join().unwrap() + right.join().unwrap()
    })
}

/// Many writers of one number: an atomic makes each increment indivisible.
fn count_with_atomic(threads: usize, per_thread: u64) -> u64 {
    let counter = AtomicU64::new(0);
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..per_thread {
                    // Relaxed: each add is indivisible whatever the ordering,
                    // and the total is read after the scope joined the threads.
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    counter.into_inner()
}

/// Many writers of a structure, threads not scoped: `Arc` keeps the data alive
/// as long as any thread holds it, and `Mutex` lets one of them in at a time.
fn collect_with_mutex(threads: usize) -> Vec<usize> {
    let results = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..threads)
        .map(|id| {
            let results = Arc::clone(&results);
            thread::spawn(move || results.lock().unwrap().push(id * id))
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let mut results = Arc::into_inner(results).unwrap().into_inner().unwrap();
    results.sort_unstable(); // threads finish in any order
    results
}
// ANCHOR_END: listing

/// Shares data between threads three ways: borrows, an atomic, `Arc<Mutex>`.
#[derive(Parser)]
struct Args {
    /// Threads for the atomic counter and the mutex.
    #[arg(long, default_value_t = 4,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    threads: usize,
    /// Increments per thread.
    #[arg(long, default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    per_thread: u64,
}

fn main() {
    let Args {
        threads,
        per_thread,
    } = parse_args();

    // ANCHOR: main
    what_the_compiler_knows();

    let data: Vec<u64> = (1..=1000).collect();
    let sum = sum_in_halves(&data);
    assert_eq!(sum, 500_500);
    println!("shared borrows, sum of 1..=1000:     {sum}");

    let count = count_with_atomic(threads, per_thread);
    assert_eq!(count, threads as u64 * per_thread, "an increment was lost");
    println!("atomic counter, {threads} threads x {per_thread}: {count}");

    let squares = collect_with_mutex(threads);
    assert_eq!(squares, (0..threads).map(|i| i * i).collect::<Vec<_>>());
    println!("Arc<Mutex<Vec>>, one push per thread: {squares:?}");
    // ANCHOR_END: main
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
