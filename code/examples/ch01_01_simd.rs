//! Recipe 1.1: single instruction, multiple data. The same sum written so the
//! compiler must add one number at a time, and so it may add eight at once.
//!
//! Run: cargo run -p cookbook --example ch01_01_simd [-- --len 1000000 --runs 21]

extern crate clap; // named for `mdbook test`; Cargo does not need it

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use std::time::{Duration, Instant};

// ANCHOR: listing
/// One running total: every addition waits for the one before (SISD). The
/// compiler may not reorder float additions, so it cannot vectorise this.
fn sum_one_at_a_time(values: &[f32]) -> f32 {
    let mut total = 0.0;
    for &value in values {
        total += value;
    }
    total
}

/// Eight independent running totals. They fit one or two SIMD registers, and
/// the compiler updates all eight with a single vector instruction (SIMD).
fn sum_eight_lanes(values: &[f32]) -> f32 {
    const LANES: usize = 8;
    let mut lanes = [0.0f32; LANES];
    let chunks = values.chunks_exact(LANES);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (lane, &value) in lanes.iter_mut().zip(chunk) {
            *lane += value;
        }
    }
    lanes.iter().sum::<f32>() + tail.iter().sum::<f32>()
}
// ANCHOR_END: listing

/// Sums a million floats one at a time and eight lanes at a time.
#[derive(Parser)]
struct Args {
    /// Elements to sum: at most 64 000 000 (256 MB, far more than the caches).
    #[arg(long, default_value_t = 1_000_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64_000_000))]
    len: usize,
    /// Timed runs per version; the median is shown.
    #[arg(long, default_value_t = 21,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100))]
    runs: usize,
}

fn main() {
    let Args { len, runs } = parse_args();

    // ANCHOR: main
    // 0 to 7, then 0 to -7, over and over: every partial sum, of the one
    // total and of each lane, is a whole number from 0 to 28, exact in f32 at
    // any length, so both versions must give the same answer to the last bit.
    let values: Vec<f32> = (0..len)
        .map(|i| {
            let value = (i % 8) as f32;
            if i / 8 % 2 == 0 { value } else { -value }
        })
        .collect();

    let (scalar, scalar_time) = median_time(runs, || sum_one_at_a_time(&values));
    let (simd, simd_time) = median_time(runs, || sum_eight_lanes(&values));

    assert_eq!(scalar, simd, "both sums must agree");
    println!("elements:                 {len}");
    println!("one at a time (SISD):     {}", ms(scalar_time));
    println!("eight lanes (SIMD):       {}", ms(simd_time));
    println!(
        "speedup:                  {:.2}x",
        scalar_time.as_secs_f64() / simd_time.as_secs_f64()
    );
    println!("both sums:                {scalar}");
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
