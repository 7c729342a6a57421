//! Messages that arrived ahead of sequence, held (copied, within a fixed
//! byte budget) until the gap before them is filled.

/// Smallest message worth counting when sizing the entry table: a header
/// alone is longer than this.
const MIN_MESSAGE_BYTES: usize = 48;

/// What to do with a queued sequence number once it is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Queued {
    /// Process the message (its bytes are copied out).
    Process,
    /// Only advance past it: a Logon or ResendRequest that was acted on
    /// when it arrived (as QuickFIX does).
    Skip,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    seq: u64,
    start: usize,
    end: usize,
    kind: Queued,
}

/// Why a message could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct QueueFull;

/// Bounded queue of out-of-sequence messages, ordered by MsgSeqNum.
#[derive(Debug)]
pub(super) struct GapQueue {
    bytes: Vec<u8>,
    entries: Vec<Entry>,
    capacity_bytes: usize,
    live_bytes: usize,
}

impl GapQueue {
    /// A queue holding at most `capacity_bytes` of messages; both buffers
    /// are allocated here, once.
    pub(super) fn new(capacity_bytes: usize) -> GapQueue {
        GapQueue {
            bytes: Vec::with_capacity(capacity_bytes),
            entries: Vec::with_capacity(capacity_bytes / MIN_MESSAGE_BYTES + 1),
            capacity_bytes,
            live_bytes: 0,
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Holds `message` as `seq`. A sequence number already held keeps its
    /// first copy (a retransmission adds nothing).
    pub(super) fn push(&mut self, seq: u64, message: &[u8], kind: Queued) -> Result<(), QueueFull> {
        let position = match self.entries.binary_search_by_key(&seq, |entry| entry.seq) {
            Ok(_) => return Ok(()),
            Err(position) => position,
        };
        if self.live_bytes + message.len() > self.capacity_bytes
            || self.entries.len() == self.entries.capacity()
        {
            return Err(QueueFull);
        }
        if self.bytes.len() + message.len() > self.capacity_bytes {
            self.compact();
        }
        let start = self.bytes.len();
        self.bytes.extend_from_slice(message);
        self.live_bytes += message.len();
        self.entries.insert(
            position,
            Entry {
                seq,
                start,
                end: self.bytes.len(),
                kind,
            },
        );
        Ok(())
    }

    /// Removes `seq` if held, copying its bytes into `into` (replacing what
    /// was there).
    pub(super) fn take(&mut self, seq: u64, into: &mut Vec<u8>) -> Option<Queued> {
        let first = self.entries.first()?;
        if first.seq != seq {
            return None;
        }
        let entry = self.entries.remove(0);
        into.clear();
        into.extend_from_slice(&self.bytes[entry.start..entry.end]);
        self.release(entry);
        Some(entry.kind)
    }

    /// Drops every message numbered below `seq` (a gap fill or reset moved
    /// past them).
    pub(super) fn drop_below(&mut self, seq: u64) {
        while self.entries.first().is_some_and(|entry| entry.seq < seq) {
            let entry = self.entries.remove(0);
            self.release(entry);
        }
    }

    pub(super) fn clear(&mut self) {
        self.entries.clear();
        self.bytes.clear();
        self.live_bytes = 0;
    }

    fn release(&mut self, entry: Entry) {
        self.live_bytes -= entry.end - entry.start;
        if self.entries.is_empty() {
            self.bytes.clear();
        }
    }

    /// Moves the live messages to the front of the byte buffer, in the order
    /// they lie in it, so the space of taken ones is reused.
    fn compact(&mut self) {
        self.entries.sort_unstable_by_key(|entry| entry.start);
        let mut write = 0;
        for entry in &mut self.entries {
            let length = entry.end - entry.start;
            self.bytes.copy_within(entry.start..entry.end, write);
            entry.start = write;
            entry.end = write + length;
            write += length;
        }
        self.bytes.truncate(write);
        self.entries.sort_unstable_by_key(|entry| entry.seq);
        debug_assert_eq!(write, self.live_bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_bounded_and_compacting() {
        let mut queue = GapQueue::new(100);
        let mut out = Vec::new();
        queue.push(7, &[7; 40], Queued::Process).unwrap();
        queue.push(5, &[5; 40], Queued::Skip).unwrap();
        queue.push(5, &[9; 10], Queued::Process).unwrap();
        assert_eq!(queue.push(9, &[9; 30], Queued::Process), Err(QueueFull));
        assert_eq!(queue.take(6, &mut out), None);
        assert_eq!(queue.take(5, &mut out), Some(Queued::Skip));
        assert_eq!(out, [5; 40]);
        // 40 live bytes at 40..80: the next push needs the freed front.
        queue.push(9, &[9; 50], Queued::Process).unwrap();
        queue.drop_below(8);
        assert_eq!(queue.take(9, &mut out), Some(Queued::Process));
        assert_eq!(out, [9; 50]);
        assert!(queue.is_empty());
    }
}
