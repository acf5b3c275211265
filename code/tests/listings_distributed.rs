//! Runs chapter 6's task-queue listings (feature `distributed`) against real
//! parts: each test starts its own Redis server (a free loopback port,
//! persistence off) and, for the Celery recipes, the real Python Celery from
//! target/venv (installed by scripts/setup.sh). Outputs are compared with the
//! captured files the book shows.
//!
//! Listings run here, and what is checked:
//! - ch06_01_task_queue: two worker processes share the queue, results read back
//! - ch06_02_celery_interop: both ways with Python Celery, results read back
//! - ch06_03_failures: kill, crash, retries, dead letters; a Redis restart; a
//!   dead letter replayed once its cause is fixed; a worker's default name
//! - ch06_07_map_reduce: word count through the queue equals a serial count

#![cfg(feature = "distributed")]

mod support;

/// Recipe 6.2's Celery protocol module, with its unit tests (on a message
/// captured from Python Celery 5.7.0 among them).
#[allow(dead_code)]
#[path = "../examples/ch06_02_celery_interop/celery.rs"]
mod celery;

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;
use support::redis_server::RedisServer;
use support::{EXACT, Run};

/// Runs a listing to the end under the timeout; it must exit 0.
fn run(name: &str, args: &[&str]) -> Run {
    support::run_listing(name, args)
}

/// A process that runs beside the test (a worker): its stdout is collected,
/// closing its stdin asks it to stop, and dropping it kills what is left.
struct Background {
    child: Child,
    stdout: Option<thread::JoinHandle<String>>,
}

impl Background {
    fn start(command: Command) -> Background {
        Background::start_keeping(command, Stdio::null())
    }

    /// Like `start`, with stderr kept for `wait_with_stderr`.
    fn start_with_stderr(command: Command) -> Background {
        Background::start_keeping(command, Stdio::piped())
    }

    fn start_keeping(mut command: Command, stderr: Stdio) -> Background {
        let mut child = command
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let mut pipe = child.stdout.take().expect("piped");
        let stdout = thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        });
        Background {
            child,
            stdout: Some(stdout),
        }
    }

    /// Closes stdin and waits for a clean exit; returns what it printed.
    fn stop(mut self) -> String {
        drop(self.child.stdin.take());
        let status = self.child.wait().expect("wait for a worker");
        assert!(status.success(), "the worker exited with {status}");
        self.stdout
            .take()
            .expect("once")
            .join()
            .expect("stdout reader")
    }
}

