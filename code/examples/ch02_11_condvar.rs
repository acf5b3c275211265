//! Recipe 2.11: condition variables. A bounded buffer built from a `Mutex<VecDeque>`
//! and two `Condvar`s (not full, not empty), shared by producers and consumers;
//! every item must be consumed exactly once and the buffer never overfilled.
//!
//! Run: cargo run -p cookbook --example ch02_11_condvar [-- --producers 2 --consumers 2 --items 20000 --capacity 8]

extern crate clap; // named for `mdbook test`; Cargo does not need it

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::{Condvar, Mutex};
use std::thread;

// ANCHOR: buffer
struct State {
    items: VecDeque<u64>,
    closed: bool,
    most_held: usize,
}

/// A queue of at most `capacity` items. `push` sleeps while it is full,
/// `pop` sleeps while it is empty; each side wakes the other.
struct BoundedBuffer {
    state: Mutex<State>,
    not_full: Condvar,
    not_empty: Condvar,
    capacity: usize,
}

impl BoundedBuffer {
    fn new(capacity: usize) -> Self {
        BoundedBuffer {
            state: Mutex::new(State {
                items: VecDeque::with_capacity(capacity),
                closed: false,
                most_held: 0,
            }),
            not_full: Condvar::new(),
            not_empty: Condvar::new(),
            capacity,
        }
    }
}
// ANCHOR_END: buffer

// ANCHOR: push_pop
impl BoundedBuffer {
    fn push(&self, item: u64) {
        let mut state = self.state.lock().unwrap();
        // Always a loop: `wait` can return without a notification (a spurious
        // wake-up), and another producer may have filled the slot first.
        while state.items.len() == self.capacity {
            state = self.not_full.wait(state).unwrap();
        }
        state.items.push_back(item);
        state.most_held = state.most_held.max(state.items.len());
        drop(state); // unlock before waking, so the woken thread can take the lock
        self.not_empty.notify_one();
    }

    /// The next item, or `None` once the buffer is closed and drained.
    fn pop(&self) -> Option<u64> {
        let state = self.state.lock().unwrap();
        // `wait_while` is the same loop, written for you: it sleeps while the
        // closure returns true, re-checking after every wake-up.
        let mut state = self
            .not_empty
            .wait_while(state, |s| s.items.is_empty() && !s.closed)
            .unwrap();
        let item = state.items.pop_front();
        drop(state);
        if item.is_some() {
            self.not_full.notify_one();
        }
        item
    }

    /// No more items will come: wake *every* consumer so each can see it.
    fn close(&self) {
        self.state.lock().unwrap().closed = true;
        self.not_empty.notify_all();
    }
}
// ANCHOR_END: push_pop

// ANCHOR: run
/// Producer `p` pushes the items `p*items .. (p+1)*items`; each consumer
/// returns everything it popped.
fn run(producers: usize, consumers: usize, items: u64, capacity: usize) -> (Vec<u64>, usize) {
    let buffer = BoundedBuffer::new(capacity);
    let mut consumed = thread::scope(|scope| {
        let consumer_handles: Vec<_> = (0..consumers)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    while let Some(item) = buffer.pop() {
                        mine.push(item);
                    }
                    mine
                })
            })
            .collect();
        let producer_handles: Vec<_> = (0..producers as u64)
            .map(|p| {
                let buffer = &buffer;
                scope.spawn(move || (p * items..(p + 1) * items).for_each(|item| buffer.push(item)))
            })
            .collect();
        for handle in producer_handles {
            handle.join().unwrap();
        }
        buffer.close(); // only after every producer is done
        consumer_handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect::<Vec<u64>>()
    });
    consumed.sort_unstable();
    (consumed, buffer.state.into_inner().unwrap().most_held)
}
// ANCHOR_END: run

// ANCHOR: priority
/// Python's `queue.PriorityQueue`: a mutex and a condition variable again,
/// with a `BinaryHeap` in place of the `VecDeque`, so `pop` returns the most
/// urgent item waiting rather than the oldest. Unbounded: only `pop` waits.
struct PriorityQueue<T> {
    heap: Mutex<BinaryHeap<T>>,
    not_empty: Condvar,
}

impl<T: Ord> PriorityQueue<T> {
    fn new() -> Self {
        PriorityQueue {
            heap: Mutex::new(BinaryHeap::new()),
            not_empty: Condvar::new(),
        }
    }

    fn push(&self, item: T) {
        self.heap.lock().unwrap().push(item);
        self.not_empty.notify_one();
    }

    fn pop(&self) -> T {
        let heap = self.heap.lock().unwrap();
        let mut heap = self.not_empty.wait_while(heap, |h| h.is_empty()).unwrap();
        heap.pop().expect("not empty after wait_while")
    }
}

/// Four threads queue a job each, in whatever order they run; a consumer
/// takes five. A `BinaryHeap` pops its largest item first; `Reverse` makes
/// that the smallest, Python's order: priority 1 before 2 before 3.
fn by_priority() -> Vec<(u8, &'static str)> {
    let queue = PriorityQueue::new();
    let jobs = [
        (3, "compress logs"),
        (1, "answer a request"),
        (2, "refresh a cache"),
        (1, "take a payment"),
    ];
    thread::scope(|scope| {
        for job in jobs {
            let queue = &queue;
            scope.spawn(move || queue.push(Reverse(job)));
        }
    });
    thread::scope(|scope| {
        let consumer = scope.spawn(|| (0..5).map(|_| queue.pop().0).collect());
        // The least urgent job: the consumer may be waiting in `pop` for it.
        queue.push(Reverse((9, "archive old files")));
        consumer.join().unwrap()
    })
}
// ANCHOR_END: priority

/// Producers and consumers share a bounded buffer built on two `Condvar`s.
#[derive(Parser)]
struct Args {
    /// Producer threads.
    #[arg(long, default_value_t = 2,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    producers: usize,
    /// Consumer threads.
    #[arg(long, default_value_t = 2,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    consumers: usize,
    /// Items per producer.
    #[arg(long, default_value_t = 20_000,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    items: u64,
    /// Buffer size.
    #[arg(long, default_value_t = 8,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    capacity: usize,
}

fn main() {
    let Args {
        producers,
        consumers,
        items,
        capacity,
    } = parse_args();

    // ANCHOR: main
    let (consumed, most_held) = run(producers, consumers, items, capacity);
    let total = producers as u64 * items;
    // Sorted, the consumed items must be exactly 0, 1, ..., total - 1:
    // nothing lost, nothing taken twice.
    assert!(
        consumed.iter().copied().eq(0..total),
        "each item exactly once"
    );
    assert!(most_held <= capacity, "the buffer overflowed");
    let sum: u64 = consumed.iter().sum();
    assert_eq!(sum, total * (total - 1) / 2);
    println!("{producers} producers x {items} items, {consumers} consumers, buffer of {capacity}");
    println!(
        "consumed {} items, each exactly once, sum {sum}",
        consumed.len()
    );
    println!("the buffer never held more than {capacity} items");

    let order = by_priority();
    let priorities: Vec<u8> = order.iter().map(|&(priority, _)| priority).collect();
    assert_eq!(priorities, [1, 1, 2, 3, 9], "most urgent first");
    println!("priority queue, in the order popped: {order:?}");
    // ANCHOR_END: main
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
