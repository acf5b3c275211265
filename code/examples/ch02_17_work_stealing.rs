//! Recipe 2.17: work stealing. An unbalanced job (item i costs i steps) split
//! recursively into tasks that workers keep on their own `crossbeam::deque`
//! and steal from each other when they run dry; compared with a static split
//! into equal halves and with `rayon::join`, which does the same thing for you.
//!
//! Run: cargo run -p cookbook --example ch02_17_work_stealing [-- --workers 2 --items 20000 --runs 3]

extern crate clap; // named for `mdbook test`; Cargo does not need it
extern crate crossbeam;
extern crate rayon;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use crossbeam::deque::{Injector, Steal, Stealer, Worker};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Tasks with at most this many items are run, not split.
const LEAF: u64 = 64;

// ANCHOR: work
/// Item `i` takes `i` dependent steps: late items cost far more than early ones.
fn item(i: u64) -> u64 {
    let (mut x, mut step) = (i, 0);
    // A plain `while`: unoptimised builds (the book's doc tests) run it quickly too.
    while step < i {
        x = x.wrapping_mul(0x5851_F42D_4C95_7F2D).wrapping_add(step);
        step += 1;
    }
    x
}

fn run_range(range: Range<u64>) -> u64 {
    range.map(item).fold(0, u64::wrapping_add)
}
// ANCHOR_END: work

// ANCHOR: static_split
/// Each worker gets an equal number of items, decided up front.
fn static_split(items: u64, workers: u64) -> u64 {
    let chunk = items.div_ceil(workers);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                scope.spawn(move || run_range((w * chunk).min(items)..((w + 1) * chunk).min(items)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .fold(0, u64::wrapping_add)
    })
}
// ANCHOR_END: static_split

/// What one worker of the stealing run did.
#[derive(Default)]
struct WorkerLog {
    checksum: u64,
    executed: usize,
    stolen: usize,
    steps: u64, // the sum of its items' costs
}

