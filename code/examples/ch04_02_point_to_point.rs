//! Recipe 4.2: point-to-point communication. Rank 0 sends every other rank a
//! typed vector and a user struct, each with its own tag; every rank replies
//! with a struct of its own, and rank 0 takes the replies in arrival order.
//!
//! Run: cargo build -p cookbook --features mpi --example ch04_02_point_to_point
//!      mpiexec -n 4 target/debug/examples/ch04_02_point_to_point [--len N]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate mpi;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use mpi::topology::Rank;
use mpi::traits::*;

// ANCHOR: types
/// Tags say what a message is; a receive can ask for one tag only.
const NUMBERS: i32 = 1;
const PARTICLE: i32 = 2;
const REPLY: i32 = 3;

/// `Equivalence` describes the struct's memory layout to MPI (an MPI derived
/// datatype), so it travels as it is: no serialisation, no pickling.
#[derive(Equivalence, Debug, Clone, Copy, PartialEq)]
struct Particle {
    id: u32,
    position: [f64; 3],
    velocity: [f64; 3],
}

impl Particle {
    /// What rank 0 sends to `rank`: every rank can work it out, which lets
    /// the receiver check what arrived.
    fn for_rank(rank: Rank) -> Particle {
        let r = f64::from(rank);
        Particle {
            id: rank as u32,
            position: [r, 2.0 * r, 0.0],
            velocity: [0.5, -1.0, r],
        }
    }

    /// One time step of length `dt`.
    fn moved(self, dt: f64) -> Particle {
        let mut next = self;
        for (x, v) in next.position.iter_mut().zip(self.velocity) {
            *x += v * dt;
        }
        next
    }
}

/// The numbers rank 0 sends to `rank`.
fn numbers_for(rank: Rank, len: usize) -> Vec<i64> {
    (0..len as i64).map(|i| 100 * i64::from(rank) + i).collect()
}

/// A worker's answer: who it is, the sum of its numbers, its moved particle.
#[derive(Equivalence, Debug, Clone, Copy, PartialEq)]
struct Reply {
    from: Rank,
    sum: i64,
    particle: Particle,
}
// ANCHOR_END: types

const DT: f64 = 0.5;

/// Rank 0 sends every other rank numbers and a particle; each replies.
#[derive(Parser)]
struct Args {
    /// Numbers sent to each rank.
    #[arg(long, default_value_t = 4,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    len: usize,
}

fn main() {
    let Args { len } = parse_args();

    let universe = mpi::initialize().expect("MPI is initialised once");
    let world = universe.world();
    require_ranks(&world, 2);
    let (rank, size) = (world.rank(), world.size());

    // ANCHOR: exchange
    let report = if rank == 0 {
        for worker in 1..size {
            let process = world.process_at_rank(worker);
            process.send_with_tag(&numbers_for(worker, len)[..], NUMBERS);
            process.send_with_tag(&Particle::for_rank(worker), PARTICLE);
        }
        // Replies come in whatever order the workers finish: take them from
        // any process, and let the status say who sent each one.
        let mut from = Vec::new();
        for _ in 1..size {
            let (reply, status) = world.any_process().receive_with_tag::<Reply>(REPLY);
            let sender = status.source_rank();
            assert_eq!(reply.from, sender, "a reply names its sender");
            assert_eq!(reply.sum, numbers_for(sender, len).iter().sum::<i64>());
            assert_eq!(reply.particle, Particle::for_rank(sender).moved(DT));
            from.push(sender);
        }
        from.sort();
        format!(
            "rank 0: sent {len} numbers (tag {NUMBERS}) and a particle (tag {PARTICLE}) \
             to each of {} ranks; checked the replies from ranks {from:?}\n",
            size - 1
        )
    } else {
        let root = world.process_at_rank(0);
        // A vector whose length the receiver does not know: `receive_vec`.
        let (numbers, status) = root.receive_vec_with_tag::<i64>(NUMBERS);
        assert_eq!(numbers, numbers_for(rank, len));
        assert_eq!(status.tag(), NUMBERS);
        // A value of a known type: `receive` returns it by value.
        let (particle, _) = root.receive_with_tag::<Particle>(PARTICLE);
        assert_eq!(particle, Particle::for_rank(rank));

        let reply = Reply {
            from: rank,
            sum: numbers.iter().sum(),
            particle: particle.moved(DT),
        };
        root.send_with_tag(&reply, REPLY);
        format!(
            "rank {rank}: got {numbers:?} and particle {} at {:?}, sent back sum {} and position {:?}\n",
            particle.id, particle.position, reply.sum, reply.particle.position
        )
    };
    // ANCHOR_END: exchange

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

/// Exits with status 2 and a one-line error unless `world` has at least
/// `ranks` processes. Only rank 0 prints, so the message appears once.
fn require_ranks(world: &impl Communicator, ranks: i32) {
    if world.size() < ranks {
        if world.rank() == 0 {
            eprintln!(
                "error: needs at least {ranks} ranks, got {}: run it with mpiexec -n {ranks} (or more)",
                world.size()
            );
        }
        // Every rank leaves with the same status, without finalising MPI
        // (the other ranks are not waiting for us).
        std::process::exit(2);
    }
}

/// Reads the options. A bad one gets clap's own `error:` line (without the
/// usage text clap adds below it) and exit status 2; `--help` works as usual.
/// Under `mpiexec` every rank parses the same arguments, before MPI starts:
/// only the first rank prints, which the launcher's environment names
/// (`PMI_RANK` for MPICH, `OMPI_COMM_WORLD_RANK` for Open MPI).
fn parse_args() -> Args {
    Args::try_parse().unwrap_or_else(|error| {
        let rank = std::env::var("PMI_RANK").or_else(|_| std::env::var("OMPI_COMM_WORLD_RANK"));
        if rank.is_err() || rank.as_deref() == Ok("0") {
            if !error.use_stderr() {
                error.exit() // --help or --version: printed, exit status 0
            }
            eprintln!("{}", error.to_string().lines().next().unwrap_or_default());
        }
        std::process::exit(if error.use_stderr() { 2 } else { 0 })
    })
}
