//! Recipe 4.7: all-to-all. Every rank sends a different chunk to every rank
//! (itself included); what each receives is a column of the senders' matrix.
//!
//! Run: cargo build -p cookbook --features mpi --example ch04_07_all_to_all
//!      mpiexec -n 4 target/debug/examples/ch04_07_all_to_all

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate mpi;

use clap::Parser;
use mpi::environment::Universe;
use mpi::topology::Rank;
use mpi::traits::*;

/// The chunk rank `from` sends to rank `to`: two numbers, the sender and the
/// receiver, so a chunk that arrives in the wrong place cannot pass the check.
fn chunk(from: Rank, to: Rank) -> [Rank; 2] {
    [from, to]
}

/// Every rank sends a distinct chunk to every rank.
#[derive(Parser)]
struct Args {}

fn main() {
    let Args {} = parse_args();

    let universe = mpi::initialize().expect("MPI is initialised once");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());

    // ANCHOR: all_to_all
    // Both buffers hold `size` chunks of 2 numbers. Chunk `to` of the send
    // buffer goes to rank `to`; chunk `from` of the receive buffer comes
    // from rank `from`.
    let outgoing: Vec<Rank> = (0..size).flat_map(|to| chunk(rank, to)).collect();
    let mut incoming = vec![-1; outgoing.len()];
    world.all_to_all_into(&outgoing[..], &mut incoming[..]);

    // Row `rank` of the matrix went out; column `rank` came in: the ranks
    // have transposed the matrix between them.
    let expected: Vec<Rank> = (0..size).flat_map(|from| chunk(from, rank)).collect();
    assert_eq!(incoming, expected, "rank {rank}");
    // ANCHOR_END: all_to_all

    print_in_rank_order(
        &world,
        &format!(
            "rank {rank}: sent {:?}, received {:?}\n",
            outgoing.chunks(2).collect::<Vec<_>>(),
            incoming.chunks(2).collect::<Vec<_>>()
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
