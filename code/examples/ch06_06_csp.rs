//! Recipe 6.6: communicating sequential processes. Processes are plain
//! functions that share nothing and talk only through channels: a generator,
//! a few workers and a collector form a pipeline; `select!` waits on several
//! channels at once, with a timeout arm and a stop channel.
//!
//! Run: cargo run -p cookbook --example ch06_06_csp [-- --numbers 100000 --workers 3]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate crossbeam;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use crossbeam::channel::{self, Receiver, Sender, select};
use std::thread;
use std::time::Duration;

/// Room in each channel. Zero would be a pure CSP rendezvous (every send
/// waits for its receive); a little room lets the processes run ahead.
const CAPACITY: usize = 32;
/// In runs 1 and 2 a message always comes long before this: silence means a bug.
const STALL: Duration = Duration::from_secs(5);
/// Run 3 waits this long in silence before it gives up.
const QUIET: Duration = Duration::from_millis(500);

/// The work each worker does on a number: steps of the Collatz sequence to 1.
fn collatz_steps(mut n: u64) -> u64 {
    let mut steps = 0;
    while n != 1 {
        n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
        steps += 1;
    }
    steps
}

// ANCHOR: generator
/// What the generator sends: `count` numbers from 1 (or without end), then,
/// if `then_stall`, it keeps its channel open and says nothing more.
struct Source {
    count: Option<u64>,
    then_stall: bool,
}

/// Process 1: sends numbers until its source runs out or `stop` fires.
/// `select!` waits on the send and on `stop` together, so a generator blocked
/// on a full channel still hears the stop.
fn generator(source: Source, numbers: Sender<u64>, stop: Receiver<()>) -> u64 {
    let mut sent = 0;
    for n in 1..=source.count.unwrap_or(u64::MAX) {
        select! {
            send(numbers, n) -> result => if result.is_err() { return sent }, // no workers left
            recv(stop) -> _ => return sent,
        }
        sent += 1;
    }
    if source.then_stall {
        let _ = stop.recv(); // silent, channel still open, until stopped
    }
    sent
}

/// Process 2 (several copies): takes numbers until the generator is done,
/// sends each result on, and reports how many it handled on `done`.
fn worker(numbers: Receiver<u64>, results: Sender<u64>, done: Sender<u64>) {
    let mut handled = 0;
    for n in numbers.iter() {
        if results.send(collatz_steps(n)).is_err() {
            break; // the collector has stopped listening
        }
        handled += 1;
    }
    let _ = done.send(handled);
}

// ANCHOR_END: generator

// ANCHOR: ended
#[derive(Debug, PartialEq)]
enum Ended {
    /// Every worker finished and the results channel closed.
    Exhausted,
    /// The collector had as many results as it wanted and sent stop.
    Enough,
    /// No message within the timeout: the collector sent stop.
    Silence,
}

#[derive(Debug)]
struct Collected {
    results: u64,
    steps: u64,
    /// The sum of what the workers reported on `done`.
    handled: u64,
    ended: Ended,
}
// ANCHOR_END: ended

// ANCHOR: collector
/// Process 3: waits on results and on the workers' reports at once, with a
/// timeout arm; owns the stop channel and closes it when it is done.
fn collector(
    results: Receiver<u64>,
    done: Receiver<u64>,
    stop: Sender<()>,
    limit: Option<u64>,
    timeout: Duration,
) -> Collected {
    let (mut count, mut steps, mut handled) = (0, 0, 0);
    // A closed channel is always ready; `never()` switches that arm off instead.
    let never = channel::never();
    let mut done_open = true;
    let ended = loop {
        select! {
            recv(results) -> message => match message {
                Ok(s) => {
                    count += 1;
                    steps += s;
                    if Some(count) == limit {
                        break Ended::Enough;
                    }
                }
                Err(_) => break Ended::Exhausted, // every worker has returned
            },
            recv(if done_open { &done } else { &never }) -> report => match report {
                Ok(h) => handled += h,
                Err(_) => done_open = false,
            },
            default(timeout) => break Ended::Silence,
        }
    };
    // Closing a channel is a broadcast: every process selecting on `stop`
    // wakes up, and workers blocked on `results` get an error and return.
    drop(stop);
    drop(results);
    handled += done.iter().sum::<u64>(); // the reports still on their way
    Collected {
        results: count,
        steps,
        handled,
        ended,
    }
}
// ANCHOR_END: collector

