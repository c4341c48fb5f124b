//! Latency statistics: exact nearest-rank percentiles over every recorded
//! latency (a run of seconds at tens of thousands of requests per second is
//! a few megabytes of samples, so nothing is approximated).

use std::time::Duration;

/// The nearest-rank `percentile` (0 < p ≤ 100) of `sorted`, which must be
/// sorted ascending: the smallest sample with at least p % of the samples
/// at or below it. `None` when there are no samples.
pub fn percentile(sorted: &[u64], percentile: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percentile / 100.0 * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    sorted.get(index).copied()
}

/// The latency summary of one run, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencySummary {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Slowest request.
    pub max: u64,
}

impl LatencySummary {
    /// Summarizes `samples` (sorted in place); `None` when empty.
    pub fn from_samples(samples: &mut [u64]) -> Option<LatencySummary> {
        samples.sort_unstable();
        Some(LatencySummary {
            p50: percentile(samples, 50.0)?,
            p90: percentile(samples, 90.0)?,
            p99: percentile(samples, 99.0)?,
            max: *samples.last()?,
        })
    }
}

/// Nanoseconds as a duration sample, saturating.
pub fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_of_one_to_a_hundred_are_the_ranks() {
        let samples: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&samples, 50.0), Some(50));
        assert_eq!(percentile(&samples, 90.0), Some(90));
        assert_eq!(percentile(&samples, 99.0), Some(99));
        assert_eq!(percentile(&samples, 100.0), Some(100));
        assert_eq!(percentile(&samples, 0.1), Some(1));
    }

    #[test]
    fn percentiles_of_few_samples_round_up_to_a_real_sample() {
        assert_eq!(percentile(&[7], 50.0), Some(7));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile(&[1, 2, 3], 50.0), Some(2));
        assert_eq!(percentile(&[1, 2, 3], 90.0), Some(3));
        assert_eq!(percentile(&[1, 2], 50.0), Some(1));
    }

    #[test]
    fn no_samples_have_no_percentiles() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(LatencySummary::from_samples(&mut []), None);
    }

    #[test]
    fn summary_sorts_unsorted_samples_first() {
        let mut samples: Vec<u64> = (1..=1000).rev().collect();
        let summary = LatencySummary::from_samples(&mut samples).unwrap();
        assert_eq!(
            summary,
            LatencySummary {
                p50: 500,
                p90: 900,
                p99: 990,
                max: 1000
            }
        );
    }
}
