//! Recipe 4.10: a complete MPI application. The 1-D heat equation on a rod,
//! split into one block per rank; every time step trades the block edges
//! (halo exchange) with the neighbouring ranks. Rank 0 gathers the result and
//! checks it against a serial run of the same scheme.
//!
//! Run: cargo build -p cookbook --features mpi --example ch04_10_heat
//!      mpiexec -n 4 target/debug/examples/ch04_10_heat [--points N] [--steps N]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate mpi;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use mpi::Count;
use mpi::collective::SystemOperation;
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::point_to_point::send_receive_into_with_tags;
use mpi::topology::CartesianCommunicator;
use mpi::traits::*;
use std::f64::consts::PI;
use std::ops::Range;

/// alpha * dt / dx^2: the explicit scheme is stable up to 0.5.
const R: f64 = 0.25;

// ANCHOR: scheme
/// One explicit time step on `u`, whose first and last cells are fixed
/// (a boundary or a copy of a neighbour's cell): writes the interior to `next`.
fn step(u: &[f64], next: &mut [f64]) {
    for (i, window) in u.windows(3).enumerate() {
        let [left, mid, right] = [window[0], window[1], window[2]];
        next[i + 1] = mid + R * (left - 2.0 * mid + right);
    }
}

/// The initial temperature at interior point `i` of `points`: one arch of
/// a sine, zero at both ends of the rod.
fn initial(i: usize, points: usize) -> f64 {
    (PI * (i + 1) as f64 / (points + 1) as f64).sin()
}

/// The whole rod on one core: the reference the parallel run must match.
fn serial(points: usize, steps: usize) -> Vec<f64> {
    let mut u: Vec<f64> = (0..points + 2)
        .map(|i| {
            if i == 0 || i == points + 1 {
                0.0
            } else {
                initial(i - 1, points)
            }
        })
        .collect();
    let mut next = u.clone();
    for _ in 0..steps {
        step(&u, &mut next);
        std::mem::swap(&mut u, &mut next);
    }
    u[1..=points].to_vec()
}
// ANCHOR_END: scheme

/// Rank `rank`'s share of `len` points (the first `len % size` take one more).
fn block(len: usize, size: usize, rank: usize) -> Range<usize> {
    let (base, extra) = (len / size, len % size);
    let start = rank * base + rank.min(extra);
    start..start + base + usize::from(rank < extra)
}

// ANCHOR: halo
/// Fills the two ghost cells of `u` (its first and last) with the edge cells
/// of the neighbouring blocks. Data moves right, then left; at the ends of
/// the rod there is no neighbour and the ghost keeps the boundary value 0.
fn exchange_halos(line: &CartesianCommunicator, u: &mut [f64]) {
    let last = u.len() - 1;
    let (left, right) = line.shift(0, 1);
    // Phase 1: my last real cell goes right, the left neighbour's arrives in u[0].
    match (left, right) {
        (Some(l), Some(r)) => {
            let edge = u[last - 1];
            send_receive_into_with_tags(
                &edge,
                &line.process_at_rank(r),
                0,
                &mut u[0],
                &line.process_at_rank(l),
                0,
            );
        }
        (None, Some(r)) => line.process_at_rank(r).send_with_tag(&u[last - 1], 0),
        (Some(l), None) => {
            line.process_at_rank(l).receive_into_with_tag(&mut u[0], 0);
        }
        (None, None) => {}
    }
    // Phase 2: my first real cell goes left, the right neighbour's arrives in u[last].
    match (left, right) {
        (Some(l), Some(r)) => {
            let edge = u[1];
            send_receive_into_with_tags(
                &edge,
                &line.process_at_rank(l),
                1,
                &mut u[last],
                &line.process_at_rank(r),
                1,
            );
        }
        (Some(l), None) => line.process_at_rank(l).send_with_tag(&u[1], 1),
        (None, Some(r)) => {
            line.process_at_rank(r)
                .receive_into_with_tag(&mut u[last], 1);
        }
        (None, None) => {}
    }
}
// ANCHOR_END: halo

