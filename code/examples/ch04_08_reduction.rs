//! Recipe 4.8: reduction. Each rank works on its block of 1..=N; MPI combines
//! the partial results with a built-in operation (sum, max) or one of ours
//! (the best-scoring item), and a scan gives each rank the running total up to
//! its block. Every result is checked against a serial run.
//!
//! Run: cargo build -p cookbook --features mpi --example ch04_08_reduction
//!      mpiexec -n 4 target/debug/examples/ch04_08_reduction [--n N]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate mpi;

use clap::Parser;
use mpi::collective::{SystemOperation, UserOperation};
use mpi::environment::Universe;
use mpi::traits::*;
use std::cmp::Ordering;
use std::ops::RangeInclusive;

/// Rank `rank`'s share of 1..=n (the first `n % size` ranks take one more).
fn block(n: u64, size: u64, rank: u64) -> RangeInclusive<u64> {
    let (base, extra) = (n / size, n % size);
    let start = 1 + rank * base + rank.min(extra);
    start..=start + base + u64::from(rank < extra) - 1
}

/// A scrambled but deterministic value for item i: something to take a max of.
fn score(i: u64) -> u64 {
    i.wrapping_mul(2_654_435_761) % 1_000_003
}

// ANCHOR: best
/// The best item seen so far: the highest score, the lowest item on a tie.
/// MPI's MAXLOC does this for a few C pairs; a derived struct works for any.
#[derive(Equivalence, Debug, Clone, Copy, PartialEq)]
struct Best {
    score: u64,
    item: u64,
}

impl Best {
    /// What a rank with no items contributes: any real item beats it.
    const NONE: Best = Best {
        score: 0,
        item: u64::MAX,
    };

    fn of(item: u64) -> Best {
        Best {
            score: score(item),
            item,
        }
    }

    fn better(self, other: Best) -> Best {
        match self.score.cmp(&other.score) {
            Ordering::Greater => self,
            Ordering::Less => other,
            Ordering::Equal if self.item <= other.item => self,
            Ordering::Equal => other,
        }
    }
}
// ANCHOR_END: best

/// Sum, max and a user-defined reduction over 1..=N, split across the ranks.
#[derive(Parser)]
struct Args {
    /// The items are 1..=N.
    #[arg(long, default_value_t = 1_000_000,
          value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    n: u64,
}

fn main() {
    let Args { n } = parse_args();

    let universe = mpi::initialize().expect("MPI is initialised once");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    let mine = block(n, size as u64, rank as u64);

    // ANCHOR: local
    // Each rank reduces its own block first; MPI combines one value per rank.
    let local_sum: u64 = mine.clone().sum();
    let local_max: u64 = mine.clone().map(score).max().unwrap_or(0);
    let local_best = mine.clone().map(Best::of).fold(Best::NONE, Best::better);
    // ANCHOR_END: local

    // ANCHOR: reduce
    // reduce: only the root receives the result.
    let root = world.process_at_rank(0);
    let mut root_sum = 0u64;
    if rank == 0 {
        root.reduce_into_root(&local_sum, &mut root_sum, SystemOperation::sum());
    } else {
        root.reduce_into(&local_sum, SystemOperation::sum());
    }

    // all_reduce: every rank receives the result.
    let mut max = 0u64;
    world.all_reduce_into(&local_max, &mut max, SystemOperation::max());
    // ANCHOR_END: reduce

    // ANCHOR: user_op
    // Our own operation on our own type. MPI may combine the ranks' values in
    // any grouping, so the function must be associative; `commutative` also
    // lets MPI combine them in any order. It gets two buffers of `Best` and
    // leaves the combined values in the second.
    let best_op = UserOperation::commutative(|incoming, inout| {
        let incoming: &[Best] = incoming.downcast().expect("Best buffers");
        let inout: &mut [Best] = inout.downcast().expect("Best buffers");
        for (a, b) in incoming.iter().zip(inout) {
            *b = a.better(*b);
        }
    });
    let mut best = Best::NONE;
    world.all_reduce_into(&local_best, &mut best, &best_op);
    // ANCHOR_END: user_op

    // ANCHOR: scan
    // scan: rank r receives the sum over ranks 0..=r, the running total of
    // the blocks so far, which is the sum of 1..=(the end of its own block).
    // exclusive_scan_into would leave out rank r's own value.
    let mut prefix = 0u64;
    world.scan_into(&local_sum, &mut prefix, SystemOperation::sum());
    let end = *mine.end(); // start - 1 when the block is empty
    assert_eq!(prefix, end * (end + 1) / 2, "rank {rank}: prefix sum");
    // ANCHOR_END: scan

    // ANCHOR: check
    // Each rank checks its results against a serial computation of its own.
    let serial_max = (1..=n).map(score).max().expect("n >= 1");
    let serial_best = (1..=n).map(Best::of).fold(Best::NONE, Best::better);
    assert_eq!(max, serial_max, "rank {rank}: max");
    assert_eq!(best, serial_best, "rank {rank}: best");
    assert_eq!(
        best.score, max,
        "rank {rank}: the best item has the max score"
    );
    let mut summary = String::new();
    if rank == 0 {
        assert_eq!(root_sum, n * (n + 1) / 2, "sum");
        summary = format!(
            "sum of 1..={n} on the root: {root_sum} (serial {})\n",
            n * (n + 1) / 2
        );
    }
    // ANCHOR_END: check

    // A rank with no items (--n below the rank count) has no local results.
    let local = if mine.is_empty() {
        "no items".to_string()
    } else {
        format!(
            "items {mine:?}, local max {local_max}, best item {} (score {})",
            local_best.item, local_best.score
        )
    };
    print_in_rank_order(
        &world,
        &format!(
            "{summary}rank {rank}: {local}, global max {max}, global best item {}, \
             prefix sum {prefix}\n",
            best.item
        ),
    );
}

/// Prints `text` from every rank of `world`, rank 0's first, then rank 1's, ...
/// Every rank must call it (it is a collective operation in all but name).
/// Recipe 4.1 explains it.
fn print_in_rank_order(world: &impl Communicator, text: &str) {
    if world.rank() == 0 {
        print!("{text}");
        for rank in 1..world.size() {
            let (bytes, _status) = world.process_at_rank(rank).receive_vec::<u8>();
            print!("{}", String::from_utf8_lossy(&bytes));
        }
    } else {
        world.process_at_rank(0).send(text.as_bytes());
    }
}

/// Reads the options. A bad one gets clap's own `error:` line (without the
/// usage text clap adds below it) and exit status 2; `--help` works as usual.
/// Under `mpiexec` every rank parses the same arguments and fails the same
/// way: only rank 0 prints, and every rank leaves the job in step.
fn parse_args() -> Args {
    Args::try_parse().unwrap_or_else(|error| {
        let code = if error.use_stderr() { 2 } else { 0 }; // 0: --help, --version
        let universe = mpi::initialize().expect("MPI is initialised once");
        if universe.world().rank() == 0 {
            match code {
                0 => drop(error.print()),
                _ => eprintln!("{}", error.to_string().lines().next().unwrap_or_default()),
            }
        }
        leave_job(universe, code)
    })
}

/// Ends this rank's part of the job with exit status `code`. Every rank calls
/// it, and MPI is finalised first: ranks that exit without MPI_Finalize, or
/// before MPI has started, make mpiexec now and then report a failure of its
/// own instead of their status.
fn leave_job(universe: Universe, code: i32) -> ! {
    drop(universe); // MPI_Finalize
    std::process::exit(code)
}