// ANCHOR: network
/// Wires the processes together, runs them all in parallel and waits for all
/// of them. Returns what the collector saw and how many numbers were generated.
fn run(source: Source, workers: usize, limit: Option<u64>, timeout: Duration) -> (Collected, u64) {
    let (numbers_out, numbers_in) = channel::bounded(CAPACITY);
    let (results_out, results_in) = channel::bounded(CAPACITY);
    let (done_out, done_in) = channel::bounded(workers);
    let (stop_out, stop_in) = channel::bounded::<()>(0); // never sent on: only closed
    thread::scope(|scope| {
        let generated = scope.spawn(move || generator(source, numbers_out, stop_in));
        for _ in 0..workers {
            let (numbers, results, done) =
                (numbers_in.clone(), results_out.clone(), done_out.clone());
            scope.spawn(move || worker(numbers, results, done));
        }
        // The copies went to the workers; these originals would keep the
        // channels open forever, so the collector would never see them close.
        drop((numbers_in, results_out, done_out));
        let collected =
            scope.spawn(move || collector(results_in, done_in, stop_out, limit, timeout));
        (
            collected.join().expect("the collector panicked"),
            generated.join().expect("the generator panicked"),
        )
    })
}
// ANCHOR_END: network

/// A pipeline of processes joined by channels, run three ways.
#[derive(Parser)]
struct Args {
    /// Numbers the generator sends in the first run.
    #[arg(long, default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    numbers: u64,
    /// Worker processes between the generator and the collector.
    #[arg(long, default_value_t = 3,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    workers: usize,
}

fn main() {
    let Args { numbers, workers } = parse_args();

    // ANCHOR: main
    println!(
        "pipeline: generator -> {workers} workers -> collector, channels of capacity {CAPACITY}"
    );

    // Run 1: a finite stream; the pipeline drains and every process returns.
    let all = Source {
        count: Some(numbers),
        then_stall: false,
    };
    let (collected, generated) = run(all, workers, None, STALL);
    let serial: u64 = (1..=numbers).map(collatz_steps).sum();
    assert_eq!(collected.ended, Ended::Exhausted);
    assert_eq!(
        (generated, collected.results, collected.handled),
        (numbers, numbers, numbers)
    );
    assert_eq!(
        collected.steps, serial,
        "the pipeline's sum differs from the serial sum"
    );
    println!(
        "run 1, numbers 1..={numbers}: {} results, {} Collatz steps in all (serial sum: {serial})",
        collected.results, collected.steps
    );
    println!(
        "       ended: input exhausted, workers reported {} numbers handled",
        collected.handled
    );

    // ANCHOR_END: main

    // ANCHOR: stopping
    // Run 2: an endless stream; the collector stops it after 1000 results.
    let endless = Source {
        count: None,
        then_stall: false,
    };
    let (collected, generated) = run(endless, workers, Some(1000), STALL);
    assert_eq!((collected.ended, collected.results), (Ended::Enough, 1000));
    assert!(generated >= 1000 && collected.handled >= 1000);
    println!(
        "run 2, endless numbers: {} results, then stop; generator and workers returned",
        collected.results
    );

    // Run 3: the generator goes quiet; the collector's timeout arm fires.
    let stalls = Source {
        count: Some(5),
        then_stall: true,
    };
    let (collected, generated) = run(stalls, workers, None, QUIET);
    assert_eq!(
        (
            collected.ended,
            collected.results,
            generated,
            collected.handled
        ),
        (Ended::Silence, 5, 5, 5)
    );
    println!(
        "run 3, generator silent after 5 numbers: {} results, then {} ms of silence, stop sent",
        collected.results,
        QUIET.as_millis()
    );
    println!("all {} processes of the 3 runs returned", 3 * (workers + 2));
    // ANCHOR_END: stopping
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
