//! Recipe 1.7: processes and threads, side by side. Counting the primes below n
//! serially, with N threads and with N worker processes (this same program,
//! started again in its worker role), then checking that all three agree.
//!
//! Run: cargo run -p cookbook --example ch01_07_processes_and_threads [-- --below 1000000 --workers 4 --runs 3]
//! Worker role (started by the program itself): --worker START..END

extern crate clap; // named for `mdbook test`; Cargo does not need it

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::ops::Range;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: threads
/// N threads in one process: each borrows its range and returns its count.
fn count_with_threads(ranges: &[Range<u32>]) -> u64 {
    thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|range| scope.spawn(move || count_primes(range.clone())))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}
// ANCHOR_END: threads

// ANCHOR: processes
/// N processes: this program runs again with `--worker START..END`, and prints
/// its count on stdout. Nothing is shared; the range goes in as an argument.
fn count_with_processes(ranges: &[Range<u32>]) -> u64 {
    let program = std::env::current_exe().expect("path of this program");
    // Start every worker before waiting for any, so they run at the same time.
    let children: Vec<_> = ranges
        .iter()
        .map(|range| {
            Command::new(&program)
                .args(["--worker", &format!("{}..{}", range.start, range.end)])
                .stdout(Stdio::piped())
                .spawn()
                .expect("start a worker process")
        })
        .collect();
    children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().expect("wait for a worker");
            assert!(
                output.status.success(),
                "a worker failed: {}",
                output.status
            );
            let text = String::from_utf8(output.stdout).expect("a worker prints text");
            text.trim()
                .parse::<u64>()
                .expect("a worker prints one count")
        })
        .sum()
}

/// The worker role: count the primes in one range and print the count.
fn worker(range: Range<u32>) {
    println!("{}", count_primes(range));
}
// ANCHOR_END: processes

/// Largest `--below`: the serial count takes under a second there.
const MAX_BELOW: u32 = 5_000_000;

/// Counts the primes below n serially, with threads and with worker processes.
#[derive(Parser)]
struct Args {
    /// Count the primes below this number.
    #[arg(long, default_value_t = 1_000_000,
          value_parser = clap::value_parser!(u32).range(0..=i64::from(MAX_BELOW)))]
    below: u32,
    /// Threads, and processes.
    #[arg(long, default_value_t = 4,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    workers: usize,
    /// Timed runs of each version; the median is shown.
    #[arg(long, default_value_t = 3,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=30))]
    runs: usize,
    /// Worker role (the program starts itself with it): count the primes in
    /// START..END and print the count.
    #[arg(long, value_name = "START..END", value_parser = parse_range)]
    worker: Option<Range<u32>>,
}

fn main() {
    let Args {
        below,
        workers,
        runs,
        worker: role,
    } = parse_args();
    if let Some(range) = role {
        return worker(range);
    }

    // ANCHOR: main
    let ranges = split(below, workers);
    let (serial, serial_time) = median_time(runs, || count_primes(0..below));
    let (threaded, thread_time) = median_time(runs, || count_with_threads(&ranges));
    let (multiprocess, process_time) = median_time(runs, || count_with_processes(&ranges));

    assert_eq!(threaded, serial, "threads disagree with the serial count");
    assert_eq!(
        multiprocess, serial,
        "processes disagree with the serial count"
    );
    println!("primes below {below}: {serial} (all three agree)");
    println!("serial:        {}", ms(serial_time));
    println!(
        "{workers} threads:     {}  speedup {}",
        ms(thread_time),
        speedup(serial_time, thread_time)
    );
    println!(
        "{workers} processes:   {}  speedup {}",
        ms(process_time),
        speedup(serial_time, process_time)
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
