//! Recipe 2.18: one-time and thread-local state. `OnceLock` and `LazyLock`
//! initialise a value exactly once however many threads ask for it at the same
//! moment; `thread_local!` gives every thread its own copy of a value.
//!
//! Run: cargo run -p cookbook --example ch02_18_once_thread_local [-- --threads 8 --limit 100000]

extern crate clap; // named for `mdbook test`; Cargo does not need it

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, LazyLock, OnceLock};
use std::thread;
use std::time::Duration;

// ANCHOR: once
/// How many times each initialiser ran: the listing checks "exactly once".
/// Relaxed is enough: they only count, and they are read after the threads
/// have been joined, which orders everything the threads did.
static CONFIG_INITS: AtomicUsize = AtomicUsize::new(0);
static TABLE_INITS: AtomicUsize = AtomicUsize::new(0);

/// Set at run time, once: the first caller of `get_or_init` runs the closure,
/// callers arriving meanwhile block until it is done, later ones just read.
static CONFIG: OnceLock<String> = OnceLock::new();

fn config() -> &'static str {
    CONFIG.get_or_init(|| {
        CONFIG_INITS.fetch_add(1, Ordering::Relaxed);
        thread::sleep(Duration::from_millis(20)); // a slow start-up: reading a file, say
        String::from("workers = 8")
    })
}

/// Computed on first use from a closure fixed at compile time.
static SQUARES: LazyLock<Vec<u64>> = LazyLock::new(|| {
    TABLE_INITS.fetch_add(1, Ordering::Relaxed);
    (0..1000).map(|i| i * i).collect()
});

/// `threads` threads ask for both values at the same moment.
fn race_for_initialisation(threads: usize) {
    let start = Barrier::new(threads);
    let addresses: Vec<(usize, usize)> = thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    let config = config();
                    let squares: &Vec<u64> = &SQUARES;
                    assert_eq!((config, squares[12]), ("workers = 8", 144));
                    (config.as_ptr() as usize, squares.as_ptr() as usize)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // Every thread got a reference to the very same value, not a copy.
    assert!(addresses.windows(2).all(|pair| pair[0] == pair[1]));
    assert_eq!(CONFIG_INITS.load(Ordering::Relaxed), 1);
    assert_eq!(TABLE_INITS.load(Ordering::Relaxed), 1);
    println!(
        "{threads} threads raced: OnceLock initialised {} time, LazyLock {} time, one shared value each",
        CONFIG_INITS.load(Ordering::Relaxed),
        TABLE_INITS.load(Ordering::Relaxed)
    );
    // A second `set` is refused: the value can no longer change.
    assert_eq!(
        CONFIG.set(String::from("workers = 2")),
        Err(String::from("workers = 2"))
    );
    println!(
        "CONFIG.set() after initialisation: Err, value still {:?}",
        config()
    );
}
// ANCHOR_END: once

// ANCHOR: local
thread_local! {
    /// Each thread's own counter: no lock, no atomic, no sharing.
    static CALLS: Cell<u64> = const { Cell::new(0) };
    /// Each thread's own scratch buffer, reused from call to call.
    static SCRATCH: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// The digits of `n`, computed in this thread's scratch buffer.
fn digit_sum(n: u64) -> u64 {
    CALLS.set(CALLS.get() + 1);
    SCRATCH.with_borrow_mut(|digits| {
        digits.clear(); // keeps its capacity: no allocation after the first calls
        let mut rest = n;
        while rest > 0 {
            digits.push(rest % 10);
            rest /= 10;
        }
        digits.iter().sum()
    })
}

/// Thread `t` handles every `threads`-th number below `limit`.
fn per_thread_counts(threads: usize, limit: u64) -> Vec<(u64, u64)> {
    thread::scope(|scope| {
        let handles: Vec<_> = (0..threads as u64)
            .map(|t| {
                scope.spawn(move || {
                    let sum = (t..limit).step_by(threads).map(digit_sum).sum::<u64>();
                    (CALLS.get(), sum) // this thread's counter only
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}
// ANCHOR_END: local

/// `OnceLock` and `LazyLock` initialise once; `thread_local!` is per thread.
#[derive(Parser)]
struct Args {
    /// Threads racing to initialise, and sharing the thread-local work.
    #[arg(long, default_value_t = 8,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    threads: usize,
    /// Numbers processed in the thread-local part.
    #[arg(long, default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    limit: u64,
}

fn main() {
    let Args { threads, limit } = parse_args();

    // ANCHOR: main
    race_for_initialisation(threads);

    let results = per_thread_counts(threads, limit);
    for (t, (calls, _)) in results.iter().enumerate() {
        let mine = (t as u64..limit).step_by(threads).count() as u64;
        assert_eq!(*calls, mine, "thread {t} counted only its own calls");
    }
    let calls: Vec<u64> = results.iter().map(|r| r.0).collect();
    let total: u64 = results.iter().map(|r| r.1).sum();
    assert_eq!(total, (0..limit).map(digit_sum).sum::<u64>());
    println!("thread_local! CALLS per thread: {calls:?}");
    println!("digit sums below {limit}: {total}, same as one thread");
    // main's own counter counted only main's calls (the check just above).
    assert_eq!(CALLS.get(), limit);
    println!("main thread's CALLS: {}", CALLS.get());
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
