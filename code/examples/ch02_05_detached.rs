//! Recipe 2.5: detached threads. A thread whose handle is dropped keeps running,
//! but only until `main` returns: the process exits and takes it along. The
//! listing shows that in a child process (itself, started again in the `child`
//! role), then shuts workers down cleanly: with a stop flag, and by closing
//! their channel.
//!
//! Run: cargo run -p cookbook --example ch02_05_detached [-- --jobs 100]
//! Child role (started by the program itself): --role child

extern crate clap; // named for `mdbook test`; Cargo does not need it

use clap::{Parser, ValueEnum};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long the child's detached worker would need to finish.
const WORKER_NEEDS: Duration = Duration::from_secs(3);

// ANCHOR: child
/// The child role: start a worker, never join it, return from `main`.
fn child() {
    let (started_tx, started_rx) = mpsc::channel();
    // Dropping the JoinHandle detaches the thread: nobody can join it any more.
    drop(thread::spawn(move || {
        println!("worker: started, needs {WORKER_NEEDS:?} to finish");
        started_tx.send(()).expect("main is waiting");
        thread::sleep(WORKER_NEEDS); // stands in for long work
        println!("worker: finished");
    }));
    started_rx.recv().expect("the worker starts");
    println!("main: returning without joining the worker");
}
// ANCHOR_END: child

// ANCHOR: parent
/// Runs this program again as a child and shows what the child printed.
fn run_child() -> (Vec<String>, Duration) {
    let program = std::env::current_exe().expect("path of this program");
    let start = Instant::now();
    let output = Command::new(program)
        .args(["--role", "child"])
        .output()
        .expect("the child runs");
    let elapsed = start.elapsed();
    assert!(output.status.success(), "child failed: {:?}", output.status);
    let lines = String::from_utf8(output.stdout)
        .expect("text")
        .lines()
        .map(str::to_owned)
        .collect();
    (lines, elapsed)
}
// ANCHOR_END: parent

// ANCHOR: stop_flag
/// A worker that repeats a unit of work until asked to stop. It reports every
/// finished unit, and main raises the flag once it has seen `wait_for` of them.
fn stop_with_flag(wait_for: usize) -> (usize, usize) {
    let stop = Arc::new(AtomicBool::new(false));
    let (done_tx, done_rx) = mpsc::channel();
    let worker = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let mut units = 0;
            // The flag is checked between units, so a unit is never cut short.
            while !stop.load(Ordering::Acquire) {
                thread::sleep(Duration::from_millis(2)); // one unit of work
                units += 1;
                done_tx.send(units).expect("main keeps the receiver");
            }
            units
        })
    };
    for _ in 0..wait_for {
        done_rx.recv().expect("the worker reports");
    }
    // Release pairs with the worker's Acquire: anything main writes before
    // raising the flag is visible to the worker once it sees the flag. Nothing
    // is written yet, so Relaxed would do today; the pair costs nothing on
    // x86-64 and keeps the flag correct if a shutdown message is added later.
    stop.store(true, Ordering::Release);
    let units = worker.join().expect("the worker did not panic");
    // Whatever the worker finished after main's last recv is still queued.
    let reported = wait_for + done_rx.try_iter().count();
    (units, reported)
}
// ANCHOR_END: stop_flag

// ANCHOR: close_channel
/// A worker that serves jobs until its channel is closed, then returns.
fn stop_by_closing(jobs: u64) -> (u64, u64) {
    let (job_tx, job_rx) = mpsc::channel::<u64>();
    let worker = thread::spawn(move || {
        let (mut served, mut total) = (0, 0);
        // The loop ends when every sender is gone and the queue is empty.
        for job in job_rx {
            served += 1;
            total += job;
        }
        (served, total)
    });
    for job in 1..=jobs {
        job_tx.send(job).expect("the worker is running");
    }
    drop(job_tx); // the shutdown signal: no more jobs will come
    worker.join().expect("the worker did not panic")
}
// ANCHOR_END: close_channel

/// A detached thread killed at exit, then two clean shutdowns.
#[derive(Parser)]
struct Args {
    /// Jobs sent to the channel worker.
    #[arg(long, default_value_t = 100,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    jobs: u64,
    /// The parent starts this program again in the child role.
    #[arg(long, value_enum, default_value_t = Role::Parent)]
    role: Role,
}

/// Which part this process plays.
#[derive(Clone, Copy, ValueEnum)]
enum Role {
    Parent,
    Child,
}

fn main() {
    let Args { jobs, role } = parse_args();
    if let Role::Child = role {
        return child();
    }

    // ANCHOR: main
    let (lines, elapsed) = run_child();
    println!("the child printed:");
    for line in &lines {
        println!("  | {line}");
    }
    assert_eq!(lines.len(), 2, "the worker never printed 'finished'");
    assert!(
        elapsed < WORKER_NEEDS,
        "the child did not wait for its worker"
    );
    println!(
        "the child exited after {:.3} s; its worker would have needed {:.3} s",
        elapsed.as_secs_f64(),
        WORKER_NEEDS.as_secs_f64()
    );

    let wait_for = 5;
    let (units, reported) = stop_with_flag(wait_for);
    assert!(units >= wait_for, "the worker ran until stopped");
    assert_eq!(units, reported, "every finished unit was reported");
    println!(
        "stop flag: raised after {wait_for} units; the worker finished its last unit and returned"
    );

    let (served, total) = stop_by_closing(jobs);
    assert_eq!(served, jobs);
    assert_eq!(total, jobs * (jobs + 1) / 2);
    println!("closed channel: the worker served all {served} jobs (total {total}) and returned");
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
