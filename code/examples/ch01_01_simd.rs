//! Recipe 1.1: single instruction, multiple data. The same sum written so the
//! compiler must add one number at a time, and so it may add eight at once.
//!
//! Run: cargo run -p cookbook --example ch01_01_simd [-- --len 1000000 --runs 21]

use cookbook::cli::Options;
use cookbook::measure::{median_time, ms, speedup};

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

fn main() {
    let options = Options::from_env(&[("len", "1000000"), ("runs", "21")]);
    let len = options.positive("len");
    let runs = options.positive("runs");
    if len > 4_000_000 {
        // Beyond 2^24 a running f32 total no longer holds whole numbers exactly,
        // and the two sums would differ for reasons that have nothing to do with SIMD.
        cookbook::cli::fail("--len must be at most 4000000 so both sums stay exact");
    }

    // ANCHOR: main
    // Small whole numbers: every partial sum is exact in f32, so both
    // versions must give the same answer to the last bit.
    let values: Vec<f32> = (0..len).map(|i| (i % 8) as f32).collect();

    let (scalar, scalar_time) = median_time(runs, || sum_one_at_a_time(&values));
    let (simd, simd_time) = median_time(runs, || sum_eight_lanes(&values));

    assert_eq!(scalar, simd, "both sums must agree");
    println!("elements:                 {len}");
    println!("one at a time (SISD):     {}", ms(scalar_time));
    println!("eight lanes (SIMD):       {}", ms(simd_time));
    println!(
        "speedup:                  {}",
        speedup(scalar_time, simd_time)
    );
    println!("both sums:                {scalar}");
    // ANCHOR_END: main
}
