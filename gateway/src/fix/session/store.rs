//! What the session needs from persistent storage ([`SessionStore`]), the
//! error it reports ([`StoreFailure`]) and an in-memory store for tests and
//! benchmarks ([`MemoryStore`]).

use std::error::Error;
use std::sync::Arc;

/// The persistent part of a session: both sequence numbers and the
/// application messages sent, so a restart resumes without a reset and a
/// ResendRequest can be answered. The file store implements it; so does
/// [`MemoryStore`].
pub trait SessionStore {
    /// MsgSeqNum of the next message we send (1 for a new store).
    fn next_sender_seq(&self) -> u64;
    /// MsgSeqNum expected on the next message we receive (1 for a new store).
    fn next_target_seq(&self) -> u64;
    /// Sets the next MsgSeqNum we send.
    fn set_next_sender_seq(&mut self, seq: u64) -> Result<(), StoreFailure>;
    /// Sets the next MsgSeqNum we expect.
    fn set_next_target_seq(&mut self, seq: u64) -> Result<(), StoreFailure>;
    /// Records the application message sent with `seq` (always
    /// `next_sender_seq()`) and advances the next sender sequence number.
    fn append_sent(&mut self, seq: u64, message: &[u8]) -> Result<(), StoreFailure>;
    /// Records that the administrative message `seq` (always
    /// `next_sender_seq()`) was sent: nothing is kept, the number advances.
    fn skip_sent(&mut self, seq: u64) -> Result<(), StoreFailure>;
    /// Calls `visit` with each stored message whose sequence number is in
    /// `begin..=end` (`end` 0: no upper bound), in increasing order.
    fn for_each_sent(
        &mut self,
        begin: u64,
        end: u64,
        visit: &mut dyn FnMut(u64, &[u8]),
    ) -> Result<(), StoreFailure>;
    /// Both sequence numbers back to 1, stored messages dropped.
    fn reset(&mut self) -> Result<(), StoreFailure>;
    /// When this store (its session "day") was created, ns since the epoch.
    fn creation_time_ns(&self) -> u64;
}

/// A store error as the session sees it. The session cannot keep its
/// promises (resend, resume) without its store, so it reports the error in
/// a `SessionEvent::StoreFailed` and disconnects. Cloning shares the error.
#[derive(Debug, Clone, thiserror::Error)]
#[error("message store failed: {source}")]
pub struct StoreFailure {
    #[source]
    source: Arc<dyn Error + Send + Sync>,
}

impl StoreFailure {
    /// Wraps an error (or a message: `StoreFailure::new("disk full")`).
    pub fn new(error: impl Into<Box<dyn Error + Send + Sync>>) -> StoreFailure {
        StoreFailure {
            source: Arc::from(error.into()),
        }
    }
}

/// Where one stored message lies in [`MemoryStore`]'s byte buffer.
#[derive(Debug, Clone, Copy)]
struct StoredMessage {
    seq: u64,
    start: usize,
    end: usize,
}

/// A [`SessionStore`] in memory, for tests and benchmarks: it never fails
/// unless told to ([`MemoryStore::fail_next_write`]), and it keeps every
/// message (unbounded beyond the capacity it was created with).
#[derive(Debug, Clone)]
pub struct MemoryStore {
    next_sender_seq: u64,
    next_target_seq: u64,
    messages: Vec<StoredMessage>,
    bytes: Vec<u8>,
    creation_time_ns: u64,
    fail_next_write: bool,
}

impl Default for MemoryStore {
    fn default() -> MemoryStore {
        MemoryStore::new()
    }
}

impl MemoryStore {
    /// An empty store: both sequence numbers 1.
    pub fn new() -> MemoryStore {
        MemoryStore::with_capacity(0, 0)
    }

    /// An empty store that holds `messages` messages of `bytes` bytes in
    /// total before it allocates.
    pub fn with_capacity(messages: usize, bytes: usize) -> MemoryStore {
        MemoryStore {
            next_sender_seq: 1,
            next_target_seq: 1,
            messages: Vec::with_capacity(messages),
            bytes: Vec::with_capacity(bytes),
            creation_time_ns: 0,
            fail_next_write: false,
        }
    }

