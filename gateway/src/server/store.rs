//! Append-only log of a session's sequenced messages, kept so a client that
//! logs in again can be replayed everything from a sequence number on.
//!
//! Messages live in fixed-size chunks: appending never moves what is stored
//! and allocates only when a chunk fills (once per thousands of messages),
//! never a reallocation-and-copy in the middle of a burst.

/// Bytes per chunk of the message log.
const CHUNK_BYTES: usize = 1 << 20;

/// Where one message lives.
#[derive(Debug, Clone, Copy)]
struct Slot {
    chunk: u32,
    offset: u32,
    len: u16,
}

/// The sequenced messages of one session; sequence numbers start at 1.
#[derive(Debug, Default)]
pub struct SequencedStore {
    chunks: Vec<Vec<u8>>,
    slots: Vec<Slot>,
}

impl SequencedStore {
    /// An empty store.
    pub fn new() -> SequencedStore {
        SequencedStore::default()
    }

    /// Number of messages stored (= the last sequence number used).
    #[inline]
    pub fn len(&self) -> u64 {
        self.slots.len() as u64
    }

    /// True before the first message.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The sequence number the next appended message will get.
    #[inline]
    pub fn next_sequence(&self) -> u64 {
        self.len() + 1
    }

    /// Appends one message and returns its sequence number.
    pub fn append(&mut self, message: &[u8]) -> u64 {
        assert!(
            message.len() <= u16::MAX as usize,
            "sequenced message too long"
        );
        let needs_chunk = match self.chunks.last() {
            Some(chunk) => chunk.len() + message.len() > CHUNK_BYTES,
            None => true,
        };
        if needs_chunk {
            self.chunks.push(Vec::with_capacity(CHUNK_BYTES));
        }
        let chunk_index = self.chunks.len() - 1;
        let chunk = &mut self.chunks[chunk_index];
        let offset = chunk.len();
        chunk.extend_from_slice(message);
        self.slots.push(Slot {
            chunk: chunk_index as u32,
            offset: offset as u32,
            len: message.len() as u16,
        });
        self.len()
    }

    /// The message with this sequence number, if stored.
    pub fn get(&self, sequence: u64) -> Option<&[u8]> {
        let index = sequence.checked_sub(1)?;
        let slot = self.slots.get(usize::try_from(index).ok()?)?;
        let start = slot.offset as usize;
        Some(&self.chunks[slot.chunk as usize][start..start + slot.len as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_and_read_back_across_chunks() {
        let mut store = SequencedStore::new();
        assert_eq!(store.next_sequence(), 1);
        let message = vec![7u8; 60_000];
        for expected in 1..=60u64 {
            assert_eq!(
                store.append(&message[..(expected as usize * 1_000)]),
                expected
            );
        }
        assert!(store.chunks.len() > 1, "test must cross a chunk boundary");
        for sequence in 1..=60u64 {
            assert_eq!(
                store.get(sequence).unwrap().len(),
                sequence as usize * 1_000
            );
        }
        assert!(store.get(0).is_none());
        assert!(store.get(61).is_none());
    }
}
