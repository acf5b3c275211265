//! Recipe 6.7: a distributed word count, map-reduce through the task queue.
//! Map tasks count the words of one chunk each and split their counts into
//! partitions by word; reduce tasks merge one partition each; the producer
//! joins the partitions and checks the result against a serial count.
//!
//! Needs a Redis server: `redis-server --port 6379 --save ''`
//! Run: cargo run -p cookbook --features distributed --example ch06_07_map_reduce
//!      [-- --redis redis://127.0.0.1:6379 --workers 2 --chunks 8 --partitions 4 --file text.txt]

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
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

const QUEUE: &str = "cookbook-word-count";
/// Larger chunks are refused: a message should stay well below Redis's limits.
const MAX_CHUNK_BYTES: usize = 1 << 20;
/// The most a reduce task's counts may weigh, as JSON: the shuffle of a big
/// text into few partitions is refused, not sent.
const MAX_REDUCE_BYTES: usize = 4 << 20;
/// Limits on what a message or an option may ask for.
const MAX_PARTITIONS: usize = 1024;
const MAX_CHUNKS: usize = 10_000;

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
            if parts.len() > MAX_CHUNKS || json_size(&parts) > MAX_REDUCE_BYTES {
                return Err("a reduce task over the limits".into());
            }
            let mut merged = Counts::new();
            for (word, count) in parts.into_iter().flatten() {
                *merged.entry(word).or_default() += count;
            }
            Done::Reduced(merged)
        }
    })
}
// ANCHOR_END: tasks

// ANCHOR: words
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

/// An upper bound on the size of `parts` as JSON: per entry the word
/// (letters and apostrophes, which JSON does not escape), two quotes, a
/// colon, a comma and at most 20 digits; per map, its braces and a comma.
fn json_size(parts: &[Counts]) -> usize {
    let entries: usize = parts
        .iter()
        .flatten()
        .map(|(word, _)| word.len() + 24)
        .sum();
    entries + 2 * parts.len() + 2
}
// ANCHOR_END: words

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
// ANCHOR_END: phases

// ANCHOR: shuffle

async fn word_count(
    storage: &mut RedisStorage<Job>,
    chunks: Vec<String>,
    partitions: usize,
) -> Result<Counts, String> {
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
    let largest = by_partition.iter().map(|parts| json_size(parts)).max();
    if let Some(size) = largest.filter(|&size| size > MAX_REDUCE_BYTES) {
        return Err(format!(
            "a reduce task of up to {size} bytes is over the {MAX_REDUCE_BYTES}-byte limit: use more --partitions"
        ));
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
    Ok(total)
}
// ANCHOR_END: shuffle

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

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Role {
    /// Start the workers, run the two phases, check the counts.
    Producer,
    /// Take tasks until standard input closes.
    Worker,
}

/// A word count split into map and reduce tasks on a Redis queue.
#[derive(Parser)]
struct Args {
    /// The Redis server that is the broker.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis: String,
    #[arg(long, value_enum, default_value_t = Role::Producer)]
    role: Role,
    /// Worker processes the producer starts (0: you start them yourself).
    #[arg(long, default_value_t = 2,
          value_parser = RangedU64ValueParser::<usize>::new().range(0..=16))]
    workers: usize,
    /// Map tasks: the text is cut into this many chunks.
    #[arg(long, default_value_t = 8,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_CHUNKS as u64))]
    chunks: usize,
    /// Reduce tasks: the words are split into this many partitions.
    #[arg(long, default_value_t = 4,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_PARTITIONS as u64))]
    partitions: usize,
    /// The text to count (default: a sample built in).
    #[arg(long)]
    file: Option<PathBuf>,
    /// Give up when the results are not all in after this many seconds.
    #[arg(long, default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    timeout_s: u64,
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let (workers, chunks, partitions) = (args.workers, args.chunks, args.partitions);
    let mut storage = open_queue(&args.redis, QUEUE).await;

    if args.role == Role::Worker {
        let worker = WorkerBuilder::new(format!("wc-{}", std::process::id()))
            .backend(storage)
            .concurrency(1)
            .build(run_job);
        println!("ready");
        if let Err(e) = worker.run_until(stdin_closed()).await {
            eprintln!("error: worker stopped: {e}");
            std::process::exit(1);
        }
        return;
    }

    let text = match &args.file {
        None => sample_text(),
        Some(path) => std::fs::read_to_string(path)
            .unwrap_or_else(|e| usage_error(&format!("{}: {e}", path.display()))),
    };
    let pieces = split_text(&text, chunks);
    if let Some(big) = pieces.iter().find(|piece| piece.len() > MAX_CHUNK_BYTES) {
        usage_error(&format!(
            "a chunk of {} bytes is over the {MAX_CHUNK_BYTES}-byte limit: use more --chunks",
            big.len()
        ));
    }
    let mut children = Workers::start(workers, |_| {
        ["--role", "worker", "--redis", &args.redis]
            .map(String::from)
            .to_vec()
    });
    // As in recipe 6.1: a dead worker or a timeout ends the wait.
    let counts = tokio::select! {
        counts = word_count(&mut storage, pieces.clone(), partitions) => counts,
        (i, status) = children.first_exit() => fail(&format!(
            "worker {i} exited before the results were in ({status}); unfinished tasks stay queued"
        )),
        () = tokio::time::sleep(Duration::from_secs(args.timeout_s)) => fail(&format!(
            "no complete results after {} s (--timeout-s): are workers running?",
            args.timeout_s
        )),
    };
    children.stop().unwrap_or_else(|e| fail(&e));
    let counts = counts.unwrap_or_else(|e| usage_error(&e));
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
