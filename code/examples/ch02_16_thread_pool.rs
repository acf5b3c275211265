// Recipe 2.16: thread pools. A teaching pool built in two stages (a set of
// workers fed from a shared queue; then jobs whose results come back through
// handles), used for fire-and-forget jobs, jobs with results and a job that
// panics; then rayon's `ThreadPool`: `install`, `spawn` with a one-message
// channel for the result, and `scope` for jobs that borrow local data.
//
// Run: cargo run -p cookbook --example ch02_16_thread_pool [-- --workers 2 --jobs 1000 --limit 200000]
//
// (Plain comments, not `//!`: code/tests/loom.rs includes this file as a
// module to model-check the pool, and inner doc comments cannot be included.)

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate crossbeam;
extern crate rayon;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use crossbeam::channel;
use rayon::prelude::*;
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;

type Job = Box<dyn FnOnce() + Send + 'static>;

// ANCHOR: workers
/// Stage 1: a fixed set of worker threads that take jobs from a shared queue.
pub struct Workers {
    shared: Arc<Shared>,
    threads: Vec<thread::JoinHandle<()>>,
}

struct Shared {
    queue: Mutex<Queue>,
    job_queued: Condvar,
}

struct Queue {
    jobs: VecDeque<Job>,
    closed: bool,
}

impl Workers {
    pub fn new(count: usize) -> Self {
        assert!(count > 0, "a pool needs at least one worker");
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                closed: false,
            }),
            job_queued: Condvar::new(),
        });
        let threads = (0..count)
            .map(|_| {
                let shared = Arc::clone(&shared);
                thread::spawn(move || shared.work())
            })
            .collect();
        Workers { shared, threads }
    }

    /// Queues `job`; some idle worker will run it.
    pub fn execute(&self, job: impl FnOnce() + Send + 'static) {
        self.shared.queue().jobs.push_back(Box::new(job));
        self.shared.job_queued.notify_one();
    }
}
// ANCHOR_END: workers

