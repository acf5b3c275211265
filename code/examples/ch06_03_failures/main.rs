//! Recipe 6.3: failures and retries. Workers on a Redis queue that lose
//! nothing: a message stays in the worker's own in-flight list until the task
//! is finished (acknowledgement after completion), so a worker killed in the
//! middle of a task has it delivered again; effects are idempotent, so a second
//! run changes nothing; failing tasks are retried with back-off; messages that
//! cannot be run go to a dead-letter list with the reason.
//!
//! Two files: this one, and `celery.rs`, recipe 6.2's Celery protocol module,
//! unchanged (copy both).
//!
//! Needs a Redis server: `redis-server --port 6379 --save ''`
//! Run: cargo run -p cookbook --features distributed --example ch06_03_failures
//!      [-- --redis redis://127.0.0.1:6379 --task-ms 200]
//! The demo starts its workers itself; one on its own: ... -- --role worker
//! Dead letters back onto the queue, once their cause is fixed: ... -- --role replay

extern crate base64; // named for `mdbook test`; Cargo does not need these
extern crate clap;
extern crate humantime;
extern crate redis;
extern crate serde_json;
extern crate uuid;

#[allow(dead_code)] // recipe 6.2's module, whole; this recipe uses part of it
mod celery;

use celery::{Outcome, TaskMessage, result_key};
use clap::{Parser, ValueEnum};
use redis::{Commands, Direction, Script};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const QUEUE: &str = "cookbook:failures:queue";
const DELAYED: &str = "cookbook:failures:delayed"; // retries waiting for their time
const DEAD: &str = "cookbook:failures:dead"; // dead letters: reason, id, whole message
const FINISHED: &str = "cookbook:failures:finished"; // ids of finished tasks
const APPLIED: &str = "cookbook:failures:applied"; // ids of deposits applied
const BALANCE: &str = "cookbook:failures:balance";
const STATS: &str = "cookbook:failures:stats";
const WORKERS: &str = "cookbook:failures:workers"; // names of every worker seen
const MAX_RETRIES: u32 = 3;
const BACKOFF: Duration = Duration::from_millis(100); // doubles at each retry
const ALIVE_FOR: Duration = Duration::from_secs(2); // a silent worker is dead after this
const MAX_DEPOSIT: i64 = 1_000_000_000; // larger amounts are refused, never half-applied

fn in_flight(worker: &str) -> String {
    format!("cookbook:failures:in-flight:{worker}")
}
fn alive(worker: &str) -> String {
    format!("cookbook:failures:alive:{worker}")
}

// ANCHOR: scripts
/// Finishing a task is one step no other client can interleave with: take the
/// message off the in-flight list, record the outcome, count it. A task id is
/// finished at most once, even if a redelivered copy also ran to the end; a
/// message without a readable id (ARGV[2] empty) only if we still held it.
const FINISH: &str = r"
local held = redis.call('LREM', KEYS[1], 1, ARGV[1])
if ARGV[2] == '' then
  if held == 0 then return 0 end
elseif redis.call('SADD', KEYS[2], ARGV[2]) == 0 then
  return 0
end
if ARGV[3] ~= '' then redis.call('SET', KEYS[3], ARGV[3], 'EX', 86400) end
redis.call('HINCRBY', KEYS[4], ARGV[4], 1)
if ARGV[5] ~= '' then redis.call('LPUSH', KEYS[5], ARGV[5]) end
return 1";

/// The deposit's effect, idempotent: applied only for an id never seen
/// before. Redis does not roll a script back when a command in it fails, so
/// the command that can fail (INCRBY) comes before the one that records the id.
const DEPOSIT: &str = r"
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('INCRBY', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[1], ARGV[1])
return 1";

/// A retry: off the in-flight list, into the delayed set, due at ARGV[3] (ms).
const RETRY_LATER: &str = r"
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('HINCRBY', KEYS[3], 'retries', 1)
return 1";
// ANCHOR_END: scripts

// ANCHOR: scripts_queue
/// Due retries go back on the queue.
const RELEASE_DUE: &str = r"
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, message in ipairs(due) do
  redis.call('ZREM', KEYS[1], message)
  redis.call('LPUSH', KEYS[2], message)
