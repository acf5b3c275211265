//! Recipe 6.7: a distributed word count, map-reduce through the task queue.
//! Map tasks count the words of one chunk each and split their counts into
//! partitions by word; reduce tasks merge one partition each; the producer
//! joins the partitions and checks the result against a serial count.
//!
//! Needs a Redis server: `redis-server --port 6379 --save ''`
//! Run: cargo run -p cookbook --features distributed --example ch06_07_map_reduce
//!      [-- --redis redis://127.0.0.1:6379 --workers 2 --chunks 8 --partitions 4 --file text.txt]

use apalis::prelude::*;
use apalis_redis::RedisStorage;
use cookbook::cli::{Options, fail};
use cookbook::{task_queue, worker_processes};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const QUEUE: &str = "cookbook-word-count";
/// Larger chunks are refused: a message should stay well below Redis's limits.
const MAX_CHUNK_BYTES: usize = 1 << 20;
/// Limits on what a message or an option may ask for.
const MAX_PARTITIONS: usize = 1024;
const MAX_WORKERS: usize = 64;

type Counts = BTreeMap<String, u64>;

// ANCHOR: tasks
/// The two kinds of task on one queue.
#[derive(Debug, Serialize, Deserialize)]
enum Job {
    /// Count the words of a chunk; split the counts into `partitions` parts.
    Map { text: String, partitions: usize },
    /// Merge the counts that the map tasks put in one partition.
    Reduce { parts: Vec<Counts> },
}

#[derive(Debug, Serialize, Deserialize)]
enum Done {
    Mapped(Vec<Counts>), // one per partition
    Reduced(Counts),
}

/// Words are runs of letters and apostrophes, lower-cased.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_alphabetic() || c == '\''))
        .map(|word| word.trim_matches('\'').to_lowercase())
        .filter(|word| !word.is_empty())
}

/// Which partition (and so which reduce task) a word goes to. Every map task,
/// in every process, must agree: so a fixed hash (FNV-1a), not std's
/// `HashMap` hasher, which is keyed at random per process.
fn partition_of(word: &str, partitions: usize) -> usize {
    let hash = word.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash % partitions as u64) as usize
}

async fn run_job(job: Job) -> Result<Done, BoxDynError> {
    Ok(match job {
        Job::Map { text, partitions } => {
            if !(1..=MAX_PARTITIONS).contains(&partitions) || text.len() > MAX_CHUNK_BYTES {
                return Err("a map task over the limits".into());
            }
            let mut parts = vec![Counts::new(); partitions];
            for word in words(&text) {
                *parts[partition_of(&word, partitions)]
                    .entry(word)
                    .or_default() += 1;
            }
            Done::Mapped(parts)
        }
        Job::Reduce { parts } => {
            let mut merged = Counts::new();
            for (word, count) in parts.into_iter().flatten() {
                *merged.entry(word).or_default() += count;
            }
            Done::Reduced(merged)
        }
    })
}
// ANCHOR_END: tasks

// ANCHOR: phases
/// Pushes `jobs`, waits for all their results, returns them in push order.
async fn run_phase(storage: &mut RedisStorage<Job>, phase: &str, jobs: Vec<Job>) -> Vec<Done> {
    let run = uuid::Uuid::new_v4().simple().to_string();
    let ids: Vec<TaskId> = (0..jobs.len())
        .map(|i| TaskId::from_string(format!("{phase}-{run}-{i}")))
        .collect();
    for (job, id) in jobs.into_iter().zip(&ids) {
        let task = TaskBuilder::new(job).task_id(id.clone()).build();
        storage.push_task(task).await.expect("push a task");
    }
    let mut results: Vec<(usize, Done)> = storage
        .wait_for(ids.clone())
        .map(|result| {
            let result: TaskResult<Done> = result.expect("read a result from Redis");
            let position = ids
                .iter()
                .position(|id| *id == result.task_id)
                .expect("ours");
            (position, result.result.expect("the task succeeded"))
        })
        .collect()
        .await;
    results.sort_by_key(|(position, _)| *position);
    results.into_iter().map(|(_, done)| done).collect()
}

async fn word_count(
    storage: &mut RedisStorage<Job>,
    chunks: Vec<String>,
    partitions: usize,
) -> Counts {
    let maps = chunks
        .into_iter()
        .map(|text| Job::Map { text, partitions })
        .collect();
    let mapped = run_phase(storage, "map", maps).await;
    // The shuffle: partition p of every map result goes to reduce task p.
    let mut by_partition: Vec<Vec<Counts>> = vec![Vec::new(); partitions];
    for done in mapped {
        let Done::Mapped(parts) = done else {
            unreachable!("a map task maps")
        };
        for (p, part) in parts.into_iter().enumerate() {
            by_partition[p].push(part);
        }
    }
    let reduces = by_partition
        .into_iter()
        .map(|parts| Job::Reduce { parts })
        .collect();
    let mut total = Counts::new();
    for done in run_phase(storage, "reduce", reduces).await {
        let Done::Reduced(counts) = done else {
            unreachable!("a reduce task reduces")
        };
        total.extend(counts); // partitions hold disjoint words
    }
    total
}
// ANCHOR_END: phases

