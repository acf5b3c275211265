//! Recipe 6.1: a task queue on a real broker. A producer pushes prime-counting
//! tasks onto Redis with apalis; worker processes (this same program in its
//! worker role) take them, and the producer reads every result back.
//!
//! Needs a Redis server: `redis-server --port 6379 --save ''`
//! Run: cargo run -p cookbook --features distributed --example ch06_01_task_queue
//!      [-- --redis redis://127.0.0.1:6379 --workers 2 --tasks 8 --below 2000000]
//! A worker on its own (another terminal):  ... -- --role worker --name w3

extern crate apalis; // named for `mdbook test`; Cargo does not need these
extern crate apalis_redis;
extern crate clap;
extern crate futures;
extern crate serde;
extern crate tokio;
extern crate uuid;

use apalis::prelude::*;
use apalis_redis::{Config, RedisStorage};
use clap::builder::RangedU64ValueParser;
use clap::{Parser, ValueEnum};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader};
use std::ops::Range;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

const QUEUE: &str = "cookbook-primes";

// ANCHOR: task
/// The task's arguments: what goes over the wire as JSON.
#[derive(Debug, Serialize, Deserialize)]
struct CountPrimes {
    start: u32,
    end: u32,
}

/// The task's result, stored in Redis for the producer to read.
#[derive(Debug, Serialize, Deserialize)]
struct Counted {
    primes: u64,
    worker: String,
}

/// The task itself: an ordinary async function. The CPU-bound part runs on
/// tokio's blocking pool so the worker keeps talking to Redis meanwhile.
async fn count_primes_task(
    task: CountPrimes,
    worker: WorkerContext,
) -> Result<Counted, BoxDynError> {
    let primes = tokio::task::spawn_blocking(move || count_primes(task.start..task.end)).await?;
    Ok(Counted {
        primes,
        worker: worker.name().to_owned(),
    })
}
// ANCHOR_END: task

// ANCHOR: worker
/// The worker role: take tasks until stdin closes (the producer that started us
/// is gone, or the reader pressed Ctrl-D).
async fn run_worker(storage: RedisStorage<CountPrimes>, name: String) {
    let worker = WorkerBuilder::new(name)
        .backend(storage)
        .concurrency(1) // one task at a time: more workers, more tasks at once
        .build(count_primes_task);
    println!("ready"); // the producer waits for this line before pushing
    if let Err(e) = worker.run_until(stdin_closed()).await {
        eprintln!("error: worker stopped: {e}");
        std::process::exit(1);
    }
}
// ANCHOR_END: worker

// ANCHOR: producer
/// The producer role: push one task per range, then wait for every result.
async fn run_producer(mut storage: RedisStorage<CountPrimes>, below: u32, tasks: usize) -> u64 {
    // Ids unique to this run: a result left in Redis by an earlier run must
    // not be taken for this run's.
    let run = uuid::Uuid::new_v4().simple().to_string();
    let mut ids = Vec::new();
    for (i, range) in split(below, tasks).into_iter().enumerate() {
        let id = TaskId::from_string(format!("primes-{run}-{i}"));
        let task = TaskBuilder::new(CountPrimes {
            start: range.start,
            end: range.end,
        })
        .task_id(id.clone())
        .build();
        storage.push_task(task).await.expect("push a task");
        ids.push(id);
    }
    println!("pushed {} tasks to queue '{QUEUE}'", ids.len());

    let mut results: Vec<TaskResult<Counted>> = storage
        .wait_for(ids.clone())
        .map(|result| result.expect("read a result from Redis"))
        .collect()
        .await;
    results.sort_by_key(|r| ids.iter().position(|id| *id == r.task_id));
    let mut workers: Vec<&str> = Vec::new();
    let mut total = 0;
    for (i, result) in results.iter().enumerate() {
        let counted = result.result.as_ref().expect("the task succeeded");
        println!("task {i}: {:>6} primes", counted.primes);
        total += counted.primes;
        if !workers.contains(&counted.worker.as_str()) {
            workers.push(&counted.worker);
        }
    }
    println!(
        "{} results from {} distinct workers",
        results.len(),
        workers.len()
    );
    total
}
// ANCHOR_END: producer

// ANCHOR: open
/// Connects to the Redis server at `url` and opens the queue named `queue`,
/// set up for many short tasks shared by a few workers. If Redis cannot be
/// reached, says so in one line and exits.
async fn open_queue<T>(url: &str, queue: &str) -> RedisStorage<T> {
    let connection = apalis_redis::connect(url).await.unwrap_or_else(|e| {
        usage_error(&format!(
            "cannot reach Redis at {url}: {e} (start one: redis-server --port 6379 --save '')"
        ))
    });
    let config = Config::default()
        .queue(queue)
        // One task per fetch, so an idle worker can take the next one.
        .batch_size(1)
        // An idle worker looks for new tasks at every heartbeat (default: 30 s).
        .heartbeat_interval(Duration::from_millis(100))
        // Another worker declares this one dead, and requeues its tasks, when
        // its last heartbeat is 100 x 100 ms old (whole seconds, so 9 to 10 s).
        // At 2 to 3 s, live workers were declared dead (recipe 6.1 says when).
        .missed_heartbeats(100);
    RedisStorage::new(connection).with_config(config)
}
// ANCHOR_END: open

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Role {
    /// Start the workers, push the tasks, read the results.
    Producer,
    /// Take tasks until standard input closes.
    Worker,
}

