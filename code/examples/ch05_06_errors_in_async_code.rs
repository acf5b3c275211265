//! Recipe 5.6: errors in async code. Tasks return `Result`, `?` carries an
//! error out of a task and out of the function that joined it, a panic in a
//! task becomes a `JoinError`, and the first error cancels the sibling tasks.
//!
//! Run: cargo run -p cookbook --example ch05_06_errors_in_async_code [-- --jobs 6 --failing 3]

extern crate clap; // named for `mdbook test`; Cargo does not need these
extern crate tokio;

use clap::Parser;
use std::fmt;
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinError, JoinSet};

// ANCHOR: errors
/// What a job can get wrong: the errors of the domain, as values.
#[derive(Debug, PartialEq)]
enum JobError {
    BadInput { job: u32, reason: &'static str },
}

/// What running jobs can get wrong: a job's own error, or its task dying.
#[derive(Debug)]
enum RunError {
    Job(JobError),
    Task(JoinError),
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobError::BadInput { job, reason } => write!(f, "job {job}: {reason}"),
        }
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Job(e) => write!(f, "{e}"),
            RunError::Task(e) if e.is_panic() => write!(f, "a task panicked"),
            RunError::Task(_) => write!(f, "a task was cancelled"),
        }
    }
}

impl std::error::Error for JobError {}
impl std::error::Error for RunError {}

// These two make `?` convert either error into a RunError.
impl From<JobError> for RunError {
    fn from(e: JobError) -> Self {
        RunError::Job(e)
    }
}

impl From<JoinError> for RunError {
    fn from(e: JoinError) -> Self {
        RunError::Task(e)
    }
}
// ANCHOR_END: errors

// ANCHOR: jobs
/// A job: fails at once if it is the failing one, otherwise works until told
/// to finish. It owns a `Farewell`, which reports on a channel when the job's
/// future is dropped: finished, failed, or cancelled, even before it started.
async fn job(
    id: u32,
    failing: Option<u32>,
    mut finish: watch::Receiver<bool>,
    _farewell: Farewell,
) -> Result<u64, JobError> {
    if Some(id) == failing {
        return Err(JobError::BadInput {
            job: id,
            reason: "negative size",
        });
    }
    finish.wait_for(|&go| go).await.expect("sender kept");
    Ok(u64::from(id) * 10)
}

struct Farewell(u32, mpsc::UnboundedSender<u32>);

impl Drop for Farewell {
    fn drop(&mut self) {
        let _ = self.1.send(self.0);
    }
}

/// Runs all jobs; the first error ends the function through `?`, and the
/// JoinSet, dropped on the way out, aborts the jobs still running.
async fn run_all(
    jobs: u32,
    failing: Option<u32>,
    finish: &watch::Receiver<bool>,
    gone: &mpsc::UnboundedSender<u32>,
) -> Result<Vec<u64>, RunError> {
    let mut set = JoinSet::new();
    for id in 0..jobs {
        set.spawn(job(id, failing, finish.clone(), Farewell(id, gone.clone())));
    }
    let mut results = Vec::new();
    while let Some(joined) = set.join_next().await {
        // Two layers: JoinError (the task died) around JobError (the job failed).
        results.push(joined??);
    }
    results.sort_unstable();
    Ok(results)
}
// ANCHOR_END: jobs

// ANCHOR: panic
/// A task that panics does not take the program down: its JoinHandle returns
/// Err(JoinError) with is_panic(), and into_panic() gives back the payload.
async fn catch_a_panic() -> String {
    let handle = tokio::spawn(async {
        let sizes: Vec<usize> = Vec::new();
        sizes[0] // index out of bounds: panics
    });
    let error = handle.await.expect_err("the task panicked");
    assert!(error.is_panic() && !error.is_cancelled());
    let payload = error.into_panic();
    // A panic payload is a String (formatted message) or a &'static str.
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}
// ANCHOR_END: panic

/// Errors, cancellation and panics in a group of tokio tasks.
#[derive(Parser)]
struct Args {
    /// Jobs in the group.
    #[arg(long, default_value_t = 6,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    jobs: u32,
    /// Which job fails; it must be below `--jobs`.
    #[arg(long, default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(0..=9_999))]
    failing: u32,
}

fn main() {
    let Args { jobs, failing } = parse_args();
    if failing >= jobs {
        eprintln!("error: --failing must be the number of one of the jobs (below --jobs)");
        std::process::exit(2);
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("build the runtime");

    // ANCHOR: main
    runtime.block_on(async {
        let (gone, mut farewells) = mpsc::unbounded_channel();

        // All jobs succeed once told to finish.
        let (finish, finish_rx) = watch::channel(true);
        let results = run_all(jobs, None, &finish_rx, &gone).await;
        let expected: Vec<u64> = (0..u64::from(jobs)).map(|id| id * 10).collect();
        assert_eq!(results.as_ref().ok(), Some(&expected));
        println!("no failure: Ok({expected:?})");
        for _ in 0..jobs {
            farewells.recv().await.expect("each job says goodbye");
        }

        // One job fails while the others are still working.
        finish.send_replace(false);
        let error = run_all(jobs, Some(failing), &finish_rx, &gone)
            .await
            .expect_err("one job fails");
        assert!(matches!(error, RunError::Job(JobError::BadInput { job, .. }) if job == failing));
        println!("job {failing} fails: Err({error})");
        // Every job's future is dropped: the failed one, and the aborted rest.
        let mut ended: Vec<u32> = Vec::new();
        for _ in 0..jobs {
            ended.push(farewells.recv().await.expect("each job is dropped"));
        }
        ended.sort_unstable();
        assert_eq!(ended, (0..jobs).collect::<Vec<_>>());
        println!(
            "  the other {} jobs were cancelled: all {jobs} futures dropped, none finished",
            jobs - 1
        );

        let message = catch_a_panic().await;
        assert!(message.contains("index out of bounds"));
        println!("a panicking task: JoinError::is_panic() = true, payload: {message:?}");
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
