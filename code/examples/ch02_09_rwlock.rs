//! Recipe 2.9: a readers-writer lock. `RwLock` lets many threads read at once or
//! one thread write. The listing proves that readers overlap, that a writer
//! excludes everyone, and that readers never see a half-done write.
//!
//! Run: cargo run -p cookbook --example ch02_09_rwlock [-- --readers 4 --writers 2 --updates 2000]

extern crate clap; // named for `mdbook test`; Cargo does not need it

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, RwLock, TryLockError};
use std::thread;

// ANCHOR: overlap
/// Every reader takes the read lock, then waits at a barrier *while holding
/// it*. The barrier opens only when all `readers` are inside together, so this
/// finishes only because read locks are shared (with a Mutex it would deadlock).
fn readers_overlap(readers: usize) -> usize {
    let config = RwLock::new(String::from("threads = 4"));
    let all_inside = Barrier::new(readers);
    let inside = AtomicUsize::new(0);
    let most_inside = AtomicUsize::new(0);
    thread::scope(|scope| {
        for _ in 0..readers {
            scope.spawn(|| {
                let text = config.read().unwrap();
                // Relaxed is enough: these only count. A read-modify-write
                // always sees its counter's latest value, and the barrier
                // orders every increment before any decrement.
                let now = inside.fetch_add(1, Ordering::Relaxed) + 1;
                most_inside.fetch_max(now, Ordering::Relaxed);
                all_inside.wait();
                assert_eq!(*text, "threads = 4");
                inside.fetch_sub(1, Ordering::Relaxed);
            });
        }
    });
    most_inside.into_inner()
}
// ANCHOR_END: overlap

// ANCHOR: exclusion
/// A writer cannot get in while a reader holds the lock, and nobody can get in
/// while the writer holds it.
fn writer_excludes() {
    let lock = RwLock::new(0);
    let reading = lock.read().unwrap();
    assert!(matches!(lock.try_write(), Err(TryLockError::WouldBlock)));
    assert!(lock.try_read().is_ok(), "a second reader is welcome");
    drop(reading);

    let mut writing = lock.write().unwrap();
    *writing += 1;
    assert!(matches!(lock.try_read(), Err(TryLockError::WouldBlock)));
    assert!(matches!(lock.try_write(), Err(TryLockError::WouldBlock)));
    drop(writing);
    println!("while read-locked:  try_read Ok, try_write WouldBlock");
    println!("while write-locked: try_read WouldBlock, try_write WouldBlock");
}
// ANCHOR_END: exclusion

// ANCHOR: mixed
/// Writers update a pair that must always satisfy `second == 2 * first`;
/// readers check that invariant on every read.
fn mixed(readers: usize, writers: usize, updates: usize) -> ((u64, u64), usize) {
    let pair = RwLock::new((0u64, 0u64));
    let reads = AtomicUsize::new(0);
    let start = Barrier::new(readers + writers);
    thread::scope(|scope| {
        for _ in 0..writers {
            scope.spawn(|| {
                start.wait();
                for _ in 0..updates {
                    let mut pair = pair.write().unwrap();
                    pair.0 += 1;
                    pair.1 = 2 * pair.0; // never visible half-done
                }
            });
        }
        for _ in 0..readers {
            scope.spawn(|| {
                start.wait();
                for _ in 0..updates {
                    let (first, second) = *pair.read().unwrap();
                    assert_eq!(second, 2 * first, "a reader saw a torn update");
                    reads.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    (pair.into_inner().unwrap(), reads.into_inner())
}
// ANCHOR_END: mixed

/// Readers overlap, a writer excludes everyone, no read sees half a write.
#[derive(Parser)]
struct Args {
    /// Reader threads; at least 2, to show readers overlapping.
    #[arg(long, default_value_t = 4,
          value_parser = RangedU64ValueParser::<usize>::new().range(2..=64))]
    readers: usize,
    /// Writer threads.
    #[arg(long, default_value_t = 2,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    writers: usize,
    /// Writes per writer and reads per reader.
    #[arg(long, default_value_t = 2000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    updates: usize,
}

fn main() {
    let Args {
        readers,
        writers,
        updates,
    } = parse_args();

    // ANCHOR: main
    let most = readers_overlap(readers);
    assert_eq!(most, readers, "all readers were inside at once");
    println!("{readers} readers held the read lock at the same time (most inside: {most})");

    writer_excludes();

    let ((first, second), reads) = mixed(readers, writers, updates);
    assert_eq!(first, (writers * updates) as u64, "no update lost");
    assert_eq!(second, 2 * first);
    assert_eq!(reads, readers * updates);
    println!("{writers} writers x {updates} updates: pair = ({first}, {second})");
    println!("{readers} readers x {updates} reads: every read saw second == 2 * first");
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
