//! The gateway's two notions of time, from one clock reading:
//! - measurement time: the runtime's process-wide monotonic nanoseconds,
//!   shared with the engine stage so stage latencies can be subtracted;
//! - venue time: wall-clock nanoseconds since the Unix epoch that never go
//!   backwards, which becomes the engine's only notion of time (command
//!   timestamps) and, as nanoseconds since midnight, OUCH/ITCH timestamps.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::runtime::{Clock as _, MonotonicClock};

/// Maps monotonic time to venue time.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// Venue time at monotonic time 0.
    epoch_at_origin_ns: u64,
}

impl Clock {
    /// A clock anchored at the current wall-clock time.
    pub fn new() -> Clock {
        let monotonic = MonotonicClock.now_ns();
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|since| since.as_nanos() as u64)
            .unwrap_or(0);
        Clock {
            epoch_at_origin_ns: wall.saturating_sub(monotonic),
        }
    }

    /// Monotonic measurement time (the runtime's clock).
    #[inline]
    pub fn now_ns(&self) -> u64 {
        MonotonicClock.now_ns()
    }

    /// Venue time (ns since the Unix epoch) of a monotonic reading.
    #[inline]
    pub fn venue_ns(&self, monotonic_ns: u64) -> u64 {
        self.epoch_at_origin_ns + monotonic_ns
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn venue_time_is_near_wall_time_and_monotonic() {
        let clock = Clock::new();
        let first = clock.now_ns();
        let second = clock.now_ns();
        assert!(second >= first);
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        assert!(
            wall.abs_diff(clock.venue_ns(second)) < 1_000_000_000,
            "venue time drifted"
        );
    }
}
