//! Timing for the listings that measure something.
//!
//! Measured values are printed with a decimal point and counts without one: the
//! test suite compares a listing's output with the captured output shown in the
//! book, and it masks decimal numbers only, so a count or a checked result that
//! changes still fails the test while a time that varies from run to run does not.

use std::time::{Duration, Instant};

/// Runs `work` `runs` times and returns its last result with the median time.
/// The median shrugs off the odd run disturbed by another process.
pub fn median_time<T>(runs: usize, mut work: impl FnMut() -> T) -> (T, Duration) {
    assert!(runs > 0, "at least one run");
    let mut times = Vec::with_capacity(runs);
    let mut result = None;
    for _ in 0..runs {
        let start = Instant::now();
        result = Some(std::hint::black_box(work()));
        times.push(start.elapsed());
    }
    times.sort();
    (result.expect("runs > 0"), times[runs / 2])
}

/// A duration in milliseconds with three decimals: `12.345 ms`.
pub fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1e3)
}

/// How many times faster `new` is than `old`: `3.42x`.
pub fn speedup(old: Duration, new: Duration) -> String {
    format!("{:.2}x", old.as_secs_f64() / new.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_keep_a_decimal_point() {
        assert_eq!(ms(Duration::from_micros(12_345)), "12.345 ms");
        assert_eq!(
            speedup(Duration::from_secs(3), Duration::from_secs(1)),
            "3.00x"
        );
    }

    #[test]
    fn median_time_returns_the_result() {
        let (value, _) = median_time(3, || 6 * 7);
        assert_eq!(value, 42);
    }
}
