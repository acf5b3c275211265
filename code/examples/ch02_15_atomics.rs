//! Recipe 2.15: atomics. A counter as an `AtomicU64` and as a `Mutex<u64>`, both
//! exact and timed; `compare_exchange` loops (a running maximum, a one-time
//! claim); and memory orderings: Relaxed for counters, Release/Acquire to
//! publish data behind a flag, SeqCst where threads must agree on one order.
//!
//! Run: cargo run -p cookbook --example ch02_15_atomics [-- --threads 4 --increments 200000 --rounds 20000]

extern crate clap; // named for `mdbook test`; Cargo does not need it

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: counters
fn count_atomic(threads: usize, increments: u64) -> u64 {
    let counter = AtomicU64::new(0);
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..increments {
                    // Relaxed: the count must be exact, but no other memory
                    // depends on it, so no ordering with other accesses is needed.
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    counter.into_inner()
}

fn count_mutex(threads: usize, increments: u64) -> u64 {
    let counter = Mutex::new(0u64);
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..increments {
                    *counter.lock().unwrap() += 1;
                }
            });
        }
    });
    counter.into_inner().unwrap()
}
// ANCHOR_END: counters

// ANCHOR: cas
/// Raises `max` to `value` if it is larger: read, compute, and store only if
/// nobody changed it in between; otherwise retry with what they stored.
fn update_max(max: &AtomicU64, value: u64) {
    // Relaxed: the compare-exchange alone keeps the maximum right; nothing
    // else is published with it, and it is read after the threads are joined.
    let mut current = max.load(Ordering::Relaxed);
    while value > current {
        match max.compare_exchange_weak(current, value, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return,
            Err(actual) => current = actual, // lost the race: look again
        }
    }
}

/// A cheap, repeatable sequence of "measurements" for thread `t`.
fn reading(t: u64, i: u64) -> u64 {
    (t * 1_000_003 + i).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40
}

