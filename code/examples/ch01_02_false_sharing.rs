//! Recipe 1.2: false sharing. Threads that never touch each other's data still
//! slow each other down when their counters share a cache line.
//!
//! Run: cargo run -p cookbook --example ch01_02_false_sharing [-- --threads 2 --increments 5000000 --runs 5]

extern crate clap; // named for `mdbook test`; Cargo does not need it
extern crate crossbeam;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use crossbeam::utils::CachePadded;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: listing
/// Each thread increments only `counters[its index]`: no counter is shared, but
/// in a packed array several of them sit in the same 64-byte cache line.
fn count_packed(counters: &[AtomicU64], increments: u64) {
    thread::scope(|scope| {
        for counter in counters {
            scope.spawn(move || {
                for _ in 0..increments {
                    // Relaxed: the count only has to be exact, which any
                    // ordering of an atomic add guarantees; it is read after
                    // the scope has joined the threads.
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
}

/// The same work, with every counter padded and aligned to its own cache line.
fn count_padded(counters: &[CachePadded<AtomicU64>], increments: u64) {
    thread::scope(|scope| {
        for counter in counters {
            scope.spawn(move || {
                for _ in 0..increments {
                    counter.fetch_add(1, Ordering::Relaxed); // Relaxed: as above
                }
            });
        }
    });
}
// ANCHOR_END: listing

/// Per-thread counters, packed into one cache line and padded to one line each.
#[derive(Parser)]
struct Args {
    /// Threads, each with its own counter (at most 16, eight times the
    /// book's cores: with every limit at once the listing runs for ~20 s).
    #[arg(long, default_value_t = 2,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=16))]
    threads: usize,
    /// Increments per thread.
    #[arg(long, default_value_t = 5_000_000,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    increments: u64,
    /// Timed runs per layout; the median is shown.
    #[arg(long, default_value_t = 5,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=11))]
    runs: usize,
}

fn main() {
    let Args {
        threads,
        increments,
        runs,
    } = parse_args();

    // ANCHOR: main
    let packed: Vec<AtomicU64> = (0..threads).map(|_| AtomicU64::new(0)).collect();
    let padded: Vec<CachePadded<AtomicU64>> = (0..threads)
        .map(|_| CachePadded::new(AtomicU64::new(0)))
        .collect();

    let ((), packed_time) = median_time(runs, || count_packed(&packed, increments));
    let ((), padded_time) = median_time(runs, || count_padded(&padded, increments));

    // Every run added `increments` to every counter, whatever the layout.
    // (Relaxed loads: the scopes joined the threads, which orders their adds
    // before these reads.)
    let expected = increments * runs as u64;
    assert!(packed.iter().all(|c| c.load(Ordering::Relaxed) == expected));
    assert!(padded.iter().all(|c| c.load(Ordering::Relaxed) == expected));

    println!("threads:                  {threads}");
    println!("increments per thread:    {increments}");
    println!(
        "bytes per counter:        {} packed, {} padded",
        size_of::<AtomicU64>(),
        size_of::<CachePadded<AtomicU64>>()
    );
    println!("packed (false sharing):   {}", ms(packed_time));
    println!("padded (one line each):   {}", ms(padded_time));
    println!(
        "padding is faster by:     {:.2}x",
        packed_time.as_secs_f64() / padded_time.as_secs_f64()
    );
    println!("every counter reached:    {expected}");
    // ANCHOR_END: main
}

/// Runs `work` `runs` times; returns the result and the time of the median
/// run, which shrugs off the odd run disturbed by another process (and keeps
/// whatever the result measured consistent with the time shown).
fn median_time<T>(runs: usize, mut work: impl FnMut() -> T) -> (T, Duration) {
    let mut timed: Vec<(Duration, T)> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let result = std::hint::black_box(work());
            (start.elapsed(), result)
        })
        .collect();
    timed.sort_by_key(|&(time, _)| time);
    let (time, result) = timed.swap_remove(runs / 2);
    (result, time)
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
