//! `(owner, client order id) → slot`: finds live orders for cancel and
//! replace in O(1), with a cheap deterministic hasher and a table reserved
//! up front so it never grows.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-xorshift hasher for integer keys. Deterministic (no random
/// seed): the engine must not depend on randomness, and keys are not
/// attacker-chosen beyond what the gateway's own validation allows.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    #[inline]
    fn finish(&self) -> u64 {
        // Final avalanche (from splitmix64) so both the low bits (bucket) and
        // the high bits (control tag) depend on every input bit.
        let mut x = self.0;
        x ^= x >> 30;
        x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x ^= x >> 27;
        x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    #[inline]
    fn write_u32(&mut self, value: u32) {
        self.write_u64(u64::from(value));
    }

    #[inline]
    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(23) ^ value).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Live-order lookup by `(owner, client order id)`.
#[derive(Debug)]
pub(crate) struct OrderIndex {
    /// Key: `(owner, client order id)`; value: slab slot.
    map: HashMap<(u32, u64), u32, BuildHasherDefault<KeyHasher>>,
}

impl OrderIndex {
    /// An index that holds `capacity` orders without reallocating.
    pub(crate) fn new(capacity: u32) -> OrderIndex {
        // Twice the capacity: hashbrown rehashes in place (no allocation)
        // when tombstones run out only if the table is at most half full.
        let reserve = (capacity as usize).saturating_mul(2);
        OrderIndex {
            map: HashMap::with_capacity_and_hasher(reserve, BuildHasherDefault::default()),
        }
    }

    /// Slot of a live order.
    #[inline]
    pub(crate) fn get(&self, owner: u32, client_order_id: u64) -> Option<u32> {
        self.map.get(&(owner, client_order_id)).copied()
    }

    /// Whether a live order has this key.
    #[inline]
    pub(crate) fn contains(&self, owner: u32, client_order_id: u64) -> bool {
        self.map.contains_key(&(owner, client_order_id))
    }

    /// Adds a live order; the key must be free.
    #[inline]
    pub(crate) fn insert(&mut self, owner: u32, client_order_id: u64, slot: u32) {
        let previous = self.map.insert((owner, client_order_id), slot);
        debug_assert!(previous.is_none(), "index key reused while live");
    }

    /// Removes a live order's key.
    #[inline]
    pub(crate) fn remove(&mut self, owner: u32, client_order_id: u64) {
        let removed = self.map.remove(&(owner, client_order_id));
        debug_assert!(removed.is_some(), "index missing a live order");
    }

    /// Number of keys.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinguishes_owner_and_id() {
        let mut index = OrderIndex::new(8);
        index.insert(1, 2, 10);
        index.insert(2, 1, 11);
        assert_eq!(index.get(1, 2), Some(10));
        assert_eq!(index.get(2, 1), Some(11));
        assert_eq!(index.get(1, 1), None);
        index.remove(1, 2);
        assert!(!index.contains(1, 2));
        assert_eq!(index.len(), 1);
    }

    #[test]
    fn hasher_is_deterministic() {
        let hash = |owner: u32, id: u64| {
            let mut hasher = KeyHasher::default();
            hasher.write_u32(owner);
            hasher.write_u64(id);
            hasher.finish()
        };
        assert_eq!(hash(3, 99), hash(3, 99));
        assert_ne!(hash(3, 99), hash(99, 3));
    }
}
