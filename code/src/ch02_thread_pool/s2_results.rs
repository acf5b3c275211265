//! Stage 2: jobs that return a result, delivered through a one-slot handle.

use super::s1_workers;
use crate::sync::{Arc, Condvar, Mutex, lock};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

// ANCHOR: submit
/// Stage 1's pool, plus `submit`.
pub struct ThreadPool {
    workers: s1_workers::ThreadPool,
}

/// The pending result of a submitted job.
pub struct JobHandle<T> {
    slot: Arc<Slot<T>>,
}

/// Where a worker leaves a result: `None` until the job has finished.
struct Slot<T> {
    result: Mutex<Option<std::thread::Result<T>>>,
    filled: Condvar,
}

impl ThreadPool {
    pub fn new(workers: usize) -> Self {
        ThreadPool {
            workers: s1_workers::ThreadPool::new(workers),
        }
    }

    pub fn execute(&self, job: impl FnOnce() + Send + 'static) {
        self.workers.execute(job);
    }

    /// Queues `job` and returns a handle to its result.
    pub fn submit<T, F>(&self, job: F) -> JobHandle<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let slot = Arc::new(Slot {
            result: Mutex::new(None),
            filled: Condvar::new(),
        });
        let worker_slot = Arc::clone(&slot);
        self.workers.execute(move || {
            // Catch the panic here, so the caller gets it from `join`.
            let result = catch_unwind(AssertUnwindSafe(job));
            *lock(&worker_slot.result) = Some(result);
            worker_slot.filled.notify_one();
        });
        JobHandle { slot }
    }
}

impl<T> JobHandle<T> {
    /// Waits for the job; `Err` carries the panic of a job that panicked.
    pub fn join(self) -> std::thread::Result<T> {
        let mut result = lock(&self.slot.result);
        loop {
            match result.take() {
                Some(result) => return result,
                None => {
                    result = self
                        .slot
                        .filled
                        .wait(result)
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                }
            }
        }
    }

    /// Waits for the job and returns its value, re-raising its panic here.
    pub fn value(self) -> T {
        self.join().unwrap_or_else(|panic| resume_unwind(panic))
    }
}
// ANCHOR_END: submit