    /// Makes the next write (set, append, skip, reset) fail once, to test
    /// how the session handles a broken store.
    pub fn fail_next_write(&mut self) {
        self.fail_next_write = true;
    }

    /// The stored message with `seq`, if any.
    pub fn sent(&self, seq: u64) -> Option<&[u8]> {
        let position = self
            .messages
            .binary_search_by_key(&seq, |stored| stored.seq)
            .ok()?;
        let stored = self.messages[position];
        Some(&self.bytes[stored.start..stored.end])
    }

    /// Number of stored messages.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether no message is stored.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    fn write(&mut self) -> Result<(), StoreFailure> {
        if std::mem::take(&mut self.fail_next_write) {
            return Err(StoreFailure::new("injected failure"));
        }
        Ok(())
    }

    fn advance_sender(&mut self, seq: u64) -> Result<(), StoreFailure> {
        if seq != self.next_sender_seq {
            return Err(StoreFailure::new(
                "sent sequence number is not the next one",
            ));
        }
        self.next_sender_seq = seq + 1;
        Ok(())
    }
}

impl SessionStore for MemoryStore {
    fn next_sender_seq(&self) -> u64 {
        self.next_sender_seq
    }

    fn next_target_seq(&self) -> u64 {
        self.next_target_seq
    }

    fn set_next_sender_seq(&mut self, seq: u64) -> Result<(), StoreFailure> {
        self.write()?;
        self.next_sender_seq = seq;
        Ok(())
    }

    fn set_next_target_seq(&mut self, seq: u64) -> Result<(), StoreFailure> {
        self.write()?;
        self.next_target_seq = seq;
        Ok(())
    }

    fn append_sent(&mut self, seq: u64, message: &[u8]) -> Result<(), StoreFailure> {
        self.write()?;
        self.advance_sender(seq)?;
        let start = self.bytes.len();
        self.bytes.extend_from_slice(message);
        self.messages.push(StoredMessage {
            seq,
            start,
            end: self.bytes.len(),
        });
        Ok(())
    }

    fn skip_sent(&mut self, seq: u64) -> Result<(), StoreFailure> {
        self.write()?;
        self.advance_sender(seq)
    }

    fn for_each_sent(
        &mut self,
        begin: u64,
        end: u64,
        visit: &mut dyn FnMut(u64, &[u8]),
    ) -> Result<(), StoreFailure> {
        let first = self.messages.partition_point(|stored| stored.seq < begin);
        for stored in &self.messages[first..] {
            if end != 0 && stored.seq > end {
                break;
            }
            visit(stored.seq, &self.bytes[stored.start..stored.end]);
        }
        Ok(())
    }

    fn reset(&mut self) -> Result<(), StoreFailure> {
        self.write()?;
        self.next_sender_seq = 1;
        self.next_target_seq = 1;
        self.messages.clear();
        self.bytes.clear();
        Ok(())
    }

    fn creation_time_ns(&self) -> u64 {
        self.creation_time_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_sequences_and_ranges() {
        let mut store = MemoryStore::new();
        store.append_sent(1, b"one").unwrap();
        store.skip_sent(2).unwrap();
        store.append_sent(3, b"three").unwrap();
        assert!(store.append_sent(9, b"nine").is_err());
        assert_eq!(store.next_sender_seq(), 4);
        let mut seen = Vec::new();
        store
            .for_each_sent(2, 0, &mut |seq, bytes| seen.push((seq, bytes.to_vec())))
            .unwrap();
        assert_eq!(seen, [(3, b"three".to_vec())]);
        store.fail_next_write();
        assert!(store.set_next_target_seq(5).is_err());
        store.set_next_target_seq(5).unwrap();
        store.reset().unwrap();
        assert_eq!((store.next_sender_seq(), store.next_target_seq()), (1, 1));
        assert!(store.is_empty());
    }
}