/// Cuts `text` into about `chunks` pieces at whitespace, never inside a word.
fn split_text(text: &str, chunks: usize) -> Vec<String> {
    let target = text.len().div_ceil(chunks).max(1);
    let mut pieces = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = target.min(rest.len());
        while !rest.is_char_boundary(end)
            || (end < rest.len() && !rest[end..].starts_with(char::is_whitespace))
        {
            end += 1;
        }
        pieces.push(rest[..end].to_owned());
        rest = &rest[end..];
    }
    pieces
}

/// A reproducible text: 200 000 words drawn from a small vocabulary with a
/// skewed (Zipf-like) frequency, so that some words are far more common.
fn sample_text() -> String {
    const VOCABULARY: &[&str] = &[
        "the", "of", "and", "to", "a", "in", "is", "it", "that", "thread", "task", "queue",
        "worker", "lock", "message", "broker", "redis", "rust", "python", "celery", "result",
        "retry", "channel", "process", "parallel", "future", "map", "reduce", "word", "count",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut text = String::new();
    for i in 0..200_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        // Rank r is picked with probability about proportional to 1/r.
        let u = (state >> 11) as f64 / (1u64 << 53) as f64;
        let rank = ((VOCABULARY.len() as f64 + 1.0).powf(u) - 1.0) as usize;
        text.push_str(VOCABULARY[rank.min(VOCABULARY.len() - 1)]);
        text.push(if i % 12 == 11 { '\n' } else { ' ' });
    }
    text
}

#[tokio::main]
async fn main() {
    let options = Options::from_env(&[
        ("redis", "redis://127.0.0.1:6379"),
        ("role", "producer"),
        ("workers", "2"),
        ("chunks", "8"),
        ("partitions", "4"),
        ("file", ""),
    ]);
    let redis: String = options.get("redis");
    let role: String = options.get("role");
    let workers: usize = options.get("workers");
    let chunks = options.positive("chunks");
    let partitions = options.positive("partitions");
    let file: String = options.get("file");
    if role != "producer" && role != "worker" {
        fail(format_args!(
            "--role must be producer or worker, not '{role}'"
        ));
    }
    if workers > MAX_WORKERS || partitions > MAX_PARTITIONS {
        fail(format_args!(
            "at most {MAX_WORKERS} --workers and {MAX_PARTITIONS} --partitions"
        ));
    }

    let mut storage = task_queue::open(&redis, QUEUE).await;

    if role == "worker" {
        let worker = WorkerBuilder::new(format!("wc-{}", std::process::id()))
            .backend(storage)
            .concurrency(1)
            .build(run_job);
        println!("ready");
        if let Err(e) = worker.run_until(worker_processes::stdin_closed()).await {
            eprintln!("error: worker stopped: {e}");
            std::process::exit(1);
        }
        return;
    }

    let text = match file.as_str() {
        "" => sample_text(),
        path => std::fs::read_to_string(path).unwrap_or_else(|e| fail(format_args!("{path}: {e}"))),
    };
    let pieces = split_text(&text, chunks);
    if let Some(big) = pieces.iter().find(|piece| piece.len() > MAX_CHUNK_BYTES) {
        fail(format_args!(
            "a chunk of {} bytes is over the {MAX_CHUNK_BYTES}-byte limit: use more --chunks",
            big.len()
        ));
    }
    let children = worker_processes::start(workers, |_| {
        ["--role", "worker", "--redis", &redis]
            .map(String::from)
            .to_vec()
    });
    let counts = word_count(&mut storage, pieces.clone(), partitions).await;
    worker_processes::stop(children);

    let mut serial = Counts::new();
    for word in words(&text) {
        *serial.entry(word).or_default() += 1;
    }
    let total: u64 = counts.values().sum();
    println!(
        "{} map tasks, {partitions} reduce tasks, {workers} workers",
        pieces.len()
    );
    println!("{total} words, {} distinct", counts.len());
    let mut top: Vec<(&String, &u64)> = counts.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (word, count) in top.iter().take(10) {
        println!("{count:>8}  {word}");
    }
    assert_eq!(
        counts, serial,
        "the distributed count differs from the serial one"
    );
    println!("equal to a serial count: yes");
}
