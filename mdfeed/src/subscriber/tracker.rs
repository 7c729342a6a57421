//! Sans-I/O sequence tracking: delivers messages in order exactly once,
//! holds out-of-order messages (bounded), and says which range to request.

use super::pending::{PendingWindow, Refused};
use crate::moldudp::{Packet, PacketKind, Request, SESSION_LEN};

/// Counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrackerStats {
    /// Messages delivered (in order, once each).
    pub delivered: u64,
    /// Messages received again after delivery (duplicates, overlapping answers).
    pub duplicates: u64,
    /// Gaps seen open.
    pub gaps_detected: u64,
    /// Gaps closed (every missing message delivered).
    pub gaps_recovered: u64,
    /// Requests issued.
    pub requests: u64,
    /// Out-of-order messages not held because they were too far ahead of
    /// the gap (past the window) or longer than a slot; they are requested
    /// again once the gap before them closes.
    pub pending_overflow: u64,
    /// End-of-session packets seen.
    pub end_of_session: u64,
    /// Times the tracker jumped forward to a snapshot's sequence number.
    pub restarts: u64,
    /// Messages skipped by those jumps (covered by the snapshots instead).
    pub skipped: u64,
}

/// Tracks one MoldUDP64 session's sequence numbers.
///
/// ```
/// use rtes_mdfeed::moldudp::{Packet, PacketBuilder};
/// use rtes_mdfeed::subscriber::SequenceTracker;
/// let mut tracker = SequenceTracker::new(1, 1_000, 1_000_000);
/// let mut builder = PacketBuilder::new(*b"S000000001", 1_400);
/// builder.start(2); // message 1 was lost
/// builder.push(b"two");
/// let mut got = Vec::new();
/// tracker.on_packet(&Packet::decode(builder.bytes()).unwrap(), |s, _| got.push(s));
/// assert!(got.is_empty());
/// let request = tracker.request(0, 100).unwrap();
/// assert_eq!((request.sequence_number, request.message_count), (1, 1));
/// ```
#[derive(Debug, Clone)]
pub struct SequenceTracker {
    session: Option<[u8; SESSION_LEN]>,
    next: u64,
    /// One past the highest sequence number known to exist.
    known_end: u64,
    pending: PendingWindow,
    in_gap: bool,
    last_request_ns: Option<u64>,
    /// One past the last message asked for by the outstanding request.
    request_end: u64,
    /// First message asked for by the outstanding request.
    request_start: u64,
    /// Requests in a row that repeated the previous one unanswered.
    unanswered: u32,
    retry_ns: u64,
    stats: TrackerStats,
}

impl SequenceTracker {
    /// Expects `first` next (1 = everything from the start of the session,
    /// recovered by request if already sent); holds out-of-order messages up
    /// to `pending_max` past the next expected one (64 bytes each, allocated
    /// at the first gap); repeats an unanswered request after `retry_ns`.
    pub fn new(first: u64, pending_max: usize, retry_ns: u64) -> SequenceTracker {
        SequenceTracker {
            session: None,
            next: first,
            known_end: first,
            pending: PendingWindow::new(pending_max),
            in_gap: false,
            last_request_ns: None,
            request_end: 0,
            request_start: 0,
            unanswered: 0,
            retry_ns,
            stats: TrackerStats::default(),
        }
    }

    /// Counters.
    pub fn stats(&self) -> TrackerStats {
        self.stats
    }

    /// Next sequence number to deliver.
    pub fn next(&self) -> u64 {
        self.next
    }

    /// The session, once a packet has been seen.
    pub fn session(&self) -> Option<[u8; SESSION_LEN]> {
        self.session
    }

    /// Whether messages are known to be missing.
    pub fn in_gap(&self) -> bool {
        self.known_end > self.next
    }

    /// Requests in a row that asked again for the same first missing
    /// message because the previous one went unanswered (0 after any
    /// progress). A few in a row mean the re-request server no longer
    /// holds it: time for a snapshot.
    pub fn unanswered_requests(&self) -> u32 {
        self.unanswered
    }

