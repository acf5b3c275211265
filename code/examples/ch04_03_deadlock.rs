//! Recipe 4.3: avoiding deadlock. Every rank passes a vector to its right-hand
//! neighbour in a ring. Done naively (everyone sends first, synchronously) the
//! ring deadlocks; three fixes exchange the same data safely.
//!
//! Run: cargo build -p cookbook --features mpi --example ch04_03_deadlock
//!      mpiexec -n 4 target/debug/examples/ch04_03_deadlock [--len N]
//!      mpiexec -n 4 target/debug/examples/ch04_03_deadlock --variant deadlock   (hangs: Ctrl-C)

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate mpi;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use mpi::environment::Universe;
use mpi::point_to_point::send_receive_into;
use mpi::topology::{Process, Rank, SimpleCommunicator};
use mpi::traits::*;
use std::io::Write;

/// The ring: who this rank sends to and who it receives from.
struct Ring<'a> {
    rank: Rank,
    right: Process<'a>,
    left: Process<'a>,
}

/// What `sender` passes on in the exchange numbered `round`: distinct for
/// every sender and round, so a stale buffer cannot pass the check.
fn payload(sender: Rank, round: i32, len: usize) -> Vec<i32> {
    (0..len as i32)
        .map(|i| 1000 * sender + 100 * round + i)
        .collect()
}

// ANCHOR: deadlock
/// Every rank sends first and receives second. `synchronous_send` returns only
/// once the matching receive has started, and no rank ever gets to its
/// receive: all of them wait in the send, forever.
fn exchange_deadlocking(ring: &Ring, outgoing: &[i32], incoming: &mut [i32]) {
    ring.right.synchronous_send(outgoing);
    ring.left.receive_into(incoming);
}
// ANCHOR_END: deadlock

// ANCHOR: fixes
/// Fix 1: break the cycle. Even ranks send then receive, odd ranks receive
/// then send, so every send meets a receive that is already waiting. Still
/// synchronous sends: the order alone makes it safe, not buffering.
fn exchange_ordered(ring: &Ring, outgoing: &[i32], incoming: &mut [i32]) {
    if ring.rank % 2 == 0 {
        ring.right.synchronous_send(outgoing);
        ring.left.receive_into(incoming);
    } else {
        ring.left.receive_into(incoming);
        ring.right.synchronous_send(outgoing);
    }
}

/// Fix 2: one call that sends and receives at once (MPI_Sendrecv); MPI makes
/// progress on both halves, whatever the neighbours do first.
fn exchange_send_receive(ring: &Ring, outgoing: &[i32], incoming: &mut [i32]) {
    send_receive_into(outgoing, &ring.right, incoming, &ring.left);
}

/// Fix 3: start both operations without waiting (MPI_Isend, MPI_Irecv), then
/// wait for both. The scope guarantees the buffers outlive the requests.
fn exchange_immediate(ring: &Ring, outgoing: &[i32], incoming: &mut [i32]) {
    mpi::request::scope(|scope| {
        let send = ring.right.immediate_send(scope, outgoing);
        let receive = ring.left.immediate_receive_into(scope, incoming);
        receive.wait();
        send.wait();
    });
}
// ANCHOR_END: fixes

type Exchange = fn(&Ring, &[i32], &mut [i32]);

/// Every rank passes numbers to its right-hand neighbour in a ring.
#[derive(Parser)]
struct Args {
    /// Numbers each rank passes on.
    #[arg(long, default_value_t = 4,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    len: usize,
    /// `fixed`: the three safe exchanges; `deadlock`: the naive one, which
    /// never finishes (stop it with Ctrl-C).
    #[arg(long, default_value = "fixed", value_parser = ["fixed", "deadlock"])]
    variant: String,
}

fn main() {
    let Args { len, variant } = parse_args();

    let universe = require_ranks(mpi::initialize().expect("MPI is initialised once"), 2);
    let world: SimpleCommunicator = universe.world();
    let (rank, size) = (world.rank(), world.size());
    let ring = Ring {
        rank,
        right: world.process_at_rank((rank + 1) % size),
        left: world.process_at_rank((rank + size - 1) % size),
    };
    let left_rank = ring.left.rank();

    // ANCHOR: run
    let exchanges: Vec<(&str, Exchange)> = if variant == "deadlock" {
        if rank == 0 {
            println!("{size} ranks: every rank calls synchronous_send first; none returns");
            std::io::stdout().flush().expect("stdout");
        }
        vec![("deadlocking", exchange_deadlocking)]
    } else {
        vec![
            ("ordered by parity", exchange_ordered),
            ("send_receive_into", exchange_send_receive),
            ("immediate send/receive", exchange_immediate),
        ]
    };
    let mut report = String::new();
    for (round, (name, exchange)) in (1..).zip(exchanges) {
        let outgoing = payload(rank, round, len);
        let mut incoming = vec![0; len];
        exchange(&ring, &outgoing, &mut incoming);
        // What arrived must be exactly what the left neighbour sent.
        assert_eq!(incoming, payload(left_rank, round, len), "{name}");
        report += &format!("rank {rank}: {name:<22} got {incoming:?} from rank {left_rank}\n");
    }
    // ANCHOR_END: run

    print_in_rank_order(&world, &report);
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

/// The universe back if the job has at least `ranks` ranks; otherwise rank 0
/// says how to run it, in one line, and every rank leaves with status 2.
fn require_ranks(universe: Universe, ranks: i32) -> Universe {
    let size = universe.world().size();
    if size < ranks {
        if universe.world().rank() == 0 {
            eprintln!(
                "error: needs at least {ranks} ranks, got {size}: run it with mpiexec -n {ranks} (or more)"
            );
        }
        leave_job(universe, 2);
    }
    universe
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
