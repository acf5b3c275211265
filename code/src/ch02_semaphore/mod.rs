//! Recipe 2.10: a counting semaphore, built in two stages from a `Mutex` and a
//! `Condvar` (std has none).
//!
//! - [`s1_counting`]: `acquire` and `release` calls the caller must pair.
//! - [`s2_permit`]: `acquire` returns a permit that releases itself when dropped,
//!   so an early return or a panic cannot leak it. This is the one to use.

pub mod s1_counting;
pub mod s2_permit;

pub use s2_permit::{Permit, Semaphore};
