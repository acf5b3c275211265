//! Recipe 6.2: speaking Celery's protocol. In its worker role this program runs
//! tasks that Python Celery producers send (`app.send_task(...)`), and stores
//! results where Python's `AsyncResult.get()` finds them. In its producer role
//! it sends tasks that a Python Celery worker runs, and reads the results back.
//!
//! Two files: this one, and `celery.rs`, the protocol itself (copy both).
//!
//! Needs a Redis server: `redis-server --port 6379 --save ''`
//! Rust worker:   cargo run -p cookbook --features distributed --example ch06_02_celery_interop -- --role worker
//! Rust producer: cargo run -p cookbook --features distributed --example ch06_02_celery_interop
//!                [-- --redis redis://127.0.0.1:6379 --queue celery --bench 0]
//! The Python side is in code/examples/python/ch06_celery_app.py.

extern crate base64; // named for `mdbook test`; Cargo does not need these
extern crate clap;
extern crate humantime;
extern crate redis;
extern crate serde_json;
extern crate uuid;

mod celery;

use celery::{Outcome, TaskMessage};
use clap::builder::RangedU64ValueParser;
use clap::{Parser, ValueEnum};
use redis::Commands;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The most numbers one `count_primes` task may test: a message must not
/// keep a worker busy for hours. (Half a second at the top of the u32 range,
/// where trial division is slowest; Python's worker takes about 7 s there.)
const MAX_PRIME_SPAN: u32 = 100_000;
/// What a refused range raises, in Python's words too (`ch06_celery_app.py`).
const PRIME_SPAN_ERROR: &str =
    "count_primes takes numbers from 0 to 4294967295, at most 100000 of them";

// ANCHOR: registry
/// The worker's task registry: a fixed list of names it will run. A message
/// can only choose among these; nothing else it names is ever executed.
fn run_task(task: &TaskMessage) -> Outcome {
    let int = |i: usize| task.args.get(i).and_then(Value::as_i64);
    match (task.task.as_str(), int(0), int(1), task.args.len()) {
        ("cookbook.add", Some(a), Some(b), 2) => match a.checked_add(b) {
            Some(sum) => Outcome::Success(json!(sum)),
            None => Outcome::builtin_error("OverflowError", "sum out of 64-bit range"),
        },
        ("cookbook.divide", Some(_), Some(0), 2) => {
            Outcome::builtin_error("ZeroDivisionError", "division by zero")
        }
        ("cookbook.divide", Some(a), Some(b), 2) => Outcome::Success(json!(a as f64 / b as f64)),
        ("cookbook.count_primes", Some(start), Some(end), 2) => {
            match (u32::try_from(start), u32::try_from(end)) {
                (Ok(start), Ok(end)) if end.saturating_sub(start) <= MAX_PRIME_SPAN => {
                    Outcome::Success(json!(count_primes(start..end)))
                }
                _ => Outcome::builtin_error("ValueError", PRIME_SPAN_ERROR),
            }
        }
        ("cookbook.add" | "cookbook.divide" | "cookbook.count_primes", ..) => {
            Outcome::builtin_error("TypeError", format!("{} takes 2 integers", task.task))
        }
        (other, ..) => Outcome::Failure {
            exc_module: "celery.exceptions".into(),
            exc_type: "NotRegistered".into(),
            message: other.into(),
        },
    }
}
// ANCHOR_END: registry

// ANCHOR: worker
/// The worker role: pop a message, run it, store its outcome; until stdin closes.
fn run_worker(mut conn: redis::Connection, queue: &str) -> redis::RedisResult<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let stop_on_eof = Arc::clone(&stop);
    std::thread::spawn(move || {
        std::io::stdin().lines().for_each(drop);
        stop_on_eof.store(true, Ordering::Relaxed);
    });
    println!("ready: consuming queue '{queue}'");
    while !stop.load(Ordering::Relaxed) {
        // Block for at most half a second, so a stop request is seen soon.
        // Bytes, not a String: a message that is not UTF-8 must not stop us.
        let popped: Option<(String, Vec<u8>)> = conn.brpop(queue, 0.5)?;
        let Some((_, raw)) = popped else {
            continue;
        };
        let text = String::from_utf8(raw).map_err(|e| format!("not UTF-8: {e}"));
        match text.and_then(|raw| TaskMessage::from_wire(&raw)) {
            Ok(task) => {
                let outcome = run_task(&task);
                celery::store_result(&mut conn, &task.id, &outcome)?;
                let args = args_text(&task.args);
                println!("ran {}{args} {}", task.task, outcome_text(&outcome));
            }
            // No id to store a result under (recipe 6.3 keeps such messages).
            Err(reason) => eprintln!("dropped a message: {reason}"),
        }
    }
    Ok(())
}
// ANCHOR_END: worker

