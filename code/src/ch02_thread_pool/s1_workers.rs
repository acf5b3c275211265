//! Stage 1: workers and a job queue.

use crate::sync::{Arc, Condvar, Mutex, lock, thread};
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};

type Job = Box<dyn FnOnce() + Send + 'static>;

// ANCHOR: pool
pub struct ThreadPool {
    shared: Arc<Shared>,
    workers: Vec<thread::JoinHandle<()>>,
}

struct Shared {
    queue: Mutex<Queue>,
    job_queued: Condvar,
}

struct Queue {
    jobs: VecDeque<Job>,
    closed: bool,
}

impl ThreadPool {
    pub fn new(workers: usize) -> Self {
        assert!(workers > 0, "a pool needs at least one worker");
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                closed: false,
            }),
            job_queued: Condvar::new(),
        });
        let workers = (0..workers)
            .map(|_| {
                let shared = Arc::clone(&shared);
                thread::spawn(move || shared.work())
            })
            .collect();
        ThreadPool { shared, workers }
    }

    /// Queues `job`; some idle worker will run it.
    pub fn execute(&self, job: impl FnOnce() + Send + 'static) {
        lock(&self.shared.queue).jobs.push_back(Box::new(job));
        self.shared.job_queued.notify_one();
    }
}

impl Shared {
    /// A worker's life: take the next job, run it without holding the lock,
    /// and stop once the queue is closed and empty.
    fn work(&self) {
        loop {
            let job = {
                let mut queue = lock(&self.queue);
                loop {
                    if let Some(job) = queue.jobs.pop_front() {
                        break job;
                    }
                    if queue.closed {
                        return;
                    }
                    queue = self
                        .job_queued
                        .wait(queue)
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                }
            };
            // A panicking job must not take its worker down with it.
            let _ = catch_unwind(AssertUnwindSafe(job));
        }
    }
}

impl Drop for ThreadPool {
    /// Runs every queued job, then stops the workers and waits for them.
    fn drop(&mut self) {
        lock(&self.shared.queue).closed = true;
        self.shared.job_queued.notify_all();
        for worker in self.workers.drain(..) {
            worker.join().expect("workers catch job panics");
        }
    }
}
// ANCHOR_END: pool
