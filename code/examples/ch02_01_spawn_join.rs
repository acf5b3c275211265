//! Recipe 2.1: start threads with `thread::spawn`, wait for them with
//! `JoinHandle::join`, get their results back, and see a thread's panic arrive
//! as an `Err` instead of bringing down the program.
//!
//! Run: cargo run -p cookbook --example ch02_01_spawn_join [-- --threads 4 --numbers 1000000]

extern crate clap; // named for `mdbook test`; Cargo does not need it

use clap::Parser;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

// ANCHOR: one_thread
/// Starts one thread, lets it compute, and waits for its answer.
fn one_thread() -> String {
    let handle = thread::spawn(|| {
        let answer = 6 * 7;
        format!("the spawned thread computed {answer}")
    });
    // `join` blocks until the thread has finished and hands back what its closure returned.
    handle.join().expect("the thread did not panic")
}
// ANCHOR_END: one_thread

// ANCHOR: many_threads
/// Sums `1..=numbers` in `threads` parts of (nearly) equal size, one thread per part.
fn sum_in_threads(numbers: u64, threads: u64) -> Vec<(u64, u64, u64)> {
    let handles: Vec<_> = (0..threads)
        .map(|part| {
            let first = part * numbers / threads + 1;
            let last = (part + 1) * numbers / threads;
            // `move` gives the thread its own copies of `first` and `last`: a
            // spawned thread may outlive this function, so it cannot borrow.
            thread::spawn(move || (first, last, (first..=last).sum::<u64>()))
        })
        .collect();
    // Joining in the order of spawning gives the results in that order too,
    // whichever thread happened to finish first.
    handles
        .into_iter()
        .map(|handle| handle.join().expect("a summing thread panicked"))
        .collect()
}
// ANCHOR_END: many_threads

// ANCHOR: panicking_thread
/// The mean of `values`; panics on an empty list, as a bug would.
fn mean(values: &[u64]) -> u64 {
    assert!(!values.is_empty(), "cannot take the mean of an empty list");
    values.iter().sum::<u64>() / values.len() as u64
}

/// Runs `mean` in a thread and turns a panic into an error message.
fn mean_in_thread(values: Vec<u64>) -> Result<u64, String> {
    let handle = thread::spawn(move || mean(&values));
    handle.join().map_err(|payload| {
        // The payload is whatever was passed to `panic!`: a `&str` for a
        // literal message, a `String` for a formatted one.
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic with a non-text payload".to_owned())
    })
}
// ANCHOR_END: panicking_thread

// ANCHOR: is_finished
/// Asks whether a thread is done without waiting for it: `is_finished` never
/// blocks. Returns its answer while the thread was still waiting for main.
fn check_without_joining() -> bool {
    let (go_tx, go_rx) = mpsc::channel();
    let handle = thread::spawn(move || go_rx.recv().expect("main sends the go"));
    let while_waiting = handle.is_finished(); // false: it cannot end before the go
    go_tx.send(()).expect("the thread is waiting");
    // A real program would do other work between the checks; this one naps.
    while !handle.is_finished() {
        thread::sleep(Duration::from_millis(1));
    }
    handle.join().expect("the thread did not panic"); // returns at once now
    while_waiting
}
// ANCHOR_END: is_finished

/// Spawns threads, joins them, and gets a panic back as an `Err`.
#[derive(Parser)]
struct Args {
    /// Threads that share the sum.
    #[arg(long, default_value_t = 4,
          value_parser = clap::value_parser!(u64).range(1..=64))]
    threads: u64,
    /// Sum the numbers 1 to N (at least as many as there are threads).
    #[arg(long, default_value_t = 1_000_000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    numbers: u64,
}

fn main() {
    let Args { threads, numbers } = parse_args();
    if threads > numbers {
        eprintln!("error: --threads must not exceed --numbers");
        std::process::exit(2);
    }

    // ANCHOR: main
    println!("one thread: {}", one_thread());

    let parts = sum_in_threads(numbers, threads);
    for (part, (first, last, sum)) in parts.iter().enumerate() {
        println!("thread {part} summed {first}..={last}: {sum}");
    }
    let total: u64 = parts.iter().map(|&(_, _, sum)| sum).sum();
    assert_eq!(total, numbers * (numbers + 1) / 2, "Gauss's formula");
    println!("total of 1..={numbers} from {threads} threads: {total}");

    let good = mean_in_thread(vec![3, 5, 10]);
    let bad = mean_in_thread(Vec::new());
    assert_eq!(good, Ok(6));
    assert_eq!(
        bad,
        Err("cannot take the mean of an empty list".to_owned()),
        "the panic comes back through join"
    );
    println!("mean of [3, 5, 10] in a thread: {good:?}");
    println!("mean of [] in a thread:         {bad:?}");
    println!("main is still running after the panic");

    assert!(!check_without_joining(), "the thread waits for the go");
    println!("is_finished() while the thread waited: false; polled until true, then joined");
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
