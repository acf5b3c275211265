//! Recipe 2.6: mutual exclusion with `Mutex`. A counter shared by threads through
//! `Arc<Mutex<u64>>`, why a guard should be dropped as early as possible, and
//! what happens to a lock whose holder panics (poisoning).
//!
//! Run: cargo run -p cookbook --example ch02_06_mutex_counter [-- --threads 4 --increments 100000]

extern crate clap; // named for `mdbook test`; Cargo does not need it

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: counter
/// `threads` threads each add 1 to a shared counter `increments` times.
fn count_with_mutex(threads: usize, increments: u64) -> u64 {
    let counter = Arc::new(Mutex::new(0u64));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let counter = Arc::clone(&counter);
            thread::spawn(move || {
                for _ in 0..increments {
                    // lock() waits for the lock and returns a guard; the guard
                    // derefs to the u64 and unlocks when it goes out of scope,
                    // here at the end of this statement.
                    *counter.lock().unwrap() += 1;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("a counting thread panicked");
    }
    *counter.lock().unwrap()
}
// ANCHOR_END: counter

// ANCHOR: guard_scope
/// Each thread does `units` units of slow work and records each result in a
/// shared log. With `hold_during_work` it keeps the guard while it works.
fn log_results(threads: usize, units: u64, work: Duration, hold_during_work: bool) -> Duration {
    let log = Mutex::new(Vec::new());
    let start = Instant::now();
    thread::scope(|scope| {
        for id in 0..threads {
            let log = &log;
            scope.spawn(move || {
                for unit in 0..units {
                    if hold_during_work {
                        let mut guard = log.lock().unwrap();
                        thread::sleep(work); // stands in for a computation
                        guard.push((id, unit));
                    } else {
                        thread::sleep(work);
                        log.lock().unwrap().push((id, unit));
                    }
                }
            });
        }
    });
    assert_eq!(log.into_inner().unwrap().len(), threads * units as usize);
    start.elapsed()
}
// ANCHOR_END: guard_scope

// ANCHOR: poisoning
/// A thread panics halfway through an update, while it holds the lock.
fn poison_and_recover() {
    let accounts = Arc::new(Mutex::new(vec![100, 50]));
    let writer = {
        let accounts = Arc::clone(&accounts);
        thread::spawn(move || {
            let mut balances = accounts.lock().unwrap();
            balances[0] -= 30; // first half of a transfer of 30
            panic!("transfer interrupted");
            // the second half, `balances[1] += 30`, never runs
        })
    };
    assert!(writer.join().is_err(), "the writer panicked");

    assert!(accounts.is_poisoned());
    match accounts.lock() {
        Ok(_) => unreachable!("the lock is poisoned"),
        Err(poisoned) => {
            // The data is still there, in whatever state the panic left it.
            let balances = poisoned.into_inner();
            println!("lock() after the panic: Err(PoisonError), data {balances:?}");
            assert_eq!(*balances, [70, 50], "half a transfer");
        }
    }
    // Repair the data, then tell the mutex it is consistent again.
    let mut balances = accounts.lock().unwrap_or_else(|e| e.into_inner());
    balances[0] = 100;
    drop(balances);
    accounts.clear_poison();
    let balances = accounts.lock().expect("no longer poisoned");
    println!("after repair and clear_poison(): Ok, data {:?}", *balances);
    assert_eq!(*balances, [100, 50]);
}
// ANCHOR_END: poisoning

/// A shared counter, guard scope, and lock poisoning.
#[derive(Parser)]
struct Args {
    /// Threads that share the counter and the log.
    #[arg(long, default_value_t = 4,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    threads: usize,
    /// Increments per thread.
    #[arg(long, default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    increments: u64,
}

fn main() {
    let Args {
        threads,
        increments,
    } = parse_args();

    // ANCHOR: main
    let total = count_with_mutex(threads, increments);
    assert_eq!(total, threads as u64 * increments, "no increment lost");
    println!("{threads} threads x {increments} increments: counter = {total}");

    let (units, work) = (5, Duration::from_millis(5));
    let held = log_results(threads, units, work, true);
    let dropped = log_results(threads, units, work, false);
    // Holding the guard during the work serialises it: one thread at a time.
    assert!(held >= work * (threads as u32 * units as u32));
    println!("guard held during the work:  {}", ms(held));
    println!("guard dropped before it:     {}", ms(dropped));

    poison_and_recover();
    // ANCHOR_END: main
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
