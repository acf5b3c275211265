// Recipe 2.10, stage 2: the semaphore's `acquire` returns a permit that
// releases itself when dropped, so an early return or a panic cannot leak it.
// It limits how many of ten threads use a pool of three "connections" at once;
// then the non-blocking and timed variants, and a holder that panics.
//
// Run: cargo run -p cookbook --example ch02_10_semaphore [-- --threads 10 --connections 3 --queries 4]
//
// (Plain comments, not `//!`: code/tests/loom.rs includes this file as a
// module to model-check the semaphore, and inner doc comments cannot be
// included.)

extern crate clap; // named for `mdbook test`; Cargo does not need it

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
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
        let mut permits = self.permits.lock().unwrap_or_else(PoisonError::into_inner);
        while *permits == 0 {
            permits = self
                .permit_released
                .wait(permits)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *permits -= 1;
        Permit { semaphore: self }
    }

    /// Takes a permit if one is free now.
    pub fn try_acquire(&self) -> Option<Permit<'_>> {
        let mut permits = self.permits.lock().unwrap_or_else(PoisonError::into_inner);
        (*permits > 0).then(|| {
            *permits -= 1;
            Permit { semaphore: self }
        })
    }
}
// ANCHOR_END: semaphore

impl Semaphore {
    /// Takes a permit, waiting at most `timeout` for one.
    pub fn acquire_timeout(&self, timeout: Duration) -> Option<Permit<'_>> {
        // A timeout too long for an `Instant` (Duration::MAX, say) is no timeout.
        let Some(deadline) = Instant::now().checked_add(timeout) else {
            return Some(self.acquire());
        };
        let mut permits = self.permits.lock().unwrap_or_else(PoisonError::into_inner);
        while *permits == 0 {
            // Wake-ups can be spurious: wait for what is left of the timeout.
            let left = deadline.checked_duration_since(Instant::now())?;
            permits = self
                .permit_released
                .wait_timeout(permits, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        *permits -= 1;
        Some(Permit { semaphore: self })
    }

    /// Free permits right now (already stale when the caller reads it).
    pub fn available(&self) -> usize {
        *self.permits.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

// ANCHOR: drop
impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let semaphore = self.semaphore;
        *semaphore
            .permits
            .lock()
            .unwrap_or_else(PoisonError::into_inner) += 1;
        semaphore.permit_released.notify_one();
    }
}
// ANCHOR_END: drop

/// How long one query keeps its connection (a stand-in for a network round trip).
const QUERY_TIME: Duration = Duration::from_millis(2);

// ANCHOR: pool
/// A fixed set of connections, and a semaphore with one permit per connection.
/// A thread takes a permit first, so when it reaches the free list there is
/// always a connection on it.
pub struct ConnectionPool {
    permits: Semaphore,
    free: Mutex<Vec<usize>>,
    in_use: AtomicUsize,
    most_in_use: AtomicUsize,
}

impl ConnectionPool {
    pub fn new(connections: usize) -> Self {
        ConnectionPool {
            permits: Semaphore::new(connections),
            free: Mutex::new((0..connections).collect()),
            in_use: AtomicUsize::new(0),
            most_in_use: AtomicUsize::new(0),
        }
    }

    /// Lends a free connection, waiting for one if necessary.
    pub fn get(&self) -> Connection<'_> {
        let permit = self.permits.acquire(); // sleeps while all are taken
        let id = self
            .free_list()
            .pop()
            .expect("a permit means a free connection");
        // Relaxed is enough: these only count. A read-modify-write always sees
        // its counter's latest value, and the semaphore orders a returned
        // connection's decrement before the next borrower's increment.
        let now = self.in_use.fetch_add(1, Ordering::Relaxed) + 1;
        self.most_in_use.fetch_max(now, Ordering::Relaxed);
        Connection {
            id,
            pool: self,
            _permit: permit,
        }
    }

    /// Runs one query on some free connection.
    pub fn query(&self, client: usize) -> usize {
        let _connection = self.get();
        thread::sleep(QUERY_TIME); // the query itself
        client * 10
    } // `_connection` is dropped here, and goes back to the pool

    pub fn free_connections(&self) -> usize {
        self.free_list().len()
    }

    fn free_list(&self) -> MutexGuard<'_, Vec<usize>> {
        self.free.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
// ANCHOR_END: pool

// ANCHOR: connection
/// A connection on loan. Dropping it, after a query or while a panic unwinds,
/// puts the connection back on the free list, then releases the permit.
#[must_use = "the connection goes back to the pool as soon as it is dropped"]
pub struct Connection<'a> {
    id: usize,
    pool: &'a ConnectionPool,
    _permit: Permit<'a>, // fields are dropped after `drop` below has run
}

impl Drop for Connection<'_> {
    fn drop(&mut self) {
        self.pool.in_use.fetch_sub(1, Ordering::Relaxed);
        self.pool.free_list().push(self.id);
        // `_permit` is dropped next: the thread that gets the permit will
        // find this connection on the list.
    }
}
// ANCHOR_END: connection

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
    assert_eq!(pool.free_connections(), connections);
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

// ANCHOR: panicking_query
/// A query that panics still returns its connection: the guard's `Drop` runs
/// while the panic unwinds. With one connection, a lost one would leave the
/// free list empty, and the next query would panic at its `expect`.
fn panicking_query() -> usize {
    let pool = ConnectionPool::new(1);
    let outcome = thread::scope(|scope| {
        scope
            .spawn(|| {
                let _connection = pool.get();
                panic!("the query failed");
            })
            .join()
    });
    assert!(outcome.is_err());
    assert_eq!(pool.free_connections(), 1, "the connection came back");
    pool.query(7)
}
// ANCHOR_END: panicking_query

/// Ten clients share three connections through the semaphore.
#[derive(Parser)]
struct Args {
    /// Client threads.
    #[arg(long, default_value_t = 10,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    threads: usize,
    /// Connections in the pool (permits of the semaphore).
    #[arg(long, default_value_t = 3,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=256))]
    connections: usize,
    /// Queries per client (each holds a connection for 2 ms).
    #[arg(long, default_value_t = 4,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100))]
    queries: usize,
}

fn main() {
    let Args {
        threads,
        connections,
        queries,
    } = parse_args();

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
    assert_eq!(panicking_query(), 70);
    println!("after a query panicked: its connection was back, the next query answered 70");
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
