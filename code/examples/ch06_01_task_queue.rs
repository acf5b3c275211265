//! Recipe 6.1: a task queue on a real broker. A producer pushes prime-counting
//! tasks onto Redis with apalis; worker processes (this same program in its
//! worker role) take them, and the producer reads every result back.
//!
//! Needs a Redis server: `redis-server --port 6379 --save ''`
//! Run: cargo run -p cookbook --features distributed --example ch06_01_task_queue
//!      [-- --redis redis://127.0.0.1:6379 --workers 2 --tasks 8 --below 2000000]
//! A worker on its own (another terminal):  ... -- --role worker --name w3

use apalis::prelude::*;
use apalis_redis::RedisStorage;
use cookbook::cli::{Options, fail};
use cookbook::workload::{count_primes, split};
use cookbook::{task_queue, worker_processes};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

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
    if let Err(e) = worker.run_until(worker_processes::stdin_closed()).await {
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

// ANCHOR: main
#[tokio::main]
async fn main() {
    let options = Options::from_env(&[
        ("redis", "redis://127.0.0.1:6379"),
        ("role", "producer"),
        ("name", "worker"),
        ("workers", "2"),
        ("tasks", "8"),
        ("below", "2000000"),
    ]);
    let redis: String = options.get("redis");
    let role: String = options.get("role");
    let below: u32 = options.get("below");
    let tasks = options.positive("tasks");
    let workers: usize = options.get("workers");
    if workers > 64 {
        fail("at most 64 --workers");
    }
    if role != "producer" && role != "worker" {
        fail(format_args!(
            "--role must be producer or worker, not '{role}'"
        ));
    }

    let storage = task_queue::open(&redis, QUEUE).await;

    if role == "worker" {
        return run_worker(storage, options.get("name")).await;
    }
    // The workers: this program again, in its worker role.
    let children = worker_processes::start(workers, |i| {
        let name = format!("worker-{i}");
        ["--role", "worker", "--name", &name, "--redis", &redis]
            .map(String::from)
            .to_vec()
    });
    let total = run_producer(storage, below, tasks).await;
    worker_processes::stop(children);
    let expected = count_primes(0..below);
    assert_eq!(
        total, expected,
        "the tasks' sum differs from a serial count"
    );
    println!("primes below {below}: {total} (a serial count agrees)");
}
// ANCHOR_END: main
