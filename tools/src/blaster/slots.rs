//! Per-order state shared by the sender and the receiver, one fixed slot
//! per order number, allocated once for the whole run (no locks, no maps).
//!
//! The sender marks a request outstanding ([`Slots::begin`]) BEFORE it
//! writes the message, so a reply can never beat its own bookkeeping; the
//! receiver resolves it ([`Slots::take`]) and keeps the order's state
//! (live/dead, open shares) from the server's replies. The sender only
//! cancels or replaces an order the receiver has seen accepted, that is
//! still open and has no request outstanding.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};

/// What an outstanding request is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum RequestKind {
    /// Resting order → Accepted.
    New = 1,
    /// Marketable IOC → first Executed (or its Canceled when nothing traded).
    Ioc = 2,
    /// Cancel → Canceled.
    Cancel = 3,
    /// Replace, on the replacement token → Replaced.
    Replace = 4,
    /// Marker on the order being replaced, so nothing else touches it.
    ReplaceSource = 5,
}

impl RequestKind {
    fn from_bits(bits: u64) -> Option<RequestKind> {
        Some(match bits {
            1 => RequestKind::New,
            2 => RequestKind::Ioc,
            3 => RequestKind::Cancel,
            4 => RequestKind::Replace,
            5 => RequestKind::ReplaceSource,
            _ => return None,
        })
    }
}

/// An outstanding request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// What it waits for.
    pub kind: RequestKind,
    /// Whether its latency is recorded (past the warm-up).
    pub measured: bool,
    /// Scheduled send time, ns after the start.
    pub scheduled_ns: u64,
}

const KIND_SHIFT: u32 = 60;
const MEASURED_BIT: u64 = 1 << 59;
const OFFSET_MASK: u64 = MEASURED_BIT - 1;

impl Request {
    fn pack(self) -> u64 {
        assert!(self.scheduled_ns <= OFFSET_MASK, "run longer than 18 years");
        (self.kind as u64) << KIND_SHIFT
            | if self.measured { MEASURED_BIT } else { 0 }
            | self.scheduled_ns
    }

    fn unpack(bits: u64) -> Option<Request> {
        Some(Request {
            kind: RequestKind::from_bits(bits >> KIND_SHIFT)?,
            measured: bits & MEASURED_BIT != 0,
            scheduled_ns: bits & OFFSET_MASK,
        })
    }
}

/// Where an order stands, as the sender sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Sent, not yet accepted, or a request on it is outstanding.
    Busy,
    /// Accepted, open, nothing outstanding: may be cancelled or replaced.
    Live,
    /// Filled, cancelled, replaced or rejected.
    Dead,
}

const STATE_SENT: u8 = 0;
const STATE_LIVE: u8 = 1;
const STATE_DEAD: u8 = 2;

/// Fixed table of per-order slots.
#[derive(Debug)]
pub struct Slots {
    pending: Box<[AtomicU64]>,
    state: Box<[AtomicU8]>,
    remaining: Box<[AtomicU32]>,
    /// Replacement order number → the order it replaces.
    replaces: Box<[AtomicU64]>,
    outstanding: AtomicU64,
}

impl Slots {
    /// Slots for order numbers `0..capacity`.
    pub fn new(capacity: usize) -> Slots {
        Slots {
            pending: (0..capacity).map(|_| AtomicU64::new(0)).collect(),
            state: (0..capacity).map(|_| AtomicU8::new(STATE_SENT)).collect(),
            remaining: (0..capacity).map(|_| AtomicU32::new(0)).collect(),
            replaces: (0..capacity).map(|_| AtomicU64::new(u64::MAX)).collect(),
            outstanding: AtomicU64::new(0),
        }
    }

    /// Order numbers available.
    pub fn capacity(&self) -> usize {
        self.pending.len()
    }

    /// Whether `number` has a slot (a foreign or corrupt token may not).
    pub fn contains(&self, number: u64) -> bool {
        number < self.pending.len() as u64
    }

    /// Marks a request outstanding on `number`.
    ///
    /// # Panics
    /// When one already is: the sender must never stack requests.
    pub fn begin(&self, number: u64, request: Request) {
        let previous = self.pending[number as usize].swap(request.pack(), Ordering::AcqRel);
        assert_eq!(previous, 0, "request stacked on order {number}");
        self.outstanding.fetch_add(1, Ordering::AcqRel);
    }

    /// Records that `replacement` replaces `original`.
    pub fn link_replacement(&self, replacement: u64, original: u64) {
        self.replaces[replacement as usize].store(original, Ordering::Release);
    }

