//! Recipe 2.4: scoped threads. `thread::scope` guarantees its threads end before
//! it returns, so they may borrow local data, shared or mutable, without `Arc`.
//!
//! Run: cargo run -p cookbook --example ch02_04_scoped [-- --threads 4 --len 1000000]

extern crate clap; // named for `mdbook test`; Cargo does not need it

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

// ANCHOR: shared_borrow
/// Each thread borrows one chunk of `values` and returns its sum.
fn sum_in_chunks(values: &[u64], threads: usize) -> Vec<u64> {
    let chunk = values.len().div_ceil(threads);
    thread::scope(|scope| {
        let handles: Vec<_> = values
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().sum::<u64>()))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a summing thread panicked"))
            .collect()
    })
}
// ANCHOR_END: shared_borrow

// ANCHOR: mutable_borrow
/// Each thread squares the numbers of its own chunk in place, and all of them
/// count the even results in one atomic counter that lives on this stack.
fn square_in_place(values: &mut [u64], threads: usize) -> usize {
    let chunk = values.len().div_ceil(threads);
    let evens = AtomicUsize::new(0);
    thread::scope(|scope| {
        for part in values.chunks_mut(chunk) {
            let evens = &evens;
            scope.spawn(move || {
                let mut mine = 0;
                for value in part.iter_mut() {
                    *value *= *value;
                    mine += usize::from(*value % 2 == 0);
                }
                // Relaxed: the add is indivisible whatever the ordering, and
                // the total is read after the scope has joined the threads.
                evens.fetch_add(mine, Ordering::Relaxed);
            });
        }
        // Threads not joined by hand are joined here, at the end of the scope.
    });
    evens.into_inner()
}
// ANCHOR_END: mutable_borrow

/// Scoped threads borrow a local vector, shared and then mutably in chunks.
#[derive(Parser)]
struct Args {
    /// Threads, one chunk each.
    #[arg(long, default_value_t = 4,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    threads: usize,
    /// Numbers 1 to N. At most 2 000 000, so the sum of squares fits in a u64.
    #[arg(long, default_value_t = 1_000_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=2_000_000))]
    len: usize,
}

fn main() {
    let Args { threads, len } = parse_args();

    // ANCHOR: main
    let mut values: Vec<u64> = (1..=len as u64).collect();

    let sums = sum_in_chunks(&values, threads);
    let total: u64 = sums.iter().sum();
    let n = len as u64;
    assert_eq!(total, n * (n + 1) / 2);
    println!("{} chunks, sums {sums:?}", sums.len());
    println!("sum of 1..={len}: {total}");

    let evens = square_in_place(&mut values, threads);
    // The borrows have ended: `values` is ours again, squared in place.
    let sum_of_squares: u64 = values.iter().sum();
    assert_eq!(sum_of_squares, n * (n + 1) * (2 * n + 1) / 6);
    assert_eq!(evens, len / 2);
    println!("sum of squares: {sum_of_squares}, {evens} of them even");
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
