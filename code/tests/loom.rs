//! Model checking of chapter 2's hand-built primitives with loom: each scenario
//! runs once per possible interleaving of its threads (all of them, or those
//! within a preemption bound where the scenario says so), so a lost wake-up, a
//! lost permit or a deadlock in any schedule fails the test. Each scenario's
//! report (how many interleavings it explored) is compared with the captured
//! file the book shows, code/examples/output/loom_<scenario>.txt, like the
//! listings' output (UPDATE_OUTPUT=1 rewrites them).
//!
//! cargo test -p cookbook --test loom -- --nocapture
//!
//! The primitives are the listings themselves, included whole. A listing is
//! written against std, as a reader's program is; included below, it sees
//! [`loom_std`] under the name `std`, so its `std::sync::Mutex`, `Condvar`,
//! `Arc` and `std::thread::spawn` are loom's and every other path is std's.
//! No line of the listing changes for the model checker.

/// std, with the synchronisation that loom must control replaced by loom's.
mod loom_std {
    pub use ::std::*;

    pub mod sync {
        pub use ::std::sync::*;
        pub use loom::sync::{Arc, Condvar, Mutex, MutexGuard};
    }

    pub mod thread {
        pub use ::std::thread::*;
        pub use loom::thread::{JoinHandle, spawn};
    }
}

/// Recipe 2.10, stage 1: `acquire` and `release`.
#[allow(dead_code, unused_imports)] // the listing's `main` and demo code
mod s1_counting {
    use crate::loom_std as std;
    include!("../examples/ch02_10_semaphore_counting.rs");
}

/// Recipe 2.10, stage 2: permits that release themselves.
#[allow(dead_code, unused_imports)]
mod s2_permit {
    use crate::loom_std as std;
    include!("../examples/ch02_10_semaphore.rs");
}

/// Recipe 2.12.
#[allow(dead_code, unused_imports)]
mod event {
    use crate::loom_std as std;
    include!("../examples/ch02_12_event.rs");
}

/// `loom_std` with a `Condvar` that also counts the threads asleep in `wait`:
/// a test can then wait until its waiters are asleep before it acts.
mod counting_std {
    pub use crate::loom_std::*;

    pub mod sync {
        pub use crate::loom_std::sync::*;
        use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        use std::time::Duration;

        #[derive(Default)]
        pub struct Condvar {
            inner: loom::sync::Condvar,
            waiting: AtomicUsize,
        }

        impl Condvar {
            // A waiter is counted from before it releases the mutex until
            // after it holds it again: a thread that sees a count of n knows
            // that n waiters are asleep, or hold the mutex and will sleep.
            pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
                self.waiting.fetch_add(1, SeqCst);
                let guard = self.inner.wait(guard);
                self.waiting.fetch_sub(1, SeqCst);
                guard
            }

            pub fn wait_timeout<'a, T>(
                &self,
                guard: MutexGuard<'a, T>,
                timeout: Duration,
            ) -> LockResult<(MutexGuard<'a, T>, loom::sync::WaitTimeoutResult)> {
                self.waiting.fetch_add(1, SeqCst);
                let result = self.inner.wait_timeout(guard, timeout);
                self.waiting.fetch_sub(1, SeqCst);
                result
            }

            pub fn notify_all(&self) {
                self.inner.notify_all();
            }

            pub fn waiting(&self) -> usize {
                self.waiting.load(SeqCst)
            }
        }
    }
}

/// Recipe 2.12 again, on the counting `Condvar`.
#[allow(dead_code, unused_imports)]
mod counted_event {
    use crate::counting_std as std;
    include!("../examples/ch02_12_event.rs");

    impl Event {
        /// How many threads are asleep in this event's `wait`.
        pub fn waiting(&self) -> usize {
            self.changed.waiting()
        }
    }
}

/// Recipe 2.16, both stages.
#[allow(dead_code, unused_imports)]
mod pool {
    use crate::loom_std as std;
    include!("../examples/ch02_16_thread_pool.rs");
}

use event::Event;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;
use pool::ThreadPool;
use std::sync::atomic::AtomicUsize as StdAtomicUsize;

/// Runs `scenario` under loom and reports how many interleavings it explored.
fn explore(file: &str, name: &str, scenario: impl Fn() + Sync + Send + 'static) {
    explore_bounded(file, name, None, scenario);
}

