//! Recipe 2.19: evaluating multithreaded performance. A CPU-bound job (counting
//! primes) and an I/O-bound job (requests that block, simulated with a sleep)
//! run on 1, 2, 3 and 4 threads: time, speedup and efficiency for each, and
//! optionally a chart. code/examples/python/ch02_19_gil.py runs the same two
//! jobs with Python threads, for comparison.
//!
//! Run: cargo run -p cookbook --example ch02_19_threads_speedup [-- --limit 200000 --requests 12 --wait-ms 5 --runs 5 --svg threads_speedup.svg]

use cookbook::cli::Options;
use cookbook::measure::{median_time, ms};
use cookbook::plot::LineChart;
use std::path::Path;
use std::thread;
use std::time::Duration;

/// Fixed thread counts, so the table has the same rows on every machine.
const THREAD_COUNTS: [usize; 4] = [1, 2, 3, 4];

/// The CPU-bound job hands out numbers in blocks of this size.
const BLOCK: u64 = 1000;

// ANCHOR: workloads
fn is_prime(n: u64) -> bool {
    n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
}

/// CPU-bound: count the primes below `limit`. Blocks of numbers are dealt to
/// the threads in turn (block b to thread b % threads), so each thread gets a
/// fair mix of small, cheap numbers and large, expensive ones.
fn count_primes(limit: u64, threads: usize) -> usize {
    let blocks = limit.div_ceil(BLOCK);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..threads as u64)
            .map(|t| {
                scope.spawn(move || {
                    (t..blocks)
                        .step_by(threads)
                        .flat_map(|b| b * BLOCK..((b + 1) * BLOCK).min(limit))
                        .filter(|&n| is_prime(n))
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

/// I/O-bound: `requests` requests that each wait `wait` for an answer. The
/// sleep stands in for blocking I/O (a network call, a disk read): the thread
/// uses no CPU while it waits. Requests are dealt to the threads in turn.
fn serve_requests(requests: usize, wait: Duration, threads: usize) -> usize {
    thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mine = (t..requests).step_by(threads).count();
                    for _ in 0..mine {
                        thread::sleep(wait);
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}
// ANCHOR_END: workloads

// ANCHOR: table
/// Times `job` at every thread count, prints the table, returns the speedups.
fn measure(runs: usize, job: impl Fn(usize) -> usize) -> Vec<(f64, f64)> {
    let rows: Vec<(usize, usize, Duration)> = THREAD_COUNTS
        .iter()
        .map(|&threads| {
            let (result, time) = median_time(runs, || job(threads));
            (threads, result, time)
        })
        .collect();
    assert!(
        rows.iter().all(|row| row.1 == rows[0].1),
        "same result at every thread count"
    );
    let one_thread = rows[0].2.as_secs_f64();
    println!("threads        time  speedup  efficiency");
    rows.iter()
        .map(|&(threads, _, time)| {
            let speedup = one_thread / time.as_secs_f64();
            let efficiency = 100.0 * speedup / threads as f64;
            println!(
                "{threads:>7} {:>11} {speedup:>7.2}x {efficiency:>10.1}%",
                ms(time)
            );
            (threads as f64, speedup)
        })
        .collect()
}

fn runs_text(runs: usize) -> String {
    match runs {
        1 => "one run each".to_owned(),
        n => format!("median of {n} runs"),
    }
}
// ANCHOR_END: table

fn main() {
    let options = Options::from_env(&[
        ("limit", "200000"),
        ("requests", "12"),
        ("wait-ms", "5"),
        ("runs", "5"),
        ("svg", ""),
    ]);
    let limit = options.positive("limit") as u64;
    let requests = options.positive("requests");
    let wait = Duration::from_millis(options.positive("wait-ms") as u64);
    let runs = options.positive("runs");
    let svg: String = options.get("svg");

    // ANCHOR: main
    let primes = count_primes(limit, 1);
    assert_eq!(primes, (0..limit).filter(|&n| is_prime(n)).count());
    println!(
        "CPU-bound: primes below {limit}, {primes} found ({})",
        runs_text(runs)
    );
    let cpu = measure(runs, |threads| count_primes(limit, threads));

    println!(
        "I/O-bound: {requests} requests waiting {wait:?} each, sleep standing in for blocking I/O ({})",
        runs_text(runs)
    );
    let io = measure(runs, |threads| serve_requests(requests, wait, threads));
    // ANCHOR_END: main

    // ANCHOR: plot
    if !svg.is_empty() {
        let ideal = THREAD_COUNTS.map(|p| (p as f64, p as f64)).to_vec();
        LineChart::new(
            "Rust threads: speedup over one thread",
            "threads",
            "speedup",
        )
        .with_series("CPU-bound (primes)", cpu)
        .with_series("I/O-bound (blocking waits)", io)
        .with_series("ideal (linear)", ideal)
        .write_svg(Path::new(&svg))
        .unwrap_or_else(|e| cookbook::cli::fail(e));
        eprintln!("plot written to {svg}");
    }
    // ANCHOR_END: plot
}