end
return #due";

/// In-flight messages go back to the front of the queue: a dead worker's
/// (its "alive" key expired; it leaves the register too, and its heartbeat
/// puts it back if it was only slow), or our own when we (re)connect.
const REQUEUE: &str = r"
if ARGV[1] == 'if-dead' then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
  redis.call('SREM', KEYS[5], ARGV[2])
end
local moved = 0
while redis.call('LMOVE', KEYS[1], KEYS[3], 'RIGHT', 'RIGHT') do moved = moved + 1 end
redis.call('HINCRBY', KEYS[4], 'redelivered', moved)
return moved";

/// Every dead letter's message goes back on the queue, whole, for another
/// run once its cause is fixed. Its id leaves the finished set, or FINISH
/// would not record the new outcome. A letter is decoded and checked before
/// anything changes: a script that fails keeps what it did up to there.
const REPLAY: &str = r"
local replayed = 0
while true do
  local letter = redis.call('LINDEX', KEYS[1], -1)
  if not letter then return replayed end
  local dead = cjson.decode(letter)
  assert(type(dead.id) == 'string' and type(dead.message) == 'string', 'not a dead letter')
  redis.call('RPOP', KEYS[1])
  if dead.id ~= '' then redis.call('SREM', KEYS[2], dead.id) end
  redis.call('LPUSH', KEYS[3], dead.message)
  replayed = replayed + 1
end";
// ANCHOR_END: scripts_queue

struct Worker {
    name: String,
    task_time: Duration,
    crash_after_effect: bool,
}

impl Worker {
    // ANCHOR: serve
    /// Takes messages until `stop` is set. Any Redis error ends this call; the
    /// caller reconnects and calls it again.
    fn serve(&self, conn: &mut redis::Connection, stop: &AtomicBool) -> redis::RedisResult<()> {
        let own_list = in_flight(&self.name);
        // Alive before taking anything, so no one requeues what we hold.
        conn.set_ex::<_, _, ()>(alive(&self.name), 1, ALIVE_FOR.as_secs())?;
        // Anything already on our list is not being worked on: we were just
        // started, or a reply from Redis was lost (e.g. it restarted right
        // after a move). Give it back.
        self.requeue(conn, &self.name, "always")?;
        while !stop.load(Ordering::Relaxed) {
            self.requeue_orphans(conn)?;
            Script::new(RELEASE_DUE)
                .key(DELAYED)
                .key(QUEUE)
                .arg(now_ms())
                .invoke::<u32>(conn)?;
            // Registered before each take, so others can find our list.
            conn.sadd::<_, _, ()>(WORKERS, &self.name)?;
            // Atomically: off the queue, onto our in-flight list. It stays
            // there until the task is finished; if we die, it is still there.
            // Bytes, not a String: a message that is not UTF-8 is poison to
            // dead-letter, not an error that would end this call.
            let raw: Option<Vec<u8>> =
                conn.blmove(QUEUE, &own_list, Direction::Right, Direction::Left, 0.2)?;
            if let Some(raw) = raw {
                conn.hincr::<_, _, _, ()>(STATS, "deliveries", 1)?;
                self.handle(conn, &raw)?;
            }
        }
        Ok(())
    }
    // ANCHOR_END: serve

