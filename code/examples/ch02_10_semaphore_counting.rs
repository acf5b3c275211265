// Recipe 2.10, stage 1: a counting semaphore built from a `Mutex` and a
// `Condvar` (std has none), with `acquire` and `release` calls the caller must
// pair. Four threads pass many times through a section two may enter at once.
//
// Run: cargo run -p cookbook --example ch02_10_semaphore_counting [-- --threads 4 --rounds 1000]
//
// (Plain comments, not `//!`: code/tests/loom.rs includes this file as a
// module to model-check the semaphore, and inner doc comments cannot be
// included.)

extern crate clap; // named for `mdbook test`; Cargo does not need it

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::thread;

// ANCHOR: semaphore
pub struct Semaphore {
    permits: Mutex<usize>,
    permit_released: Condvar,
}

impl Semaphore {
    pub fn new(permits: usize) -> Self {
        Semaphore {
            permits: Mutex::new(permits),
            permit_released: Condvar::new(),
        }
    }

    /// Takes a permit, sleeping until one is free.
    pub fn acquire(&self) {
        // Poisoning is ignored: nothing here panics while holding the lock.
        let mut permits = self.permits.lock().unwrap_or_else(PoisonError::into_inner);
        // A loop, not an `if`: a wait can end without a notification (a
        // spurious wake-up), or another thread can take the permit first.
        while *permits == 0 {
            permits = self
                .permit_released
                .wait(permits)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *permits -= 1;
    }

    /// Returns a permit and wakes one sleeping `acquire`, if any.
    pub fn release(&self) {
        *self.permits.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.permit_released.notify_one();
    }
}
// ANCHOR_END: semaphore

/// Runs threads through a section that at most `permits` of them may enter at
/// once; returns the most that were ever inside together.
#[derive(Parser)]
struct Args {
    /// Threads that pass through the section.
    #[arg(long, default_value_t = 4,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    threads: usize,
    /// Passes per thread (at most 20 000: 64 threads x 20 000 passes take seconds).
    #[arg(long, default_value_t = 1000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=20_000))]
    rounds: usize,
}

fn main() {
    let Args { threads, rounds } = parse_args();

    // ANCHOR: main
    const PERMITS: usize = 2;
    let semaphore = Semaphore::new(PERMITS);
    let inside = AtomicUsize::new(0);
    let most_inside = AtomicUsize::new(0);
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..rounds {
                    semaphore.acquire();
                    // Relaxed is enough: these only count. A read-modify-write
                    // always sees its counter's latest value, and the
                    // semaphore's mutex orders a leaver's decrement before the
                    // increment of the thread that gets its permit.
                    let now = inside.fetch_add(1, Ordering::Relaxed) + 1;
                    most_inside.fetch_max(now, Ordering::Relaxed);
                    thread::yield_now(); // give the others a chance to pile up
                    inside.fetch_sub(1, Ordering::Relaxed);
                    semaphore.release(); // forget this, and the permit is gone
                }
            });
        }
    });
    let most = most_inside.into_inner();
    assert!(most <= PERMITS, "{most} threads inside at once");
    println!(
        "{threads} threads x {rounds} passes with {PERMITS} permits: never more than {PERMITS} inside"
    );
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
