//! Latency histograms and reply counters, owned by the receiver thread.

use hdrhistogram::Histogram;

/// Largest latency recorded, ns (60 s); beyond it values saturate.
pub const LATENCY_MAX_NS: u64 = 60_000_000_000;

/// What a latency measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatencyKind {
    /// Resting order → Accepted.
    New = 0,
    /// Marketable IOC → first Executed.
    Ioc = 1,
    /// IOC that found nothing to trade → its Canceled.
    IocUnfilled = 2,
    /// Cancel → Canceled.
    Cancel = 3,
    /// Replace → Replaced.
    Replace = 4,
}

impl LatencyKind {
    /// Every kind, in report order.
    pub const ALL: [LatencyKind; 5] = [
        LatencyKind::New,
        LatencyKind::Ioc,
        LatencyKind::IocUnfilled,
        LatencyKind::Cancel,
        LatencyKind::Replace,
    ];

    /// Name in reports and file names.
    pub fn name(self) -> &'static str {
        match self {
            LatencyKind::New => "new",
            LatencyKind::Ioc => "ioc",
            LatencyKind::IocUnfilled => "ioc_unfilled",
            LatencyKind::Cancel => "cancel",
            LatencyKind::Replace => "replace",
        }
    }
}

/// A histogram for latencies in ns, 1 ns to [`LATENCY_MAX_NS`], 3 digits.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LATENCY_MAX_NS, 3).expect("static bounds are valid")
}

/// What the receiver saw.
#[derive(Debug)]
pub struct Stats {
    /// One histogram per [`LatencyKind`], indexed by its value.
    pub latency_ns: Vec<Histogram<u64>>,
    /// All kinds together (for the running p99).
    pub all_ns: Histogram<u64>,
    /// Rejected replies to measured requests, by what they answered: new,
    /// ioc, cancel, replace.
    pub rejected: [u64; 4],
    /// Cancel Reject replies to measured cancels (the order died before
    /// the cancel arrived).
    pub cancel_rejected: u64,
    /// Executed messages (both sides of every trade we are in).
    pub executions: u64,
    /// Replies whose token is not one of this run's.
    pub foreign: u64,
    /// Messages that did not decode.
    pub malformed: u64,
    /// FIX TestRequests from the venue (each answered with a Heartbeat).
    pub test_requests: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            latency_ns: LatencyKind::ALL
                .iter()
                .map(|_| latency_histogram())
                .collect(),
            all_ns: latency_histogram(),
            rejected: [0; 4],
            cancel_rejected: 0,
            executions: 0,
            foreign: 0,
            malformed: 0,
            test_requests: 0,
        }
    }
}

impl Stats {
    /// Records one latency.
    pub fn record(&mut self, kind: LatencyKind, latency_ns: u64) {
        let value = latency_ns.clamp(1, LATENCY_MAX_NS);
        self.latency_ns[kind as usize].saturating_record(value);
        self.all_ns.saturating_record(value);
    }

    /// The histogram of `kind`.
    pub fn histogram(&self, kind: LatencyKind) -> &Histogram<u64> {
        &self.latency_ns[kind as usize]
    }
}
