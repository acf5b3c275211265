//! Recipe 2.7: locking without waiting (`Mutex::try_lock`) and with a time limit
//! (`parking_lot::Mutex::try_lock_for`). Another thread holds the lock at a point
//! the listing controls with a barrier, so every attempt has a known outcome.
//!
//! Run: cargo run -p cookbook --example ch02_07_try_lock [-- --timeout-ms 50]

extern crate clap; // named for `mdbook test`; Cargo does not need it
extern crate parking_lot;

use clap::Parser;
use std::sync::{Barrier, Mutex, TryLockError};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: std_try_lock
/// `try_lock` on a std mutex while another thread holds it, then after it let go.
fn std_try_lock() {
    let counter = Mutex::new(0);
    // Two parties, two meetings: "I hold the lock", then "you may let go".
    let meet = Barrier::new(2);
    thread::scope(|scope| {
        let holder = scope.spawn(|| {
            let mut guard = counter.lock().unwrap();
            *guard += 1;
            meet.wait(); // first meeting: the lock is held
            meet.wait(); // second meeting: keep it until then
        });

        meet.wait();
        match counter.try_lock() {
            Err(TryLockError::WouldBlock) => println!("std try_lock while held:    WouldBlock"),
            other => panic!("expected WouldBlock, got {other:?}"),
        }

        meet.wait();
        holder.join().unwrap();
        let guard = counter.try_lock().expect("nobody holds it now");
        println!("std try_lock after release: Ok, value {}", *guard);
        assert_eq!(*guard, 1);
    });
}
// ANCHOR_END: std_try_lock

// ANCHOR: timed
/// `try_lock_for` gives up after `timeout` while the lock stays held, and
/// succeeds when the holder lets go within the time limit.
fn parking_lot_try_lock_for(timeout: Duration) {
    let counter = parking_lot::Mutex::new(0);
    let meet = Barrier::new(2);
    let work = Duration::from_millis(20);
    thread::scope(|scope| {
        scope.spawn(|| {
            let mut guard = counter.lock(); // parking_lot: no poisoning, no Result
            *guard += 1;
            meet.wait(); // the lock is held
            meet.wait(); // held until main has timed out
            thread::sleep(work); // some last work, still under the lock
            *guard += 1;
        });

        meet.wait();
        let start = Instant::now();
        let attempt = counter.try_lock_for(timeout);
        let waited = start.elapsed();
        assert!(attempt.is_none(), "the lock is held throughout");
        assert!(waited >= timeout, "gave up only after the timeout");
        let label = format!("try_lock_for({timeout:?}) while held:");
        println!("{label:<36}None after {}", ms(waited));

        meet.wait();
        let start = Instant::now();
        let guard = counter
            .try_lock_for(Duration::from_secs(5))
            .expect("the holder lets go well within 5 s");
        println!(
            "try_lock_for(5s) as it is released: Some after {}, value {}",
            ms(start.elapsed()),
            *guard
        );
        assert_eq!(*guard, 2, "the holder finished before we got the lock");
    });
}
// ANCHOR_END: timed

/// `try_lock` without waiting, and `try_lock_for` with a time limit.
#[derive(Parser)]
struct Args {
    /// How long the timed attempt waits for a lock that stays held, in ms.
    #[arg(long, default_value_t = 50,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    timeout_ms: u64,
}

fn main() {
    let Args { timeout_ms } = parse_args();
    let timeout = Duration::from_millis(timeout_ms);

    // ANCHOR: main
    std_try_lock();
    parking_lot_try_lock_for(timeout);
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
