//! Recipe 2.12: events. The book's hand-built `Event` (code/src/ch02_event): workers
//! wait for a start signal, a timed wait that gives up, `clear`, and a worker
//! whose "interruptible sleep" ends the moment a stop event is set.
//!
//! Run: cargo run -p cookbook --example ch02_12_event [-- --workers 4]

use cookbook::ch02_event::Event;
use cookbook::cli::Options;
use cookbook::measure::ms;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

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

fn main() {
    let options = Options::from_env(&[("workers", "4")]);
    let workers = options.positive("workers");

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
    // ANCHOR_END: main
}
