//! Recipe 4.5: scatter. The root splits an array into one chunk per rank and
//! each rank receives its own chunk; then the same with chunks of unequal size.
//!
//! Run: cargo build -p cookbook --features mpi --example ch04_05_scatter
//!      mpiexec -n 4 target/debug/examples/ch04_05_scatter [--chunk N] [--len N]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate mpi;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use mpi::Count;
use mpi::datatype::Partition;
use mpi::environment::Universe;
use mpi::traits::*;
use std::ops::Range;

/// The array the root holds; other ranks call it only to check their chunk.
/// Squares, which wrap around past 65 535 squared (the most a `u32` holds).
fn numbers(len: usize) -> Vec<u32> {
    (0..len as u32).map(|i| i.wrapping_mul(i)).collect()
}

// ANCHOR: split
/// The indices rank `rank` of `size` owns when `len` items are split as
/// evenly as possible: the first `len % size` ranks get one item more.
fn block(len: usize, size: usize, rank: usize) -> Range<usize> {
    let (base, extra) = (len / size, len % size);
    let start = rank * base + rank.min(extra);
    start..start + base + usize::from(rank < extra)
}
// ANCHOR_END: split

/// The root scatters equal chunks of an array, then unequal ones.
#[derive(Parser)]
struct Args {
    /// Items per rank in the equal split.
    #[arg(long, default_value_t = 3,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    chunk: usize,
    /// Items in the unequal split.
    #[arg(long, default_value_t = 10,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    len: usize,
}

fn main() {
    let Args {
        chunk: chunk_len,
        len,
    } = parse_args();

    let universe = mpi::initialize().expect("MPI is initialised once");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    let (r, n) = (rank as usize, size as usize);
    let root = world.process_at_rank(0);

    // ANCHOR: scatter
    // Equal chunks: the root's send buffer holds `size * chunk_len` items,
    // and rank r receives items r * chunk_len .. (r + 1) * chunk_len.
    let mut chunk = vec![0u32; chunk_len];
    if rank == 0 {
        let all = numbers(n * chunk_len);
        root.scatter_into_root(&all[..], &mut chunk[..]);
    } else {
        root.scatter_into(&mut chunk[..]);
    }
    assert_eq!(
        chunk,
        numbers(n * chunk_len)[r * chunk_len..(r + 1) * chunk_len]
    );
    // ANCHOR_END: scatter

    // ANCHOR: varcount
    // Unequal chunks: the root describes every rank's share with counts and
    // displacements (offsets into its buffer); each rank sizes its own buffer.
    let mine = block(len, n, r);
    let mut share = vec![0u32; mine.len()];
    if rank == 0 {
        let all = numbers(len);
        let blocks: Vec<Range<usize>> = (0..n).map(|q| block(len, n, q)).collect();
        let counts: Vec<Count> = blocks.iter().map(|b| b.len() as Count).collect();
        let displs: Vec<Count> = blocks.iter().map(|b| b.start as Count).collect();
        let partition = Partition::new(&all[..], counts, displs);
        root.scatter_varcount_into_root(&partition, &mut share[..]);
    } else {
        root.scatter_varcount_into(&mut share[..]);
    }
    assert_eq!(share, numbers(len)[mine.clone()]);
    // ANCHOR_END: varcount

    print_in_rank_order(
        &world,
        &format!("rank {rank}: chunk {chunk:?}, items {mine:?} = {share:?}\n"),
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
