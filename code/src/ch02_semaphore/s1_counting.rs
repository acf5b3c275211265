//! Stage 1: a counter of free permits, and a condition variable to sleep on
//! while there are none.

use crate::sync::{Condvar, Mutex, lock};

// ANCHOR: semaphore
pub struct Semaphore {
    permits: Mutex<usize>,
    permit_released: Condvar,
}

impl Semaphore {
    pub fn new(permits: usize) -> Self {
        Semaphore {
            permits: Mutex::new(permits),
            permit_released: Condvar::new(),
        }
    }

    /// Takes a permit, sleeping until one is free.
    pub fn acquire(&self) {
        let mut permits = lock(&self.permits);
        // A loop, not an `if`: a wait can end without a notification (a
        // spurious wake-up), or another thread can take the permit first.
        while *permits == 0 {
            permits = self
                .permit_released
                .wait(permits)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        *permits -= 1;
    }

    /// Returns a permit and wakes one sleeping `acquire`, if any.
    pub fn release(&self) {
        *lock(&self.permits) += 1;
        self.permit_released.notify_one();
    }
}
// ANCHOR_END: semaphore
