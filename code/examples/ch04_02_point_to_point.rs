//! Recipe 4.2: point-to-point communication. Rank 0 sends every other rank a
//! typed vector and a user struct, each with its own tag and in an order the
//! receiver does not know: it probes for any tag and receives what came. Every
//! rank replies with a struct of its own, and rank 0 takes the replies in
//! arrival order.
//!
//! Run: cargo build -p cookbook --features mpi --example ch04_02_point_to_point
//!      mpiexec -n 4 target/debug/examples/ch04_02_point_to_point [--len N]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate mpi;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use mpi::Count;
use mpi::environment::Universe;
use mpi::point_to_point::MatchedReceiveVec;
use mpi::topology::{Rank, SimpleCommunicator};
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

    let universe = require_ranks(mpi::initialize().expect("MPI is initialised once"), 2);
    let world = universe.world();
    let rank = world.rank();
    let report = if rank == 0 {
        coordinate(&world, len)
    } else {
        work(&world, rank, len)
    };
    print_in_rank_order(&world, &report);
}

// ANCHOR: exchange
/// Rank 0: sends every worker its numbers and a particle, then checks the
/// replies. Odd ranks get the particle first, even ranks the numbers first.
fn coordinate(world: &SimpleCommunicator, len: usize) -> String {
    for worker in 1..world.size() {
        let process = world.process_at_rank(worker);
        let numbers = numbers_for(worker, len);
        if worker % 2 == 1 {
            process.send_with_tag(&Particle::for_rank(worker), PARTICLE);
            process.send_with_tag(&numbers[..], NUMBERS);
        } else {
            process.send_with_tag(&numbers[..], NUMBERS);
            process.send_with_tag(&Particle::for_rank(worker), PARTICLE);
        }
    }
    // Replies come in whatever order the workers finish: take them from any
    // process, and let the status say who sent each one.
    let mut from = Vec::new();
    for _ in 1..world.size() {
        let (reply, status) = world.any_process().receive_with_tag::<Reply>(REPLY);
        let sender = status.source_rank();
        assert_eq!(reply.from, sender, "a reply names its sender");
        assert_eq!(reply.sum, numbers_for(sender, len).iter().sum::<i64>());
        assert_eq!(reply.particle, Particle::for_rank(sender).moved(DT));
        from.push(sender);
    }
    from.sort();
    let to = match world.size() - 1 {
        1 => "to rank 1".to_string(),
        workers => format!("to each of {workers} ranks"),
    };
    format!(
        "rank 0: sent {len} numbers (tag {NUMBERS}) and a particle (tag {PARTICLE}) \
         {to}; checked the replies from ranks {from:?}\n"
    )
}
// ANCHOR_END: exchange

// ANCHOR: probe
/// A worker: does not know which message comes first, so it probes for the
/// next one with any tag, and the status says what it is and how long.
fn work(world: &SimpleCommunicator, rank: Rank, len: usize) -> String {
    let root = world.process_at_rank(0);
    let (mut numbers, mut particle, mut order) = (Vec::new(), None, Vec::new());
    for _ in 0..2 {
        // MPI_Mprobe with MPI_ANY_TAG: waits for a message and claims it.
        let (message, status) = root.matched_probe();
        match status.tag() {
            NUMBERS => {
                // A vector whose length the receiver learns from the status.
                let count = status.count(i64::equivalent_datatype());
                (numbers, _) = (message, status).matched_receive_vec::<i64>();
                assert_eq!(numbers.len() as Count, count);
            }
            PARTICLE => {
                // One value: check it is one whole Particle before taking it.
                assert_eq!(status.count(Particle::equivalent_datatype()), 1);
                particle = Some(message.matched_receive::<Particle>().0);
            }
            tag => panic!("rank {rank}: unexpected tag {tag}"),
        }
        order.push(status.tag());
    }
    let particle = particle.expect("a particle arrived");
    assert_eq!(numbers, numbers_for(rank, len));
    assert_eq!(particle, Particle::for_rank(rank));

    let reply = Reply {
        from: rank,
        sum: numbers.iter().sum(),
        particle: particle.moved(DT),
    };
    root.send_with_tag(&reply, REPLY);
    format!(
        "rank {rank}: tags in order {order:?}: got {numbers:?} and particle {} at {:?}, \
         sent back sum {} and position {:?}\n",
        particle.id, particle.position, reply.sum, reply.particle.position
    )
}
// ANCHOR_END: probe

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
