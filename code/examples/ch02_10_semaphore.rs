//! Recipe 2.10: semaphores. The book's hand-built `Semaphore` (code/src/ch02_semaphore)
//! limits how many threads use a pool of three "connections" at once; then the
//! non-blocking and timed variants, and a holder that panics without leaking its permit.
//!
//! Run: cargo run -p cookbook --example ch02_10_semaphore [-- --threads 10 --connections 3 --queries 4]

use cookbook::ch02_semaphore::Semaphore;
use cookbook::cli::Options;
use cookbook::measure::ms;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How long one query keeps its connection (a stand-in for a network round trip).
const QUERY_TIME: Duration = Duration::from_millis(2);

// ANCHOR: pool
/// A fixed set of connections, and a semaphore with one permit per connection.
/// A thread takes a permit first, so when it reaches the free list there is
/// always a connection on it.
struct ConnectionPool {
    permits: Semaphore,
    free: Mutex<Vec<usize>>,
    in_use: AtomicUsize,
    most_in_use: AtomicUsize,
}

impl ConnectionPool {
    fn new(connections: usize) -> Self {
        ConnectionPool {
            permits: Semaphore::new(connections),
            free: Mutex::new((0..connections).collect()),
            in_use: AtomicUsize::new(0),
            most_in_use: AtomicUsize::new(0),
        }
    }

    /// Runs one query on some free connection, waiting for one if necessary.
    fn query(&self, client: usize) -> usize {
        let _permit = self.permits.acquire(); // sleeps while all are taken
        let connection = self
            .free
            .lock()
            .unwrap()
            .pop()
            .expect("a permit means a free connection");
        let now = self.in_use.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_use.fetch_max(now, Ordering::SeqCst);

        thread::sleep(QUERY_TIME); // the query itself
        let answer = client * 10;

        self.in_use.fetch_sub(1, Ordering::SeqCst);
        self.free.lock().unwrap().push(connection);
        answer
        // `_permit` is dropped here, after the connection is back on the list:
        // the next thread that gets a permit will find it there.
    }
}
// ANCHOR_END: pool

// ANCHOR: clients
/// `threads` clients each run `queries` queries through a pool of `connections`.
fn run_clients(threads: usize, connections: usize, queries: usize) -> (usize, usize, Duration) {
    let pool = ConnectionPool::new(connections);
    let start = Instant::now();
    let answers: usize = thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|client| {
                let pool = &pool;
                scope.spawn(move || (0..queries).map(|_| pool.query(client)).sum::<usize>())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let elapsed = start.elapsed();
    assert_eq!(
        pool.permits.available(),
        connections,
        "every permit came back"
    );
    assert_eq!(pool.free.lock().unwrap().len(), connections);
    (answers, pool.most_in_use.into_inner(), elapsed)
}
// ANCHOR_END: clients

// ANCHOR: variants
/// `try_acquire`, `acquire_timeout`, and a permit returned by a panicking thread.
fn variants() {
    let semaphore = Semaphore::new(2);
    let first = semaphore.acquire();
    let second = semaphore.acquire();
    assert!(semaphore.try_acquire().is_none());
    assert!(
        semaphore
            .acquire_timeout(Duration::from_millis(20))
            .is_none()
    );
    println!("both permits held: try_acquire None, acquire_timeout(20 ms) None");
    drop(first);
    let third = semaphore.try_acquire();
    assert!(third.is_some());
    println!(
        "one dropped: try_acquire Some, available {}",
        semaphore.available()
    );
    drop((second, third));

    // The permit is a guard: a panic unwinds through its Drop and returns it.
    let outcome = thread::scope(|scope| {
        scope
            .spawn(|| {
                let _permit = semaphore.acquire();
                panic!("the query failed");
            })
            .join()
    });
    assert!(outcome.is_err());
    assert_eq!(semaphore.available(), 2);
    println!(
        "after a holder panicked: available {}",
        semaphore.available()
    );
}
// ANCHOR_END: variants

fn main() {
    let options = Options::from_env(&[("threads", "10"), ("connections", "3"), ("queries", "4")]);
    let threads = options.positive("threads");
    let connections = options.positive("connections");
    let queries = options.positive("queries");

    // ANCHOR: main
    let (answers, most_in_use, elapsed) = run_clients(threads, connections, queries);
    let expected: usize = (0..threads).map(|client| client * 10 * queries).sum();
    assert_eq!(answers, expected, "every query answered once");
    assert!(most_in_use <= connections, "the semaphore let too many in");
    println!(
        "{threads} threads x {queries} queries on {connections} connections: {answers} = expected sum"
    );
    println!("most connections in use at once: {most_in_use} (limit {connections})");
    // The queries of all threads, `connections` at a time, can take no less than this.
    let floor = QUERY_TIME * (threads * queries).div_ceil(connections) as u32;
    assert!(elapsed >= floor);
    println!(
        "took {} (lower bound with {connections} connections: {})",
        ms(elapsed),
        ms(floor)
    );

    variants();
    // ANCHOR_END: main
}
