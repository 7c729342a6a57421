//! Time as the session sees it: handed in by the caller on every call, so
//! tests run on simulated time and the session reads no clock.

/// The current time, both clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Now {
    /// A monotonic clock (any origin) for timers: heartbeats, timeouts.
    pub monotonic_ns: u64,
    /// Wall-clock UTC, ns since the Unix epoch: SendingTime (52) written
    /// and checked.
    pub utc_ns: u64,
}

impl Now {
    /// Both clocks at once.
    pub fn new(monotonic_ns: u64, utc_ns: u64) -> Now {
        Now {
            monotonic_ns,
            utc_ns,
        }
    }

    /// The same moment `ns` later on both clocks.
    pub fn plus_ns(self, ns: u64) -> Now {
        Now {
            monotonic_ns: self.monotonic_ns + ns,
            utc_ns: self.utc_ns + ns,
        }
    }
}