    // ANCHOR: handle
    fn handle(&self, conn: &mut redis::Connection, raw: &[u8]) -> redis::RedisResult<()> {
        let parsed = std::str::from_utf8(raw).map_err(|e| format!("not UTF-8: {e}"));
        let task = match parsed.and_then(TaskMessage::from_wire) {
            Ok(task) => task,
            Err(reason) => return self.dead_letter(conn, raw, "poison", &reason, ""),
        };
        let result = match task.task.as_str() {
            "cookbook.deposit" => self.deposit(conn, &task)?,
            "cookbook.flaky" => flaky(&task),
            other => {
                let reason = format!("unknown task '{other}'");
                return self.dead_letter(conn, raw, "poison", &reason, &task.id);
            }
        };
        match result {
            Ok(value) => self.finish(
                conn,
                raw,
                &task.id,
                &Outcome::Success(value),
                "completed",
                "",
            ),
            Err(_) if task.retries < MAX_RETRIES => {
                let mut retry = task.clone();
                retry.retries += 1;
                let due = now_ms() + BACKOFF.as_millis() as u64 * (1 << task.retries);
                Script::new(RETRY_LATER)
                    .key(in_flight(&self.name))
                    .key(DELAYED)
                    .key(STATS)
                    .arg(raw)
                    .arg(retry.to_wire(QUEUE))
                    .arg(due)
                    .invoke(conn)
            }
            Err(error) => {
                let reason = format!(
                    "{}: gave up after {MAX_RETRIES} retries: {error}",
                    task.task
                );
                self.dead_letter(conn, raw, "gave_up", &reason, &task.id)
            }
        }
    }
    // ANCHOR_END: handle

    // ANCHOR: deposit
    /// Adds `amount` to the balance. The work takes a while (a sleep here);
    /// the effect is keyed by the task id, so running it twice adds once.
    fn deposit(
        &self,
        conn: &mut redis::Connection,
        task: &TaskMessage,
    ) -> redis::RedisResult<Result<Value, String>> {
        let amount = task.args.first().and_then(Value::as_i64);
        let Some(amount) = amount.filter(|a| (1..=MAX_DEPOSIT).contains(a)) else {
            return Ok(Err(format!(
                "deposit takes an amount from 1 to {MAX_DEPOSIT}"
            )));
        };
        // The demo kills worker-a when it reads this line. (No println!: it
        // panics if nobody reads our stdout any more.)
        let _ = writeln!(std::io::stdout(), "{} started {}", self.name, task.id);
        thread::sleep(self.task_time);
        let applied: bool = match Script::new(DEPOSIT)
            .key(APPLIED)
            .key(BALANCE)
            .arg(&task.id)
            .arg(amount)
            .invoke(conn)
        {
            Ok(applied) => applied,
            // Redis refused the effect (an overflow, say): a task failure,
            // not a lost connection, so it is retried and then dead-lettered.
            Err(e) if !connection_lost(&e) => return Ok(Err(format!("refused by Redis: {e}"))),
            Err(e) => return Err(e),
        };
        if !applied {
            conn.hincr::<_, _, _, ()>(STATS, "duplicates_skipped", 1)?;
        }
        if self.crash_after_effect {
            // The worst moment to die: effect done, acknowledgement not sent.
            std::process::abort();
        }
        Ok(Ok(json!(amount)))
    }
    // ANCHOR_END: deposit

    fn finish(
        &self,
        conn: &mut redis::Connection,
        raw: &[u8],
        id: &str,
        outcome: &Outcome,
        counter: &str,
        dead_letter: &str,
    ) -> redis::RedisResult<()> {
        let meta = if id.is_empty() {
            String::new()
        } else {
            outcome.to_meta(id)
        };
        Script::new(FINISH)
            .key(in_flight(&self.name))
            .key(FINISHED)
            .key(result_key(id))
            .key(STATS)
            .key(DEAD)
            .arg(raw)
            .arg(id)
            .arg(meta)
            .arg(counter)
            .arg(dead_letter)
            .invoke(conn)
    }

    /// Parks a message that will never succeed, whole, with the reason, and
    /// goes on. `id` is empty for a message too broken to have one. (JSON
    /// holds text only: bytes that are not UTF-8, in a message that can never
    /// be a task, are kept as U+FFFD.)
    fn dead_letter(
        &self,
        conn: &mut redis::Connection,
        raw: &[u8],
        kind: &str,
        reason: &str,
        id: &str,
    ) -> redis::RedisResult<()> {
        let message = String::from_utf8_lossy(raw);
        let letter = json!({"reason": reason, "id": id, "message": message});
        let outcome = Outcome::builtin_error("RuntimeError", reason);
        self.finish(
            conn,
            raw,
            id,
            &outcome,
            &format!("dead_{kind}"),
            &letter.to_string(),
        )
    }

