//! Recipe 2.12: an event, a flag that threads can wait on (Python's
//! `threading.Event`), built from a `Mutex<bool>` and a `Condvar`.

use crate::sync::{Condvar, Mutex, lock};
use std::time::{Duration, Instant};

// ANCHOR: event
#[derive(Default)]
pub struct Event {
    is_set: Mutex<bool>,
    changed: Condvar,
}

impl Event {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the flag and wakes every waiting thread.
    pub fn set(&self) {
        *lock(&self.is_set) = true;
        self.changed.notify_all();
    }

    /// Clears the flag: later `wait`s block again.
    pub fn clear(&self) {
        *lock(&self.is_set) = false;
    }

    pub fn is_set(&self) -> bool {
        *lock(&self.is_set)
    }

    /// Blocks until the flag is set.
    pub fn wait(&self) {
        let mut is_set = lock(&self.is_set);
        while !*is_set {
            is_set = self
                .changed
                .wait(is_set)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Blocks until the flag is set or `timeout` passes; returns the flag,
    /// so `false` means the wait timed out.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut is_set = lock(&self.is_set);
        while !*is_set {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            is_set = self
                .changed
                .wait_timeout(is_set, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        true
    }
}
// ANCHOR_END: event
