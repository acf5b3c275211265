//! Stress tests of chapter 2's hand-built primitives: many threads, many rounds,
//! counts that must add up exactly. (code/tests/loom.rs explores every
//! interleaving of small scenarios; these run big ones on real threads.)
//! Each test runs under a deadline, so a deadlock fails instead of hanging.
//!
//! The primitives are the listings themselves, included whole: what a reader
//! copies from the page is what these tests hammer.

/// Recipe 2.10, stage 1: `acquire` and `release`.
#[allow(dead_code)] // the listing's `main` and demo code
mod s1_counting {
    include!("../examples/ch02_10_semaphore_counting.rs");
}

/// Recipe 2.10, stage 2: permits that release themselves.
#[allow(dead_code)]
mod s2_permit {
    include!("../examples/ch02_10_semaphore.rs");
}

/// Recipe 2.12.
#[allow(dead_code)]
mod event {
    include!("../examples/ch02_12_event.rs");
}

/// std with a `Condvar` that also counts the threads asleep in `wait`, so a
/// test can wait until its waiters are asleep before it acts.
mod counting_std {
    pub use ::std::*;

    pub mod sync {
        use ::std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        pub use ::std::sync::*;
        use ::std::time::Duration;

        #[derive(Default)]
        pub struct Condvar {
            inner: ::std::sync::Condvar,
            waiting: AtomicUsize,
        }

        impl Condvar {
            // A waiter is counted from before it releases the mutex until
            // after it holds it again (spurious wake-ups included): a thread
            // that sees a count of n knows that n waiters have started.
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
            ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
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
#[allow(dead_code)]
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
#[allow(dead_code)]
mod pool {
    include!("../examples/ch02_16_thread_pool.rs");
}

use event::Event;
use pool::ThreadPool;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(60);
const THREADS: usize = 16;
const ROUNDS: usize = 5_000;

/// Runs `test` on its own thread and fails if it has not finished by the deadline.
fn with_deadline(test: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    let runner = thread::spawn(move || {
        test();
        let _ = done.send(());
    });
    match finished.recv_timeout(DEADLINE) {
        Ok(()) => runner.join().unwrap(),
        // The test panicked: re-raise its panic here.
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(runner.join().unwrap_err())
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("deadlock: not done after {DEADLINE:?}"),
    }
}

/// THREADS threads each pass ROUNDS times through a section guarded by
/// `guarded` (which gets the section to run); returns the most threads ever
/// seen inside at once, and fails if that exceeds `permits`.
fn hammer(permits: usize, guarded: impl Fn(&dyn Fn()) + Sync) -> usize {
    let inside = AtomicUsize::new(0);
    let most_inside = AtomicUsize::new(0);
    let section = || {
        let now = inside.fetch_add(1, SeqCst) + 1;
        most_inside.fetch_max(now, SeqCst);
        assert!(
            now <= permits,
            "{now} threads inside with {permits} permits"
        );
        thread::yield_now(); // Stay inside a little, so threads overlap.
        inside.fetch_sub(1, SeqCst);
    };
    thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| (0..ROUNDS).for_each(|_| guarded(&section)));
        }
    });
    most_inside.load(SeqCst)
}

#[test]
fn permit_semaphore_is_never_exceeded_and_loses_no_permit() {
    with_deadline(|| {
        let semaphore = s2_permit::Semaphore::new(3);
        let most = hammer(3, |section| {
            let _permit = semaphore.acquire();
            section();
        });
        assert!(
            most >= 2,
            "threads never overlapped: the test proves nothing"
        );
        assert_eq!(semaphore.available(), 3, "permits lost or created");
    });
}

#[test]
fn try_acquire_and_timeouts_respect_the_permits() {
    with_deadline(|| {
        let semaphore = s2_permit::Semaphore::new(2);
        hammer(2, |section| {
            if let Some(_permit) = semaphore.try_acquire() {
                section();
            } else if let Some(_permit) = semaphore.acquire_timeout(Duration::from_millis(5)) {
                section();
            }
        });
        assert_eq!(semaphore.available(), 2);
        let held = [semaphore.acquire(), semaphore.acquire()];
        assert!(semaphore.try_acquire().is_none());
        assert!(
            semaphore
                .acquire_timeout(Duration::from_millis(20))
                .is_none()
        );
        drop(held);
        assert_eq!(semaphore.available(), 2);
    });
}

/// A timeout too long for an `Instant` means "no timeout", not a panic.
#[test]
fn huge_timeouts_wait_without_a_deadline() {
    with_deadline(|| {
        let semaphore = s2_permit::Semaphore::new(1);
        let permit = semaphore.acquire_timeout(Duration::MAX);
        assert!(permit.is_some());
        drop(permit);
        let event = Event::new();
        event.set();
        assert!(event.wait_timeout(Duration::MAX));
    });
}

