//! Recipe 4.7: all-to-all. Every rank sends a different value to every rank
//! (itself included); what each receives is a column of the senders' matrix.
//!
//! Run: cargo build -p cookbook --features mpi --example ch04_07_all_to_all
//!      mpiexec -n 4 target/debug/examples/ch04_07_all_to_all

use cookbook::cli::Options;
use cookbook::mpi_output::print_in_rank_order;
use mpi::topology::Rank;
use mpi::traits::*;

/// The value rank `from` sends to rank `to`: its two digits name both.
fn value(from: Rank, to: Rank) -> i32 {
    10 * from + to
}

fn main() {
    Options::from_env(&[]);

    let universe = mpi::initialize().expect("MPI is initialised once");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    if size > 10 {
        // Past 10 ranks `10 * from + to` is no longer unique (1 -> 10 equals 2 -> 0),
        // and a misdelivered value could pass the check.
        cookbook::cli::fail(
            "at most 10 ranks: each value's two digits name its sender and receiver",
        );
    }

    // ANCHOR: all_to_all
    // Slot `to` of the send buffer goes to rank `to`; slot `from` of the
    // receive buffer comes from rank `from`.
    let outgoing: Vec<i32> = (0..size).map(|to| value(rank, to)).collect();
    let mut incoming = vec![-1; size as usize];
    world.all_to_all_into(&outgoing[..], &mut incoming[..]);

    // Row `rank` of the matrix went out; column `rank` came in: the ranks
    // have transposed the matrix between them.
    let expected: Vec<i32> = (0..size).map(|from| value(from, rank)).collect();
    assert_eq!(incoming, expected, "rank {rank}");
    // ANCHOR_END: all_to_all

    print_in_rank_order(
        &world,
        &format!("rank {rank}: sent {outgoing:?}, received {incoming:?}\n"),
    );
}
