//! Bounded history of recently published messages for retransmission and
//! late-join replay: a ring of fixed-size slots indexed by sequence number,
//! allocated once, so recording a message never allocates.

use crate::itch::wire::MESSAGE_LEN_MAX;

/// Bytes one slot takes: a length byte and the longest message, rounded up.
pub const SLOT_BYTES: usize = 48;
const _: () = assert!(SLOT_BYTES > MESSAGE_LEN_MAX);

/// The last `capacity` messages, by MoldUDP64 sequence number.
///
/// ```
/// let mut history = rtes_mdfeed::history::History::with_bytes(2 * 48);
/// history.push(1, b"a");
/// history.push(2, b"bb");
/// history.push(3, b"ccc");
/// assert_eq!(history.get(1), None); // evicted: two slots only
/// assert_eq!(history.get(3), Some(&b"ccc"[..]));
/// ```
#[derive(Debug, Clone)]
pub struct History {
    slots: Vec<[u8; SLOT_BYTES]>,
    /// Sequence number of the oldest message held (valid when `len > 0`).
    first: u64,
    len: usize,
}

impl History {
    /// A history bounded to about `bytes_max` bytes (at least one slot).
    pub fn with_bytes(bytes_max: usize) -> History {
        let capacity = (bytes_max / SLOT_BYTES).max(1);
        let mut slots = vec![[0; SLOT_BYTES]; capacity];
        // A zeroed allocation this large is fresh mmap'd memory that is not
        // backed yet: without this write the publish path would take a page
        // fault every 85 messages until the ring first wraps. `black_box`
        // keeps the compiler from dropping a store of zeros into memory it
        // knows is zero.
        std::hint::black_box(&mut slots);
        slots.fill([0; SLOT_BYTES]);
        History {
            slots,
            first: 1,
            len: 0,
        }
    }

    /// Most messages held.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Oldest sequence number held, if any.
    pub fn first(&self) -> Option<u64> {
        (self.len > 0).then_some(self.first)
    }

    /// One past the newest sequence number held (`first` when empty).
    pub fn end(&self) -> u64 {
        self.first + self.len as u64
    }

    /// Records message `sequence`, which must follow the previous one.
    pub fn push(&mut self, sequence: u64, message: &[u8]) {
        assert!(message.len() < SLOT_BYTES, "message too long for history");
        if self.len == 0 {
            self.first = sequence;
        }
        assert_eq!(sequence, self.end(), "history sequence must be contiguous");
        let index = (sequence % self.slots.len() as u64) as usize;
        let slot = &mut self.slots[index];
        slot[0] = message.len() as u8;
        slot[1..1 + message.len()].copy_from_slice(message);
        if self.len == self.slots.len() {
            self.first += 1;
        } else {
            self.len += 1;
        }
    }

    /// Message `sequence`, if still held.
    pub fn get(&self, sequence: u64) -> Option<&[u8]> {
        if self.len == 0 || sequence < self.first || sequence >= self.end() {
            return None;
        }
        let slot = &self.slots[(sequence % self.slots.len() as u64) as usize];
        Some(&slot[1..1 + slot[0] as usize])
    }
}
