//! Recipe 4.1: hello, MPI. Every process of an MPI job learns its rank, the
//! size of the job and the host it runs on.
//!
//! Run: cargo build -p cookbook --features mpi --example ch04_01_hello
//!      mpiexec -n 4 target/debug/examples/ch04_01_hello

use cookbook::cli::Options;
use cookbook::mpi_output::print_in_rank_order;
use mpi::traits::*;
use std::collections::BTreeSet;
use std::hash::{DefaultHasher, Hash, Hasher};

fn main() {
    Options::from_env(&[]);

    // ANCHOR: hello
    // Starts MPI in this process; `None` if it was already started. Dropping
    // `universe` at the end of main shuts MPI down (MPI_Finalize).
    let universe = mpi::initialize().expect("MPI is initialised once");
    let world = universe.world();
    let rank = world.rank();
    let size = world.size();
    let host = mpi::environment::processor_name().expect("host name is UTF-8");

    print_in_rank_order(&world, &format!("hello from rank {rank} of {size}\n"));
    // ANCHOR_END: hello

    // ANCHOR: hosts
    // Host names differ from machine to machine, so what the book shows (and
    // the tests check) is how many distinct hosts the ranks run on: each rank
    // sends its rank and a hash of its host name to rank 0, which checks that
    // every rank from 0 to size - 1 reported exactly once.
    let mut hasher = DefaultHasher::new();
    host.hash(&mut hasher);
    let report = [rank as u64, hasher.finish()];
    let root = world.process_at_rank(0);
    if rank == 0 {
        let mut reports = vec![0u64; 2 * size as usize];
        root.gather_into_root(&report[..], &mut reports[..]);
        let ranks: Vec<u64> = reports.chunks(2).map(|r| r[0]).collect();
        assert_eq!(
            ranks,
            (0..size as u64).collect::<Vec<_>>(),
            "one report per rank"
        );
        let hosts: BTreeSet<u64> = reports.chunks(2).map(|r| r[1]).collect();
        println!("{size} ranks on {} host(s)", hosts.len());
    } else {
        root.gather_into(&report[..]);
    }
    // ANCHOR_END: hosts
}