/// Queries that panic while they hold a connection give it back: the pool
/// ends with every connection free, and still answers.
#[test]
fn a_panicking_query_returns_its_connection() {
    with_deadline(|| {
        let pool = s2_permit::ConnectionPool::new(2);
        thread::scope(|scope| {
            for client in 0..THREADS {
                let pool = &pool;
                scope.spawn(move || {
                    for round in 0..100 {
                        let fails = round % 10 == 0;
                        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
                            let _connection = pool.get();
                            assert!(!fails, "query {round} of client {client} fails");
                        }));
                        assert_eq!(outcome.is_err(), fails);
                    }
                });
            }
        });
        assert_eq!(
            pool.free_connections(),
            2,
            "a panicking query kept its connection"
        );
        assert_eq!(pool.query(3), 30);
    });
}

#[test]
fn counting_semaphore_is_never_exceeded() {
    with_deadline(|| {
        let semaphore = s1_counting::Semaphore::new(3);
        hammer(3, |section| {
            semaphore.acquire();
            section();
            semaphore.release();
        });
    });
}

#[test]
fn a_panicking_holder_gives_its_permit_back() {
    with_deadline(|| {
        let semaphore = s2_permit::Semaphore::new(1);
        let result = thread::scope(|scope| {
            scope
                .spawn(|| {
                    let _permit = semaphore.acquire();
                    panic!("holder fails");
                })
                .join()
        });
        assert!(result.is_err());
        assert_eq!(
            semaphore.available(),
            1,
            "the panicking thread leaked its permit"
        );
    });
}

#[test]
fn event_wakes_every_waiter_in_every_round() {
    with_deadline(|| {
        for _ in 0..500 {
            let event = Event::new();
            let woken = AtomicUsize::new(0);
            thread::scope(|scope| {
                for _ in 0..8 {
                    scope.spawn(|| {
                        event.wait();
                        woken.fetch_add(1, SeqCst);
                    });
                }
                event.set();
            });
            assert_eq!(woken.load(SeqCst), 8, "a waiter missed the signal");
        }
    });
}

/// Eight waiters asleep in `wait`, then `set()` and at once `clear()`: all
/// eight return in every round, as in Python. (An event on a bare flag
/// leaves waiters asleep here: they wake to find the flag cleared.)
#[test]
fn event_set_then_clear_wakes_every_waiter() {
    with_deadline(|| {
        for _ in 0..500 {
            let event = counted_event::Event::new();
            let woken = AtomicUsize::new(0);
            thread::scope(|scope| {
                for _ in 0..8 {
                    scope.spawn(|| {
                        event.wait();
                        woken.fetch_add(1, SeqCst);
                    });
                }
                while event.waiting() < 8 {
                    thread::yield_now();
                }
                event.set();
                event.clear();
            });
            assert_eq!(woken.load(SeqCst), 8, "a waiter slept through set()");
            assert!(!event.is_set());
        }
    });
}

#[test]
fn event_clear_and_timeout() {
    with_deadline(|| {
        let event = Event::new();
        assert!(
            !event.wait_timeout(Duration::from_millis(20)),
            "unset event must time out"
        );
        event.set();
        assert!(event.wait_timeout(Duration::from_millis(20)));
        event.clear();
        assert!(!event.is_set());
        assert!(!event.wait_timeout(Duration::from_millis(20)));
    });
}

#[test]
fn thread_pool_runs_every_job_exactly_once() {
    with_deadline(|| {
        const JOBS: usize = 100_000;
        let ran = Arc::new(AtomicUsize::new(0));
        let pool = ThreadPool::new(4);
        for _ in 0..JOBS {
            let ran = Arc::clone(&ran);
            pool.execute(move || {
                ran.fetch_add(1, SeqCst);
            });
        }
        drop(pool); // Finishes the queue, then joins the workers.
        assert_eq!(ran.load(SeqCst), JOBS, "jobs lost or run twice");
    });
}

#[test]
fn thread_pool_results_arrive_and_panics_are_reported() {
    with_deadline(|| {
        let pool = ThreadPool::new(4);
        let handles: Vec<_> = (0..10_000u64).map(|i| pool.submit(move || i * i)).collect();
        let failing = pool.submit(|| -> u64 { panic!("job fails") });
        let total: u64 = handles.into_iter().map(|handle| handle.value()).sum();
        assert_eq!(total, (0..10_000u64).map(|i| i * i).sum::<u64>());
        assert!(failing.join().is_err(), "the job's panic must reach join");
        // The workers survived the panic and still take jobs.
        assert_eq!(pool.submit(|| 42).value(), 42);
    });
}
