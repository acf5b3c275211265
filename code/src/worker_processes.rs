//! Worker processes for the task-queue listings (6.1, 6.7): this same program
//! started again in its worker role, as a reader would start workers in other
//! terminals. A worker prints `ready` once it is connected, and stops when its
//! stdin closes, so no worker outlives the program that started it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Starts `count` workers, `args(i)` for worker `i`, and waits until each is ready.
pub fn start(count: usize, args: impl Fn(usize) -> Vec<String>) -> Vec<Child> {
    let program = std::env::current_exe().expect("path of this program");
    (0..count)
        .map(|i| {
            let mut child = Command::new(&program)
                .args(args(i))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("start a worker process");
            let mut line = String::new();
            let stdout = child.stdout.as_mut().expect("piped stdout");
            BufReader::new(stdout)
                .read_line(&mut line)
                .expect("read from a worker");
            assert_eq!(line.trim(), "ready", "worker {i} did not start");
            child
        })
        .collect()
}

/// Closes each worker's stdin, its signal to finish, and waits for it.
pub fn stop(workers: Vec<Child>) {
    for mut worker in workers {
        drop(worker.stdin.take());
        let status = worker.wait().expect("wait for a worker");
        assert!(status.success(), "a worker failed: {status}");
    }
}

/// A future that completes when stdin reaches its end: the worker's signal to stop.
#[cfg(feature = "distributed")]
pub async fn stdin_closed() -> std::io::Result<()> {
    tokio::task::spawn_blocking(|| std::io::stdin().lines().for_each(drop)).await?;
    Ok(())
}
