//! Recipe 2.14: channels and queues. std's `mpsc` (unbounded and bounded),
//! crossbeam's multi-consumer channels and `select!` with a timeout, and a
//! three-stage producer/consumer pipeline with bounded channels between stages.
//!
//! Run: cargo run -p cookbook --example ch02_14_channels [-- --producers 3 --messages 1000 --items 100000 --workers 2]

extern crate clap; // named for `mdbook test`; Cargo does not need it
extern crate crossbeam;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use crossbeam::channel::{self, select};
use crossbeam::sync::WaitGroup;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

// ANCHOR: mpsc
/// Several producers, one consumer: std's multi-producer, single-consumer channel.
fn std_mpsc(producers: u64, messages: u64) -> (usize, u64) {
    let (sender, receiver) = mpsc::channel(); // unbounded: send never blocks
    thread::scope(|scope| {
        for p in 0..producers {
            let sender = sender.clone();
            scope.spawn(move || {
                for i in 0..messages {
                    sender.send(p * messages + i).unwrap();
                }
            }); // each clone is dropped when its thread ends
        }
        drop(sender); // ours too: the loop below ends when the last sender is gone
        let received: Vec<u64> = receiver.iter().collect();
        (received.len(), received.iter().sum())
    }) // the scope joins every producer before it returns
}

/// A bounded channel holds at most `capacity` messages; `try_send` says when it is full.
fn std_bounded() {
    let (sender, receiver) = mpsc::sync_channel(2);
    let attempts: Vec<_> = (1..=3).map(|x| sender.try_send(x)).collect();
    assert!(attempts[0].is_ok() && attempts[1].is_ok());
    assert!(matches!(attempts[2], Err(mpsc::TrySendError::Full(3))));
    println!("sync_channel(2): try_send 1 Ok, 2 Ok, 3 Err(Full(3))");
    assert_eq!(receiver.recv(), Ok(1)); // makes room: a blocked send() would now go through
    sender.send(3).unwrap();
    assert_eq!(receiver.try_iter().collect::<Vec<_>>(), [2, 3]);
}
// ANCHOR_END: mpsc

// ANCHOR: select
/// Waits on two crossbeam channels at once, and on a timeout.
fn crossbeam_select() {
    let (numbers_tx, numbers) = channel::unbounded::<u64>();
    let (words_tx, words) = channel::bounded::<&str>(1);

    select! {
        recv(numbers) -> msg => unreachable!("nothing was sent: {msg:?}"),
        recv(words) -> msg => unreachable!("nothing was sent: {msg:?}"),
        default(Duration::from_millis(20)) => println!("select!: nothing within 20 ms, timed out"),
    }

    thread::scope(|scope| {
        scope.spawn(move || (1..=10).for_each(|n| numbers_tx.send(n).unwrap()));
        scope.spawn(move || ["one", "two", "three"].map(|w| words_tx.send(w).unwrap()));
        let (mut numbers, mut words, mut open) = (numbers, words, 2);
        let (mut sum, mut letters) = (0, 0);
        while open > 0 {
            select! {
                recv(numbers) -> msg => match msg {
                    Ok(n) => sum += n,
                    // A closed channel is always ready (with an error):
                    // swap it for one that never is.
                    Err(_) => (numbers, open) = (channel::never(), open - 1),
                },
                recv(words) -> msg => match msg {
                    Ok(w) => letters += w.len(),
                    Err(_) => (words, open) = (channel::never(), open - 1),
                },
            }
        }
        assert_eq!((sum, letters), (55, 11));
        println!("select! over two channels until both closed: sum {sum}, letters {letters}");
    });
}
// ANCHOR_END: select

