//! Virtual time. The simulation never reads a clock: time is a number of microseconds since the start of the run,
//! and it jumps from one event to the next.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, Sub};

/// An instant of simulated time, in microseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SimTime(pub u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// Later than any event of any run; used as "never".
    pub const NEVER: SimTime = SimTime(u64::MAX);

    /// An instant `ms` milliseconds after the start.
    pub const fn from_ms(ms: u64) -> Self {
        SimTime(ms.saturating_mul(1000))
    }

    /// Whole milliseconds since the start (rounded down).
    pub const fn as_ms(self) -> u64 {
        self.0 / 1000
    }

    /// `self + ms` milliseconds, saturating at [`SimTime::NEVER`].
    pub const fn plus_ms(self, ms: u64) -> Self {
        SimTime(self.0.saturating_add(ms.saturating_mul(1000)))
    }

    /// Microseconds elapsed from `earlier` to `self` (0 if `earlier` is later).
    pub const fn since(self, earlier: SimTime) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<u64> for SimTime {
    type Output = SimTime;
    /// Adds microseconds.
    fn add(self, us: u64) -> SimTime {
        SimTime(self.0.saturating_add(us))
    }
}

impl Sub for SimTime {
    type Output = u64;
    /// Microseconds between two instants (0 if negative).
    fn sub(self, rhs: SimTime) -> u64 {
        self.since(rhs)
    }
}

impl fmt::Display for SimTime {
    /// Seconds with millisecond precision, e.g. `12.345s`, which is how the readable timeline shows time.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 / 1000;
        write!(f, "{}.{:03}s", ms / 1000, ms % 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_seconds_with_millis() {
        assert_eq!(SimTime::from_ms(12_345).to_string(), "12.345s");
        assert_eq!(SimTime(999).to_string(), "0.000s");
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(SimTime::NEVER.plus_ms(5), SimTime::NEVER);
        assert_eq!(SimTime(5) - SimTime(9), 0);
    }
}
