// Recipe 2.12: events. An `Event` (Python's `threading.Event`) built from a
// `Mutex` (a flag and a generation count) and a `Condvar`: workers wait for a
// start signal, a timed wait gives up, `clear` resets the flag, and a worker's
// "interruptible sleep" ends the moment a stop event is set.
//
// Run: cargo run -p cookbook --example ch02_12_event [-- --workers 4]
//
// (Plain comments, not `//!`: code/tests/loom.rs includes this file as a
// module to model-check the event, and inner doc comments cannot be included.)

extern crate clap; // named for `mdbook test`; Cargo does not need it

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: event
#[derive(Default)]
pub struct Event {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    is_set: bool,
    /// How many times `set` has run. A waiter notes it when it starts, and a
    /// change means a `set` came while it waited, even if `clear` followed.
    generation: u64,
}

impl State {
    /// Whether a waiter that started at generation `start` may return.
    fn released(&self, start: u64) -> bool {
        self.is_set || self.generation != start
    }
}

impl Event {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the flag and wakes every waiting thread.
    pub fn set(&self) {
        let mut state = self.state();
        state.is_set = true;
        state.generation = state.generation.wrapping_add(1);
        drop(state);
        self.changed.notify_all();
    }

    /// Clears the flag: later `wait`s block again.
    pub fn clear(&self) {
        self.state().is_set = false;
    }

    pub fn is_set(&self) -> bool {
        self.state().is_set
    }

    /// The state, locked. Poisoning is ignored: no code of ours panics while
    /// holding the lock, and a waiter must not fail because a setter did.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
// ANCHOR_END: event

// ANCHOR: wait
impl Event {
    /// Blocks until the flag is set, or until a `set` has run since the call
    /// began (a `clear` right after that `set` does not put it back to sleep).
    pub fn wait(&self) {
        let mut state = self.state();
        let start = state.generation;
        while !state.released(start) {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Like `wait`, for at most `timeout`; returns `false` if the time ran
    /// out with no `set` (Python's `Event.wait(timeout)` returns the same).
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        // A timeout too long for an `Instant` (Duration::MAX, say) is no timeout.
        let Some(deadline) = Instant::now().checked_add(timeout) else {
            self.wait();
            return true;
        };
        let mut state = self.state();
        let start = state.generation;
        while !state.released(start) {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}
// ANCHOR_END: wait

// ANCHOR: start
/// `workers` threads wait for `start`; main prepares their input, then sets it.
fn start_signal(workers: usize) -> Vec<usize> {
    let start = Event::new();
    let input = Mutex::new(Vec::new());
    thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|id| {
                let (start, input) = (&start, &input);
                scope.spawn(move || {
                    start.wait(); // blocks until main calls set()
                    let input = input.lock().unwrap();
                    assert_eq!(input.len(), workers, "the event came before the input");
                    input[id] * 2
                })
            })
            .collect();
        // Whether or not the workers are already waiting, they all start
        // only after this line: the flag stays set for late arrivals.
        *input.lock().unwrap() = (1..=workers).collect();
        start.set();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}
// ANCHOR_END: start

// ANCHOR: timeout
fn timeout_and_clear() {
    let event = Event::new();
    assert!(!event.wait_timeout(Duration::from_millis(20)));
    println!("wait_timeout(20 ms) on an unset event: false (timed out)");
    event.set();
    assert!(event.wait_timeout(Duration::from_millis(20)));
    println!(
        "after set(): wait_timeout returns true at once, is_set {}",
        event.is_set()
    );
    event.clear();
    assert!(!event.is_set() && !event.wait_timeout(Duration::from_millis(1)));
    println!("after clear(): is_set false, waits block again");
}
// ANCHOR_END: timeout

// ANCHOR: stop
/// A worker that does a round of work, then sleeps `interval` unless `stop`
/// is set first. Returns the rounds it did and how long it took to notice.
fn interruptible_sleep(interval: Duration) -> (u32, Duration) {
    let stop = Event::new();
    let first_round_done = Event::new();
    thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let mut rounds = 0;
            loop {
                rounds += 1; // one round of periodic work
                first_round_done.set();
                if stop.wait_timeout(interval) {
                    break rounds; // set() ends the wait at once, not after `interval`
                }
            }
        });
        first_round_done.wait();
        let asked = Instant::now();
        stop.set();
        let rounds = worker.join().unwrap();
        (rounds, asked.elapsed())
    })
}
// ANCHOR_END: stop

// ANCHOR: park
/// For a single waiter that is known in advance, std has an event built in:
/// every thread has a token that `unpark` sets and `park` waits for. `park`
/// may also return for no reason, so it sits in a loop that checks the data.
fn park_until_ready() -> u64 {
    let input = OnceLock::<u64>::new();
    thread::scope(|scope| {
        let waiter = scope.spawn(|| {
            loop {
                if let Some(&value) = input.get() {
                    break value * 2;
                }
                thread::park(); // returns at once if the unpark came first
            }
        });
        input.set(21).expect("the input is set once");
        waiter.thread().unpark();
        waiter.join().unwrap()
    })
}
// ANCHOR_END: park

/// Workers wait for a start signal; then a timed wait, `clear`, and a stop event.
#[derive(Parser)]
struct Args {
    /// Worker threads released by the start signal.
    #[arg(long, default_value_t = 4,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=256))]
    workers: usize,
}

fn main() {
    let Args { workers } = parse_args();

    // ANCHOR: main
    let results = start_signal(workers);
    assert_eq!(results, (1..=workers).map(|x| x * 2).collect::<Vec<_>>());
    println!("{workers} workers released by one set(): results {results:?}");

    timeout_and_clear();

    let interval = Duration::from_secs(10);
    let (rounds, noticed) = interruptible_sleep(interval);
    assert_eq!(rounds, 1);
    assert!(noticed < interval / 2, "set() must cut the sleep short");
    println!(
        "worker sleeping up to {interval:?} stopped after {rounds} round, {} after set()",
        ms(noticed)
    );

    assert_eq!(park_until_ready(), 42);
    println!("park/unpark: the waiter returned 42, whichever of park and unpark came first");
    // ANCHOR_END: main
}

/// `12.345 ms`: times keep their decimals, so the book's tests can tell a
/// measurement (which varies) from a count (which must not).
fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1e3)
}

/// Reads the options. A bad one gets clap's own `error:` line (without the
/// usage text clap adds below it) and exit status 2; `--help` works as usual.
fn parse_args() -> Args {
    Args::try_parse().unwrap_or_else(|error| {
        if !error.use_stderr() {
            error.exit() // --help or --version: printed, exit status 0
        }
        eprintln!("{}", error.to_string().lines().next().unwrap_or_default());
        std::process::exit(2)
    })
}
