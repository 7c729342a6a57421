//! Open-loop send schedule: message `i` is due at `i / rate` seconds after
//! the start, whatever happened to the messages before it.

/// Scheduled send times of a run, in nanoseconds from its start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    /// Messages per second.
    rate: f64,
    /// Messages in the whole run (warm-up included).
    total: u64,
    /// Messages before measuring starts.
    warmup: u64,
}

impl Schedule {
    /// A schedule of `total` messages at `rate` per second, the first
    /// `warmup` of them not measured.
    ///
    /// ```
    /// use rtes_tools::blaster::schedule::Schedule;
    /// let schedule = Schedule::new(2_000.0, 10, 2);
    /// assert_eq!(schedule.offset_ns(3), 1_500_000);
    /// assert!(!schedule.is_measured(1) && schedule.is_measured(2));
    /// ```
    pub fn new(rate: f64, total: u64, warmup: u64) -> Schedule {
        assert!(rate > 0.0 && rate.is_finite(), "rate must be positive");
        assert!(warmup <= total, "warm-up longer than the run");
        Schedule {
            rate,
            total,
            warmup,
        }
    }

    /// Messages in the run.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Messages in the warm-up.
    pub fn warmup(&self) -> u64 {
        self.warmup
    }

    /// Send time of message `index`, ns after the start.
    pub fn offset_ns(&self, index: u64) -> u64 {
        // f64 is exact for the index and rounds the product to well under
        // a nanosecond for any run shorter than ~100 days.
        (index as f64 * 1e9 / self.rate).round() as u64
    }

    /// Whether message `index` is recorded (it is past the warm-up).
    pub fn is_measured(&self, index: u64) -> bool {
        index >= self.warmup
    }

    /// Messages due at `elapsed_ns` after the start: every index below the
    /// result has a send time at or before `elapsed_ns`.
    pub fn due_count(&self, elapsed_ns: u64) -> u64 {
        // Estimate, then correct for rounding in either direction.
        let mut count = ((elapsed_ns as f64 * self.rate / 1e9).floor() as u64 + 1).min(self.total);
        while count > 0 && self.offset_ns(count - 1) > elapsed_ns {
            count -= 1;
        }
        while count < self.total && self.offset_ns(count) <= elapsed_ns {
            count += 1;
        }
        count
    }

    /// Nominal length of the run, ns (send time of the last message).
    pub fn span_ns(&self) -> u64 {
        self.total
            .checked_sub(1)
            .map_or(0, |last| self.offset_ns(last))
    }
}

/// Asks Linux for 1 ns of timer slack on the calling thread (the default
/// is 50 µs), so a sleep until the next send time ends close to it instead
/// of adding tens of microseconds to every measured latency.
pub fn reduce_timer_slack() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_TIMERSLACK reads one integer argument and changes only
    // the calling thread's timer slack; no memory is passed.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0);
    }
}

/// Sleeps until `offset_ns` after `start`, spinning the last `spin` of it
/// (spinning costs a core; worth it only where one is spare).
pub fn sleep_until(start: std::time::Instant, offset_ns: u64, spin: std::time::Duration) {
    let target = start + std::time::Duration::from_nanos(offset_ns);
    let now = std::time::Instant::now();
    if target <= now {
        return;
    }
    let left = target - now;
    if left > spin {
        std::thread::sleep(left - spin);
    }
    while std::time::Instant::now() < target {
        std::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::Schedule;

    #[test]
    fn sleep_until_does_not_return_early() {
        super::reduce_timer_slack();
        let start = std::time::Instant::now();
        super::sleep_until(start, 2_000_000, std::time::Duration::from_micros(100));
        assert!(start.elapsed() >= std::time::Duration::from_millis(2));
    }

    #[test]
    fn offsets_follow_the_rate() {
        let schedule = Schedule::new(1_000.0, 5_000, 1_000);
        assert_eq!(schedule.offset_ns(0), 0);
        assert_eq!(schedule.offset_ns(1), 1_000_000);
        assert_eq!(schedule.offset_ns(4_999), 4_999_000_000);
        assert_eq!(schedule.span_ns(), 4_999_000_000);
        let odd = Schedule::new(3.0, 10, 0);
        assert_eq!(odd.offset_ns(1), 333_333_333);
        assert_eq!(odd.offset_ns(3), 1_000_000_000);
    }

    #[test]
    fn due_count_is_exact_at_boundaries() {
        let schedule = Schedule::new(7_919.0, 100_000, 0);
        for index in [0u64, 1, 2, 17, 7_918, 7_919, 99_998, 99_999] {
            let at = schedule.offset_ns(index);
            assert_eq!(schedule.due_count(at), index + 1, "at {index}");
            if at > 0 {
                assert_eq!(schedule.due_count(at - 1), index, "before {index}");
            }
        }
        assert_eq!(schedule.due_count(u64::MAX / 2), 100_000);
    }

    #[test]
    fn catching_up_sends_a_burst() {
        // 10 ms late at 10 k/s: 101 messages are due at once.
        let schedule = Schedule::new(10_000.0, 1_000, 0);
        assert_eq!(schedule.due_count(10_000_000), 101);
    }

    #[test]
    fn warmup_is_not_measured() {
        let schedule = Schedule::new(100.0, 300, 100);
        assert!(!schedule.is_measured(99));
        assert!(schedule.is_measured(100));
    }
}
