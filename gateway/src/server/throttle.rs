//! Per-session message-rate throttle: a token bucket in integer nanoseconds.

/// Token bucket allowing `rate_per_second` messages with a burst of `burst`.
#[derive(Debug, Clone)]
pub struct Throttle {
    nanos_per_token: u64,
    burst_nanos: u64,
    /// Time at which the bucket would be full again ("theoretical arrival time").
    full_at_ns: u64,
}

impl Throttle {
    /// A throttle; `rate_per_second == 0` disables it.
    pub fn new(rate_per_second: u32, burst: u32) -> Throttle {
        let nanos_per_token = if rate_per_second == 0 {
            0
        } else {
            1_000_000_000 / u64::from(rate_per_second)
        };
        Throttle {
            nanos_per_token,
            burst_nanos: nanos_per_token * u64::from(burst.max(1)),
            full_at_ns: 0,
        }
    }

    /// Takes one token at `now_ns`; false when the session is over its rate.
    #[inline]
    pub fn allow(&mut self, now_ns: u64) -> bool {
        if self.nanos_per_token == 0 {
            return true;
        }
        let start = self.full_at_ns.max(now_ns);
        let next = start + self.nanos_per_token;
        if next - now_ns > self.burst_nanos {
            return false;
        }
        self.full_at_ns = next;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_steady_rate() {
        let mut throttle = Throttle::new(1_000, 10);
        let now = 5_000_000_000;
        let allowed = (0..20).filter(|_| throttle.allow(now)).count();
        assert_eq!(allowed, 10, "burst size");
        assert!(!throttle.allow(now));
        assert!(throttle.allow(now + 1_000_000), "one token per millisecond");
        assert!(!throttle.allow(now + 1_000_000));
    }

    #[test]
    fn zero_rate_disables() {
        let mut throttle = Throttle::new(0, 0);
        assert!((0..10_000).all(|_| throttle.allow(1)));
    }
}
