//! Recipe 4.9: virtual topologies. The ranks are arranged as a 2-D periodic
//! grid (a torus); each finds its coordinates and its four neighbours with
//! `shift`, trades coordinates with them, and sums over its grid row; a split
//! by colour groups the ranks by parity, a grouping no grid gives.
//!
//! Run: cargo build -p cookbook --features mpi --example ch04_09_topology
//!      mpiexec -n 4 target/debug/examples/ch04_09_topology

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate mpi;

use clap::Parser;
use mpi::Count;
use mpi::collective::SystemOperation;
use mpi::environment::Universe;
use mpi::point_to_point::send_receive_into_with_tags;
use mpi::topology::{CartesianCommunicator, Color};
use mpi::traits::*;

// ANCHOR: dims
/// A grid of `size` cells as square as possible, the longer side first:
/// 4 -> 2 x 2, 6 -> 3 x 2, 2 -> 2 x 1, 1 -> 1 x 1, a prime p -> p x 1.
fn grid_dims(size: Count) -> [Count; 2] {
    let columns = (1..=size)
        .take_while(|c| c * c <= size)
        .filter(|c| size % c == 0)
        .last()
        .unwrap_or(1);
    [size / columns, columns]
}
// ANCHOR_END: dims

/// `value` moved by `step` along a periodic axis of length `len`.
fn wrap(value: Count, step: Count, len: Count) -> Count {
    (value + step).rem_euclid(len)
}

/// The ranks as a 2-D periodic grid: coordinates, neighbours, row sums.
#[derive(Parser)]
struct Args {}

fn main() {
    let Args {} = parse_args();

    let universe = mpi::initialize().expect("MPI is initialised once");
    let world = universe.world();
    let size = world.size();

    // ANCHOR: create
    let dims = grid_dims(size);
    let periodic = [true, true];
    // reorder = false keeps every process's world rank in the grid, so the
    // output is easy to follow; `true` lets MPI renumber to fit the machine.
    let grid: CartesianCommunicator = world
        .create_cartesian_communicator(&dims, &periodic, false)
        .expect("the grid has a cell for every rank");
    let rank = grid.rank();
    let coords = grid.rank_to_coordinates(rank);
    assert_eq!(grid.coordinates_to_rank(&coords), rank);
    // ANCHOR_END: create

    // ANCHOR: neighbours
    // For each axis, shift(axis, 1) names the rank we receive from (one step
    // back) and the rank we send to (one step forward). On a periodic axis
    // both always exist; on an open one the edges get `None`.
    let mut report = format!("rank {rank} at {coords:?} in a {dims:?} grid\n");
    for axis in 0..2 {
        let (back, forward) = grid.shift(axis as Count, 1);
        let (back, forward) = (back.expect("periodic"), forward.expect("periodic"));

        // Send our coordinates forward, receive the ones from behind, then
        // the other way round. On an axis of length 2 both neighbours are
        // the same rank; MPI's in-order matching already pairs the two
        // messages correctly, and a tag per direction is a safeguard that
        // keeps them apart whatever order they are posted in.
        let mut from_back = [0 as Count; 2];
        let mut from_forward = [0 as Count; 2];
        let (forward_tag, back_tag) = (2 * axis as i32, 2 * axis as i32 + 1);
        send_receive_into_with_tags(
            &coords[..],
            &grid.process_at_rank(forward),
            forward_tag,
            &mut from_back[..],
            &grid.process_at_rank(back),
            forward_tag,
        );
        send_receive_into_with_tags(
            &coords[..],
            &grid.process_at_rank(back),
            back_tag,
            &mut from_forward[..],
            &grid.process_at_rank(forward),
            back_tag,
        );

        // The neighbours are one step away along this axis, same elsewhere.
        let mut expect_back = [coords[0], coords[1]];
        expect_back[axis] = wrap(coords[axis], -1, dims[axis]);
        let mut expect_forward = [coords[0], coords[1]];
        expect_forward[axis] = wrap(coords[axis], 1, dims[axis]);
        assert_eq!(from_back, expect_back, "rank {rank}, axis {axis}");
        assert_eq!(from_forward, expect_forward, "rank {rank}, axis {axis}");
        assert_eq!(grid.rank_to_coordinates(back), expect_back);
        report += &format!(
            "  axis {axis}: back is rank {back}, it sent {from_back:?}; \
             forward is rank {forward}, it sent {from_forward:?}\n"
        );
    }
    // ANCHOR_END: neighbours

    // ANCHOR: subgroup
    // Keep axis 1 only: a communicator per row of the grid, in which a
    // collective involves just that row.
    let row = grid.subgroup(&[false, true]);
    let mut row_sum = 0;
    row.all_reduce_into(&rank, &mut row_sum, SystemOperation::sum());
    let expected: Count = (0..dims[1])
        .map(|column| grid.coordinates_to_rank(&[coords[0], column]))
        .sum();
    assert_eq!(row_sum, expected, "rank {rank}: row sum");
    assert_eq!(row.size(), dims[1]);
    report += &format!(
        "  its row has {} rank(s), whose ranks sum to {row_sum}\n",
        row.size()
    );
    // ANCHOR_END: subgroup

    // ANCHOR: split
    // Any grouping, grid or not: MPI_Comm_split puts the ranks that pass the
    // same colour into one communicator, numbered in the order of their keys
    // (here their world ranks). Even ranks in one, odd ranks in the other.
    let parity = rank % 2;
    let same_parity = world
        .split_by_color_with_key(Color::with_value(parity), rank)
        .expect("every rank passed a colour");
    let mut parity_sum = 0;
    same_parity.all_reduce_into(&rank, &mut parity_sum, SystemOperation::sum());
    assert_eq!(same_parity.rank(), rank / 2, "numbered by key");
    assert_eq!(parity_sum, (parity..size).step_by(2).sum::<Count>());
    report += &format!(
        "  split by parity: rank {} of {} in its group, whose ranks sum to {parity_sum}\n",
        same_parity.rank(),
        same_parity.size()
    );
    // ANCHOR_END: split

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