    fn requeue_orphans(&self, conn: &mut redis::Connection) -> redis::RedisResult<()> {
        let workers: Vec<String> = conn.smembers(WORKERS)?;
        for worker in workers.iter().filter(|&worker| *worker != self.name) {
            self.requeue(conn, worker, "if-dead")?;
        }
        Ok(())
    }

    fn requeue(
        &self,
        conn: &mut redis::Connection,
        worker: &str,
        when: &str,
    ) -> redis::RedisResult<()> {
        Script::new(REQUEUE)
            .key(in_flight(worker))
            .key(alive(worker))
            .key(QUEUE)
            .key(STATS)
            .key(WORKERS)
            .arg(when)
            .arg(worker)
            .invoke(conn)
    }
}

/// The replay role: every dead letter back onto the queue, in one step.
fn replay(conn: &mut redis::Connection) -> redis::RedisResult<()> {
    let replayed: u64 = Script::new(REPLAY)
        .key(DEAD)
        .key(FINISHED)
        .key(QUEUE)
        .invoke(conn)?;
    println!("replayed {replayed} dead letters onto {QUEUE}");
    Ok(())
}

// ANCHOR: flaky
/// Fails its first `fail_times` attempts (a flaky network, say).
fn flaky(task: &TaskMessage) -> Result<Value, String> {
    let fail_times = task.args.first().and_then(Value::as_u64).unwrap_or(0);
    let attempt = task.retries + 1;
    if u64::from(task.retries) < fail_times {
        Err(format!("failing on purpose (attempt {attempt})"))
    } else {
        Ok(json!(format!("succeeded at attempt {attempt}")))
    }
}
// ANCHOR_END: flaky

// ANCHOR: reconnect
/// The worker role: serve, and when Redis goes away, reconnect and go on.
/// A second thread keeps the worker's "alive" key fresh.
fn run_worker(client: redis::Client, worker: Worker) {
    let stop = Arc::new(AtomicBool::new(false));
    let stop_on_eof = Arc::clone(&stop);
    thread::spawn(move || {
        std::io::stdin().lines().for_each(drop); // the demo closes our stdin
        stop_on_eof.store(true, Ordering::Relaxed);
    });
    let heartbeat_client = client.clone();
    let name = worker.name.clone();
    thread::spawn(move || {
        loop {
            let beat = heartbeat_client
                .get_connection_with_timeout(ALIVE_FOR)
                .and_then(|mut c| -> redis::RedisResult<()> {
                    loop {
                        redis::pipe()
                            .set_ex(alive(&name), 1, ALIVE_FOR.as_secs())
                            .sadd(WORKERS, &name)
                            .exec(&mut c)?;
                        thread::sleep(ALIVE_FOR / 4);
                    }
                });
            if let Err(e) = beat {
                eprintln!("heartbeat: {e}; retrying");
                thread::sleep(ALIVE_FOR / 4);
            }
        }
    });
    println!("{} ready", worker.name);
    while !stop.load(Ordering::Relaxed) {
        let served = client
            .get_connection_with_timeout(Duration::from_secs(1))
            .and_then(|mut conn| worker.serve(&mut conn, &stop));
        if let Err(e) = served {
            eprintln!("{}: lost Redis ({e}); reconnecting", worker.name);
            thread::sleep(Duration::from_millis(200));
        }
    }
}
// ANCHOR_END: reconnect

