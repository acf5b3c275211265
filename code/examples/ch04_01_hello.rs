//! Recipe 4.1: hello, MPI. Every process of an MPI job learns its rank, the
//! size of the job and the host it runs on.
//!
//! Run: cargo build -p cookbook --features mpi --example ch04_01_hello
//!      mpiexec -n 4 target/debug/examples/ch04_01_hello

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate mpi;

use clap::Parser;
use mpi::environment::Universe;
use mpi::traits::*;
use std::collections::BTreeSet;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Says hello from every rank of an MPI job (start it with mpiexec).
#[derive(Parser)]
struct Args {}

fn main() {
    let Args {} = parse_args();

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

// ANCHOR: print
/// Prints `text` from every rank of `world`, rank 0's first, then rank 1's, ...
/// Every rank must call it (it is a collective operation in all but name).
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
// ANCHOR_END: print

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