// ANCHOR: stealing
/// Workers pop tasks from their own deque; a task bigger than LEAF is split in
/// two and both halves go back on that deque. An idle worker takes from the
/// injector (where the first task waits) or steals from another worker.
fn work_stealing(items: u64, workers: usize) -> (Vec<WorkerLog>, usize) {
    let injector = Injector::new();
    injector.push(0..items);
    let locals: Vec<Worker<Range<u64>>> = (0..workers).map(|_| Worker::new_lifo()).collect();
    let stealers: Vec<Stealer<Range<u64>>> = locals.iter().map(Worker::stealer).collect();
    // Tasks created and not yet finished. Relaxed is enough: children are
    // counted before their parent is uncounted, so 0 is the last value it
    // takes and means "all done" whatever the ordering; the tasks themselves
    // travel through the deques, which synchronise on their own.
    let pending = AtomicUsize::new(1);
    let created = AtomicUsize::new(1);

    let logs = thread::scope(|scope| {
        let handles: Vec<_> = locals
            .into_iter()
            .enumerate()
            .map(|(me, local)| {
                let (injector, stealers, pending, created) =
                    (&injector, &stealers, &pending, &created);
                scope.spawn(move || {
                    let mut log = WorkerLog::default();
                    loop {
                        let task = match local.pop() {
                            Some(task) => Some(task),
                            None => find_task(me, &local, injector, stealers, &mut log),
                        };
                        let Some(range) = task else {
                            if pending.load(Ordering::Relaxed) == 0 {
                                break log; // nothing left anywhere, nothing to come
                            }
                            thread::yield_now();
                            continue;
                        };
                        if range.end - range.start > LEAF {
                            let middle = range.start + (range.end - range.start) / 2;
                            // Count the children before anyone can steal and finish them.
                            pending.fetch_add(2, Ordering::Relaxed);
                            created.fetch_add(2, Ordering::Relaxed);
                            local.push(middle..range.end);
                            local.push(range.start..middle);
                        } else {
                            log.steps += range.clone().sum::<u64>();
                            log.checksum = log.checksum.wrapping_add(run_range(range));
                        }
                        log.executed += 1;
                        pending.fetch_sub(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    (logs, created.into_inner())
}
// ANCHOR_END: stealing

// ANCHOR: find_task
/// A task from the injector, or else stolen from another worker's deque.
fn find_task(
    me: usize,
    local: &Worker<Range<u64>>,
    injector: &Injector<Range<u64>>,
    stealers: &[Stealer<Range<u64>>],
    log: &mut WorkerLog,
) -> Option<Range<u64>> {
    loop {
        // `Retry` means we lost a race with another thread: try again.
        match injector.steal_batch_and_pop(local) {
            Steal::Success(task) => return Some(task),
            Steal::Retry => continue,
            Steal::Empty => {}
        }
        let mut retry = false;
        for (_, stealer) in stealers.iter().enumerate().filter(|&(peer, _)| peer != me) {
            // steal() takes from the other end of the victim's deque: its
            // oldest task, which is the biggest one left.
            match stealer.steal() {
                Steal::Success(task) => {
                    log.stolen += 1;
                    return Some(task);
                }
                Steal::Retry => retry = true,
                Steal::Empty => {}
            }
        }
        if !retry {
            return None;
        }
    }
}
// ANCHOR_END: find_task

// ANCHOR: rayon
/// The same recursive split with `rayon::join`, which pushes the second
/// closure on the current worker's deque, where an idle worker can steal it.
fn rayon_split(range: Range<u64>) -> u64 {
    if range.end - range.start <= LEAF {
        return run_range(range);
    }
    let middle = range.start + (range.end - range.start) / 2;
    let (left, right) = rayon::join(
        || rayon_split(range.start..middle),
        || rayon_split(middle..range.end),
    );
    left.wrapping_add(right)
}
// ANCHOR_END: rayon

/// An unbalanced job: a static split, work stealing, and `rayon::join`.
#[derive(Parser)]
struct Args {
    /// Worker threads (2: the cores of the book's machine).
    #[arg(long, default_value_t = 2,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    workers: usize,
    /// Items; item i costs i steps.
    #[arg(long, default_value_t = 20_000,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    items: u64,
    /// Timed runs per version; the median is shown.
    #[arg(long, default_value_t = 3,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=25))]
    runs: usize,
}

fn main() {
    let Args {
        workers,
        items,
        runs,
    } = parse_args();

    // ANCHOR: main
    let (serial, serial_time) = median_time(runs, || run_range(0..items));
    let (by_halves, static_time) = median_time(runs, || static_split(items, workers as u64));
    let ((logs, created), stealing_time) = median_time(runs, || work_stealing(items, workers));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()
        .unwrap();
    let (by_rayon, rayon_time) = median_time(runs, || pool.install(|| rayon_split(0..items)));

    let by_stealing = logs
        .iter()
        .fold(0u64, |sum, log| sum.wrapping_add(log.checksum));
    let executed: usize = logs.iter().map(|log| log.executed).sum();
    let stolen: usize = logs.iter().map(|log| log.stolen).sum();
    assert_eq!(executed, created, "every task created was run exactly once");
    assert_eq!(
        [by_halves, by_stealing, by_rayon],
        [serial; 3],
        "same checksum"
    );

    let total_steps: u64 = (0..items).sum();
    let percent = |part: u64| format!("{:.1}%", 100.0 * part as f64 / total_steps as f64);
    let chunk = items.div_ceil(workers as u64);
    let static_shares: Vec<String> = (0..workers as u64)
        .map(|w| percent(((w * chunk).min(items)..((w + 1) * chunk).min(items)).sum()))
        .collect();
    let stealing_shares: Vec<String> = logs.iter().map(|log| percent(log.steps)).collect();

    println!(
        "{items} items, item i costs i steps; {workers} workers; checksum {serial} from all four"
    );
    println!("tasks created {created}, executed {executed}");
    println!("serial:        {:>11}", ms(serial_time));
    println!(
        "static split:  {:>11} {:>6}  shares of the work {}",
        ms(static_time),
        speedup(serial_time, static_time),
        static_shares.join(" / ")
    );
    println!(
        "work stealing: {:>11} {:>6}  shares of the work {}, {:.1}% of tasks stolen",
        ms(stealing_time),
        speedup(serial_time, stealing_time),
        stealing_shares.join(" / "),
        100.0 * stolen as f64 / executed as f64
    );
    println!(
        "rayon::join:   {:>11} {:>6}",
        ms(rayon_time),
        speedup(serial_time, rayon_time)
    );
    // ANCHOR_END: main
}

/// Runs `work` `runs` times; returns the result and the time of the median
/// run, which shrugs off the odd run disturbed by another process (and keeps
/// whatever the result measured consistent with the time shown).
fn median_time<T>(runs: usize, mut work: impl FnMut() -> T) -> (T, Duration) {
    let mut timed: Vec<(Duration, T)> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let result = std::hint::black_box(work());
            (start.elapsed(), result)
        })
        .collect();
    timed.sort_by_key(|&(time, _)| time);
    let (time, result) = timed.swap_remove(runs / 2);
    (result, time)
}

/// `12.345 ms`: times keep their decimals, so the book's tests can tell a
/// measurement (which varies) from a count (which must not).
fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1e3)
}

/// How many times faster `new` is than `old`: `3.42x`.
fn speedup(old: Duration, new: Duration) -> String {
    format!("{:.2}x", old.as_secs_f64() / new.as_secs_f64())
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
