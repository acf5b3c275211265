//! Recipe 6.2: speaking Celery's protocol. In its worker role this program runs
//! tasks that Python Celery producers send (`app.send_task(...)`), and stores
//! results where Python's `AsyncResult.get()` finds them. In its producer role
//! it sends tasks that a Python Celery worker runs, and reads the results back.
//!
//! Needs a Redis server: `redis-server --port 6379 --save ''`
//! Rust worker:   cargo run -p cookbook --features distributed --example ch06_02_celery_interop -- --role worker
//! Rust producer: cargo run -p cookbook --features distributed --example ch06_02_celery_interop
//!                [-- --redis redis://127.0.0.1:6379 --queue celery --bench 0]
//! The Python side is in code/examples/python/ch06_celery_app.py.

use cookbook::celery::{self, Outcome, TaskMessage};
use cookbook::cli::{Options, fail};
use cookbook::workload::count_primes;
use redis::Commands;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

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
            let range =
                start.clamp(0, u32::MAX.into()) as u32..end.clamp(0, u32::MAX.into()) as u32;
            Outcome::Success(json!(count_primes(range)))
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
        let popped: Option<[String; 2]> = conn.brpop(queue, 0.5)?;
        let Some([_, raw]) = popped else {
            continue;
        };
        match TaskMessage::from_wire(&raw) {
            Ok(task) => {
                let outcome = run_task(&task);
                celery::store_result(&mut conn, &task.id, &outcome)?;
                let args = args_text(&task.args);
                println!("ran {}{args} {}", task.task, text(&outcome));
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
        TaskMessage::new("cookbook.divide", vec![json!(1), json!(0)]),
    ];
    for task in &tasks {
        celery::send(&mut conn, queue, task)?;
    }
    let expected = [
        Outcome::Success(json!(5)),
        Outcome::Success(json!(42)),
        Outcome::Success(json!(9592)),
        Outcome::builtin_error("ZeroDivisionError", "division by zero"),
    ];
    for (task, expected) in tasks.iter().zip(&expected) {
        let outcome = celery::wait_result(&mut conn, &task.id, Duration::from_secs(30))
            .unwrap_or_else(|e| fail(e));
        println!("{}{} {}", task.task, args_text(&task.args), text(&outcome));
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
            .unwrap_or_else(|e| fail(e));
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

fn text(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Success(value) => format!("= {value}"),
        Outcome::Failure {
            exc_module,
            exc_type,
            message,
        } => format!("raised {exc_module}.{exc_type}: {message}"),
    }
}

fn main() {
    let options = Options::from_env(&[
        ("redis", "redis://127.0.0.1:6379"),
        ("queue", celery::DEFAULT_QUEUE),
        ("role", "producer"),
        ("bench", "0"),
    ]);
    let url: String = options.get("redis");
    let queue: String = options.get("queue");
    let role: String = options.get("role");
    let bench: usize = options.get("bench");
    let conn = redis::Client::open(url.as_str())
        .and_then(|client| client.get_connection())
        .unwrap_or_else(|e| {
            fail(format_args!(
                "cannot reach Redis at {url}: {e} (start one: redis-server --port 6379 --save '')"
            ))
        });
    let result = match role.as_str() {
        "worker" => run_worker(conn, &queue),
        "producer" if bench > 0 => run_bench(conn, &queue, bench),
        "producer" => run_producer(conn, &queue),
        _ => fail(format_args!(
            "--role must be producer or worker, not '{role}'"
        )),
    };
    if let Err(e) = result {
        eprintln!("error: Redis: {e}");
        std::process::exit(1);
    }
}
