//! Out-of-order messages waiting for a gap before them to close: a ring of
//! fixed-size slots indexed by sequence number over the window
//! `[next, next + capacity)`, with a presence bitmap to find the first held
//! message quickly. Allocated on the first out-of-order message, then never
//! again: holding a message is a copy, not an allocation.

/// Bytes of one slot: a length byte and up to 63 message bytes (every ITCH
/// 5.0 message fits; the longest, NOII, has 50).
pub const PENDING_SLOT_BYTES: usize = 64;
/// Longest message a slot holds.
pub const PENDING_MESSAGE_LEN_MAX: usize = PENDING_SLOT_BYTES - 1;

/// Why a message was not held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Beyond the window or too long for a slot: it will be requested again.
    Overflow,
    /// Already held.
    Duplicate,
}

#[derive(Debug, Clone)]
pub(crate) struct PendingWindow {
    slots: Vec<[u8; PENDING_SLOT_BYTES]>,
    /// One bit per slot: held.
    present: Vec<u64>,
    capacity: usize,
    len: usize,
}

impl PendingWindow {
    /// A window of `capacity` messages (allocated on first use).
    pub(crate) fn new(capacity: usize) -> PendingWindow {
        PendingWindow {
            slots: Vec::new(),
            present: Vec::new(),
            capacity: capacity.max(1),
            len: 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn index(&self, sequence: u64) -> usize {
        (sequence % self.capacity as u64) as usize
    }

    fn is_held(&self, index: usize) -> bool {
        !self.present.is_empty() && self.present[index / 64] & (1 << (index % 64)) != 0
    }

    /// Holds message `sequence` (which must be ahead of `next`).
    pub(crate) fn insert(
        &mut self,
        next: u64,
        sequence: u64,
        message: &[u8],
    ) -> Result<(), Refused> {
        debug_assert!(sequence > next);
        if sequence - next >= self.capacity as u64 || message.len() > PENDING_MESSAGE_LEN_MAX {
            return Err(Refused::Overflow);
        }
        if self.slots.is_empty() {
            self.slots = vec![[0; PENDING_SLOT_BYTES]; self.capacity];
            self.present = vec![0; self.capacity.div_ceil(64)];
        }
        let index = self.index(sequence);
        if self.is_held(index) {
            return Err(Refused::Duplicate);
        }
        let slot = &mut self.slots[index];
        slot[0] = message.len() as u8;
        slot[1..1 + message.len()].copy_from_slice(message);
        self.present[index / 64] |= 1 << (index % 64);
        self.len += 1;
        Ok(())
    }

    /// Whether message `sequence` (ahead of `next`, inside the window) is held.
    #[cfg(test)]
    pub(crate) fn contains(&self, next: u64, sequence: u64) -> bool {
        sequence > next
            && sequence - next < self.capacity as u64
            && self.is_held(self.index(sequence))
    }

    /// Takes message `sequence` out, passing it to `take`; false if not held.
    pub(crate) fn take(&mut self, sequence: u64, take: impl FnOnce(&[u8])) -> bool {
        let index = self.index(sequence);
        if !self.is_held(index) {
            return false;
        }
        self.present[index / 64] &= !(1 << (index % 64));
        self.len -= 1;
        let slot = &self.slots[index];
        take(&slot[1..1 + usize::from(slot[0])]);
        true
    }

    /// The lowest held sequence number after `next`, if any.
    pub(crate) fn first_after(&self, next: u64) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        // Walk the bitmap from next + 1, wrapping once round the ring.
        let start = next + 1;
        let mut offset = 0u64;
        while offset < self.capacity as u64 {
            let index = self.index(start + offset);
            let bits = self.present[index / 64] >> (index % 64);
            if bits != 0 {
                let found = offset + u64::from(bits.trailing_zeros());
                return (found < self.capacity as u64).then_some(start + found);
            }
            // Skip to the next word (or to the wrap point, whichever first).
            let to_word_end = 64 - (index % 64) as u64;
            let to_wrap = (self.capacity - index) as u64;
            offset += to_word_end.min(to_wrap);
        }
        None
    }

    /// Forgets every held message below `sequence` (the window moves to
    /// start there).
    pub(crate) fn drop_below(&mut self, next: u64, sequence: u64) {
        let mut held = self.first_after(next.saturating_sub(1));
        while let Some(found) = held.filter(|&found| found < sequence) {
            self.take(found, |_| {});
            held = self.first_after(found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::btree_map::Entry;
    use std::collections::BTreeMap;

    /// Random inserts, in-order takes and jumps against a map, with a
    /// window that is not a multiple of 64 so lookups wrap mid-word.
    #[test]
    fn window_agrees_with_a_map() {
        const CAPACITY: usize = 100;
        let mut window = PendingWindow::new(CAPACITY);
        let mut model: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
        let mut next = 1u64;
        let mut state = 0x1234_5678_9ABC_DEF1u64;
        let mut random = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for step in 0..200_000u64 {
            match random() % 10 {
                0..=5 => {
                    let sequence = next + 1 + random() % (CAPACITY as u64 + 20);
                    let message = sequence.to_be_bytes();
                    let expected = if sequence - next >= CAPACITY as u64 {
                        Err(Refused::Overflow)
                    } else {
                        match model.entry(sequence) {
                            Entry::Occupied(_) => Err(Refused::Duplicate),
                            Entry::Vacant(vacant) => {
                                vacant.insert(message.to_vec());
                                Ok(())
                            }
                        }
                    };
                    assert_eq!(
                        window.insert(next, sequence, &message),
                        expected,
                        "step {step}"
                    );
                }
                6..=8 => next += 1, // the gap at `next` closes
                _ => {
                    // A snapshot: everything below `to` is no longer wanted.
                    let to = next + random() % 50;
                    window.drop_below(next, to);
                    model = model.split_off(&to);
                    next = to;
                }
            }
            // Deliver what is held from `next` on, as the tracker does.
            while let Some(message) = model.remove(&next) {
                let mut got = Vec::new();
                assert!(window.take(next, |m| got = m.to_vec()));
                assert_eq!(got, message);
                next += 1;
            }
            assert!(!window.take(next, |_| {}));
            assert_eq!(
                window.first_after(next),
                model.keys().next().copied(),
                "step {step}"
            );
            assert_eq!(window.is_empty(), model.is_empty());
            if let Some(&held) = model.keys().next() {
                assert!(window.contains(next, held));
            }
        }
        assert!(
            window.insert(0, 1, &[0; 64]).is_err(),
            "too long for a slot"
        );
    }
}