// ANCHOR: pipeline
/// generate -> square (`workers` threads share one receiver) -> sum.
/// Bounded channels between the stages: a fast stage waits for a slow one
/// instead of piling up messages in memory.
fn pipeline(items: u64, workers: usize) -> (u64, u64) {
    let (numbers_tx, numbers_rx) = channel::bounded::<u64>(64);
    let (squares_tx, squares_rx) = channel::bounded::<u64>(64);
    thread::scope(|scope| {
        scope.spawn(move || {
            for n in 1..=items {
                numbers_tx.send(n).unwrap();
            }
        });
        for _ in 0..workers {
            // crossbeam receivers can be cloned: each number goes to one worker.
            let (numbers_rx, squares_tx) = (numbers_rx.clone(), squares_tx.clone());
            scope.spawn(move || {
                for n in numbers_rx {
                    squares_tx.send(n * n).unwrap();
                }
            });
        }
        drop(squares_tx); // the workers hold the only senders now
        let sink = scope.spawn(move || {
            squares_rx
                .iter()
                .fold((0, 0), |(count, sum), sq| (count + 1, sum + sq))
        });
        sink.join().unwrap()
    })
}
// ANCHOR_END: pipeline

// ANCHOR: wait_group
/// Python's `queue.join()`: wait until every job sent so far has been done,
/// while the workers keep running for the next batch. Each job carries a
/// clone of the batch's `WaitGroup`; a worker drops it when the job is done
/// (`task_done()`), and `wait` returns once every clone is gone.
fn wait_for_batches(workers: usize) -> Vec<u64> {
    let (job_tx, job_rx) = channel::unbounded::<(u64, WaitGroup)>();
    let done = AtomicU64::new(0);
    thread::scope(|scope| {
        for _ in 0..workers {
            let (job_rx, done) = (job_rx.clone(), &done);
            scope.spawn(move || {
                for (job, task_done) in job_rx {
                    done.fetch_add(job, Ordering::Relaxed);
                    drop(task_done); // this job is finished
                }
            });
        }
        let mut totals = Vec::new();
        for batch in [1..=50, 51..=100] {
            let batch_done = WaitGroup::new();
            for job in batch {
                job_tx.send((job, batch_done.clone())).unwrap();
            }
            batch_done.wait(); // until every job of the batch has been done
            // Relaxed is enough: a worker adds before it drops its clone, and
            // `wait` returns only after the last drop, which it synchronises with.
            totals.push(done.load(Ordering::Relaxed));
        }
        drop(job_tx); // close the channel: the workers' loops end
        totals
    })
}
// ANCHOR_END: wait_group

/// std's mpsc channels, crossbeam's `select!`, and a three-stage pipeline.
#[derive(Parser)]
struct Args {
    /// Producer threads of the mpsc part.
    #[arg(long, default_value_t = 3,
          value_parser = clap::value_parser!(u64).range(1..=64))]
    producers: u64,
    /// Messages per producer in the mpsc part.
    #[arg(long, default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    messages: u64,
    /// Items through the pipeline. At most 1 000 000, so the sum of squares
    /// fits in a u64.
    #[arg(long, default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    items: u64,
    /// Threads of the pipeline's middle stage, and workers of the WaitGroup part.
    #[arg(long, default_value_t = 2,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    workers: usize,
}

fn main() {
    let Args {
        producers,
        messages,
        items,
        workers,
    } = parse_args();

    // ANCHOR: main
    let (count, sum) = std_mpsc(producers, messages);
    let total = producers * messages;
    assert_eq!((count as u64, sum), (total, total * (total - 1) / 2));
    println!(
        "mpsc::channel: {producers} producers x {messages} messages, received {count}, sum {sum}"
    );
    std_bounded();
    crossbeam_select();

    let (count, sum) = pipeline(items, workers);
    assert_eq!(count, items, "every item reached the end");
    assert_eq!(
        sum,
        items * (items + 1) * (2 * items + 1) / 6,
        "sum of squares"
    );
    println!("pipeline generate -> square ({workers} workers) -> sum: {count} items, sum {sum}");

    let totals = wait_for_batches(workers);
    assert_eq!(totals, [1275, 5050], "1 + ... + 50, then 1 + ... + 100");
    println!(
        "WaitGroup: jobs 1-50 all done (total {}), then 51-100 on the same workers ({})",
        totals[0], totals[1]
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