// ANCHOR: producer
/// The producer role: send tasks, then read each result back.
fn run_producer(mut conn: redis::Connection, queue: &str) -> redis::RedisResult<()> {
    let tasks = [
        TaskMessage::new("cookbook.add", vec![json!(2), json!(3)]),
        TaskMessage::new("cookbook.add", vec![json!(40), json!(2)]),
        TaskMessage::new("cookbook.count_primes", vec![json!(0), json!(100_000)]),
        TaskMessage::new(
            "cookbook.count_primes",
            vec![json!(0), json!(4_000_000_000u32)],
        ),
        TaskMessage::new("cookbook.divide", vec![json!(1), json!(0)]),
    ];
    for task in &tasks {
        celery::send(&mut conn, queue, task)?;
    }
    let expected = [
        Outcome::Success(json!(5)),
        Outcome::Success(json!(42)),
        Outcome::Success(json!(9592)),
        Outcome::builtin_error("ValueError", PRIME_SPAN_ERROR),
        Outcome::builtin_error("ZeroDivisionError", "division by zero"),
    ];
    for (task, expected) in tasks.iter().zip(&expected) {
        let outcome = celery::wait_result(&mut conn, &task.id, Duration::from_secs(30))
            .unwrap_or_else(|e| exit_with(&e));
        println!(
            "{}{} {}",
            task.task,
            args_text(&task.args),
            outcome_text(&outcome)
        );
        assert_eq!(&outcome, expected, "unexpected result for {}", task.task);
    }
    println!("{} results read back, all as expected", tasks.len());
    Ok(())
}
// ANCHOR_END: producer

/// Sends `count` additions at once and times them until the last result is in.
fn run_bench(mut conn: redis::Connection, queue: &str, count: usize) -> redis::RedisResult<()> {
    let tasks: Vec<_> = (0..count)
        .map(|i| TaskMessage::new("cookbook.add", vec![json!(i), json!(i)]))
        .collect();
    let start = Instant::now();
    let mut pipe = redis::pipe();
    for task in &tasks {
        pipe.lpush(queue, task.to_wire(queue)).ignore();
    }
    pipe.exec(&mut conn)?;
    for (i, task) in tasks.iter().enumerate() {
        let outcome = celery::wait_result(&mut conn, &task.id, Duration::from_secs(120))
            .unwrap_or_else(|e| exit_with(&e));
        assert_eq!(outcome, Outcome::Success(json!(2 * i)));
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{count} tasks in {seconds:.3} s: {:.1} tasks/s",
        count as f64 / seconds
    );
    Ok(())
}

fn args_text(args: &[Value]) -> String {
    let args: Vec<String> = args.iter().map(Value::to_string).collect();
    format!("({})", args.join(", "))
}

fn outcome_text(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Success(value) => format!("= {value}"),
        Outcome::Failure {
            exc_module,
            exc_type,
            message,
        } => format!("raised {exc_module}.{exc_type}: {message}"),
    }
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Role {
    /// Send tasks to Python Celery workers and read the results back.
    Producer,
    /// Run tasks that Python Celery producers send, until stdin closes.
    Worker,
}

/// A Rust worker and a Rust producer that speak Celery's protocol on Redis.
#[derive(Parser)]
struct Args {
    /// The Redis server that is Celery's broker and result backend.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis: String,
    /// The queue (Celery's default is `celery`).
    #[arg(long, default_value = celery::DEFAULT_QUEUE)]
    queue: String,
    #[arg(long, value_enum, default_value_t = Role::Producer)]
    role: Role,
    /// Producer only: time this many tasks instead of the checked demo (at
    /// most 20 000: about half a minute for one Python worker).
    #[arg(long, default_value_t = 0,
          value_parser = RangedU64ValueParser::<usize>::new().range(0..=20_000))]
    bench: usize,
}

fn main() {
    let Args {
        redis: url,
        queue,
        role,
        bench,
    } = parse_args();
    let conn = redis::Client::open(url.as_str())
        .and_then(|client| client.get_connection())
        .unwrap_or_else(|e| {
            eprintln!(
                "error: cannot reach Redis at {url}: {e} (start one: redis-server --port 6379 --save '')"
            );
            std::process::exit(2)
        });
    let result = match role {
        Role::Worker => run_worker(conn, &queue),
        Role::Producer if bench > 0 => run_bench(conn, &queue, bench),
        Role::Producer => run_producer(conn, &queue),
    };
    if let Err(e) = result {
        exit_with(&format!("Redis: {e}"));
    }
}

/// Trial division by odd numbers up to the square root.
fn is_prime(n: u32) -> bool {
    if n < 4 {
        return n >= 2;
    }
    if n % 2 == 0 {
        return false;
    }
    (3..)
        .step_by(2)
        .take_while(|&d| d <= n / d) // d * d <= n, without overflow
        .all(|d| n % d != 0)
}

/// How many primes `range` holds.
fn count_primes(range: std::ops::Range<u32>) -> u64 {
    range.filter(|&n| is_prime(n)).count() as u64
}

/// A failure at run time (Redis went away, a result never came): one line,
/// exit status 1.
fn exit_with(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1)
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
