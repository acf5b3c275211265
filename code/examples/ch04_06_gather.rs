//! Recipe 4.6: gather and all-gather. Each rank sums the squares of its block
//! of 1..=N; `gather` collects the partial sums on the root, `all_gather`
//! gives every rank all of them.
//!
//! Run: cargo build -p cookbook --features mpi --example ch04_06_gather
//!      mpiexec -n 4 target/debug/examples/ch04_06_gather [--n N]

use cookbook::cli::Options;
use cookbook::mpi_output::print_in_rank_order;
use mpi::traits::*;
use std::ops::RangeInclusive;

/// Rank `rank`'s share of 1..=n (the first `n % size` ranks take one more).
fn block(n: u64, size: u64, rank: u64) -> RangeInclusive<u64> {
    let (base, extra) = (n / size, n % size);
    let start = 1 + rank * base + rank.min(extra);
    let len = base + u64::from(rank < extra);
    start..=start + len - 1
}

fn sum_of_squares(numbers: RangeInclusive<u64>) -> u64 {
    numbers.map(|i| i * i).sum()
}

fn main() {
    let options = Options::from_env(&[("n", "1000")]);
    let n = options.positive("n") as u64;

    let universe = mpi::initialize().expect("MPI is initialised once");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    let mine = block(n, size as u64, rank as u64);
    let partial = sum_of_squares(mine.clone());
    // What the partial sums must be, worked out serially (for the checks).
    let expected: Vec<u64> = (0..size as u64)
        .map(|q| sum_of_squares(block(n, size as u64, q)))
        .collect();
    let total = n * (n + 1) * (2 * n + 1) / 6;

    // ANCHOR: gather
    // Only the root passes a receive buffer, one slot per rank, filled in
    // rank order whatever order the messages arrive in.
    let root = world.process_at_rank(0);
    let mut gather_line = String::new();
    if rank == 0 {
        let mut partials = vec![0u64; size as usize];
        root.gather_into_root(&partial, &mut partials[..]);
        assert_eq!(partials, expected);
        assert_eq!(partials.iter().sum::<u64>(), total);
        gather_line = format!("root gathered {partials:?}, total {total}\n");
    } else {
        root.gather_into(&partial);
    }
    // ANCHOR_END: gather

    // ANCHOR: all_gather
    // Every rank passes a receive buffer and every rank gets all the values:
    // each can now work out the total and where its block sits in it.
    let mut partials = vec![0u64; size as usize];
    world.all_gather_into(&partial, &mut partials[..]);
    assert_eq!(partials, expected, "rank {rank}");
    let before_me: u64 = partials[..rank as usize].iter().sum();
    let everyone: u64 = partials.iter().sum();
    assert_eq!(everyone, total, "rank {rank}");
    // ANCHOR_END: all_gather

    print_in_rank_order(
        &world,
        &format!(
            "{gather_line}rank {rank}: squares of {mine:?} sum to {partial}; \
             the ranks before me add {before_me}, everyone {everyone}\n"
        ),
    );
}
