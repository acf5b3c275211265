//! Recipe 2.8: re-entrant locking. A box of items whose `add` and `remove` take
//! the lock and then call a helper that takes it again: first with
//! `parking_lot::ReentrantMutex`, which allows that, then redesigned so the lock
//! is taken once and the helper gets the data.
//!
//! Run: cargo run -p cookbook --example ch02_08_reentrant [-- --adds 3000 --removes 2000]

extern crate clap; // named for `mdbook test`; Cargo does not need it
extern crate parking_lot;

use clap::Parser;
use parking_lot::ReentrantMutex;
use std::cell::Cell;
use std::sync::{Mutex, TryLockError};
use std::thread;

// ANCHOR: reentrant
/// The box as a Python programmer would write it with `RLock`.
struct ReentrantBox {
    // A re-entrant guard gives only `&Cell<i64>`: two guards in one thread
    // would otherwise be two `&mut` to the same value. `Cell` allows the
    // update through a shared reference (and is fine here: the lock makes
    // sure only one thread at a time reaches it).
    items: ReentrantMutex<Cell<i64>>,
}

impl ReentrantBox {
    fn execute(&self, delta: i64) {
        let items = self.items.lock(); // the second lock by the same thread
        items.set(items.get() + delta);
    }

    fn add(&self) {
        let _guard = self.items.lock(); // the first lock
        self.execute(1);
    }

    fn remove(&self) {
        let _guard = self.items.lock();
        self.execute(-1);
    }

    fn total(&self) -> i64 {
        self.items.lock().get()
    }
}
// ANCHOR_END: reentrant

// ANCHOR: redesign
/// The same box, locked once per operation: the helper receives the data.
struct PlainBox {
    items: Mutex<i64>,
}

impl PlainBox {
    /// Works on data the caller has already locked; it cannot lock again.
    fn execute(items: &mut i64, delta: i64) {
        *items += delta;
    }

    fn add(&self) {
        let mut items = self.items.lock().unwrap();
        Self::execute(&mut items, 1);
    }

    fn remove(&self) {
        let mut items = self.items.lock().unwrap();
        Self::execute(&mut items, -1);
    }

    fn total(&self) -> i64 {
        *self.items.lock().unwrap()
    }
}
// ANCHOR_END: redesign

// ANCHOR: run
/// One adder thread and one remover thread, as in the Python example.
fn run(adds: u64, removes: u64, add: impl Fn() + Sync, remove: impl Fn() + Sync) {
    thread::scope(|scope| {
        scope.spawn(|| (0..adds).for_each(|_| add()));
        scope.spawn(|| (0..removes).for_each(|_| remove()));
    });
}
// ANCHOR_END: run

/// A box of items with a re-entrant lock, then redesigned for a plain one.
#[derive(Parser)]
struct Args {
    /// Items the adder thread puts in.
    #[arg(long, default_value_t = 3000,
          value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    adds: u64,
    /// Items the remover thread takes out.
    #[arg(long, default_value_t = 2000,
          value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    removes: u64,
}

fn main() {
    let Args { adds, removes } = parse_args();
    let expected = adds as i64 - removes as i64;

    // ANCHOR: main
    let reentrant = ReentrantBox {
        items: ReentrantMutex::new(Cell::new(0)),
    };
    run(adds, removes, || reentrant.add(), || reentrant.remove());
    println!(
        "ReentrantMutex box: {adds} added, {removes} removed, {} left",
        reentrant.total()
    );
    assert_eq!(reentrant.total(), expected);

    let plain = PlainBox {
        items: Mutex::new(0),
    };
    run(adds, removes, || plain.add(), || plain.remove());
    println!(
        "Mutex box:          {adds} added, {removes} removed, {} left",
        plain.total()
    );
    assert_eq!(plain.total(), expected);

    // A std Mutex is not re-entrant: while this thread holds it, even this
    // thread cannot take it again. try_lock says so instead of deadlocking.
    let guard = plain.items.lock().unwrap();
    let again = plain.items.try_lock();
    assert!(matches!(again, Err(TryLockError::WouldBlock)));
    println!("std Mutex locked twice by one thread: WouldBlock");
    drop(again);
    drop(guard);
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
