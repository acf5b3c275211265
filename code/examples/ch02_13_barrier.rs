//! Recipe 2.13: barriers. Threads smooth a row of numbers in phases (heat
//! spreading from a hot wall); every phase reads the previous phase's row, so
//! no thread may start phase n+1 before all have finished phase n. One thread
//! per phase, the barrier's leader, also records the phase's total.
//!
//! Run: cargo run -p cookbook --example ch02_13_barrier [-- --threads 4 --cells 4000 --phases 200]

extern crate clap; // named for `mdbook test`; Cargo does not need it

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::collections::BTreeSet;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::thread;

/// The temperature of the hot wall at the left end; the right end stays at 0.
const HOT: u64 = 1_000_000;

// ANCHOR: step
/// The new value of inner cell `i`: a weighted average of it and its neighbours.
fn smoothed(row: impl Fn(usize) -> u64, i: usize) -> u64 {
    (row(i - 1) + 2 * row(i) + row(i + 1)) / 4
}

/// The reference: all phases on one thread. Returns the row and each phase's total.
fn serial(initial: &[u64], phases: usize) -> (Vec<u64>, Vec<u64>) {
    let (mut current, mut totals) = (initial.to_vec(), Vec::new());
    for _ in 0..phases {
        let mut next = current.clone();
        for (i, cell) in next.iter_mut().enumerate().take(current.len() - 1).skip(1) {
            *cell = smoothed(|j| current[j], i);
        }
        totals.push(next.iter().sum());
        current = next;
    }
    (current, totals)
}
// ANCHOR_END: step

// ANCHOR: phases
/// The same computation on `threads` threads, each owning a slice of the cells.
/// Returns the row, each phase's total and how many leaders each phase had.
fn with_barrier(
    initial: &[u64],
    threads: usize,
    phases: usize,
) -> (Vec<u64>, Vec<u64>, Vec<usize>) {
    let cells = initial.len();
    // Two rows: phase n reads rows[n % 2] and writes rows[(n + 1) % 2].
    let rows: [Vec<AtomicU64>; 2] =
        [0, 1].map(|_| initial.iter().map(|&x| AtomicU64::new(x)).collect());
    let totals: Vec<AtomicU64> = (0..phases).map(|_| AtomicU64::new(0)).collect();
    let leaders: Vec<AtomicUsize> = (0..phases).map(|_| AtomicUsize::new(0)).collect();
    let barrier = Barrier::new(threads);
    let chunk = (cells - 2).div_ceil(threads);

    thread::scope(|scope| {
        for t in 0..threads {
            let my_cells = (1 + t * chunk).min(cells - 1)..(1 + (t + 1) * chunk).min(cells - 1);
            let (rows, totals, leaders, barrier) = (&rows, &totals, &leaders, &barrier);
            scope.spawn(move || {
                for phase in 0..phases {
                    let (current, next) = (&rows[phase % 2], &rows[(phase + 1) % 2]);
                    for i in my_cells.clone() {
                        next[i].store(smoothed(|j| current[j].load(Relaxed), i), Relaxed);
                    }
                    // Nobody passes until everybody has written this phase's row.
                    // The barrier also makes those writes visible to every thread.
                    if barrier.wait().is_leader() {
                        // Exactly one thread gets `true`. While the others start the
                        // next phase (writing the *other* row), it sums this one.
                        leaders[phase].fetch_add(1, Relaxed);
                        totals[phase].store(next.iter().map(|x| x.load(Relaxed)).sum(), Relaxed);
                    }
                }
            });
        }
    });
    let unwrap = |v: Vec<AtomicU64>| v.into_iter().map(AtomicU64::into_inner).collect();
    let [first, second] = rows;
    let row = if phases % 2 == 0 { first } else { second };
    let leaders = leaders.into_iter().map(AtomicUsize::into_inner).collect();
    (unwrap(row), unwrap(totals), leaders)
}
// ANCHOR_END: phases

/// Heat spreads along a row in phases separated by a barrier.
#[derive(Parser)]
struct Args {
    /// Threads, each owning a slice of the cells.
    #[arg(long, default_value_t = 4,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    threads: usize,
    /// Length of the row: at least 3 (two walls and one inner cell).
    #[arg(long, default_value_t = 4000,
          value_parser = RangedU64ValueParser::<usize>::new().range(3..=1_000_000))]
    cells: usize,
    /// Phases of smoothing.
    #[arg(long, default_value_t = 200,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    phases: usize,
}

fn main() {
    let Args {
        threads,
        cells,
        phases,
    } = parse_args();

    // ANCHOR: main
    let mut initial = vec![0; cells];
    initial[0] = HOT;
    let (expected_row, expected_totals) = serial(&initial, phases);
    let (row, totals, leaders) = with_barrier(&initial, threads, phases);

    assert_eq!(
        row, expected_row,
        "the threads computed what one thread does"
    );
    assert_eq!(
        totals, expected_totals,
        "the leader saw each phase complete"
    );
    assert!(leaders.iter().all(|&n| n == 1), "one leader per phase");
    println!("{threads} threads, {cells} cells, {phases} phases: same row as one thread");
    let shown: BTreeSet<usize> = [1, 2, 3, phases]
        .into_iter()
        .filter(|&p| p <= phases)
        .collect();
    for phase in shown {
        println!("  after phase {phase:>3}: total heat {}", totals[phase - 1]);
    }
    println!("each of the {phases} phases had exactly one leader");
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
