//! Recipe 5.8: backpressure. A producer feeds a consumer through a bounded
//! channel, and a semaphore caps how many items are being worked on at once;
//! gauges record the longest queue and the most work in flight, and the
//! listing checks both stayed within their bounds. An unbounded pipeline
//! without the semaphore shows what the bounds prevent.
//!
//! Run: cargo run -p cookbook --example ch05_08_backpressure [-- --items 200 --capacity 4 --limit 8]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate tokio;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

// ANCHOR: gauge
/// A level that goes up and down, remembering the highest it has been. Signed:
/// on a multi-thread runtime a `down` can land before its matching `up`.
/// Relaxed is enough: each counter is one atomic, whose read-modify-writes
/// are never lost whatever the ordering, and the levels are statistics that
/// guard no other memory (the runtime's join makes them visible to `most`).
#[derive(Default)]
struct Gauge {
    now: AtomicIsize,
    most: AtomicIsize,
}

impl Gauge {
    fn up(&self) {
        let level = self.now.fetch_add(1, Ordering::Relaxed) + 1;
        self.most.fetch_max(level, Ordering::Relaxed);
    }
    fn down(&self) {
        self.now.fetch_sub(1, Ordering::Relaxed);
    }
    /// Sets the level to `level` (for a count kept elsewhere, such as the
    /// length of a `JoinSet`).
    fn set(&self, level: usize) {
        let level = isize::try_from(level).unwrap_or(isize::MAX);
        self.now.store(level, Ordering::Relaxed);
        self.most.fetch_max(level, Ordering::Relaxed);
    }
    fn most(&self) -> usize {
        self.most.load(Ordering::Relaxed).max(0) as usize
    }
}

/// The highest each gauge went: items queued in the channel, items being
/// worked on, and tasks kept by the consumer's `JoinSet`.
struct Maxima {
    queue: usize,
    in_flight: usize,
    kept: usize,
}

impl Maxima {
    fn of(queue: &Gauge, in_flight: &Gauge, kept: &Gauge) -> Maxima {
        Maxima {
            queue: queue.most(),
            in_flight: in_flight.most(),
            kept: kept.most(),
        }
    }
}
// ANCHOR_END: gauge

// ANCHOR: work
/// One item's work: mostly waiting (on a database, a remote service...).
async fn process(item: u64, in_flight: &Gauge) -> u64 {
    in_flight.up();
    tokio::time::sleep(Duration::from_millis(1)).await;
    in_flight.down();
    item * 2
}
// ANCHOR_END: work

// ANCHOR: bounded
/// Producer -> channel of `capacity` -> consumer, which starts a task per item
/// but only while it holds one of `limit` permits, and reaps finished tasks as
/// it goes. Returns the sum of the results and the three gauges' maxima.
async fn bounded(items: u64, capacity: usize, limit: usize) -> (u64, Maxima) {
    let queue = Arc::new(Gauge::default());
    let in_flight = Arc::new(Gauge::default());
    let kept = Gauge::default(); // tasks the JoinSet holds, finished or not
    let (sender, mut receiver) = mpsc::channel(capacity);

    let producer = tokio::spawn({
        let queue = Arc::clone(&queue);
        async move {
            for item in 0..items {
                // Waits here while the channel is full: the backpressure.
                sender.send(item).await.expect("the consumer is alive");
                queue.up();
            }
        } // the sender is dropped here, which ends the consumer's loop
    });

    let permits = Arc::new(Semaphore::new(limit));
    let mut running = JoinSet::new();
    let mut sum = 0;
    while let Some(item) = receiver.recv().await {
        queue.down();
        // Waits here while `limit` items are in flight, so it stops taking
        // items off the channel, which fills up and holds the producer back.
        let permit = Arc::clone(&permits).acquire_owned().await.expect("open");
        // A JoinSet keeps each finished task (its output, its allocation)
        // until it is joined: reap those now, or the set grows with `items`.
        while let Some(done) = running.try_join_next() {
            sum += done.expect("a worker panicked");
        }
        let in_flight = Arc::clone(&in_flight);
        running.spawn(async move {
            let result = process(item, &in_flight).await;
            drop(permit); // the next item may start
            result
        });
        kept.set(running.len());
    }
    producer.await.expect("the producer panicked");
    while let Some(done) = running.join_next().await {
        sum += done.expect("a worker panicked");
    }
    (sum, Maxima::of(&queue, &in_flight, &kept))
}
// ANCHOR_END: bounded

// ANCHOR: unbounded
/// The same pipeline with no bounds: the producer never waits, and the
/// consumer starts everything it receives (and reaps the same way).
async fn unbounded(items: u64) -> (u64, Maxima) {
    let queue = Arc::new(Gauge::default());
    let in_flight = Arc::new(Gauge::default());
    let kept = Gauge::default();
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let producer = tokio::spawn({
        let queue = Arc::clone(&queue);
        async move {
            for item in 0..items {
                sender.send(item).expect("the consumer is alive");
                queue.up();
            }
        }
    });
    let mut running = JoinSet::new();
    let mut sum = 0;
    while let Some(item) = receiver.recv().await {
        queue.down();
        while let Some(done) = running.try_join_next() {
            sum += done.expect("a worker panicked");
        }
        let in_flight = Arc::clone(&in_flight);
        running.spawn(async move { process(item, &in_flight).await });
        kept.set(running.len());
    }
    producer.await.expect("the producer panicked");
    while let Some(done) = running.join_next().await {
        sum += done.expect("a worker panicked");
    }
    (sum, Maxima::of(&queue, &in_flight, &kept))
}
// ANCHOR_END: unbounded

/// A bounded pipeline (channel and semaphore) next to an unbounded one.
#[derive(Parser)]
struct Args {
    /// Items the producer sends. Each waits a millisecond or two, so with
    /// `--limit 1` the most items take about 10 s.
    #[arg(long, default_value_t = 200,
          value_parser = clap::value_parser!(u64).range(1..=5_000))]
    items: u64,
    /// The channel's capacity.
    #[arg(long, default_value_t = 4,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    capacity: usize,
    /// Items worked on at once (permits of the semaphore).
    #[arg(long, default_value_t = 8,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    limit: usize,
}

fn main() {
    let Args {
        items,
        capacity,
        limit,
    } = parse_args();

    // One thread: tasks interleave in an order that is the same on every run.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("build the runtime");

    // ANCHOR: main
    let expected: u64 = (0..items).map(|item| item * 2).sum();
    let (sum, most) = runtime.block_on(bounded(items, capacity, limit));
    assert_eq!(sum, expected, "every item processed once");
    assert!(most.queue <= capacity, "queue above its capacity");
    assert!(most.in_flight <= limit, "more than {limit} items in flight");
    // Finished tasks are reaped before each new one starts, so the JoinSet
    // never holds more than the tasks that hold permits.
    assert!(most.kept <= limit, "the JoinSet kept {} tasks", most.kept);
    println!("{items} items, channel capacity {capacity}, semaphore {limit} permits:");
    println!(
        "  longest queue {}, most in flight {}, most tasks kept {}, sum {sum}",
        most.queue, most.in_flight, most.kept
    );

    let (sum, most) = runtime.block_on(unbounded(items));
    assert_eq!(sum, expected);
    println!("{items} items, unbounded channel, no semaphore:");
    println!(
        "  longest queue {}, most in flight {}, most tasks kept {}, sum {sum}",
        most.queue, most.in_flight, most.kept
    );
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
