//! Celery's message protocol (version 2, JSON) on Redis, spoken directly.
//!
//! This is all a Rust program needs to send tasks to Python Celery workers,
//! to run tasks that Python producers send, and to store or read results where
//! Python's `AsyncResult.get()` looks for them (recipe 6.2). It follows what
//! Celery 5 and its transport library, kombu, put on the wire:
//!
//! - a queue is a Redis list (Celery's default queue is `celery`); producers
//!   `LPUSH` a JSON envelope, workers pop from the other end;
//! - the envelope's `body` is base64 of the JSON array `[args, kwargs, embed]`;
//!   the task's name and id are in `headers`;
//! - a result is a JSON document under `celery-task-meta-<id>`, also published
//!   on a channel of that name for waiters that subscribed.
//!
//! Recipe 6.3 uses this module unchanged (a copy of this file, which the
//! tests keep identical).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use redis::Commands;
use serde_json::{Map, Value, json};
use std::time::{Duration, Instant};

/// Celery's default queue, and so the name of its Redis list.
pub const DEFAULT_QUEUE: &str = "celery";

/// Celery's default `result_expires`: results are kept for one day.
pub const RESULT_EXPIRES_SECS: u64 = 24 * 60 * 60;

/// Messages larger than this are refused unread (a worker's memory is not the
/// sender's to spend).
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

// ANCHOR: message
/// One task message: a task name from the worker's registry, its arguments,
/// and the id the result will be stored under.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskMessage {
    pub id: String,
    pub task: String,
    pub args: Vec<Value>,
    pub kwargs: Map<String, Value>,
    /// How many times this task has been retried (0 on the first delivery).
    pub retries: u32,
}

impl TaskMessage {
    /// A new task with a fresh id (a random UUID, as Celery uses).
    pub fn new(task: impl Into<String>, args: Vec<Value>) -> TaskMessage {
        TaskMessage {
            id: uuid::Uuid::new_v4().to_string(),
            task: task.into(),
            args,
            kwargs: Map::new(),
            retries: 0,
        }
    }
}
// ANCHOR_END: message

// ANCHOR: to_wire
impl TaskMessage {
    /// The envelope kombu's Redis transport pushes onto the queue's list.
    pub fn to_wire(&self, queue: &str) -> String {
        let embed = json!({"callbacks": null, "errbacks": null, "chain": null, "chord": null});
        let body = json!([self.args, self.kwargs, embed]).to_string();
        json!({
            "body": BASE64.encode(body),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": {
                "lang": "py",
                "task": self.task,
                "id": self.id,
                "root_id": self.id,
                "parent_id": null,
                "group": null,
                "retries": self.retries,
                "eta": null,
                "expires": null,
                "timelimit": [null, null],
                "argsrepr": Value::from(self.args.clone()).to_string(),
                "kwargsrepr": Value::from(self.kwargs.clone()).to_string(),
                "origin": format!("rust@{}", std::process::id()),
                "ignore_result": false,
            },
            "properties": {
                "correlation_id": self.id,
                "reply_to": "",
                "delivery_mode": 2,
                "delivery_info": {"exchange": "", "routing_key": queue},
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": uuid::Uuid::new_v4().to_string(),
            },
        })
        .to_string()
    }
}
// ANCHOR_END: to_wire

// ANCHOR: from_wire
impl TaskMessage {
    /// Reads an envelope. The error says why the message cannot be run; a
    /// worker puts it on its dead-letter list with the message.
    pub fn from_wire(raw: &str) -> Result<TaskMessage, String> {
        if raw.len() > MAX_MESSAGE_BYTES {
            return Err(format!("message of {} bytes is over the limit", raw.len()));
        }
        let envelope: Value =
            serde_json::from_str(raw).map_err(|e| format!("malformed message: {e}"))?;
        let headers = &envelope["headers"];
        let text = |value: &Value, what: &str| {
            value
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("malformed message: no {what}"))
        };
        let task = text(&headers["task"], "task name in headers (protocol 1?)")?;
        let id = text(&headers["id"], "task id in headers")?;
        if envelope["content-type"] != "application/json" {
            return Err(format!(
                "refused content type {} (JSON only)",
                envelope["content-type"]
            ));
        }
        let body = text(&envelope["body"], "body")?;
        let body = match envelope["properties"]["body_encoding"].as_str() {
            Some("base64") => BASE64
                .decode(body)
                .map_err(|e| format!("malformed body: {e}"))?,
            _ => body.into_bytes(),
        };
        let (args, kwargs, _embed): (Vec<Value>, Map<String, Value>, Value) =
            serde_json::from_slice(&body).map_err(|e| format!("malformed body: {e}"))?;
        let retries = headers["retries"].as_u64().unwrap_or(0) as u32;
        Ok(TaskMessage {
            id,
            task,
            args,
            kwargs,
            retries,
        })
    }
}
// ANCHOR_END: from_wire

// ANCHOR: result
/// How a task ended, as Celery's result backend records it.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Success(Value),
    /// Python re-raises this on `get()`: `exc_module.exc_type(message)`.
    Failure {
        exc_module: String,
        exc_type: String,
        message: String,
    },
}

impl Outcome {
    /// A failure Python shows as one of its built-in exceptions.
    pub fn builtin_error(exc_type: &str, message: impl Into<String>) -> Outcome {
        Outcome::Failure {
            exc_module: "builtins".into(),
            exc_type: exc_type.into(),
            message: message.into(),
        }
    }