/// Errors after which the worker reconnects, as opposed to errors Redis
/// answered with.
fn connection_lost(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_timeout()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Starts this program as a worker; `extra` options are passed on.
fn start_worker(redis: &str, name: &str, task_ms: u64, extra: &[&str]) -> (Child, impl BufRead) {
    let mut child = Command::new(std::env::current_exe().expect("path of this program"))
        .args(["--role", "worker", "--name", name, "--redis", redis])
        .args(["--task-ms", &task_ms.to_string()])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start a worker");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    lines.read_line(&mut line).expect("read from a worker");
    assert_eq!(line.trim(), format!("{name} ready"));
    (child, lines)
}

// ANCHOR: demo
/// The demo: submit, break things, and check that everything adds up.
fn run_demo(client: &redis::Client, redis: &str, task_ms: u64) -> redis::RedisResult<()> {
    let mut conn = client.get_connection()?;
    let old: Vec<String> = conn
        .scan_match("cookbook:failures:*")?
        .collect::<Result<_, _>>()?;
    if !old.is_empty() {
        conn.del::<_, ()>(old)?; // a clean slate: this demo's keys only
    }
    let (mut killed, mut killed_lines) = start_worker(redis, "worker-a", task_ms, &[]);
    let (mut crashing, _crashing_lines) =
        start_worker(redis, "worker-b", task_ms, &["--crash-after-effect", "1"]);

    let deposits: Vec<i64> = (1..=12).collect();
    let mut messages: Vec<String> = deposits
        .iter()
        .map(|&amount| TaskMessage::new("cookbook.deposit", vec![json!(amount)]).to_wire(QUEUE))
        .collect();
    messages.push(TaskMessage::new("cookbook.flaky", vec![json!(2)]).to_wire(QUEUE));
    messages.push(TaskMessage::new("cookbook.flaky", vec![json!(9)]).to_wire(QUEUE));
    messages.push("this is not JSON".to_owned());
    messages.push(TaskMessage::new("os.system", vec![json!("rm -rf /")]).to_wire(QUEUE));
    for message in &messages {
        conn.lpush::<_, _, ()>(QUEUE, message)?;
    }
    println!(
        "submitted {} messages: 12 deposits, 2 flaky tasks, 2 poison messages",
        messages.len()
    );

    let mut line = String::new();
    killed_lines
        .read_line(&mut line)
        .expect("worker-a starts a task");
    killed.kill().expect("SIGKILL worker-a"); // no chance to clean up
    killed.wait().expect("reap worker-a");
    println!("worker-a killed (SIGKILL) in the middle of a deposit");
    let _keep_open = crashing.stdin.take(); // wait() would close it: "stop"
    let status = crashing.wait().expect("reap worker-b");
    println!("worker-b died ({status}) after a deposit's effect, before its acknowledgement");

    // Their in-flight messages come back once their "alive" keys expire.
    let replacements = [
        start_worker(redis, "worker-c", task_ms, &[]),
        start_worker(redis, "worker-d", task_ms, &[]),
    ];
    let stats = wait_until_all_finished(client, messages.len(), task_ms);
    for (mut child, _lines) in replacements {
        drop(child.stdin.take()); // tells the worker to stop
        child.wait().expect("reap a worker");
    }
    report(
        &mut client.get_connection()?,
        &stats,
        messages.len(),
        deposits.iter().sum(),
    )
}
// ANCHOR_END: demo

type Stats = std::collections::HashMap<String, u64>;

/// Polls the counters until every message is finished one way or the other;
/// rides out a Redis restart like the workers do.
fn wait_until_all_finished(client: &redis::Client, submitted: usize, task_ms: u64) -> Stats {
    // Generous: 16 deposits' work one after another, and the redeliveries.
    let patience = Duration::from_secs(30) + Duration::from_millis(task_ms) * 16;
    let deadline = Instant::now() + patience;
    loop {
        let finished = client
            .get_connection_with_timeout(Duration::from_secs(1))
            .and_then(|mut conn| {
                let stats: Stats = conn.hgetall(STATS)?;
                let count: u64 = ["completed", "dead_poison", "dead_gave_up"]
                    .iter()
                    .map(|field| stats.get(*field).copied().unwrap_or(0))
                    .sum();
                Ok((stats, count as usize))
            });
        match finished {
            Ok((stats, count)) if count >= submitted => return stats,
            Ok(_) => {}
            Err(e) => eprintln!("demo: lost Redis ({e}); retrying"),
        }
        if Instant::now() > deadline {
            eprintln!("error: not every message finished within {patience:?}");
            std::process::exit(1);
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn report(
    conn: &mut redis::Connection,
    stats: &Stats,
    submitted: usize,
    expected_balance: i64,
) -> redis::RedisResult<()> {
    let get = |field: &str| stats.get(field).copied().unwrap_or(0);
    let completed = get("completed");
    let dead = get("dead_poison") + get("dead_gave_up");
    println!(
        "completed {completed} + dead-lettered {dead} = {} of {submitted} submitted",
        completed + dead
    );
    println!(
        "deliveries {}: redelivered {}, retries {}",
        get("deliveries"),
        get("redelivered"),
        get("retries")
    );
    println!("duplicate effects skipped: {}", get("duplicates_skipped"));
    let letters: Vec<String> = conn.lrange(DEAD, 0, -1)?;
    let mut reasons = Vec::new();
    for letter in &letters {
        let letter: Value = serde_json::from_str(letter).expect("dead letters are JSON");
        let id = letter["id"].as_str().unwrap_or_default();
        if !id.is_empty() {
            // The whole message is there: it still reads as the task it was.
            let kept = letter["message"].as_str().map(TaskMessage::from_wire);
            assert!(
                matches!(kept, Some(Ok(task)) if task.id == id),
                "dead letter {id} lost its message"
            );
        }
        reasons.push(letter["reason"].as_str().unwrap_or_default().to_owned());
    }
    reasons.sort();
    println!("dead letters (each keeps its whole message, for a replay):");
    for reason in &reasons {
        println!("  {reason}");
    }
    let balance: i64 = conn.get(BALANCE)?;
    println!("balance: {balance} (expected {expected_balance})");
    assert_eq!(completed + dead, submitted as u64, "a message was lost");
    assert_eq!(
        letters.len() as u64,
        dead,
        "dead letters and counters disagree"
    );
    assert_eq!(
        balance, expected_balance,
        "a deposit was lost or applied twice"
    );
    Ok(())
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Role {
    /// Start workers, kill one, crash one, and check that nothing was lost.
    Demo,
    /// Take tasks until standard input closes.
    Worker,
    /// Put every dead letter's message back on the queue.
    Replay,
}

/// Workers on a Redis queue that lose nothing, retry, and keep dead letters.
#[derive(Parser)]
struct Args {
    /// The Redis server that is the broker.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis: String,
    #[arg(long, value_enum, default_value_t = Role::Demo)]
    role: Role,
    /// The worker's name: its in-flight list is named after it, so no two
    /// running workers may share one. Default: host name and process id.
    #[arg(long)]
    name: Option<String>,
    /// How long one task takes.
    #[arg(long, default_value_t = 200,
          value_parser = clap::value_parser!(u64).range(0..=10_000))]
    task_ms: u64,
    /// 1: crash right after a task's effect, before acknowledging it.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=1))]
    crash_after_effect: u8,
}

fn main() {
    let args = parse_args();
    let redis = args.redis;
    let client =
        redis::Client::open(redis.as_str()).unwrap_or_else(|e| usage_error(&e.to_string()));
    if let Err(e) = client.get_connection_with_timeout(Duration::from_secs(2)) {
        usage_error(&format!(
            "cannot reach Redis at {redis}: {e} (start one: redis-server --port 6379 --save '')"
        ));
    }
    match args.role {
        Role::Worker => run_worker(
            client,
            Worker {
                name: args.name.unwrap_or_else(unique_name),
                task_time: Duration::from_millis(args.task_ms),
                crash_after_effect: args.crash_after_effect == 1,
            },
        ),
        Role::Demo => {
            if let Err(e) = run_demo(&client, &redis, args.task_ms) {
                eprintln!("error: Redis: {e}");
                std::process::exit(1);
            }
        }
        Role::Replay => {
            if let Err(e) = client.get_connection().and_then(|mut c| replay(&mut c)) {
                eprintln!("error: Redis: {e}");
                std::process::exit(1);
            }
        }
    }
}

/// A name no other running worker has: the host's name and this process's id
/// (Celery's default node name is `celery@host`, unique per host only).
fn unique_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname") // Linux
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{}-{}", host.trim(), std::process::id())
}

/// A bad option, or a broker that is not there: one line, exit status 2.
fn usage_error(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2)
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
