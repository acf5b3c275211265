//! Recipe 1.4: designing a parallel program in four stages (decomposition,
//! assignment, orchestration, mapping) on one problem: counting the primes below n.
//!
//! Run: cargo run -p cookbook --example ch01_04_designing [-- --below 1000000 --task-size 10000 --workers 2 --runs 3]

extern crate clap; // named for `mdbook test`; Cargo does not need it

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: decomposition
/// Stage 1, decomposition: the work splits into independent tasks, one per
/// block of `task_size` numbers. More tasks than workers leaves room to balance.
fn decompose(below: u32, task_size: u32) -> Vec<Range<u32>> {
    (0..below)
        .step_by(task_size as usize)
        .map(|start| start..start.saturating_add(task_size).min(below))
        .collect()
}
// ANCHOR_END: decomposition

// ANCHOR: assignment
/// Stage 2, assignment, static: worker `w` gets the `w`-th contiguous run of
/// tasks, decided before any work starts.
fn assign_blocks(tasks: &[Range<u32>], workers: usize) -> Vec<Vec<Range<u32>>> {
    let per_worker = tasks.len().div_ceil(workers).max(1);
    let mut assigned: Vec<Vec<Range<u32>>> = tasks.chunks(per_worker).map(<[_]>::to_vec).collect();
    assigned.resize(workers, Vec::new());
    assigned
}
// ANCHOR_END: assignment

/// What one worker reports back: its primes and how long it was busy.
struct Report {
    primes: u64,
    busy: Duration,
}

// ANCHOR: orchestration
/// Stages 3 and 4 with the static assignment: each worker counts its own tasks
/// into a local total and reports once, at the end (the only communication).
/// Mapping: one OS thread per worker, placed on cores by the OS scheduler.
fn run_static(assigned: &[Vec<Range<u32>>]) -> Vec<Report> {
    thread::scope(|scope| {
        let handles: Vec<_> = assigned
            .iter()
            .map(|tasks| {
                scope.spawn(move || {
                    let start = Instant::now();
                    let primes = tasks.iter().cloned().map(count_primes).sum();
                    Report {
                        primes,
                        busy: start.elapsed(),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// The dynamic alternative: tasks stay in one list and each worker takes the
/// next one when it is free. One shared atomic index is the only synchronisation.
fn run_dynamic(tasks: &[Range<u32>], workers: usize) -> Vec<Report> {
    let next = AtomicUsize::new(0);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let start = Instant::now();
                    let mut primes = 0;
                    // Relaxed: the atomic add alone hands each index to one
                    // worker; the tasks were written before the threads
                    // started, and the counts come back through `join`.
                    while let Some(task) = tasks.get(next.fetch_add(1, Ordering::Relaxed)) {
                        primes += count_primes(task.clone());
                    }
                    Report {
                        primes,
                        busy: start.elapsed(),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}
// ANCHOR_END: orchestration

/// Counts the primes below n serially, with static blocks and with dynamic tasks.
#[derive(Parser)]
struct Args {
    /// Count the primes below this number.
    #[arg(long, default_value_t = 1_000_000,
          value_parser = clap::value_parser!(u32).range(0..=5_000_000))]
    below: u32,
    /// Numbers per task.
    #[arg(long, default_value_t = 10_000,
          value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    task_size: u32,
    /// Worker threads.
    #[arg(long, default_value_t = 2,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    workers: usize,
    /// Timed runs of each version; the median is shown.
    #[arg(long, default_value_t = 3,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=30))]
    runs: usize,
}

fn main() {
    let Args {
        below,
        task_size,
        workers,
        runs,
    } = parse_args();

    // ANCHOR: main
    let (serial, serial_time) = median_time(runs, || count_primes(0..below));

    let tasks = decompose(below, task_size);
    let assigned = assign_blocks(&tasks, workers);
    let (static_reports, static_time) = median_time(runs, || run_static(&assigned));
    let (dynamic_reports, dynamic_time) = median_time(runs, || run_dynamic(&tasks, workers));

    let total = |reports: &[Report]| reports.iter().map(|r| r.primes).sum::<u64>();
    assert_eq!(
        total(&static_reports),
        serial,
        "static assignment lost or doubled work"
    );
    assert_eq!(
        total(&dynamic_reports),
        serial,
        "dynamic assignment lost or doubled work"
    );

    let busy = |reports: &[Report]| {
        let times: Vec<String> = reports.iter().map(|r| ms(r.busy)).collect();
        times.join(", ")
    };
    println!("primes below {below}: {serial}");
    println!(
        "tasks: {} of up to {task_size} numbers, {workers} workers",
        tasks.len()
    );
    println!("serial:              {}", ms(serial_time));
    println!(
        "static blocks:       {}  busy per worker: {}",
        ms(static_time),
        busy(&static_reports)
    );
    println!(
        "dynamic (next task): {}  busy per worker: {}",
        ms(dynamic_time),
        busy(&dynamic_reports)
    );
    let primes: Vec<String> = static_reports
        .iter()
        .map(|r| r.primes.to_string())
        .collect();
    println!(
        "primes per worker with static blocks: {}",
        primes.join(", ")
    );
    // ANCHOR_END: main
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