    /// The document stored under [`result_key`].
    pub fn to_meta(&self, task_id: &str) -> String {
        let (status, result) = match self {
            Outcome::Success(value) => ("SUCCESS", value.clone()),
            Outcome::Failure {
                exc_module,
                exc_type,
                message,
            } => (
                "FAILURE",
                json!({"exc_type": exc_type, "exc_message": [message], "exc_module": exc_module}),
            ),
        };
        json!({
            "status": status,
            "result": result,
            "traceback": null,
            "children": [],
            "date_done": humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string(),
            "task_id": task_id,
        })
        .to_string()
    }
}
// ANCHOR_END: result

// ANCHOR: from_meta
impl Outcome {
    /// Reads a stored document; `None` while the task has not finished.
    pub fn from_meta(raw: &str) -> Result<Option<Outcome>, String> {
        let meta: Value = serde_json::from_str(raw).map_err(|e| format!("bad result: {e}"))?;
        let result = meta["result"].clone();
        match meta["status"].as_str() {
            Some("SUCCESS") => Ok(Some(Outcome::Success(result))),
            Some("FAILURE") => Ok(Some(Outcome::Failure {
                exc_module: result["exc_module"].as_str().unwrap_or("").into(),
                exc_type: result["exc_type"].as_str().unwrap_or("").into(),
                message: result["exc_message"][0].as_str().unwrap_or("").into(),
            })),
            Some("PENDING" | "STARTED" | "RETRY") => Ok(None),
            other => Err(format!("unexpected task state {other:?}")),
        }
    }
}

/// Where a task's result lives, and the channel its arrival is announced on.
pub fn result_key(task_id: &str) -> String {
    format!("celery-task-meta-{task_id}")
}
// ANCHOR_END: from_meta

// ANCHOR: redis
/// Sends a task: `LPUSH` onto the queue's list, as kombu does.
pub fn send(conn: &mut impl Commands, queue: &str, task: &TaskMessage) -> redis::RedisResult<()> {
    conn.lpush(queue, task.to_wire(queue))
}

/// Stores an outcome where `AsyncResult.get()` finds it, and tells the
/// clients that subscribed to it (Python's `get()` does both: reads, then waits).
pub fn store_result(
    conn: &mut impl Commands,
    task_id: &str,
    outcome: &Outcome,
) -> redis::RedisResult<()> {
    let key = result_key(task_id);
    let meta = outcome.to_meta(task_id);
    redis::pipe()
        .set_ex(&key, &meta, RESULT_EXPIRES_SECS)
        .ignore()
        .publish(&key, &meta)
        .ignore()
        .exec(conn)
}

/// Waits for a task's outcome, polling its result key, for at most `timeout`.
pub fn wait_result(
    conn: &mut impl Commands,
    task_id: &str,
    timeout: Duration,
) -> Result<Outcome, String> {
    let deadline = Instant::now() + timeout;
    loop {
        let meta: Option<String> = conn.get(result_key(task_id)).map_err(|e| e.to_string())?;
        if let Some(outcome) = meta
            .as_deref()
            .map(Outcome::from_meta)
            .transpose()?
            .flatten()
        {
            return Ok(outcome);
        }
        if Instant::now() >= deadline {
            return Err(format!("no result for task {task_id} after {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
// ANCHOR_END: redis

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_survives_the_round_trip() {
        let mut task = TaskMessage::new("cookbook.add", vec![json!(2), json!(3)]);
        task.kwargs.insert("scale".into(), json!(10));
        task.retries = 2;
        assert_eq!(TaskMessage::from_wire(&task.to_wire("celery")), Ok(task));
    }

    #[test]
    fn reads_what_python_celery_sends() {
        // Captured from Celery 5.7.0: app.send_task('cookbook.add', args=(2, 3)).
        let raw = r#"{"body": "W1syLCAzXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "cookbook.add", "id": "6ac89172-a3df-40a0-9478-c69c640ddb57", "shadow": null, "eta": null, "expires": null, "group": null, "group_index": null, "retries": 0, "timelimit": [null, null], "root_id": "6ac89172-a3df-40a0-9478-c69c640ddb57", "parent_id": null, "argsrepr": "(2, 3)", "kwargsrepr": "{}", "origin": "gen3511@vm", "ignore_result": null, "replaced_task_nesting": 0, "stamped_headers": null, "stamps": {}}, "properties": {"correlation_id": "6ac89172-a3df-40a0-9478-c69c640ddb57", "reply_to": "11e2cd66-cf59-3eb8-b4f3-135ab102276c", "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "9637bc77-0491-4915-8955-5dc4650f1132"}}"#;
        let task = TaskMessage::from_wire(raw).unwrap();
        assert_eq!(task.task, "cookbook.add");
        assert_eq!(task.id, "6ac89172-a3df-40a0-9478-c69c640ddb57");
        assert_eq!(task.args, vec![json!(2), json!(3)]);
    }

    #[test]
    fn refuses_what_it_cannot_run_and_says_why() {
        let err = TaskMessage::from_wire("not json").unwrap_err();
        assert!(err.starts_with("malformed message"), "{err}");
        let err = TaskMessage::from_wire(r#"{"headers": {}}"#).unwrap_err();
        assert!(err.contains("no task name"), "{err}");
        let pickle = TaskMessage::new("t", vec![])
            .to_wire("celery")
            .replace("application/json", "application/x-python-serialize");
        let err = TaskMessage::from_wire(&pickle).unwrap_err();
        assert!(err.contains("JSON only"), "{err}");
    }

    #[test]
    fn outcomes_survive_the_round_trip() {
        for outcome in [
            Outcome::Success(json!(5)),
            Outcome::builtin_error("TypeError", "add takes 2 integers"),
        ] {
            let meta = outcome.to_meta("id-1");
            assert_eq!(Outcome::from_meta(&meta), Ok(Some(outcome)));
        }
        assert_eq!(Outcome::from_meta(r#"{"status": "PENDING"}"#), Ok(None));
    }
}
