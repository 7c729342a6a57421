//! The displayed resting orders the engine announced, by order reference:
//! a fixed-capacity open-addressing table (linear probing, backward-shift
//! deletion) so that tracking orders never allocates after start-up.

use rtes_engine::{Price, Qty, Side};

/// What the hub remembers of one resting order: enough to find its level
/// when it executes, shrinks, leaves or is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TrackedOrder {
    /// Instrument index.
    pub instrument: u32,
    /// Side (a replace keeps it).
    pub side: Side,
    /// Price in ticks.
    pub price: Price,
    /// Open (displayed) quantity.
    pub qty: Qty,
}

/// Key value of an empty slot: the engine's order references start at 1.
const EMPTY: u64 = 0;

/// Order reference → order, at most `capacity` entries.
#[derive(Debug)]
pub(crate) struct OrderTable {
    keys: Vec<u64>,
    values: Vec<TrackedOrder>,
    mask: usize,
    len: usize,
    capacity: usize,
}

impl OrderTable {
    /// A table for `capacity` orders; slots are at least twice that so
    /// probe sequences stay short.
    pub fn new(capacity: usize) -> OrderTable {
        let slots = (capacity * 2).next_power_of_two().max(2);
        let blank = TrackedOrder {
            instrument: 0,
            side: Side::Buy,
            price: Price(0),
            qty: Qty(0),
        };
        OrderTable {
            keys: vec![EMPTY; slots],
            values: vec![blank; slots],
            mask: slots - 1,
            len: 0,
            capacity,
        }
    }

    /// Orders held.
    pub fn len(&self) -> usize {
        self.len
    }

    fn home(&self, key: u64) -> usize {
        // Fibonacci hashing spreads the engine's consecutive references.
        (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize & self.mask
    }

    fn slot_of(&self, key: u64) -> Option<usize> {
        let mut slot = self.home(key);
        loop {
            match self.keys[slot] {
                EMPTY => return None,
                found if found == key => return Some(slot),
                _ => slot = (slot + 1) & self.mask,
            }
        }
    }

    /// The order with reference `key`.
    pub fn get_mut(&mut self, key: u64) -> Option<&mut TrackedOrder> {
        self.slot_of(key).map(|slot| &mut self.values[slot])
    }

    /// Adds an order; `false` when the table is full or `key` is 0 or present.
    pub fn insert(&mut self, key: u64, order: TrackedOrder) -> bool {
        if key == EMPTY || self.len == self.capacity || self.slot_of(key).is_some() {
            return false;
        }
        let mut slot = self.home(key);
        while self.keys[slot] != EMPTY {
            slot = (slot + 1) & self.mask;
        }
        self.keys[slot] = key;
        self.values[slot] = order;
        self.len += 1;
        true
    }

    /// Removes and returns the order with reference `key`.
    pub fn remove(&mut self, key: u64) -> Option<TrackedOrder> {
        let mut hole = self.slot_of(key)?;
        let removed = self.values[hole];
        self.keys[hole] = EMPTY;
        self.len -= 1;
        // Backward shift: move later members of the probe run into the hole
        // so lookups never stop early at it (no tombstones to clean up).
        let mut slot = (hole + 1) & self.mask;
        while self.keys[slot] != EMPTY {
            let home = self.home(self.keys[slot]);
            let distance_to_slot = slot.wrapping_sub(home) & self.mask;
            let distance_to_hole = hole.wrapping_sub(home) & self.mask;
            if distance_to_hole < distance_to_slot {
                self.keys[hole] = self.keys[slot];
                self.values[hole] = self.values[slot];
                self.keys[slot] = EMPTY;
                hole = slot;
            }
            slot = (slot + 1) & self.mask;
        }
        Some(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn order(qty: u64) -> TrackedOrder {
        TrackedOrder {
            instrument: 0,
            side: Side::Sell,
            price: Price(7),
            qty: Qty(qty),
        }
    }

    #[test]
    fn matches_a_hash_map_under_churn() {
        let mut table = OrderTable::new(64);
        let mut model = HashMap::new();
        let mut state = 0x1234_5678_9abc_def1_u64;
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let key = 1 + state % 200;
            if state.is_multiple_of(3) {
                assert_eq!(table.remove(key), model.remove(&key));
            } else if model.len() < 64 || model.contains_key(&key) {
                let inserted = table.insert(key, order(state % 1000));
                assert_eq!(inserted, !model.contains_key(&key));
                model.entry(key).or_insert(order(state % 1000));
            } else {
                assert!(!table.insert(key, order(1)), "full table refuses");
            }
            assert_eq!(table.len(), model.len());
        }
        for (key, value) in &model {
            assert_eq!(table.get_mut(*key).copied(), Some(*value));
        }
    }

    #[test]
    fn refuses_the_empty_key() {
        let mut table = OrderTable::new(4);
        assert!(!table.insert(0, order(1)));
        assert!(table.get_mut(0).is_none());
    }
}
