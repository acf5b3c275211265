//! Recipe 1.7: processes and threads, side by side. Counting the primes below n
//! serially, with N threads and with N worker processes (this same program,
//! started again in its worker role), then checking that all three agree.
//!
//! Run: cargo run -p cookbook --example ch01_07_processes_and_threads [-- --below 1000000 --workers 4 --runs 3]
//! Worker role (started by the program itself): --worker START..END

use cookbook::cli::{Options, fail};
use cookbook::measure::{median_time, ms, speedup};
use cookbook::workload::{count_primes, split};
use std::ops::Range;
use std::process::{Command, Stdio};
use std::thread;

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
        ("below", "1000000"),
        ("workers", "4"),
        ("runs", "3"),
        ("worker", ""),
    ]);
    let role: String = options.get("worker");
    if !role.is_empty() {
        return worker(&role);
    }
    let below: u32 = options.get("below");
    let workers = options.positive("workers");
    let runs = options.positive("runs");

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
