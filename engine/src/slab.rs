//! The order slab: every resting order of every book lives in one
//! preallocated array, addressed by `u32` slot; free slots form a list.

use crate::types::{ClientOrderId, OrderRef, Side};

/// "No slot": end of a list, empty queue, empty side.
pub(crate) const NIL: u32 = u32::MAX;

/// One resting order. Sized and aligned to one cache line so touching an
/// order costs one line.
#[derive(Debug, Clone, Copy)]
#[repr(align(64))]
pub(crate) struct Order {
    /// Exchange reference.
    pub(crate) order_ref: OrderRef,
    /// Owner's handle.
    pub(crate) client_order_id: ClientOrderId,
    /// Open quantity.
    pub(crate) leaves: u64,
    /// Limit price in ticks.
    pub(crate) price: i64,
    /// Previous order in the level queue (`NIL` at the head).
    pub(crate) prev: u32,
    /// Next order in the level queue; for a free slot, the next free slot.
    pub(crate) next: u32,
    /// Owner id.
    pub(crate) owner: u32,
    /// Account id.
    pub(crate) account: u32,
    /// Instrument id.
    pub(crate) instrument: u32,
    /// Level index of `price` in its book's ladder.
    pub(crate) level: u32,
    /// Side.
    pub(crate) side: Side,
    /// Non-displayed.
    pub(crate) hidden: bool,
    /// Entered as post-only (replaces keep the check).
    pub(crate) post_only: bool,
    /// Slot holds a live order.
    pub(crate) live: bool,
}

const _: () = assert!(std::mem::size_of::<Order>() == 64);

impl Order {
    /// A free slot linking to `next`.
    fn vacant(next: u32) -> Order {
        Order {
            order_ref: OrderRef(0),
            client_order_id: ClientOrderId(0),
            leaves: 0,
            price: 0,
            prev: NIL,
            next,
            owner: 0,
            account: 0,
            instrument: 0,
            level: 0,
            side: Side::Buy,
            hidden: false,
            post_only: false,
            live: false,
        }
    }
}

/// Fixed-capacity order storage with a free list.
#[derive(Debug)]
pub(crate) struct Slab {
    /// All slots, live or free; never grows.
    pub(crate) orders: Vec<Order>,
    /// First free slot or `NIL`.
    free_head: u32,
    /// Number of live slots.
    live: u32,
}

impl Slab {
    /// A slab of `capacity` free slots (`capacity < u32::MAX`).
    pub(crate) fn new(capacity: u32) -> Slab {
        assert!(
            capacity < NIL,
            "slab capacity must leave room for the NIL sentinel"
        );
        let orders = (0..capacity)
            .map(|slot| Order::vacant(if slot + 1 < capacity { slot + 1 } else { NIL }))
            .collect();
        Slab {
            orders,
            free_head: if capacity > 0 { 0 } else { NIL },
            live: 0,
        }
    }

    /// Whether a slot is free.
    #[inline]
    pub(crate) fn has_free(&self) -> bool {
        self.free_head != NIL
    }

    /// Number of live orders.
    pub(crate) fn live(&self) -> u32 {
        self.live
    }

    /// Number of slots.
    pub(crate) fn capacity(&self) -> u32 {
        self.orders.len() as u32
    }

    /// Takes a free slot and writes `order` into it; `None` when full.
    #[inline]
    pub(crate) fn alloc(&mut self, order: Order) -> Option<u32> {
        let slot = self.free_head;
        if slot == NIL {
            return None;
        }
        let entry = &mut self.orders[slot as usize];
        debug_assert!(!entry.live, "free list holds a live slot");
        self.free_head = entry.next;
        *entry = Order {
            live: true,
            ..order
        };
        self.live += 1;
        Some(slot)
    }

    /// Returns a live slot to the free list.
    #[inline]
    pub(crate) fn free(&mut self, slot: u32) {
        let entry = &mut self.orders[slot as usize];
        assert!(entry.live, "double free of slot {slot}");
        entry.live = false;
        entry.next = self.free_head;
        entry.prev = NIL;
        self.free_head = slot;
        self.live -= 1;
    }

    /// Shared access to a slot.
    #[inline]
    pub(crate) fn get(&self, slot: u32) -> &Order {
        &self.orders[slot as usize]
    }

    /// Mutable access to a slot.
    #[inline]
    pub(crate) fn get_mut(&mut self, slot: u32) -> &mut Order {
        &mut self.orders[slot as usize]
    }

    /// Checks free list + live count = capacity (O(n)).
    pub(crate) fn validate(&self) {
        let mut free = 0u64;
        let mut slot = self.free_head;
        while slot != NIL {
            let entry = &self.orders[slot as usize];
            assert!(!entry.live, "free list reaches live slot {slot}");
            free += 1;
            assert!(free <= self.orders.len() as u64, "free list has a cycle");
            slot = entry.next;
        }
        let live = self.orders.iter().filter(|order| order.live).count() as u64;
        assert_eq!(live, u64::from(self.live), "slab live count wrong");
        assert_eq!(
            free + live,
            self.orders.len() as u64,
            "free + live != capacity"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(leaves: u64) -> Order {
        Order {
            leaves,
            ..Order::vacant(NIL)
        }
    }

    #[test]
    fn fills_then_reports_full_then_reuses_freed_slot() {
        let mut slab = Slab::new(3);
        let a = slab.alloc(order(1)).unwrap();
        let b = slab.alloc(order(2)).unwrap();
        let c = slab.alloc(order(3)).unwrap();
        assert_eq!((a, b, c), (0, 1, 2));
        assert!(slab.alloc(order(4)).is_none());
        slab.validate();
        slab.free(b);
        assert_eq!(slab.live(), 2);
        assert_eq!(slab.alloc(order(5)), Some(b));
        assert_eq!(slab.get(b).leaves, 5);
        assert!(slab.get(b).live);
        slab.validate();
    }

    #[test]
    fn free_list_is_lifo() {
        let mut slab = Slab::new(4);
        let slots: Vec<u32> = (0..4).map(|i| slab.alloc(order(i)).unwrap()).collect();
        slab.free(slots[1]);
        slab.free(slots[3]);
        assert_eq!(slab.alloc(order(9)), Some(slots[3]));
        assert_eq!(slab.alloc(order(9)), Some(slots[1]));
        slab.validate();
    }

    #[test]
    #[should_panic(expected = "double free")]
    fn double_free_panics() {
        let mut slab = Slab::new(1);
        let slot = slab.alloc(order(1)).unwrap();
        slab.free(slot);
        slab.free(slot);
    }
}
