//! Stage 2: `acquire` hands out a [`Permit`] that gives itself back on drop.

use crate::sync::{Condvar, Mutex, lock};
use std::time::{Duration, Instant};

// ANCHOR: semaphore
pub struct Semaphore {
    permits: Mutex<usize>,
    permit_released: Condvar,
}

/// Proof of holding one permit; dropping it releases the permit.
#[must_use = "the permit is released as soon as it is dropped"]
pub struct Permit<'a> {
    semaphore: &'a Semaphore,
}

impl Semaphore {
    pub fn new(permits: usize) -> Self {
        Semaphore {
            permits: Mutex::new(permits),
            permit_released: Condvar::new(),
        }
    }

    /// Takes a permit, sleeping until one is free.
    pub fn acquire(&self) -> Permit<'_> {
        let mut permits = lock(&self.permits);
        while *permits == 0 {
            permits = self
                .permit_released
                .wait(permits)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        *permits -= 1;
        Permit { semaphore: self }
    }

    /// Takes a permit if one is free now.
    pub fn try_acquire(&self) -> Option<Permit<'_>> {
        let mut permits = lock(&self.permits);
        (*permits > 0).then(|| {
            *permits -= 1;
            Permit { semaphore: self }
        })
    }
    // ANCHOR_END: semaphore

    /// Takes a permit, waiting at most `timeout` for one.
    pub fn acquire_timeout(&self, timeout: Duration) -> Option<Permit<'_>> {
        let deadline = Instant::now() + timeout;
        let mut permits = lock(&self.permits);
        while *permits == 0 {
            // Wake-ups can be spurious: wait for what is left of the timeout.
            let left = deadline.checked_duration_since(Instant::now())?;
            permits = self
                .permit_released
                .wait_timeout(permits, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        *permits -= 1;
        Some(Permit { semaphore: self })
    }

    /// Free permits right now (already stale when the caller reads it).
    pub fn available(&self) -> usize {
        *lock(&self.permits)
    }
    // ANCHOR: drop
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *lock(&self.semaphore.permits) += 1;
        self.semaphore.permit_released.notify_one();
    }
}
// ANCHOR_END: drop
