//! Recipe 2.16: thread pools. The book's teaching pool (code/src/ch02_thread_pool):
//! fire-and-forget jobs, jobs whose results come back through handles, a job
//! that panics; then rayon's `ThreadPool`: `install`, `spawn` with a oneshot
//! channel for the result, and `scope` for jobs that borrow local data.
//!
//! Run: cargo run -p cookbook --example ch02_16_thread_pool [-- --workers 2 --jobs 1000 --limit 200000]

use cookbook::ch02_thread_pool::ThreadPool;
use cookbook::cli::Options;
use crossbeam::channel;
use rayon::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

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
        ran.load(Ordering::Relaxed),
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

fn main() {
    let options = Options::from_env(&[("workers", "2"), ("jobs", "1000"), ("limit", "200000")]);
    let workers = options.positive("workers");
    let jobs = options.positive("jobs");
    let limit = options.positive("limit") as u64;

    // ANCHOR: main
    let serial = count_primes(0..limit);
    let by_teaching_pool = teaching_pool(workers, jobs, limit);
    let by_rayon = rayon_pool(workers, limit);
    assert_eq!((by_teaching_pool, by_rayon), (serial, serial));
    println!("primes below {limit}: {serial} (serial), the same from both pools");
    // ANCHOR_END: main
}
