//! The CPU-bound workload several listings time: counting primes by trial
//! division. It is not what those recipes teach (how to split, schedule and
//! collect work is), so it lives here once.

use std::ops::Range;

/// Trial division by odd numbers up to the square root.
pub fn is_prime(n: u32) -> bool {
    if n < 4 {
        return n >= 2;
    }
    if n % 2 == 0 {
        return false;
    }
    (3..)
        .step_by(2)
        .take_while(|&d| d <= n / d) // d * d <= n, without overflow
        .all(|d| n % d != 0)
}

/// How many primes `range` holds.
pub fn count_primes(range: Range<u32>) -> u64 {
    range.filter(|&n| is_prime(n)).count() as u64
}

/// `0..below` cut into `parts` contiguous ranges (fewer if `below` is small).
pub fn split(below: u32, parts: usize) -> Vec<Range<u32>> {
    let step = below
        .div_ceil(u32::try_from(parts).unwrap_or(u32::MAX))
        .max(1);
    (0..below)
        .step_by(step as usize)
        .map(|start| start..start.saturating_add(step).min(below))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_splits() {
        assert_eq!(count_primes(0..100), 25);
        assert!(is_prime(4_294_967_291)); // the largest u32 prime: no overflow
        let parts = split(10, 3);
        assert_eq!(parts, vec![0..4, 4..8, 8..10]);
        assert_eq!(split(2, usize::MAX), vec![0..1, 1..2]);
    }
}
