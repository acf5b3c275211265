//! Recipe 4.6: gather and all-gather. Each rank sums the squares of its block
//! of 1..=N; `gather` collects the partial sums on the root, `all_gather`
//! gives every rank all of them.
//!
//! Run: cargo build -p cookbook --features mpi --example ch04_06_gather
//!      mpiexec -n 4 target/debug/examples/ch04_06_gather [--n N]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate mpi;

use clap::Parser;
use mpi::environment::Universe;
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

/// Each rank sums the squares of its block of 1..=N; the root gathers them.
#[derive(Parser)]
struct Args {
    /// Sum the squares of 1..=N. At most 1 000 000, so that the total and
    /// the formula that checks it fit a u64.
    #[arg(long, default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    n: u64,
}

fn main() {
    let Args { n } = parse_args();

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
