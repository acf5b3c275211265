//! Recipe 4.4: broadcast. One rank (the root) has a value and a vector; after
//! a broadcast every rank has a copy of both.
//!
//! Run: cargo build -p cookbook --features mpi --example ch04_04_broadcast
//!      mpiexec -n 4 target/debug/examples/ch04_04_broadcast [--len N]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate mpi;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use mpi::environment::Universe;
use mpi::traits::*;

/// The settings the root decides on: a plain struct travels as one message.
#[derive(Equivalence, Debug, Clone, Copy, PartialEq, Default)]
struct Settings {
    steps: u32,
    tolerance: f64,
}

/// The root's input: a table of `len` numbers, standing in for a file that
/// only the root reads. Every rank parses `--len`, but only the root uses it.
fn read_table(len: usize) -> Vec<f64> {
    (1..=len).map(|i| 1.0 / i as f64).collect()
}

/// A checksum of the table's bits, in order (FNV-1a over each f64's bits):
/// what the receivers check their copy against.
fn checksum(table: &[f64]) -> u64 {
    table.iter().fold(0xcbf2_9ce4_8422_2325, |hash, x| {
        (hash ^ x.to_bits()).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The root broadcasts a struct and a vector to every rank.
#[derive(Parser)]
struct Args {
    /// Elements in the vector (used by the root only).
    #[arg(long, default_value_t = 6,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    len: usize,
}

fn main() {
    let Args { len } = parse_args();

    let universe = mpi::initialize().expect("MPI is initialised once");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());

    // ANCHOR: broadcast
    const ROOT: i32 = 0;
    let root = world.process_at_rank(ROOT);

    // Every rank passes a buffer: the root's holds the data, the others'
    // are overwritten with it.
    let mut settings = if rank == ROOT {
        Settings {
            steps: 250,
            tolerance: 1e-6,
        }
    } else {
        Settings::default()
    };
    root.broadcast_into(&mut settings);

    // Only the root has the table. A vector takes two broadcasts: a header
    // first (the length, so every rank can make a buffer of the right size,
    // and a checksum), then the elements.
    let mut table = if rank == ROOT {
        read_table(len)
    } else {
        Vec::new()
    };
    let mut header = [table.len() as u64, checksum(&table)];
    root.broadcast_into(&mut header[..]);
    let [table_len, table_sum] = header;
    table.resize(table_len as usize, 0.0);
    root.broadcast_into(&mut table[..]);
    // ANCHOR_END: broadcast

    // ANCHOR: check
    // Every rank checks its copies, bit for bit: a broadcast copies bytes.
    // The settings are known constants; the table, which only the root
    // read, is checked against the checksum that came with it.
    let expected = Settings {
        steps: 250,
        tolerance: 1e-6,
    };
    assert_eq!(settings, expected, "rank {rank}: settings");
    assert_eq!(checksum(&table), table_sum, "rank {rank}: table");

    // Any rank can be the root: here the last one sends its rank to all.
    let last = world.process_at_rank(size - 1);
    let mut from_last = if rank == size - 1 { rank } else { -1 };
    last.broadcast_into(&mut from_last);
    assert_eq!(from_last, size - 1);

    let sum: f64 = table.iter().sum();
    print_in_rank_order(
        &world,
        &format!(
            "rank {rank}: {settings:?}, table of {} starting {:?}, sum {sum:.6}, last rank says {from_last}\n",
            table.len(),
            &table[..3.min(table.len())]
        ),
    );
    // ANCHOR_END: check
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