/// The 1-D heat equation on a rod, one block per rank, checked against a
/// serial run.
#[derive(Parser)]
struct Args {
    /// Interior points of the rod; at least one per rank. At most 2 000 000:
    /// the check at the end allows half of what one step changes, which
    /// shrinks with the square of the length; at 2 000 000 points and 500
    /// steps it is still 10 times the rounding error, at 5 000 000 only 1.7.
    #[arg(long, default_value_t = 2_000_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=2_000_000))]
    points: usize,
    /// Time steps. At most 500: rounding error grows with every step (to
    /// about 3e-14 after 500), and must stay below the check's tolerance.
    #[arg(long, default_value_t = 100,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=500))]
    steps: usize,
}

fn main() {
    let Args { points, steps } = parse_args();

    let universe = mpi::initialize().expect("MPI is initialised once");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    if points < size as usize {
        // Only rank 0 says so; every rank leaves with status 2.
        if rank == 0 {
            eprintln!("error: --points must be at least the number of ranks ({size})");
        }
        leave_job(universe, 2);
    }

    // ANCHOR: solve
    // A line of ranks, open at both ends: shift gives None past the ends.
    let line = world
        .create_cartesian_communicator(&[size], &[false], false)
        .expect("one cell per rank");
    let mine = block(points, size as usize, rank as usize);
    // My block plus a ghost cell at each end.
    let mut u = vec![0.0; mine.len() + 2];
    for (cell, i) in u[1..].iter_mut().zip(mine.clone()) {
        *cell = initial(i, points);
    }
    let mut next = u.clone();

    world.barrier();
    let start = mpi::time();
    for _ in 0..steps {
        exchange_halos(&line, &mut u);
        step(&u, &mut next);
        std::mem::swap(&mut u, &mut next);
        // Ghost cells in `u` are refilled before they are read again.
    }
    let elapsed = mpi::time() - start;
    // ANCHOR_END: solve

    // ANCHOR: check
    // The run takes as long as its slowest rank.
    let root = world.process_at_rank(0);
    let interior = &u[1..=mine.len()];
    let mut summary = String::new();
    if rank == 0 {
        let mut slowest = 0.0;
        root.reduce_into_root(&elapsed, &mut slowest, SystemOperation::max());
        let blocks: Vec<Range<usize>> = (0..size as usize)
            .map(|q| block(points, size as usize, q))
            .collect();
        let counts: Vec<Count> = blocks.iter().map(|b| b.len() as Count).collect();
        let displs: Vec<Count> = blocks.iter().map(|b| b.start as Count).collect();
        let mut rod = vec![0.0; points];
        let mut partition = PartitionMut::new(&mut rod[..], counts, displs);
        root.gather_varcount_into_root(interior, &mut partition);

        // The serial run does the same arithmetic on the same numbers in the
        // same order, so the results must agree to the last bit.
        let reference = serial(points, steps);
        let max_diff = rod
            .iter()
            .zip(&reference)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert_eq!(rod, reference, "parallel and serial runs differ");
        // And against the exact solution of the *discrete* scheme: a sine arch
        // is an eigenvector of `step`, scaled by `lambda` at every step, so one
        // step lowers the peak (about `decay`) by `shrink * decay`. Allowing
        // half of that catches a run that skipped or repeated a single step.
        let dx = 1.0 / (points + 1) as f64;
        let shrink = 4.0 * R * (PI * dx / 2.0).sin().powi(2);
        let decay = (1.0 - shrink).powi(steps as i32);
        let tolerance = 0.5 * shrink * decay;
        let max_error = (0..points)
            .map(|i| (rod[i] - decay * initial(i, points)).abs())
            .fold(0.0, f64::max);
        assert!(
            max_error < tolerance,
            "off the scheme's exact solution by {max_error:e} (allowed {tolerance:e})"
        );
        summary = format!(
            "{points} points, {steps} steps on {size} rank{}: time {slowest:.4} s\n\
             max |parallel - serial| = {max_diff} (bit-identical: {})\n\
             max |parallel - exact solution of the scheme| = {max_error:.1e} \
             (allowed {tolerance:.1e}, half of one step's change)\n",
            if size == 1 { "" } else { "s" },
            rod == reference
        );
    } else {
        root.reduce_into(&elapsed, SystemOperation::max());
        root.gather_varcount_into(interior);
    }
    // ANCHOR_END: check

    let neighbours = usize::from(rank > 0) + usize::from(rank < size - 1);
    print_in_rank_order(
        &world,
        &format!(
            "{summary}rank {rank}: points {mine:?}, {neighbours} neighbour(s), \
             one halo cell each way per neighbour per step\n"
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