    /// Continues from `sequence` (a snapshot's `live_from`): what comes
    /// before it is no longer wanted, held messages from it on are
    /// delivered now, and request state starts over. Does nothing if
    /// `sequence` is not ahead of the next expected message.
    pub fn restart_at(&mut self, sequence: u64, mut deliver: impl FnMut(u64, &[u8])) {
        if sequence <= self.next {
            return;
        }
        self.stats.restarts += 1;
        self.stats.skipped += sequence - self.next;
        self.pending.drop_below(self.next, sequence);
        self.next = sequence;
        self.known_end = self.known_end.max(sequence);
        self.last_request_ns = None;
        self.unanswered = 0;
        self.request_end = 0;
        self.drain_pending(&mut deliver);
        self.update_gap_state();
    }

    /// Processes a packet (live or retransmitted); calls `deliver` for every
    /// message that is next in sequence, in order.
    pub fn on_packet(&mut self, packet: &Packet<'_>, mut deliver: impl FnMut(u64, &[u8])) {
        if *self.session.get_or_insert(packet.session) != packet.session {
            return; // another session's packet: not ours
        }
        match packet.kind() {
            PacketKind::Heartbeat => self.see_end(packet.sequence_number),
            PacketKind::EndOfSession => {
                self.stats.end_of_session += 1;
                self.see_end(packet.sequence_number);
            }
            PacketKind::Messages => {
                for (sequence, message) in packet.messages() {
                    self.see_end(sequence + 1);
                    if sequence < self.next {
                        self.stats.duplicates += 1;
                    } else if sequence == self.next {
                        self.deliver_one(sequence, message, &mut deliver);
                        if !self.pending.is_empty() {
                            self.drain_pending(&mut deliver);
                        }
                    } else {
                        match self.pending.insert(self.next, sequence, message) {
                            Ok(()) => {}
                            Err(Refused::Duplicate) => self.stats.duplicates += 1,
                            Err(Refused::Overflow) => self.stats.pending_overflow += 1,
                        }
                    }
                }
            }
        }
        self.update_gap_state();
    }

    fn see_end(&mut self, end: u64) {
        self.known_end = self.known_end.max(end);
    }

    fn deliver_one(&mut self, sequence: u64, message: &[u8], deliver: &mut impl FnMut(u64, &[u8])) {
        deliver(sequence, message);
        self.next = sequence + 1;
        self.stats.delivered += 1;
    }

    fn drain_pending(&mut self, deliver: &mut impl FnMut(u64, &[u8])) {
        loop {
            let sequence = self.next;
            if !self
                .pending
                .take(sequence, |message| deliver(sequence, message))
            {
                return;
            }
            self.next = sequence + 1;
            self.stats.delivered += 1;
        }
    }

    fn update_gap_state(&mut self) {
        let in_gap = self.in_gap();
        if in_gap && !self.in_gap {
            self.stats.gaps_detected += 1;
        } else if !in_gap && self.in_gap {
            self.stats.gaps_recovered += 1;
            self.last_request_ns = None;
            self.unanswered = 0;
        }
        self.in_gap = in_gap;
    }

    /// The request to send now, if messages are missing and no request is
    /// outstanding (or the last one is older than the retry interval).
    /// Asks for at most `count_max` messages from the first missing one.
    pub fn request(&mut self, now_ns: u64, count_max: u16) -> Option<Request> {
        let session = self.session?;
        if !self.in_gap() {
            return None;
        }
        // An answered request (next reached its end) allows the next one at
        // once; an unanswered one is repeated after the retry interval.
        if let (Some(last), false) = (self.last_request_ns, self.next >= self.request_end) {
            if now_ns.saturating_sub(last) < self.retry_ns {
                return None;
            }
        }
        let missing_end = self
            .pending
            .first_after(self.next)
            .unwrap_or(self.known_end)
            .min(self.known_end);
        let count = (missing_end - self.next).clamp(1, u64::from(count_max)) as u16;
        // The same first message again: the last request got no answer
        // (lost, or the history no longer holds it).
        if self.last_request_ns.is_some() && self.next == self.request_start {
            self.unanswered += 1;
        } else {
            self.unanswered = 0;
        }
        self.request_start = self.next;
        self.last_request_ns = Some(now_ns);
        self.request_end = self.next + u64::from(count);
        self.stats.requests += 1;
        Some(Request {
            session,
            sequence_number: self.next,
            message_count: count,
        })
    }
}
