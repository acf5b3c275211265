//! Recipe 1.3: four programming models, one problem. The sum of 1..=n computed
//! with shared memory, message passing, data parallelism and task parallelism.
//!
//! Run: cargo run -p cookbook --example ch01_03_programming_models [-- --n 1000000 --workers 4]

extern crate clap; // named for `mdbook test`; Cargo does not need it
extern crate rayon;
extern crate tokio;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use rayon::prelude::*;
use std::sync::{Arc, Mutex, mpsc};
use std::thread;

// ANCHOR: shared_memory
/// Shared memory: every worker adds its partial sum into one total behind a lock.
fn sum_shared_memory(values: &[u64], workers: usize) -> u64 {
    let total = Mutex::new(0);
    let chunk = values.len().div_ceil(workers);
    thread::scope(|scope| {
        for part in values.chunks(chunk) {
            let total = &total;
            scope.spawn(move || {
                let partial: u64 = part.iter().sum();
                *total.lock().unwrap() += partial;
            });
        }
    });
    total.into_inner().unwrap()
}
// ANCHOR_END: shared_memory

// ANCHOR: message_passing
/// Message passing: workers share nothing; each sends its partial sum to the
/// main thread over a channel.
fn sum_message_passing(values: &[u64], workers: usize) -> u64 {
    let (sender, receiver) = mpsc::channel();
    let chunk = values.len().div_ceil(workers);
    thread::scope(|scope| {
        for part in values.chunks(chunk) {
            let sender = sender.clone();
            scope.spawn(move || sender.send(part.iter().sum::<u64>()).unwrap());
        }
    });
    // The last sender must go, or the loop below would wait for more messages forever.
    drop(sender);
    receiver.iter().sum()
}
// ANCHOR_END: message_passing

// ANCHOR: data_parallel
/// Data parallelism: say what to do with every element; rayon splits the data
/// and balances it over its pool of threads.
fn sum_data_parallel(values: &[u64]) -> u64 {
    values.par_iter().sum()
}
// ANCHOR_END: data_parallel

// ANCHOR: task_parallel
/// Task parallelism: independent tasks handed to a scheduler (tokio's runtime
/// here), awaited for their results.
fn sum_task_parallel(values: Arc<Vec<u64>>, workers: usize) -> u64 {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .unwrap();
    runtime.block_on(async {
        let chunk = values.len().div_ceil(workers);
        let tasks: Vec<_> = (0..values.len())
            .step_by(chunk)
            .map(|start| {
                let values = Arc::clone(&values);
                let end = (start + chunk).min(values.len());
                tokio::spawn(async move { values[start..end].iter().sum::<u64>() })
            })
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task.await.unwrap();
        }
        total
    })
}
// ANCHOR_END: task_parallel

/// The sum of 1 to n in four programming models.
#[derive(Parser)]
struct Args {
    /// Sum the numbers 1 to N. At most 100 000 000: the numbers are kept in
    /// memory.
    #[arg(long, default_value_t = 1_000_000,
          value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    n: u64,
    /// Threads or tasks.
    #[arg(long, default_value_t = 4,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    workers: usize,
}

fn main() {
    let Args { n, workers } = parse_args();

    // ANCHOR: main
    let values: Vec<u64> = (1..=n).collect();
    let expected = n * (n + 1) / 2; // Gauss: 1 + 2 + ... + n

    let results = [
        (
            "shared memory (threads + Mutex)",
            sum_shared_memory(&values, workers),
        ),
        (
            "message passing (mpsc channel)",
            sum_message_passing(&values, workers),
        ),
        ("data parallel (rayon par_iter)", sum_data_parallel(&values)),
        (
            "task parallel (tokio tasks)",
            sum_task_parallel(Arc::new(values), workers),
        ),
    ];

    println!("sum of 1..={n} with {workers} workers");
    for (model, sum) in results {
        println!("{model:<34} {sum}");
        assert_eq!(sum, expected, "{model} got the wrong sum");
    }
    println!("{:<34} {expected}", "closed form n(n+1)/2");
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
