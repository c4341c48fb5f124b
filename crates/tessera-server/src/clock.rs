//! The clock, passed in so that the request path is deterministic in tests.

use std::time::{Duration, SystemTime};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> SystemTime;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// The system's wall clock moved by a fixed number of seconds, so that a
/// test can run the real server "later" (or earlier) and watch sessions
/// expire and token keys retire without waiting for them.
#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock {
    offset_secs: i64,
}

impl ShiftedClock {
    /// The wall clock moved by `offset_secs` (negative: into the past).
    pub fn new(offset_secs: i64) -> ShiftedClock {
        ShiftedClock { offset_secs }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> SystemTime {
        let now = SystemTime::now();
        let by = Duration::from_secs(self.offset_secs.unsigned_abs());
        // Out of SystemTime's range only for absurd offsets: keep the
        // wall clock rather than panic.
        let shifted = if self.offset_secs >= 0 {
            now.checked_add(by)
        } else {
            now.checked_sub(by)
        };
        shifted.unwrap_or(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds_between(a: SystemTime, b: SystemTime) -> i64 {
        match a.duration_since(b) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        }
    }

    #[test]
    fn a_shifted_clock_runs_ahead_of_the_wall_clock_by_its_offset() {
        let shifted = ShiftedClock::new(901).now();
        let gap = seconds_between(shifted, SystemTime::now());
        assert!((899..=901).contains(&gap), "gap {gap}");
    }

    #[test]
    fn a_negative_offset_runs_behind_the_wall_clock() {
        let shifted = ShiftedClock::new(-3600).now();
        let gap = seconds_between(SystemTime::now(), shifted);
        assert!((3600..=3601).contains(&gap), "gap {gap}");
    }
}