/// Like [`explore`], with at most `preemptions` forced thread switches per run:
/// without a bound, the scenarios with three busy threads run for hours. Most
/// concurrency bugs need only one or two preemptions to show.
fn explore_bounded(
    file: &str,
    name: &str,
    preemptions: Option<usize>,
    scenario: impl Fn() + Sync + Send + 'static,
) {
    // A std counter, outside loom's view: it only counts the runs.
    let runs = std::sync::Arc::new(StdAtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&runs);
    let mut model = loom::model::Builder::new();
    model.preemption_bound = preemptions;
    model.check(move || {
        counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        scenario();
    });
    let runs = runs.load(std::sync::atomic::Ordering::Relaxed);
    let bound = preemptions.map_or("no bound".to_owned(), |n| {
        format!("at most {n} preemptions")
    });
    let report = format!("loom: {name}: {runs} interleavings explored ({bound})\n");
    print!("{report}");
    let captured = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/output")
        .join(format!("loom_{file}.txt"));
    if std::env::var_os("UPDATE_OUTPUT").is_some() {
        std::fs::write(&captured, &report).expect("write the captured report");
    } else {
        let expected = std::fs::read_to_string(&captured).unwrap_or_default();
        assert_eq!(
            report,
            expected,
            "the report differs from {} (loom or the primitive changed?); \
             recapture with UPDATE_OUTPUT=1",
            captured.display()
        );
    }
}

/// Two threads share one permit: never both inside, and the permit comes back.
#[test]
fn semaphore_with_permits_never_admits_two() {
    explore(
        "semaphore_permit",
        "semaphore (permit guard), 1 permit, 2 threads",
        || {
            let semaphore = Arc::new(s2_permit::Semaphore::new(1));
            let inside = Arc::new(AtomicUsize::new(0));
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let (semaphore, inside) = (Arc::clone(&semaphore), Arc::clone(&inside));
                    thread::spawn(move || {
                        let _permit = semaphore.acquire();
                        assert_eq!(inside.fetch_add(1, SeqCst), 0, "two threads inside");
                        inside.fetch_sub(1, SeqCst);
                    })
                })
                .collect();
            for thread in threads {
                thread.join().unwrap();
            }
            assert_eq!(semaphore.available(), 1, "a permit was lost");
        },
    );
}

/// Stage 1's paired acquire/release, same property.
#[test]
fn counting_semaphore_never_admits_two() {
    explore(
        "semaphore_counting",
        "semaphore (acquire/release), 1 permit, 2 threads",
        || {
            let semaphore = Arc::new(s1_counting::Semaphore::new(1));
            let inside = Arc::new(AtomicUsize::new(0));
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let (semaphore, inside) = (Arc::clone(&semaphore), Arc::clone(&inside));
                    thread::spawn(move || {
                        semaphore.acquire();
                        assert_eq!(inside.fetch_add(1, SeqCst), 0, "two threads inside");
                        inside.fetch_sub(1, SeqCst);
                        semaphore.release();
                    })
                })
                .collect();
            for thread in threads {
                thread.join().unwrap();
            }
        },
    );
}

/// Two waiters and a setter: whatever the order, both waiters wake up.
#[test]
fn event_wakes_every_waiter() {
    explore("event", "event, 2 waiters and 1 setter", || {
        let event = Arc::new(Event::new());
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let event = Arc::clone(&event);
                thread::spawn(move || event.wait())
            })
            .collect();
        event.set();
        for waiter in waiters {
            waiter.join().unwrap();
        }
        assert!(event.is_set());
    });
}

/// Two waiters asleep in `wait`, then `set()` and at once `clear()`: both
/// waiters still return (as in Python), however late they run after `set`.
/// An event on a bare flag fails here even with no preemption at all (main
/// runs `set` and `clear` before the waiters wake), so a bound of 3 loses
/// nothing that matters and keeps the test short (unbounded, the waiting loop
/// below makes it some 360 000 interleavings and 15 s).
#[test]
fn event_set_then_clear_wakes_every_waiter() {
    explore_bounded(
        "event_set_clear",
        "event, 2 waiters asleep, then set() and clear() at once",
        Some(3),
        || {
            let event = Arc::new(counted_event::Event::new());
            let waiters: Vec<_> = (0..2)
                .map(|_| {
                    let event = Arc::clone(&event);
                    thread::spawn(move || event.wait())
                })
                .collect();
            while event.waiting() < 2 {
                thread::yield_now(); // until both are asleep in `wait`
            }
            event.set();
            event.clear();
            for waiter in waiters {
                waiter.join().unwrap();
            }
            assert!(!event.is_set());
        },
    );
}

/// One worker, two submitted jobs, then the pool is dropped: both results
/// arrive and no job is lost, in every interleaving.
#[test]
fn thread_pool_runs_every_job() {
    explore(
        "pool_one_worker",
        "thread pool, 1 worker, 2 jobs with results",
        || {
            let pool = ThreadPool::new(1);
            let first = pool.submit(|| 1);
            let second = pool.submit(|| 2);
            assert_eq!(first.value() + second.value(), 3);
            drop(pool);
        },
    );
    explore_bounded(
        "pool_two_workers",
        "thread pool, 2 workers, 2 jobs, dropped at once",
        Some(5),
        || {
            let ran = Arc::new(AtomicUsize::new(0));
            let pool = ThreadPool::new(2);
            for _ in 0..2 {
                let ran = Arc::clone(&ran);
                pool.execute(move || {
                    ran.fetch_add(1, SeqCst);
                });
            }
            drop(pool);
            assert_eq!(ran.load(SeqCst), 2, "a job was lost");
        },
    );
}