/// Prime-counting tasks on a Redis queue, run by worker processes.
#[derive(Parser)]
struct Args {
    /// The Redis server that is the broker.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis: String,
    #[arg(long, value_enum, default_value_t = Role::Producer)]
    role: Role,
    /// The worker's name (role worker).
    #[arg(long, default_value = "worker")]
    name: String,
    /// Worker processes the producer starts (0: you start them yourself).
    #[arg(long, default_value_t = 2,
          value_parser = RangedU64ValueParser::<usize>::new().range(0..=16))]
    workers: usize,
    /// Tasks the range is cut into.
    #[arg(long, default_value_t = 8,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    tasks: usize,
    /// Count the primes below this number.
    #[arg(long, default_value_t = 2_000_000,
          value_parser = clap::value_parser!(u32).range(0..=10_000_000))]
    below: u32,
    /// Give up when the results are not all in after this many seconds.
    #[arg(long, default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    timeout_s: u64,
}

// ANCHOR: main
#[tokio::main]
async fn main() {
    let args = parse_args();
    let storage = open_queue(&args.redis, QUEUE).await;
    if args.role == Role::Worker {
        return run_worker(storage, args.name).await;
    }
    // The workers: this program again, in its worker role.
    let mut workers = Workers::start(args.workers, |i| {
        let name = format!("worker-{i}");
        ["--role", "worker", "--name", &name, "--redis", &args.redis]
            .map(String::from)
            .to_vec()
    });
    let (below, tasks) = (args.below, args.tasks);
    // Wait for the results, but not for ever: a worker that dies, or no
    // result in time, ends the run with one line that says which.
    let total = tokio::select! {
        total = run_producer(storage, below, tasks) => total,
        (i, status) = workers.first_exit() => fail(&format!(
            "worker {i} exited before the results were in ({status}); unfinished tasks stay queued"
        )),
        () = tokio::time::sleep(Duration::from_secs(args.timeout_s)) => fail(&format!(
            "no complete results after {} s (--timeout-s): are workers running?",
            args.timeout_s
        )),
    };
    workers.stop().unwrap_or_else(|e| fail(&e));
    let expected = count_primes(0..below);
    assert_eq!(
        total, expected,
        "the tasks' sum differs from a serial count"
    );
    println!("primes below {below}: {total} (a serial count agrees)");
}
// ANCHOR_END: main

/// The worker processes this program started: this same program, as a
/// reader would start workers in other terminals. A worker stops when its
/// stdin closes, so none outlives the program that started it.
struct Workers(Vec<Child>);

impl Workers {
    /// Starts `count` workers, `args(i)` for worker `i`, and waits until each
    /// has printed `ready` (it is connected).
    fn start(count: usize, args: impl Fn(usize) -> Vec<String>) -> Workers {
        let program = std::env::current_exe().expect("path of this program");
        let start = |i| {
            let mut child = Command::new(&program)
                .args(args(i))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| fail(&format!("cannot start worker {i}: {e}")));
            let mut line = String::new();
            let stdout = child.stdout.as_mut().expect("piped stdout");
            let _ = BufReader::new(stdout).read_line(&mut line);
            if line.trim() != "ready" {
                fail(&format!("worker {i} did not start (its error is above)"));
            }
            child
        };
        Workers((0..count).map(start).collect())
    }

    /// Completes when a worker has exited, with its number and status (they
    /// should run until `stop`); never, if there are no workers.
    async fn first_exit(&mut self) -> (usize, ExitStatus) {
        loop {
            for (i, child) in self.0.iter_mut().enumerate() {
                if let Ok(Some(status)) = child.try_wait() {
                    return (i, status);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Closes every worker's stdin, their signal to finish, and waits for
    /// them; the first that failed is the error.
    fn stop(mut self) -> Result<(), String> {
        for child in &mut self.0 {
            drop(child.stdin.take());
        }
        let mut failed = None;
        for (i, mut child) in self.0.into_iter().enumerate() {
            match child.wait() {
                Ok(status) if status.success() => {}
                Ok(status) => failed = failed.or(Some(format!("worker {i} failed ({status})"))),
                Err(e) => failed = failed.or(Some(format!("worker {i}: {e}"))),
            }
        }
        failed.map_or(Ok(()), Err)
    }
}

/// A future that completes when stdin reaches its end: the worker's signal to stop.
async fn stdin_closed() -> std::io::Result<()> {
    tokio::task::spawn_blocking(|| std::io::stdin().lines().for_each(drop)).await?;
    Ok(())
}

/// Trial division by odd numbers up to the square root.
fn is_prime(n: u32) -> bool {
    if n < 4 {
        return n >= 2;
    }
    if n % 2 == 0 {
        return false;
    }
    (3..)
        .step_by(2)
        .take_while(|&d| d <= n / d) // d * d <= n, without overflow
        .all(|d| n % d != 0)
}

/// How many primes `range` holds.
fn count_primes(range: Range<u32>) -> u64 {
    range.filter(|&n| is_prime(n)).count() as u64
}

/// `0..below` cut into `parts` contiguous ranges (fewer if `below` is small).
fn split(below: u32, parts: usize) -> Vec<Range<u32>> {
    let step = below
        .div_ceil(u32::try_from(parts).unwrap_or(u32::MAX))
        .max(1);
    (0..below)
        .step_by(step as usize)
        .map(|start| start..start.saturating_add(step).min(below))
        .collect()
}

/// A bad option, or a broker that is not there: one line, exit status 2.
fn usage_error(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2)
}

/// A run that went wrong (a worker died, no results in time): one line, exit
/// status 1.
fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1)
}

/// Reads the options. A bad one gets clap's own `error:` line (without the
/// usage text clap adds below it) and exit status 2; `--help` works as usual.
fn parse_args() -> Args {
    Args::try_parse().unwrap_or_else(|error| {
        if !error.use_stderr() {
            error.exit() // --help or --version: printed, exit status 0
        }
        eprintln!("{}", error.to_string().lines().next().unwrap_or_default());
        std::process::exit(2)
    })
}
