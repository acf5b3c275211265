//! Recipe 2.2: give threads names and bigger stacks with `thread::Builder`, ask a
//! thread who it is with `thread::current()`, tell threads apart by `ThreadId`,
//! and find the name again in a panic message.
//!
//! Run: cargo run -p cookbook --example ch02_02_naming [-- --workers 3 --depth 10000]

extern crate clap; // named for `mdbook test`; Cargo does not need it

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::collections::HashSet;
use std::hint::black_box;
use std::panic;
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};

// ANCHOR: named_workers
/// What a worker reports about itself.
struct Identity {
    name: Option<String>,
    id: ThreadId,
}

fn whoami() -> Identity {
    let me = thread::current();
    Identity {
        name: me.name().map(str::to_owned),
        id: me.id(),
    }
}

/// Starts `workers` named threads and one unnamed one; each reports who it is.
fn named_workers(workers: usize) -> Vec<(ThreadId, Identity)> {
    let mut handles = Vec::new();
    for i in 0..workers {
        let handle = thread::Builder::new()
            .name(format!("worker-{i}"))
            .spawn(whoami)
            .expect("the OS could not start a thread");
        handles.push(handle);
    }
    handles.push(thread::spawn(whoami));
    handles
        .into_iter()
        .map(|handle| {
            // The handle knows the thread's id from the outside, too.
            let outside = handle.thread().id();
            (outside, handle.join().expect("worker panicked"))
        })
        .collect()
}
// ANCHOR_END: named_workers

// ANCHOR: stack_size
/// Recursion that keeps a 1 KiB buffer alive in every frame: `depth` frames
/// need about `depth` KiB of stack.
fn deep(depth: u32) -> u64 {
    let frame = black_box([depth as u8; 1024]);
    if depth == 0 {
        return 0;
    }
    deep(depth - 1) + u64::from(frame[0] % 2)
}

/// Runs `deep(depth)` on a thread whose stack is large enough for it.
fn deep_on_big_stack(depth: u32) -> u64 {
    // About 1 KiB per frame when optimised, up to 3 KiB when not: ask for 4.
    let stack_bytes = (depth as usize + 64) * 4096;
    thread::Builder::new()
        .name("deep-recursion".into())
        .stack_size(stack_bytes)
        .spawn(move || deep(depth))
        .expect("the OS could not start a thread")
        .join()
        .expect("the recursion overflowed its stack")
}
// ANCHOR_END: stack_size

// ANCHOR: panic_name
/// Replaces the panic hook for a moment to record which thread panicked, as the
/// default hook would print it on stderr, then restores the default hook.
fn name_in_panic_message() -> String {
    let seen = Arc::new(Mutex::new(String::new()));
    let record = Arc::clone(&seen);
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let thread = thread::current();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .unwrap_or("(not text)");
        *record.lock().unwrap() = format!(
            "thread '{}' panicked: {message}",
            thread.name().unwrap_or("<unnamed>")
        );
    }));

    let result = thread::Builder::new()
        .name("config-parser".into())
        .spawn(|| panic!("missing key 'threads'"))
        .expect("the OS could not start a thread")
        .join();
    panic::set_hook(default_hook);

    assert!(result.is_err(), "the thread panicked");
    seen.lock().unwrap().clone()
}
// ANCHOR_END: panic_name

/// Named threads, thread ids, a bigger stack and the name in a panic message.
#[derive(Parser)]
struct Args {
    /// Named worker threads.
    #[arg(long, default_value_t = 3,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    workers: usize,
    /// How deep the recursion on the big-stack thread goes (frames of about
    /// 1 KiB each).
    #[arg(long, default_value_t = 10_000,
          value_parser = clap::value_parser!(u32).range(0..=100_000))]
    depth: u32,
}

fn main() {
    let Args { workers, depth } = parse_args();

    // ANCHOR: main
    let main_thread = whoami();
    println!("main thread:    name {:?}", main_thread.name);

    let reports = named_workers(workers);
    let mut ids = HashSet::from([main_thread.id]);
    for (outside, inside) in &reports {
        assert_eq!(*outside, inside.id, "handle and thread agree on the id");
        ids.insert(inside.id);
        println!("spawned thread: name {:?}", inside.name);
    }
    assert_eq!(ids.len(), workers + 2, "every thread has its own id");
    println!("distinct ids:   {} threads, {} ids", workers + 2, ids.len());

    let sum = deep_on_big_stack(depth);
    assert_eq!(sum, u64::from(depth.div_ceil(2)), "every odd frame counted");
    println!("recursion {depth} frames deep on a thread with a bigger stack: ok");

    let message = name_in_panic_message();
    assert!(message.contains("'config-parser'"), "{message}");
    println!("panic hook saw: {message}");
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
