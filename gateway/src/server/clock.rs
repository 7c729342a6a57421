//! The gateway's clock: wall-clock nanoseconds that never go backwards.
//!
//! Ingress timestamps become the engine's only notion of time and the source
//! of every latency figure, so they must be monotonic; ITCH and OUCH also want
//! nanoseconds since midnight. We read the wall clock once at start-up and
//! advance it with the monotonic clock.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Nanoseconds in one day.
pub const NANOS_PER_DAY: u64 = 86_400 * 1_000_000_000;

/// Monotonic wall-clock time source.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
    start_epoch_ns: u64,
}

impl Clock {
    /// A clock anchored at the current wall-clock time.
    pub fn new() -> Clock {
        let start_epoch_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|since| since.as_nanos() as u64)
            .unwrap_or(0);
        Clock {
            start: Instant::now(),
            start_epoch_ns,
        }
    }

    /// Nanoseconds since the Unix epoch.
    #[inline]
    pub fn now_ns(&self) -> u64 {
        self.start_epoch_ns + self.start.elapsed().as_nanos() as u64
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

/// Nanoseconds since midnight (UTC) of an epoch timestamp, as ITCH and OUCH carry it.
#[inline]
pub fn since_midnight_ns(epoch_ns: u64) -> u64 {
    epoch_ns % NANOS_PER_DAY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_is_monotonic_and_near_wall_time() {
        let clock = Clock::new();
        let first = clock.now_ns();
        let second = clock.now_ns();
        assert!(second >= first);
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
        assert!(wall.abs_diff(second) < 1_000_000_000, "clock drifted from wall time");
    }

    #[test]
    fn midnight_wraps() {
        assert_eq!(since_midnight_ns(NANOS_PER_DAY + 5), 5);
        assert_eq!(since_midnight_ns(42), 42);
    }
}
