//! Printing from MPI programs in rank order (feature `mpi`).
//!
//! Every rank writes to the same terminal through `mpiexec`, so lines printed
//! directly arrive in whatever order the ranks get there. The book's listings
//! send their lines to rank 0 instead, which prints them rank by rank: the
//! output is the same on every run and can be compared with the book.

use mpi::traits::{Communicator, Destination, Source};

// ANCHOR: print
/// Prints `text` from every rank of `world`, rank 0's first, then rank 1's, ...
/// Every rank must call it (it is a collective operation in all but name).
pub fn print_in_rank_order(world: &impl Communicator, text: &str) {
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
// ANCHOR_END: print

/// Exits with status 2 and a one-line error unless `world` has at least
/// `ranks` processes. Only rank 0 prints, so the message appears once.
pub fn require_ranks(world: &impl Communicator, ranks: i32) {
    if world.size() < ranks {
        if world.rank() == 0 {
            eprintln!(
                "error: needs at least {ranks} ranks, got {}: run it with mpiexec -n {ranks} (or more)",
                world.size()
            );
        }
        // Every rank leaves with the same status, without finalising MPI
        // (the other ranks are not waiting for us).
        std::process::exit(crate::cli::USAGE_ERROR);
    }
}
