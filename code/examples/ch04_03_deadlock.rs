//! Recipe 4.3: avoiding deadlock. Every rank passes a vector to its right-hand
//! neighbour in a ring. Done naively (everyone sends first, synchronously) the
//! ring deadlocks; three fixes exchange the same data safely.
//!
//! Run: cargo build -p cookbook --features mpi --example ch04_03_deadlock
//!      mpiexec -n 4 target/debug/examples/ch04_03_deadlock [--len N]
//!      mpiexec -n 4 target/debug/examples/ch04_03_deadlock --variant deadlock   (hangs: Ctrl-C)

use cookbook::cli::{Options, fail};
use cookbook::mpi_output::{print_in_rank_order, require_ranks};
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

fn main() {
    let options = Options::from_env(&[("len", "4"), ("variant", "fixed")]);
    let len = options.positive("len");
    let variant: String = options.get("variant");
    if variant != "fixed" && variant != "deadlock" {
        fail(format_args!(
            "invalid value '{variant}' for --variant: expected fixed or deadlock"
        ));
    }

    let universe = mpi::initialize().expect("MPI is initialised once");
    let world: SimpleCommunicator = universe.world();
    require_ranks(&world, 2);
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
