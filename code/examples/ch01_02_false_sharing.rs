//! Recipe 1.2: false sharing. Threads that never touch each other's data still
//! slow each other down when their counters share a cache line.
//!
//! Run: cargo run -p cookbook --example ch01_02_false_sharing [-- --threads 2 --increments 5000000 --runs 5]

use cookbook::cli::Options;
use cookbook::measure::{median_time, ms, speedup};
use crossbeam::utils::CachePadded;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

// ANCHOR: listing
/// Each thread increments only `counters[its index]`: no counter is shared, but
/// in a packed array several of them sit in the same 64-byte cache line.
fn count_packed(counters: &[AtomicU64], increments: u64) {
    thread::scope(|scope| {
        for counter in counters {
            scope.spawn(move || {
                for _ in 0..increments {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
}

/// The same work, with every counter padded and aligned to its own cache line.
fn count_padded(counters: &[CachePadded<AtomicU64>], increments: u64) {
    thread::scope(|scope| {
        for counter in counters {
            scope.spawn(move || {
                for _ in 0..increments {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
}
// ANCHOR_END: listing

fn main() {
    let options = Options::from_env(&[("threads", "2"), ("increments", "5000000"), ("runs", "5")]);
    let threads = options.positive("threads");
    let increments = options.positive("increments") as u64;
    let runs = options.positive("runs");

    // ANCHOR: main
    let packed: Vec<AtomicU64> = (0..threads).map(|_| AtomicU64::new(0)).collect();
    let padded: Vec<CachePadded<AtomicU64>> = (0..threads)
        .map(|_| CachePadded::new(AtomicU64::new(0)))
        .collect();

    let ((), packed_time) = median_time(runs, || count_packed(&packed, increments));
    let ((), padded_time) = median_time(runs, || count_padded(&padded, increments));

    // Every run added `increments` to every counter, whatever the layout.
    let expected = increments * runs as u64;
    assert!(packed.iter().all(|c| c.load(Ordering::Relaxed) == expected));
    assert!(padded.iter().all(|c| c.load(Ordering::Relaxed) == expected));

    println!("threads:                  {threads}");
    println!("increments per thread:    {increments}");
    println!(
        "bytes per counter:        {} packed, {} padded",
        size_of::<AtomicU64>(),
        size_of::<CachePadded<AtomicU64>>()
    );
    println!("packed (false sharing):   {}", ms(packed_time));
    println!("padded (one line each):   {}", ms(padded_time));
    println!(
        "padding is faster by:     {}",
        speedup(packed_time, padded_time)
    );
    println!("every counter reached:    {expected}");
    // ANCHOR_END: main
}