// ANCHOR: work
impl Shared {
    /// A worker's life: take the next job, run it without holding the lock,
    /// and stop once the queue is closed and empty.
    fn work(&self) {
        loop {
            let job = {
                let mut queue = self.queue();
                loop {
                    if let Some(job) = queue.jobs.pop_front() {
                        break job;
                    }
                    if queue.closed {
                        return;
                    }
                    queue = self
                        .job_queued
                        .wait(queue)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            };
            // A panicking job must not take its worker down with it.
            let _ = catch_unwind(AssertUnwindSafe(job));
        }
    }

    /// The queue, locked. No job runs under this lock, so poisoning cannot
    /// happen; ignoring it keeps every other worker going regardless.
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Workers {
    /// Runs every queued job, then stops the workers and waits for them.
    fn drop(&mut self) {
        self.shared.queue().closed = true;
        self.shared.job_queued.notify_all();
        for thread in self.threads.drain(..) {
            thread.join().expect("workers catch job panics");
        }
    }
}
// ANCHOR_END: work

// ANCHOR: submit
/// Stage 2: the workers of stage 1, plus `submit`, whose handle gives the
/// job's result back.
pub struct ThreadPool {
    workers: Workers,
}

/// The pending result of a submitted job.
pub struct JobHandle<T> {
    slot: Arc<Slot<T>>,
}

/// Where a worker leaves a result: `None` until the job has finished.
struct Slot<T> {
    result: Mutex<Option<thread::Result<T>>>,
    filled: Condvar,
}

impl ThreadPool {
    pub fn new(workers: usize) -> Self {
        ThreadPool {
            workers: Workers::new(workers),
        }
    }

    pub fn execute(&self, job: impl FnOnce() + Send + 'static) {
        self.workers.execute(job);
    }

    /// Queues `job` and returns a handle to its result.
    pub fn submit<T, F>(&self, job: F) -> JobHandle<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let slot = Arc::new(Slot {
            result: Mutex::new(None),
            filled: Condvar::new(),
        });
        let worker_slot = Arc::clone(&slot);
        self.workers.execute(move || {
            // Catch the panic here, so the caller gets it from `join`.
            let result = catch_unwind(AssertUnwindSafe(job));
            *worker_slot.lock() = Some(result);
            worker_slot.filled.notify_one();
        });
        JobHandle { slot }
    }
}
// ANCHOR_END: submit

// ANCHOR: handle
impl<T> JobHandle<T> {
    /// Waits for the job; `Err` carries the panic of a job that panicked.
    pub fn join(self) -> thread::Result<T> {
        let mut result = self.slot.lock();
        loop {
            match result.take() {
                Some(result) => return result,
                None => {
                    result = self
                        .slot
                        .filled
                        .wait(result)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            }
        }
    }

    /// Waits for the job and returns its value, re-raising its panic here.
    pub fn value(self) -> T {
        self.join().unwrap_or_else(|panic| resume_unwind(panic))
    }
}

impl<T> Slot<T> {
    fn lock(&self) -> MutexGuard<'_, Option<thread::Result<T>>> {
        self.result.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
// ANCHOR_END: handle

/// Counts the primes in `range` by trial division: a job with a checkable answer.
fn count_primes(range: std::ops::Range<u64>) -> usize {
    let is_prime = |n: u64| n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0);
    range.filter(|&n| is_prime(n)).count()
}

/// `0..limit` cut into `parts` consecutive ranges.
fn ranges(limit: u64, parts: u64) -> Vec<std::ops::Range<u64>> {
    let step = limit.div_ceil(parts);
    (0..parts)
        .map(|i| (i * step).min(limit)..((i + 1) * step).min(limit))
        .collect()
}

// ANCHOR: teaching
fn teaching_pool(workers: usize, jobs: usize, limit: u64) -> usize {
    let pool = ThreadPool::new(workers);

    // Fire and forget: `execute` returns at once, some worker runs the job later.
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..jobs {
        let ran = Arc::clone(&ran);
        pool.execute(move || {
            // Relaxed: the add is indivisible whatever the ordering, and the
            // count is read after dropping the pool has joined its workers.
            ran.fetch_add(1, Ordering::Relaxed);
        });
    }

    // Submit and collect: each handle is a future result, like Python's Future.
    let handles: Vec<_> = ranges(limit, 8)
        .into_iter()
        .map(|range| pool.submit(move || count_primes(range)))
        .collect();
    let primes: usize = handles.into_iter().map(|handle| handle.value()).sum();

    // A panicking job does not kill its worker: the panic comes back as an Err.
    let failing = pool.submit(|| -> usize { panic!("job failed") });
    assert!(failing.join().is_err());
    assert_eq!(
        pool.submit(|| 6 * 7).value(),
        42,
        "the workers still take jobs"
    );

    drop(pool); // runs what is still queued, then joins the workers
    assert_eq!(
        ran.load(Ordering::Relaxed), // Relaxed: the join ordered every add before this
        jobs,
        "every job ran exactly once"
    );
    println!(
        "teaching pool, {workers} workers: {jobs} executed jobs ran, 8 submitted jobs found {primes} primes"
    );
    println!("teaching pool: a panicking job came back as Err, the next job still ran");
    primes
}
// ANCHOR_END: teaching

// ANCHOR: rayon
fn rayon_pool(workers: usize, limit: u64) -> usize {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .thread_name(|i| format!("pool-{i}"))
        .build()
        .expect("the pool's threads start");

    // install: run a closure inside the pool; parallel iterators in it use the
    // pool's threads, not rayon's global pool.
    let (threads, by_install) = pool.install(|| {
        let count = ranges(limit, 8)
            .into_par_iter()
            .map(count_primes)
            .sum::<usize>();
        (rayon::current_num_threads(), count)
    });

    // spawn: fire and forget; a oneshot channel carries the result back.
    let (result_tx, result_rx) = channel::bounded(1);
    pool.spawn(move || {
        let name = std::thread::current()
            .name()
            .unwrap_or("?")
            .starts_with("pool-");
        result_tx.send((name, count_primes(0..limit))).unwrap();
    });
    let (on_pool_thread, by_spawn) = result_rx.recv().unwrap();
    assert!(on_pool_thread);

    // scope: jobs that borrow local data; the scope waits for all of them.
    let parts = ranges(limit, 8);
    let mut counts = vec![0; parts.len()];
    pool.scope(|scope| {
        for (range, count) in parts.iter().zip(counts.iter_mut()) {
            scope.spawn(move |_| *count = count_primes(range.clone()));
        }
    });
    let by_scope: usize = counts.iter().sum();

    assert_eq!(
        (by_install, by_spawn),
        (by_scope, by_scope),
        "three ways, one answer"
    );
    println!(
        "rayon pool of {threads} threads: install {by_install}, spawn {by_spawn}, scope {by_scope} primes"
    );
    by_scope
}
// ANCHOR_END: rayon

/// The teaching pool and rayon's pool count the same primes.
#[derive(Parser)]
struct Args {
    /// Worker threads in each pool.
    #[arg(long, default_value_t = 2,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    workers: usize,
    /// Fire-and-forget jobs for the teaching pool.
    #[arg(long, default_value_t = 1000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    jobs: usize,
    /// Count the primes below this number.
    #[arg(long, default_value_t = 200_000,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    limit: u64,
}

fn main() {
    let Args {
        workers,
        jobs,
        limit,
    } = parse_args();

    // ANCHOR: main
    let serial = count_primes(0..limit);
    let by_teaching_pool = teaching_pool(workers, jobs, limit);
    let by_rayon = rayon_pool(workers, limit);
    assert_eq!((by_teaching_pool, by_rayon), (serial, serial));
    println!("primes below {limit}: {serial} (serial), the same from both pools");
    // ANCHOR_END: main
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
