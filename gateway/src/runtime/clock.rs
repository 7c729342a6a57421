//! Time behind an interface, so latency accounting can be tested.

use std::sync::OnceLock;
use std::time::Instant;

/// A monotonic nanosecond clock shared by every stage.
pub trait Clock {
    /// Nanoseconds since an arbitrary process-wide origin.
    fn now_ns(&self) -> u64;
}

/// Monotonic time since the first call in this process (one origin for all
/// threads, so a timestamp taken on the gateway thread can be subtracted
/// from one taken on the engine thread).
///
/// ```
/// use rtes_gateway::runtime::{Clock, MonotonicClock};
/// let first = MonotonicClock.now_ns();
/// assert!(MonotonicClock.now_ns() >= first);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MonotonicClock;

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

impl Clock for MonotonicClock {
    fn now_ns(&self) -> u64 {
        origin().elapsed().as_nanos() as u64
    }
}
