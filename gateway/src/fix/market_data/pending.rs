//! What one session owes its incremental subscriptions since it was last
//! sent anything: one entry per price level (conflated: the level's state
//! in the client's view is remembered, its current state is read at send
//! time) and one per trade. Fixed capacity; a full table means the session
//! gets fresh snapshots instead.

use rtes_engine::{Price, Qty, SequenceNumber, Side};

/// One owed change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PendingKind {
    /// A price level whose state changed; what the client last saw of it.
    Level {
        side: Side,
        price: Price,
        seen_qty: Qty,
        seen_orders: u32,
    },
    /// A trade.
    Trade {
        price: Price,
        qty: Qty,
        seq: SequenceNumber,
    },
}

/// One owed change of one stream (a stream is one symbol of one request;
/// `generation` tells a reused stream slot from its previous occupant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PendingEntry {
    pub stream: u32,
    pub generation: u32,
    pub kind: PendingKind,
    /// Index slot of a level entry (so clearing touches only used slots).
    slot: u32,
}

/// `PendingEntry::slot` of a trade, which is not indexed.
const NO_SLOT: u32 = u32::MAX;

/// Entries in arrival order plus an open-addressing index over the level
/// entries (slot value = entry index + 1; 0 = empty).
#[derive(Debug)]
pub(crate) struct PendingTable {
    entries: Vec<PendingEntry>,
    slots: Vec<u32>,
    mask: usize,
}

impl PendingTable {
    pub fn new(capacity: usize) -> PendingTable {
        let slots = (capacity * 2).next_power_of_two().max(2);
        PendingTable {
            entries: Vec::with_capacity(capacity),
            slots: vec![0; slots],
            mask: slots - 1,
        }
    }

    pub fn entries(&self) -> &[PendingEntry] {
        &self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn full(&self) -> bool {
        self.entries.len() == self.entries.capacity()
    }

    fn home(stream: u32, generation: u32, side: Side, price: Price) -> u64 {
        let side_bit = matches!(side, Side::Sell) as u64;
        let key = (price.0 as u64)
            ^ (u64::from(stream) << 40)
            ^ (u64::from(generation) << 20)
            ^ (side_bit << 63);
        key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32
    }

    /// Records that a level changed, keeping what the client saw the first
    /// time it was recorded. `false` when the table is full.
    pub fn note_level(
        &mut self,
        stream: u32,
        generation: u32,
        side: Side,
        price: Price,
        seen: (Qty, u32),
    ) -> bool {
        let mut slot = Self::home(stream, generation, side, price) as usize & self.mask;
        loop {
            match self.slots[slot] {
                0 => break,
                occupied => {
                    let entry = &self.entries[occupied as usize - 1];
                    let same = entry.stream == stream
                        && entry.generation == generation
                        && matches!(entry.kind, PendingKind::Level { side: s, price: p, .. } if s == side && p == price);
                    if same {
                        return true;
                    }
                    slot = (slot + 1) & self.mask;
                }
            }
        }
        if self.full() {
            return false;
        }
        self.entries.push(PendingEntry {
            stream,
            generation,
            kind: PendingKind::Level {
                side,
                price,
                seen_qty: seen.0,
                seen_orders: seen.1,
            },
            slot: slot as u32,
        });
        self.slots[slot] = self.entries.len() as u32;
        true
    }

    /// Records a trade. `false` when the table is full.
    pub fn note_trade(&mut self, stream: u32, generation: u32, trade: PendingKind) -> bool {
        if self.full() {
            return false;
        }
        self.entries.push(PendingEntry {
            stream,
            generation,
            kind: trade,
            slot: NO_SLOT,
        });
        true
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        if self.is_empty() {
            return;
        }
        for entry in &self.entries {
            if entry.slot != NO_SLOT {
                self.slots[entry.slot as usize] = 0;
            }
        }
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_level_is_kept_once_with_its_first_seen_state() {
        let mut table = PendingTable::new(4);
        assert!(table.note_level(1, 0, Side::Buy, Price(10), (Qty(5), 1)));
        assert!(table.note_level(1, 0, Side::Buy, Price(10), (Qty(9), 2)));
        assert!(table.note_level(1, 0, Side::Sell, Price(10), (Qty(0), 0)));
        assert!(table.note_level(1, 1, Side::Buy, Price(10), (Qty(0), 0)));
        assert_eq!(table.entries().len(), 3);
        assert_eq!(
            table.entries()[0].kind,
            PendingKind::Level {
                side: Side::Buy,
                price: Price(10),
                seen_qty: Qty(5),
                seen_orders: 1
            }
        );
    }

    #[test]
    fn a_full_table_refuses_new_entries_but_still_conflates() {
        let mut table = PendingTable::new(2);
        assert!(table.note_level(0, 0, Side::Buy, Price(1), (Qty(0), 0)));
        let trade = PendingKind::Trade {
            price: Price(1),
            qty: Qty(1),
            seq: SequenceNumber(1),
        };
        assert!(table.note_trade(0, 0, trade));
        assert!(!table.note_trade(0, 0, trade));
        assert!(!table.note_level(0, 0, Side::Buy, Price(2), (Qty(0), 0)));
        assert!(table.note_level(0, 0, Side::Buy, Price(1), (Qty(3), 1)));
        table.clear();
        assert!(table.is_empty());
        assert!(table.note_level(0, 0, Side::Buy, Price(2), (Qty(0), 0)));
    }
}