impl Background {
    /// Waits until the process has started `count` processes of its own (its
    /// workers, started one after another) and returns their ids, from /proc.
    fn wait_for_children(&self, count: usize) -> Vec<libc::pid_t> {
        let pid = self.child.id();
        let path = format!("/proc/{pid}/task/{pid}/children");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let children: Vec<libc::pid_t> = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{path}: {e}"))
                .split_whitespace()
                .map(|pid| pid.parse().expect("a process id"))
                .collect();
            if children.len() >= count {
                return children;
            }
            assert!(std::time::Instant::now() < deadline, "no {count} workers");
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits up to `limit` for the process to exit by itself; its status and
    /// what it wrote to stderr.
    fn wait_with_stderr(mut self, limit: Duration) -> (std::process::ExitStatus, String) {
        let deadline = std::time::Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "still running after {limit:?}: it did not notice"
            );
            thread::sleep(Duration::from_millis(50));
        };
        let mut stderr = String::new();
        let _ = self
            .child
            .stderr
            .take()
            .expect("piped")
            .read_to_string(&mut stderr);
        (status, stderr)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the process group this struct created.
        unsafe { libc::kill(-(self.child.id() as libc::pid_t), libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

fn python_dir() -> PathBuf {
    support::workspace_root().join("code/examples/python")
}

/// A program from the Python virtual environment scripts/setup.sh creates.
fn venv_program(name: &str) -> Command {
    let program = support::workspace_root().join("target/venv/bin").join(name);
    assert!(
        program.exists(),
        "{} is missing: run scripts/setup.sh (it installs Celery)",
        program.display()
    );
    let mut command = Command::new(program);
    command.current_dir(python_dir());
    command
}

#[test]
fn ch06_01_two_workers_share_the_queue() {
    let redis = RedisServer::start();
    let run = run("ch06_01_task_queue", &["--redis", &redis.url()]);
    assert!(
        run.stdout.contains("from 2 distinct workers"),
        "{}",
        run.stdout
    );
    support::check_against_captured("ch06_01_task_queue", &run.stdout, EXACT);
}

/// A worker that dies while the producer waits ends the run at once, with one
/// line that names it and exit status 1, not a producer waiting for ever.
#[test]
fn ch06_01_and_07_stop_when_a_worker_dies() {
    let redis = RedisServer::start();
    for (name, args) in [
        // Work enough to be still running when a worker is killed.
        (
            "ch06_01_task_queue",
            &["--below", "10000000", "--tasks", "2000"][..],
        ),
        ("ch06_07_map_reduce", &["--chunks", "2000"][..]),
    ] {
        let mut producer = Command::new(support::example_binary(name));
        producer.args(["--redis", &redis.url()]).args(args);
        let producer = Background::start_with_stderr(producer);
        // Worker 1 starts once worker 0 is ready: kill worker 0 then.
        let workers = producer.wait_for_children(2);
        // SAFETY: kill(2) on a process this test's producer started.
        unsafe { libc::kill(workers[0], libc::SIGKILL) };
        let (status, stderr) = producer.wait_with_stderr(Duration::from_secs(20));
        assert_eq!(
            status.code(),
            Some(1),
            "{name}: exit status; stderr:\n{stderr}"
        );
        assert!(
            stderr.lines().count() == 1
                && stderr
                    .starts_with("error: worker 0 exited before the results were in (signal: 9"),
            "{name}: stderr:\n{stderr}"
        );
    }
}

/// With no workers (`--workers 0`) and none started by hand, the producer
/// gives up after `--timeout-s` with one line, exit status 1.
#[test]
fn ch06_01_and_07_give_up_when_no_worker_comes() {
    let redis = RedisServer::start();
    for name in ["ch06_01_task_queue", "ch06_07_map_reduce"] {
        let args = [
            "--redis",
            &redis.url(),
            "--workers",
            "0",
            "--timeout-s",
            "1",
        ];
        let run = run_expecting_failure(name, &args);
        assert_eq!(run.code(), Some(1), "{name}: exit status\n{}", run.stderr);
        assert_eq!(
            run.stderr.trim(),
            "error: no complete results after 1 s (--timeout-s): are workers running?",
            "{name}"
        );
    }
}

fn run_expecting_failure(name: &str, args: &[&str]) -> Run {
    let mut command = Command::new(support::example_binary(name));
    command.args(args);
    support::run_with_timeout(command, support::TIMEOUT)
}

#[test]
fn ch06_02_python_producer_rust_worker() {
    let redis = RedisServer::start();
    let mut worker = Command::new(support::example_binary("ch06_02_celery_interop"));
    worker.args(["--role", "worker", "--redis", &redis.url()]);
    let worker = Background::start(worker);

    let mut producer = venv_program("python");
    producer
        .arg("ch06_02_python_producer.py")
        .env("CELERY_BROKER_URL", redis.url());
    let run = support::run_with_timeout(producer, support::TIMEOUT);
    let run = support::expect_success("the Python producer", run);
    support::check_against_captured("ch06_02_python_producer", &run.stdout, EXACT);
    support::check_against_captured("ch06_02_rust_worker", &worker.stop(), EXACT);
}

#[test]
fn ch06_02_rust_producer_python_worker() {
    let redis = RedisServer::start();
    let mut worker = venv_program("celery");
    worker
        .args(["-A", "ch06_celery_app", "worker", "--pool", "solo"])
        .args([
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ])
        .args(["--loglevel", "warning"])
        .env("CELERY_BROKER_URL", redis.url());
    let _worker = Background::start(worker);
    let run = run("ch06_02_celery_interop", &["--redis", &redis.url()]);
    support::check_against_captured("ch06_02_celery_interop", &run.stdout, EXACT);
}

#[test]
fn ch06_03_nothing_is_lost() {
    let redis = RedisServer::start();
    let run = run("ch06_03_failures", &["--redis", &redis.url()]);
    support::check_against_captured("ch06_03_failures", &run.stdout, EXACT);
}

/// Redis is killed in the middle of the run and comes back a second later
/// (from its append-only file): workers and demo reconnect, and the listing's
/// own checks (nothing lost, nothing applied twice) still hold.
#[test]
fn ch06_03_survives_a_redis_restart() {
    let mut redis = RedisServer::start_persistent();
    let mut command = Command::new(support::example_binary("ch06_03_failures"));
    command.args(["--redis", &redis.url(), "--task-ms", "300"]);
    let demo = thread::spawn(move || support::run_with_timeout(command, support::TIMEOUT));
    thread::sleep(Duration::from_millis(1200));
    redis.restart(Duration::from_secs(1));
    let run = support::expect_success("ch06_03_failures across a restart", demo.join().unwrap());
    assert!(
        run.stderr.contains("lost Redis"),
        "Redis was not restarted mid-run:\n{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("= 16 of 16 submitted"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("balance: 78 (expected 78)"),
        "{}",
        run.stdout
    );
}

/// Polls `done` every 20 ms until it holds; panics, naming `what`, after 20 s.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// The page's advice for a dead letter, shown to work: a deposit that Redis
/// refuses (the balance would overflow) gives up after its retries without
/// recording its id (INCRBY comes before SADD), so once the balance is
/// repaired, `--role replay` puts the whole message back and the deposit is
/// applied. On the way: a message that is not UTF-8 is dead-lettered too (it
/// neither stops the worker nor loops), and a worker started without
/// `--name` is named after its host and pid.
#[test]
fn ch06_03_replays_a_dead_letter_once_fixed() {
    use redis::Commands;
    const QUEUE: &str = "cookbook:failures:queue";
    const DEAD: &str = "cookbook:failures:dead";
    const BALANCE: &str = "cookbook:failures:balance";
    let redis = RedisServer::start();
    let mut conn = redis::Client::open(redis.url())
        .and_then(|client| client.get_connection())
        .expect("connect to the test's Redis");
    let _: () = conn.set(BALANCE, i64::MAX - 2).unwrap();
    let deposit = celery::TaskMessage::new("cookbook.deposit", vec![serde_json::json!(5)]);
    let _: () = conn.lpush(QUEUE, deposit.to_wire(QUEUE)).unwrap();
    let _: () = conn.lpush(QUEUE, &b"\xff\xfe not UTF-8"[..]).unwrap();

    let mut command = Command::new(support::example_binary("ch06_03_failures"));
    command.args([
        "--role",
        "worker",
        "--task-ms",
        "0",
        "--redis",
        &redis.url(),
    ]);
    let worker = Background::start(command);
    let pid = worker.child.id();
    eventually("two dead letters", || {
        conn.llen::<_, usize>(DEAD).unwrap() == 2
    });
    let letters: Vec<String> = conn.lrange(DEAD, 0, -1).unwrap();
    let letters: Vec<serde_json::Value> = letters
        .iter()
        .map(|letter| serde_json::from_str(letter).unwrap())
        .collect();
    let reason = |letter: &serde_json::Value| letter["reason"].as_str().unwrap().to_owned();
    let refused = letters
        .iter()
        .find(|letter| letter["id"] == deposit.id.as_str())
        .expect("the deposit's dead letter");
    assert!(
        reason(refused).contains("gave up after 3 retries: refused by Redis"),
        "{refused}"
    );
    let kept = celery::TaskMessage::from_wire(refused["message"].as_str().unwrap()).unwrap();
    assert_eq!(
        (kept.id, kept.args),
        (deposit.id.clone(), deposit.args.clone())
    );
    assert!(
        letters.iter().any(|l| reason(l).starts_with("not UTF-8")),
        "{letters:?}"
    );
    assert_eq!(conn.get::<_, i64>(BALANCE).unwrap(), i64::MAX - 2);

    let _: () = conn.set(BALANCE, 0).unwrap(); // the fix
    let replay = run(
        "ch06_03_failures",
        &["--role", "replay", "--redis", &redis.url()],
    );
    assert!(
        replay.stdout.contains("replayed 2 dead letters"),
        "{}",
        replay.stdout
    );
    eventually("the replayed deposit's success", || {
        let meta: Option<String> = conn.get(celery::result_key(&deposit.id)).unwrap();
        meta.as_deref().map(celery::Outcome::from_meta)
            == Some(Ok(Some(celery::Outcome::Success(serde_json::json!(5)))))
    });
    assert_eq!(conn.get::<_, i64>(BALANCE).unwrap(), 5);
    // The message that can never run is back on the dead-letter list, alone.
    eventually("the poison message dead again", || {
        conn.llen::<_, usize>(DEAD).unwrap() == 1
    });
    let stdout = worker.stop();
    let first = stdout.lines().next().unwrap_or_default();
    assert!(
        first.ends_with(&format!("-{pid} ready")),
        "the worker's default name is not host-pid: {first}"
    );
}

#[test]
fn ch06_07_word_count_through_the_queue() {
    let redis = RedisServer::start();
    let run = run("ch06_07_map_reduce", &["--redis", &redis.url()]);
    support::check_against_captured("ch06_07_map_reduce", &run.stdout, EXACT);
}

/// A text of many distinct words shuffled into one partition would make a
/// reduce task larger than the limit: refused with one line, before it is
/// sent; with more partitions the same text is counted.
#[test]
fn ch06_07_refuses_a_reduce_task_over_the_limit() {
    let redis = RedisServer::start();
    // 250 000 distinct words of letters (base 26), about 1.5 MiB.
    let words: Vec<String> = (0..250_000u32)
        .map(|mut i| {
            let mut word = String::from("w");
            for _ in 0..4 {
                word.push(char::from(b'a' + (i % 26) as u8));
                i /= 26;
            }
            word
        })
        .collect();
    let file = std::env::temp_dir().join(format!("cookbook-words-{}.txt", std::process::id()));
    std::fs::write(&file, words.join(" ")).unwrap();
    let file_arg = file.to_str().unwrap();
    let args = ["--redis", &redis.url(), "--file", file_arg, "--chunks", "2"];
    let few = [&args[..], &["--partitions", "1"]].concat();
    support::expect_usage_error(
        "ch06_07_map_reduce",
        &few,
        "-byte limit: use more --partitions",
    );
    let many = [&args[..], &["--partitions", "8"]].concat();
    let counted = run("ch06_07_map_reduce", &many);
    let _ = std::fs::remove_file(&file);
    assert!(
        counted.stdout.contains("250000 words, 250000 distinct")
            && counted.stdout.contains("equal to a serial count: yes"),
        "{}",
        counted.stdout
    );
}

#[test]
fn distributed_listings_refuse_bad_input_and_a_missing_broker() {
    let listings = [
        "ch06_01_task_queue",
        "ch06_02_celery_interop",
        "ch06_03_failures",
        "ch06_07_map_reduce",
    ];
    // Side by side: apalis's connection manager retries for about nine seconds
    // before it gives up on a broker that is not there.
    thread::scope(|scope| {
        for name in listings {
            for (args, says) in [
                (&["--no-such-option", "1"][..], "unexpected argument"),
                (
                    &["--redis", "redis://127.0.0.1:1"][..],
                    "cannot reach Redis",
                ),
            ] {
                scope.spawn(move || support::expect_usage_error(name, args, says));
            }
        }
    });
}

/// Recipe 6.3 carries recipe 6.2's protocol module as a file of its own, so
/// that each listing is a folder a reader can copy whole; the two must not drift.
#[test]
fn ch06_03_uses_6_2s_celery_module_unchanged() {
    let examples = support::workspace_root().join("code/examples");
    let read = |path: &str| std::fs::read_to_string(examples.join(path)).unwrap();
    assert!(
        read("ch06_02_celery_interop/celery.rs") == read("ch06_03_failures/celery.rs"),
        "code/examples/ch06_03_failures/celery.rs differs from ch06_02_celery_interop/celery.rs: copy 6.2's over it"
    );
}
