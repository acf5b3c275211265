//! Recipe 4.5: scatter. The root splits an array into one chunk per rank and
//! each rank receives its own chunk; then the same with chunks of unequal size.
//!
//! Run: cargo build -p cookbook --features mpi --example ch04_05_scatter
//!      mpiexec -n 4 target/debug/examples/ch04_05_scatter [--chunk N] [--len N]

use cookbook::cli::Options;
use cookbook::mpi_output::print_in_rank_order;
use mpi::Count;
use mpi::datatype::Partition;
use mpi::traits::*;
use std::ops::Range;

/// The array the root holds; other ranks call it only to check their chunk.
fn numbers(len: usize) -> Vec<u32> {
    (0..len as u32).map(|i| i * i).collect()
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

fn main() {
    let options = Options::from_env(&[("chunk", "3"), ("len", "10")]);
    let chunk_len = options.positive("chunk");
    let len = options.positive("len");

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
