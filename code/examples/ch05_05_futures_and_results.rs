//! Recipe 5.5: futures and results. A `oneshot` channel as a promise that one
//! task fulfils and another awaits, a "done callback" as code after an await,
//! `select!` to take whichever of several futures finishes first, and
//! `timeout` to give up on one, which cancels it.
//!
//! Run: cargo run -p cookbook --example ch05_05_futures_and_results [-- --limit-ms 20]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate tokio;

use clap::Parser;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::{sleep, timeout};

// ANCHOR: promise
/// The producer half of a promise: compute, then fulfil it. Sending consumes
/// the sender, so a oneshot result is set at most once.
async fn compute_into(promise: oneshot::Sender<u64>, n: u64) {
    tokio::task::yield_now().await;
    let result = (1..=n).product();
    // Err means nobody is waiting any more: the receiver was dropped.
    let _ = promise.send(result);
}

/// The consumer half, with a "done callback": whatever must happen when the
/// result is there is written after the await.
async fn await_with_callback() -> String {
    let (promise, result) = oneshot::channel();
    tokio::spawn(compute_into(promise, 10));
    let on_done = |value: u64| format!("callback got 10! = {value}");
    on_done(result.await.expect("the producer sent a value"))
}

/// A promise nobody fulfils: the sender is dropped, and the receiver says so
/// instead of waiting forever.
async fn broken_promise() -> bool {
    let (promise, result) = oneshot::channel::<u64>();
    tokio::spawn(async move { drop(promise) }); // gave up without a result
    result.await.is_err()
}
// ANCHOR_END: promise

// ANCHOR: select
/// Waits for a result or a shutdown signal, whichever comes first. Both
/// branches are futures; the one that loses is dropped, that is, cancelled.
async fn result_or_shutdown(
    result: oneshot::Receiver<u64>,
    shutdown: oneshot::Receiver<()>,
) -> String {
    tokio::select! {
        value = result => format!("result {}", value.expect("sender kept")),
        _ = shutdown => "shutdown first".to_owned(),
    }
}
// ANCHOR_END: select

// ANCHOR: timeout
/// Something slow that notices being cancelled: its guard sets a flag when
/// the future is dropped before it finished.
async fn slow_lookup(cancelled: Arc<AtomicBool>) -> u64 {
    struct Guard(Arc<AtomicBool>, bool);
    impl Drop for Guard {
        fn drop(&mut self) {
            if !self.1 {
                self.0.store(true, Ordering::SeqCst);
            }
        }
    }
    let mut guard = Guard(cancelled, false);
    sleep(Duration::from_secs(3600)).await; // longer than anyone will wait
    guard.1 = true; // finished normally
    42
}
// ANCHOR_END: timeout

/// Promises, `select!` and `timeout` on a tokio runtime.
#[derive(Parser)]
struct Args {
    /// The time limit given to `timeout`, in milliseconds; the slow lookup
    /// waits that long before it is cancelled.
    #[arg(long, default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    limit_ms: u64,
}

fn main() {
    let Args { limit_ms } = parse_args();
    let limit = Duration::from_millis(limit_ms);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("build the runtime");

    // ANCHOR: main
    runtime.block_on(async {
        let message = await_with_callback().await;
        assert_eq!(message, "callback got 10! = 3628800");
        println!("oneshot: {message}");
        assert!(broken_promise().await);
        println!("oneshot: sender dropped without a value -> the receiver gets RecvError");

        // The result is already there; the shutdown signal never comes.
        let (send_result, result) = oneshot::channel();
        let (_keep_open, shutdown) = oneshot::channel();
        send_result.send(7).unwrap();
        let first = result_or_shutdown(result, shutdown).await;
        assert_eq!(first, "result 7");
        // The other way round: no result, shutdown signalled.
        let (_no_result, result) = oneshot::channel();
        let (signal, shutdown) = oneshot::channel();
        signal.send(()).unwrap();
        let second = result_or_shutdown(result, shutdown).await;
        assert_eq!(second, "shutdown first");
        println!("select!: {first}; then {second}");

        // timeout = wait_for: Ok(value) in time, Err(Elapsed) otherwise.
        let quick = timeout(limit, async { 6 * 7 }).await;
        assert_eq!(quick, Ok(42));
        let cancelled = Arc::new(AtomicBool::new(false));
        let slow = timeout(limit, slow_lookup(Arc::clone(&cancelled))).await;
        assert!(slow.is_err());
        assert!(cancelled.load(Ordering::SeqCst), "the slow future was dropped");
        println!(
            "timeout({} ms): quick -> {quick:?}; slow -> Err(Elapsed), and the slow future was cancelled",
            limit.as_millis()
        );
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
