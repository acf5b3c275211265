//! Recipe 5.4: tasks. Spawning with `tokio::spawn`, a group of tasks in a
//! `JoinSet`, several futures in one task with `join!`, and cancelling a task
//! with `abort()`, with proof that the cancelled task stopped where it was.
//!
//! Run: cargo run -p cookbook --example ch05_04_tasks [-- --tasks 10]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate tokio;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use tokio::sync::oneshot;
use tokio::task::JoinSet;

// ANCHOR: spawn
async fn square(n: u64) -> u64 {
    tokio::task::yield_now().await; // a suspension point, as real work has
    n * n
}

/// A task per number, all running at once; results come back in the order
/// the tasks finish, so they are sorted before anyone looks at them.
async fn squares(tasks: u64) -> Vec<u64> {
    let mut set = JoinSet::new();
    for n in 0..tasks {
        set.spawn(square(n));
    }
    let mut results = Vec::with_capacity(tasks as usize);
    while let Some(joined) = set.join_next().await {
        results.push(joined.expect("a square task panicked"));
    }
    results.sort_unstable();
    results
}
// ANCHOR_END: spawn

// ANCHOR: abort
/// Sets its flag when dropped: a cancelled task's future is dropped, so its
/// locals' destructors run even though the code after the await never does.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Starts a task that waits for a message that never comes, aborts it, and
/// reports (cancelled, guard dropped, code after the await ran).
async fn abort_a_task() -> (bool, bool, bool) {
    let dropped = Arc::new(AtomicBool::new(false));
    let after_await = Arc::new(AtomicBool::new(false));
    let (started, is_started) = oneshot::channel();
    let (_never_sent, never) = oneshot::channel::<()>();
    let task = tokio::spawn({
        let guard = DropFlag(Arc::clone(&dropped));
        let after_await = Arc::clone(&after_await);
        async move {
            let _guard = guard;
            let _ = started.send(());
            let _ = never.await; // suspended here when abort() comes
            after_await.store(true, Ordering::SeqCst);
        }
    });
    is_started.await.expect("the task started"); // no sleep: a message
    task.abort();
    let error = task.await.expect_err("an aborted task does not finish");
    (
        error.is_cancelled(),
        dropped.load(Ordering::SeqCst),
        after_await.load(Ordering::SeqCst),
    )
}
// ANCHOR_END: abort

// ANCHOR: drops
/// Dropping a JoinSet aborts every task in it; dropping a JoinHandle does not:
/// the task goes on, detached. Returns (tasks cancelled by the drop, detached
/// task's message).
async fn drop_a_set_and_a_handle(tasks: usize) -> (usize, &'static str) {
    let cancelled = Arc::new(AtomicUsize::new(0));
    let (_never_sent, never) = tokio::sync::watch::channel(());
    let mut set = JoinSet::new();
    let (started, mut all_started) = tokio::sync::mpsc::channel(tasks);
    for _ in 0..tasks {
        let guard = CountOnDrop(Arc::clone(&cancelled));
        let (started, mut never) = (started.clone(), never.clone());
        set.spawn(async move {
            let _guard = guard;
            let _ = started.send(()).await;
            let _ = never.changed().await; // waits forever
        });
    }
    for _ in 0..tasks {
        all_started.recv().await.expect("every task starts");
    }
    // Aborts them all; shutdown() also waits until each is gone, so the
    // count below is final. A plain drop(set) aborts without waiting.
    set.shutdown().await;

    let (done, message) = oneshot::channel();
    let handle = tokio::spawn(async move {
        tokio::task::yield_now().await;
        let _ = done.send("finished after its handle was dropped");
    });
    drop(handle);
    let detached = message.await.expect("the detached task still runs");
    (cancelled.load(Ordering::SeqCst), detached)
}

struct CountOnDrop(Arc<AtomicUsize>);

impl Drop for CountOnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
// ANCHOR_END: drops

/// Spawning, joining and cancelling tokio tasks.
#[derive(Parser)]
struct Args {
    /// The size of the `JoinSet` group.
    #[arg(long, default_value_t = 10,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    tasks: usize,
}

fn main() {
    let Args { tasks } = parse_args();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("build the runtime");

    // ANCHOR: main
    runtime.block_on(async {
        // spawn: the task starts at once; its JoinHandle is a future of the result.
        let handle = tokio::spawn(square(12));
        let answer = handle.await.expect("the task panicked");
        assert_eq!(answer, 144);
        println!("tokio::spawn(square(12)).await = {answer}");

        let results = squares(tasks as u64).await;
        let expected: Vec<u64> = (0..tasks as u64).map(|n| n * n).collect();
        assert_eq!(results, expected);
        println!("JoinSet of {tasks} tasks, sorted results: {results:?}");

        // join!: three futures driven by this one task, no spawning.
        let (a, b, c) = tokio::join!(square(2), square(3), square(4));
        assert_eq!((a, b, c), (4, 9, 16));
        println!("join!(square(2), square(3), square(4)) = ({a}, {b}, {c})");

        let (cancelled, guard_dropped, after_await) = abort_a_task().await;
        assert!(cancelled && guard_dropped && !after_await);
        println!(
            "abort(): JoinError::is_cancelled() = {cancelled}, drop guard ran = {guard_dropped}, \
             code after the await ran = {after_await}"
        );

        let (cancelled, detached) = drop_a_set_and_a_handle(3).await;
        assert_eq!(cancelled, 3);
        println!("JoinSet::shutdown(): {cancelled} of 3 waiting tasks cancelled");
        println!("dropped JoinHandle: the task {detached}");
    });
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