/// `threads` threads race to claim one slot; only one `compare_exchange` from
/// "unclaimed" can succeed.
fn claim_once(threads: usize) -> usize {
    const UNCLAIMED: usize = usize::MAX;
    let owner = AtomicUsize::new(UNCLAIMED);
    let start = Barrier::new(threads);
    let winners: usize = thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|id| {
                let (owner, start) = (&owner, &start);
                scope.spawn(move || {
                    start.wait(); // all try at the same moment
                    // Relaxed: one compare-exchange succeeds whatever the
                    // ordering; the winner hands no data over through `owner`,
                    // which is read only after the scope has joined the threads.
                    owner
                        .compare_exchange(UNCLAIMED, id, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok() as usize
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert!(owner.into_inner() < threads, "someone owns the slot");
    winners
}
// ANCHOR_END: cas

// ANCHOR: publish
/// One thread fills in data and then raises a flag with Release; the other
/// waits for the flag with Acquire and must then see all of the data.
fn publish(rounds: usize) -> usize {
    let mut seen_complete = 0;
    for round in 0..rounds as u64 {
        let data = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];
        let ready = AtomicBool::new(false);
        thread::scope(|scope| {
            scope.spawn(|| {
                for (k, slot) in data.iter().enumerate() {
                    slot.store(round + k as u64 + 1, Ordering::Relaxed);
                }
                // Release: every write above becomes visible to whoever
                // reads `true` here with Acquire.
                ready.store(true, Ordering::Release);
            });
            let reader = scope.spawn(|| {
                while !ready.load(Ordering::Acquire) {
                    std::hint::spin_loop();
                }
                data.iter()
                    .map(|slot| slot.load(Ordering::Relaxed))
                    .collect::<Vec<_>>()
            });
            let got = reader.join().unwrap();
            assert_eq!(
                got,
                [round + 1, round + 2, round + 3],
                "saw the flag but not the data"
            );
            seen_complete += 1;
        });
    }
    seen_complete
}
// ANCHOR_END: publish

// ANCHOR: seqcst
/// The "store buffer" test: each thread raises its own flag, then reads the
/// other's. Returns in how many rounds *both* read `false`. With SeqCst all
/// four operations fall into one order that every thread agrees on, so one
/// store comes first and the later thread's load must see it: never both false.
/// With only Release stores and Acquire loads, both false is allowed.
fn store_buffer(rounds: usize, store: Ordering, load: Ordering) -> usize {
    let flags = [AtomicBool::new(false), AtomicBool::new(false)];
    let (started, finished) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let other_saw = AtomicBool::new(false);
    let mut both_false = 0;
    thread::scope(|scope| {
        scope.spawn(|| {
            for round in 1..=rounds {
                wait_for(&started, round);
                flags[1].store(true, store);
                other_saw.store(flags[0].load(load), Ordering::Relaxed);
                finished.store(round, Ordering::Release);
            }
        });
        for round in 1..=rounds {
            flags.iter().for_each(|f| f.store(false, Ordering::Relaxed));
            started.store(round, Ordering::Release); // go (publishes the reset)
            flags[0].store(true, store);
            let saw = flags[1].load(load);
            wait_for(&finished, round); // Acquire: the other thread's result is visible
            if !saw && !other_saw.load(Ordering::Relaxed) {
                both_false += 1;
            }
        }
    });
    both_false
}

/// Spins until `counter` reaches `value`: the two threads must start each
/// round within nanoseconds of each other for the effect to show.
fn wait_for(counter: &AtomicUsize, value: usize) {
    let mut spins = 0u32;
    while counter.load(Ordering::Acquire) != value {
        spins += 1;
        if spins % 1024 == 0 {
            thread::yield_now(); // the other thread may not be on a core
        } else {
            std::hint::spin_loop();
        }
    }
}
// ANCHOR_END: seqcst

/// Atomic and locked counters, `compare_exchange` loops, memory orderings.
#[derive(Parser)]
struct Args {
    /// Threads for the counters, the maximum and the claim.
    #[arg(long, default_value_t = 4,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    threads: usize,
    /// Increments per thread.
    #[arg(long, default_value_t = 200_000,
          value_parser = clap::value_parser!(u64).range(1..=2_000_000))]
    increments: u64,
    /// Rounds of the ordering experiment.
    #[arg(long, default_value_t = 20_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    rounds: usize,
}

fn main() {
    let Args {
        threads,
        increments,
        rounds,
    } = parse_args();

    // ANCHOR: main
    let expected = threads as u64 * increments;
    let (atomic, atomic_time) = median_time(3, || count_atomic(threads, increments));
    let (locked, mutex_time) = median_time(3, || count_mutex(threads, increments));
    assert_eq!((atomic, locked), (expected, expected), "no increment lost");
    println!("{threads} threads x {increments} increments, both counters = {expected}");
    println!("  AtomicU64::fetch_add: {}", ms(atomic_time));
    println!("  Mutex<u64>:           {}", ms(mutex_time));
    println!("  atomic is {} faster", speedup(mutex_time, atomic_time));

    let max = AtomicU64::new(0);
    thread::scope(|scope| {
        for t in 0..threads as u64 {
            let max = &max;
            scope.spawn(move || (0..10_000).for_each(|i| update_max(max, reading(t, i))));
        }
    });
    let serial_max = (0..threads as u64)
        .flat_map(|t| (0..10_000).map(move |i| reading(t, i)))
        .max();
    assert_eq!(Some(max.into_inner()), serial_max);
    println!(
        "compare_exchange max of {} readings: {}, same as serial",
        threads * 10_000,
        serial_max.unwrap()
    );

    let winners = claim_once(threads);
    assert_eq!(winners, 1);
    println!("{threads} threads raced to claim a slot: {winners} winner");

    let complete = publish(1_000);
    assert_eq!(complete, 1_000);
    println!("Release/Acquire publish: the reader saw complete data in {complete} of 1000 rounds");

    let seq_cst = store_buffer(rounds, Ordering::SeqCst, Ordering::SeqCst);
    assert_eq!(seq_cst, 0, "SeqCst forbids both loads seeing false");
    let acq_rel = store_buffer(rounds, Ordering::Release, Ordering::Acquire);
    println!("store buffer test, {rounds} rounds, rounds where both threads read false:");
    println!("  SeqCst:          {seq_cst}");
    println!(
        "  Release/Acquire: {:.2}% (allowed by the memory model)",
        100.0 * acq_rel as f64 / rounds as f64
    );
    // ANCHOR_END: main
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

/// How many times faster `new` is than `old`: `3.42x`.
fn speedup(old: Duration, new: Duration) -> String {
    format!("{:.2}x", old.as_secs_f64() / new.as_secs_f64())
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