    /// The order `replacement` replaces, if it is a replacement.
    pub fn replaced_by(&self, replacement: u64) -> Option<u64> {
        let original = self.replaces[replacement as usize].load(Ordering::Acquire);
        (original != u64::MAX).then_some(original)
    }

    /// The outstanding request on `number`, left in place.
    pub fn peek(&self, number: u64) -> Option<Request> {
        Request::unpack(self.pending[number as usize].load(Ordering::Acquire))
    }

    /// Resolves and returns the outstanding request on `number`.
    pub fn take(&self, number: u64) -> Option<Request> {
        let request = Request::unpack(self.pending[number as usize].swap(0, Ordering::AcqRel))?;
        self.outstanding.fetch_sub(1, Ordering::AcqRel);
        Some(request)
    }

    /// Resolves the request on `number` only if it is of `kind`.
    pub fn take_if(&self, number: u64, kind: RequestKind) -> Option<Request> {
        match self.peek(number) {
            Some(request) if request.kind == kind => self.take(number),
            _ => None,
        }
    }

    /// Requests not yet answered.
    pub fn outstanding(&self) -> u64 {
        self.outstanding.load(Ordering::Acquire)
    }

    /// The order is on the book with `shares` open.
    pub fn set_live(&self, number: u64, shares: u32) {
        self.remaining[number as usize].store(shares, Ordering::Release);
        let state = if shares == 0 { STATE_DEAD } else { STATE_LIVE };
        self.state[number as usize].store(state, Ordering::Release);
    }

    /// The order is gone.
    pub fn set_dead(&self, number: u64) {
        self.state[number as usize].store(STATE_DEAD, Ordering::Release);
    }

    /// Takes `shares` off the order (executed or cancelled); true when none
    /// are left (then it is dead). Only the receiver calls this.
    pub fn reduce(&self, number: u64, shares: u32) -> bool {
        let slot = &self.remaining[number as usize];
        let left = slot.load(Ordering::Acquire).saturating_sub(shares);
        slot.store(left, Ordering::Release);
        if left == 0 {
            self.set_dead(number);
        }
        left == 0
    }

    /// Where `number` stands for the sender.
    pub fn liveness(&self, number: u64) -> Liveness {
        match self.state[number as usize].load(Ordering::Acquire) {
            STATE_DEAD => Liveness::Dead,
            STATE_LIVE if self.pending[number as usize].load(Ordering::Acquire) == 0 => {
                Liveness::Live
            }
            _ => Liveness::Busy,
        }
    }

    /// Up to `limit` outstanding requests among numbers `0..used`, and how
    /// many there are in all (for the unacknowledged report).
    pub fn unanswered(&self, used: u64, limit: usize) -> (u64, Vec<(u64, Request)>) {
        let mut count = 0;
        let mut first = Vec::new();
        for number in 0..used.min(self.capacity() as u64) {
            if let Some(request) = self.peek(number) {
                if request.kind == RequestKind::ReplaceSource {
                    // Answered through its replacement's slot.
                    continue;
                }
                count += 1;
                if first.len() < limit {
                    first.push((number, request));
                }
            }
        }
        (count, first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lifecycle() {
        let slots = Slots::new(4);
        let request = Request {
            kind: RequestKind::Ioc,
            measured: true,
            scheduled_ns: 12_345,
        };
        assert_eq!(slots.liveness(1), Liveness::Busy);
        slots.begin(1, request);
        assert_eq!(slots.outstanding(), 1);
        assert_eq!(slots.take_if(1, RequestKind::New), None);
        assert_eq!(slots.peek(1), Some(request));
        slots.set_live(1, 100);
        assert_eq!(slots.liveness(1), Liveness::Busy, "outstanding request");
        assert_eq!(slots.take(1), Some(request));
        assert_eq!(slots.outstanding(), 0);
        assert_eq!(slots.liveness(1), Liveness::Live);
        assert!(!slots.reduce(1, 40));
        assert!(slots.reduce(1, 60));
        assert_eq!(slots.liveness(1), Liveness::Dead);
        assert_eq!(slots.unanswered(4, 10).0, 0);
    }

    #[test]
    #[should_panic(expected = "stacked")]
    fn stacking_requests_is_a_bug() {
        let slots = Slots::new(2);
        let request = Request {
            kind: RequestKind::Cancel,
            measured: false,
            scheduled_ns: 0,
        };
        slots.begin(0, request);
        slots.begin(0, request);
    }
}
