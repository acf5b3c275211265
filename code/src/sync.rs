//! The synchronisation types the hand-built primitives of chapter 2 use: std's,
//! or loom's when the crate is built with `--cfg cookbook_loom` for model checking
//! (code/tests/loom.rs). The primitives' code is the same in both builds. The cfg
//! has a name of our own: tokio and crossbeam change their code under a plain `loom`.

#[cfg(cookbook_loom)]
pub(crate) use loom::{
    sync::{Arc, Condvar, Mutex, MutexGuard},
    thread,
};
#[cfg(not(cookbook_loom))]
pub(crate) use std::{
    sync::{Arc, Condvar, Mutex, MutexGuard},
    thread,
};

/// Locks `mutex`, ignoring poisoning. The primitives never panic while holding
/// their own lock, and a panic in a *user's* code must not make the primitive
/// unusable for every other thread.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
