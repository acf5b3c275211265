//! Recipe 2.3: a thread as a type. Each job is a struct that owns its state; a
//! trait gives every job a `run` method and a `spawn` method that moves the job
//! into its own named thread and returns a handle to its result.
//!
//! Run: cargo run -p cookbook --example ch02_03_thread_type [-- --limit 200000]

extern crate clap; // named for `mdbook test`; Cargo does not need it

use clap::Parser;
use std::thread::{self, JoinHandle};

// ANCHOR: trait
/// A piece of work that runs on a thread of its own.
trait Job: Send + 'static {
    type Output: Send + 'static;

    /// The thread's name, for debuggers and panic messages.
    fn name(&self) -> String;

    /// The work itself. It takes `self` by value: the job's state now belongs
    /// to whichever thread runs it.
    fn run(self) -> Self::Output;

    /// Moves the job into a new thread and returns a handle to its result.
    fn spawn(self) -> JobHandle<Self::Output>
    where
        Self: Sized,
    {
        let name = self.name();
        let thread = thread::Builder::new()
            .name(name.clone())
            .spawn(move || self.run())
            .expect("the OS could not start a thread");
        JobHandle { name, thread }
    }
}

/// The result of a job that is running, or has finished.
struct JobHandle<T> {
    name: String,
    thread: JoinHandle<T>,
}

impl<T> JobHandle<T> {
    /// Waits for the job; a panic in the job becomes an error naming it.
    fn join(self) -> Result<T, String> {
        self.thread
            .join()
            .map_err(|_| format!("job '{}' panicked", self.name))
    }
}
// ANCHOR_END: trait

// ANCHOR: prime_counter
/// Counts the primes in `start..end`, remembering the largest one it saw.
struct PrimeCounter {
    start: u64,
    end: u64,
    count: u64,
    largest: Option<u64>,
}

impl PrimeCounter {
    fn new(start: u64, end: u64) -> Self {
        PrimeCounter {
            start,
            end,
            count: 0,
            largest: None,
        }
    }
}

fn is_prime(n: u64) -> bool {
    n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
}

impl Job for PrimeCounter {
    type Output = (u64, Option<u64>);

    fn name(&self) -> String {
        format!("primes-{}-{}", self.start, self.end)
    }

    fn run(mut self) -> Self::Output {
        for n in self.start..self.end {
            if is_prime(n) {
                self.count += 1;
                self.largest = Some(n);
            }
        }
        (self.count, self.largest)
    }
}
// ANCHOR_END: prime_counter

// ANCHOR: word_counter
/// Counts words and lines of a text it owns.
struct WordCounter {
    label: &'static str,
    text: String,
}

impl Job for WordCounter {
    type Output = (usize, usize);

    fn name(&self) -> String {
        format!("words-{}", self.label)
    }

    fn run(self) -> Self::Output {
        (
            self.text.split_whitespace().count(),
            self.text.lines().count(),
        )
    }
}
// ANCHOR_END: word_counter

/// Jobs that own their state and run on their own named threads.
#[derive(Parser)]
struct Args {
    /// The prime counters split 0..N in two halves.
    #[arg(long, default_value_t = 200_000,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    limit: u64,
}

fn main() {
    let Args { limit } = parse_args();

    // ANCHOR: main
    let half = limit / 2;
    let low = PrimeCounter::new(0, half).spawn();
    let high = PrimeCounter::new(half, limit).spawn();
    let poem = WordCounter {
        label: "poem",
        text: "threads that share nothing\nneed no lock at all\n".to_owned(),
    }
    .spawn();
    // The jobs have moved into their threads; using them here would not compile.

    let (low_count, _) = low.join().expect("no panic");
    let (high_count, largest) = high.join().expect("no panic");
    let (words, lines) = poem.join().expect("no panic");

    let serial = (0..limit).filter(|&n| is_prime(n)).count() as u64;
    assert_eq!(low_count + high_count, serial, "two halves, one answer");
    assert_eq!((words, lines), (9, 2));
    println!("primes below {half}: {low_count}");
    println!("primes from {half} to {limit}: {high_count} (largest {largest:?})");
    println!("primes below {limit} in total: {}", low_count + high_count);
    println!("poem: {words} words on {lines} lines");
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
