//! Recipe 1.5: evaluating performance. One CPU-bound job with a serial phase and
//! a parallel phase, run at 1, 2, 3 and 4 threads: time, speedup, efficiency, and
//! what Amdahl's law predicts from the serial fraction measured at one thread.
//!
//! Run: cargo run -p cookbook --example ch01_05_speedup [-- --items 400000 --rounds 100 --runs 5 --svg speedup.svg]

use cookbook::cli::Options;
use cookbook::measure::{median_time, ms};
use cookbook::plot::LineChart;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

/// The thread counts measured: fixed, so the table has the same rows on every machine.
const THREAD_COUNTS: [usize; 4] = [1, 2, 3, 4];

/// Scrambling rounds per item in the serial phase.
const SERIAL_ROUNDS: u32 = 12;

// ANCHOR: workload
/// Serial phase: a chain of pseudo-random numbers. Each value is computed from
/// the previous one, so no number of threads can speed this phase up.
fn generate(items: usize, seed: u64, rounds: u32) -> Vec<u64> {
    let mut state = seed;
    (0..items)
        .map(|_| {
            state = scramble(state, rounds);
            state
        })
        .collect()
}

/// Parallel phase: every item is scrambled `rounds` times, independently of the others.
fn scramble(item: u64, rounds: u32) -> u64 {
    (0..rounds).fold(item, |x, round| {
        (x ^ (x >> 31) ^ u64::from(round)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    })
}

/// The whole job: the serial phase, then the parallel phase split into one
/// equal chunk per thread. Returns a checksum and the time of the serial phase.
fn job(items: usize, rounds: u32, threads: usize) -> (u64, Duration) {
    let start = Instant::now();
    let data = generate(items, 0x2545_F491_4F6C_DD1D, SERIAL_ROUNDS);
    let serial_time = start.elapsed();

    let chunk = data.len().div_ceil(threads);
    let checksum = thread::scope(|scope| {
        let handles: Vec<_> = data
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || part.iter().fold(0u64, |sum, &x| sum ^ scramble(x, rounds)))
            })
            .collect();
        handles
            .into_iter()
            .fold(0, |sum, h| sum ^ h.join().unwrap())
    });
    (checksum, serial_time)
}
// ANCHOR_END: workload

// ANCHOR: laws
/// Amdahl: with a serial fraction `f` of the one-thread time, `p` processors
/// can at best run `1 / (f + (1 - f) / p)` times faster.
fn amdahl(serial_fraction: f64, p: f64) -> f64 {
    1.0 / (serial_fraction + (1.0 - serial_fraction) / p)
}
// ANCHOR_END: laws

fn main() {
    let options = Options::from_env(&[
        ("items", "400000"),
        ("rounds", "100"),
        ("runs", "5"),
        ("svg", ""),
    ]);
    let items = options.positive("items");
    let rounds: u32 = options.get("rounds");
    let runs = options.positive("runs");
    let svg: String = options.get("svg");

    // ANCHOR: main
    let mut rows = Vec::new();
    for threads in THREAD_COUNTS {
        let ((checksum, serial_time), time) = median_time(runs, || job(items, rounds, threads));
        rows.push((threads, time, serial_time, checksum));
    }
    let (_, one_thread, serial_part, checksum) = rows[0];
    assert!(
        rows.iter().all(|row| row.3 == checksum),
        "every thread count must compute the same checksum"
    );

    // Serial fraction f, measured on the one-thread run.
    let f = serial_part.as_secs_f64() / one_thread.as_secs_f64();
    println!("{items} items, {rounds} rounds each, checksum {checksum}");
    println!(
        "serial fraction f = {f:.3} (serial phase {})",
        ms(serial_part)
    );
    println!("threads       time  speedup  efficiency  Amdahl");
    let mut measured = Vec::new();
    for &(threads, time, _, _) in &rows {
        let p = threads as f64;
        let speedup = one_thread.as_secs_f64() / time.as_secs_f64();
        measured.push((p, speedup));
        println!(
            "{threads:>7} {:>10} {speedup:>7.2}x {:>10.1}% {:>6.2}x",
            ms(time),
            100.0 * speedup / p,
            amdahl(f, p),
        );
    }
    // ANCHOR_END: main

    // ANCHOR: plot
    if !svg.is_empty() {
        let ideal = THREAD_COUNTS.map(|p| (p as f64, p as f64)).to_vec();
        let predicted = THREAD_COUNTS
            .map(|p| (p as f64, amdahl(f, p as f64)))
            .to_vec();
        LineChart::new("Speedup of the job", "threads", "speedup over one thread")
            .with_series("measured", measured)
            .with_series("ideal (linear)", ideal)
            .with_series(&format!("Amdahl, f = {f:.3}"), predicted)
            .write_svg(Path::new(&svg))
            .unwrap_or_else(|e| cookbook::cli::fail(e));
        eprintln!("plot written to {svg}");
    }
    // ANCHOR_END: plot
}
