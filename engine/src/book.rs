//! One instrument's book: for each side a dense price ladder over the price
//! band, each level holding a displayed FIFO and a hidden FIFO of slab slots.

use crate::bitmap::LevelBitmap;
use crate::slab::{Order, NIL};
use crate::types::{Side, TradingState};

/// Head and tail of an intrusive FIFO threaded through `Order::prev/next`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Queue {
    /// First slot or `NIL`.
    pub(crate) head: u32,
    /// Last slot or `NIL`.
    pub(crate) tail: u32,
}

impl Queue {
    /// An empty queue.
    const EMPTY: Queue = Queue {
        head: NIL,
        tail: NIL,
    };
}

/// One price level.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Level {
    /// Displayed orders, time priority.
    pub(crate) displayed: Queue,
    /// Hidden orders, time priority (after all displayed ones).
    pub(crate) hidden: Queue,
    /// Sum of leaves over both queues.
    pub(crate) qty: u64,
    /// Number of orders in both queues.
    pub(crate) count: u32,
}

impl Level {
    /// An empty level.
    const EMPTY: Level = Level {
        displayed: Queue::EMPTY,
        hidden: Queue::EMPTY,
        qty: 0,
        count: 0,
    };

    /// The first order in priority order (`NIL` when empty).
    #[inline]
    pub(crate) fn front(&self) -> u32 {
        if self.displayed.head != NIL {
            self.displayed.head
        } else {
            self.hidden.head
        }
    }
}

/// One side of a book: the ladder, its occupancy bitmap and the best level.
#[derive(Debug)]
pub(crate) struct SideBook {
    /// Which side.
    pub(crate) side: Side,
    /// `levels[i]` holds price `band_low + i`.
    pub(crate) levels: Vec<Level>,
    /// Bit `i` set iff `levels[i].count > 0`.
    pub(crate) occupied: LevelBitmap,
    /// Index of the best level or `NIL` when the side is empty.
    pub(crate) best: u32,
}

impl SideBook {
    /// An empty side of `level_count` levels.
    fn new(side: Side, level_count: usize) -> SideBook {
        SideBook {
            side,
            levels: vec![Level::EMPTY; level_count],
            occupied: LevelBitmap::new(level_count),
            best: NIL,
        }
    }

    /// Whether level `a` has better priority than level `b` on this side.
    #[inline]
    fn is_better(&self, a: u32, b: u32) -> bool {
        match self.side {
            Side::Buy => a > b,
            Side::Sell => a < b,
        }
    }

    /// The next non-empty level after `level` in priority order (`NIL` if none).
    #[inline]
    pub(crate) fn next_level(&self, level: u32) -> u32 {
        let found = match self.side {
            Side::Buy => level
                .checked_sub(1)
                .and_then(|below| self.occupied.next_at_or_below(below as usize)),
            Side::Sell => self.occupied.next_at_or_above(level as usize + 1),
        };
        found.map_or(NIL, |index| index as u32)
    }

    /// Appends `slot` (already holding its price level, leaves and hidden
    /// flag) at the back of its level's queue.
    #[inline(always)]
    pub(crate) fn push_back(&mut self, orders: &mut [Order], slot: u32) {
        let order = &mut orders[slot as usize];
        let index = order.level;
        let leaves = order.leaves;
        let level = &mut self.levels[index as usize];
        let queue = if order.hidden {
            &mut level.hidden
        } else {
            &mut level.displayed
        };
        order.prev = queue.tail;
        order.next = NIL;
        let old_tail = queue.tail;
        queue.tail = slot;
        if old_tail == NIL {
            queue.head = slot;
        } else {
            orders[old_tail as usize].next = slot;
        }
        level.qty += leaves;
        level.count += 1;
        if level.count == 1 {
            self.occupied.set(index as usize);
            if self.best == NIL || self.is_better(index, self.best) {
                self.best = index;
            }
        }
    }

    /// Unlinks `slot` from its level; the level loses the order's leaves.
    #[inline(always)]
    pub(crate) fn remove(&mut self, orders: &mut [Order], slot: u32) {
        let order = orders[slot as usize];
        let index = order.level;
        let level = &mut self.levels[index as usize];
        let queue = if order.hidden {
            &mut level.hidden
        } else {
            &mut level.displayed
        };
        if order.prev == NIL {
            queue.head = order.next;
        } else {
            orders[order.prev as usize].next = order.next;
        }
        if order.next == NIL {
            queue.tail = order.prev;
        } else {
            orders[order.next as usize].prev = order.prev;
        }
        level.qty -= order.leaves;
        level.count -= 1;
        if level.count == 0 {
            debug_assert_eq!(level.qty, 0, "empty level with quantity");
            self.occupied.clear(index as usize);
            if self.best == index {
                self.best = self.next_level(index);
            }
        }
    }

    /// Removes `qty` from a level's total (the order's leaves already changed).
    #[inline]
    pub(crate) fn reduce(&mut self, level: u32, qty: u64) {
        self.levels[level as usize].qty -= qty;
    }
}

/// Divisibility by a fixed lot size with one multiply instead of a
/// division (Granlund–Montgomery): `n` is a multiple of `lot = odd × 2^k`
/// iff `rotate_right(n × odd⁻¹ mod 2^64, k) <= u64::MAX / lot`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LotCheck {
    /// Multiplicative inverse of the lot's odd part modulo 2^64.
    inverse: u64,
    /// Power of two in the lot.
    shift: u32,
    /// `u64::MAX / lot`.
    limit: u64,
}

impl LotCheck {
    /// The check for a lot size (`lot > 0`).
    pub(crate) fn new(lot: u64) -> LotCheck {
        assert!(lot > 0, "lot size must be positive");
        let shift = lot.trailing_zeros();
        let odd = lot >> shift;
        // Newton's iteration doubles the correct low bits each step: 3 → 96.
        let mut inverse = odd;
        for _ in 0..5 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(odd.wrapping_mul(inverse)));
        }
        debug_assert_eq!(odd.wrapping_mul(inverse), 1);
        LotCheck {
            inverse,
            shift,
            limit: u64::MAX / lot,
        }
    }

    /// Whether `qty` is a multiple of the lot.
    #[inline]
    pub(crate) fn divides(&self, qty: u64) -> bool {
        qty.wrapping_mul(self.inverse).rotate_right(self.shift) <= self.limit
    }
}

/// One instrument: static limits copied for locality, state and both sides.
#[derive(Debug)]
pub(crate) struct Book {
    /// Lowest price of the ladder (band low), in ticks.
    pub(crate) band_low: i64,
    /// Highest price of the ladder, in ticks.
    pub(crate) band_high: i64,
    /// Reference price in ticks.
    pub(crate) reference: i64,
    /// Tick size in wire-price units.
    pub(crate) tick_size: i64,
    /// Lot size divisibility check.
    pub(crate) lot: LotCheck,
    /// Instrument minimum order quantity.
    pub(crate) min_qty: u64,
    /// Instrument maximum order quantity.
    pub(crate) max_qty: u64,
    /// Trading state.
    pub(crate) state: TradingState,
    /// The book may be crossed although it is in `Continuous`: it entered
    /// `Continuous` from `Closed`, where the contract runs no uncross, so a
    /// book crossed in pre-open stays crossed. Cleared by the next uncross.
    pub(crate) may_be_crossed: bool,
    /// Bids.
    pub(crate) bids: SideBook,
    /// Offers.
    pub(crate) asks: SideBook,
}

impl Book {
    /// An empty book over `[band_low, band_high]`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        band_low: i64,
        band_high: i64,
        reference: i64,
        tick_size: i64,
        lot_size: u64,
        min_qty: u64,
        max_qty: u64,
        state: TradingState,
    ) -> Book {
        let level_count = (band_high - band_low + 1) as usize;
        Book {
            band_low,
            band_high,
            reference,
            tick_size,
            lot: LotCheck::new(lot_size),
            min_qty,
            max_qty,
            state,
            may_be_crossed: false,
            bids: SideBook::new(Side::Buy, level_count),
            asks: SideBook::new(Side::Sell, level_count),
        }
    }

    /// The side book of `side`.
    #[inline]
    pub(crate) fn side(&self, side: Side) -> &SideBook {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    /// The side book of `side`, mutably.
    #[inline]
    pub(crate) fn side_mut(&mut self, side: Side) -> &mut SideBook {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// Price of a level index.
    #[inline]
    pub(crate) fn price_of(&self, level: u32) -> i64 {
        self.band_low + i64::from(level)
    }

    /// Level index of an in-band price.
    #[inline]
    pub(crate) fn level_of(&self, price: i64) -> u32 {
        debug_assert!(price >= self.band_low && price <= self.band_high);
        (price - self.band_low) as u32
    }

    /// Whether an order on `side` at `price` (`None` = market) would trade
    /// against the opposite best level now.
    #[inline]
    pub(crate) fn is_marketable(&self, side: Side, price: Option<i64>) -> bool {
        let opposite = self.side(side.opposite());
        if opposite.best == NIL {
            return false;
        }
        match price {
            None => true,
            Some(limit) => crosses(side, limit, self.price_of(opposite.best)),
        }
    }
}

/// Whether an order on `side` limited at `limit` trades with a resting order at `resting`.
#[inline]
pub(crate) fn crosses(side: Side, limit: i64, resting: i64) -> bool {
    match side {
        Side::Buy => resting <= limit,
        Side::Sell => resting >= limit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ClientOrderId, OrderRef};

    fn order(level: u32, leaves: u64, hidden: bool) -> Order {
        Order {
            order_ref: OrderRef(0),
            client_order_id: ClientOrderId(0),
            leaves,
            price: 0,
            prev: NIL,
            next: NIL,
            owner: 0,
            account: 0,
            instrument: 0,
            level,
            side: Side::Buy,
            hidden,
            post_only: false,
            live: true,
        }
    }

    #[test]
    fn best_follows_inserts_and_removals() {
        let mut orders = vec![
            order(10, 5, false),
            order(20, 7, false),
            order(20, 1, true),
            order(3, 2, false),
        ];
        let mut bids = SideBook::new(Side::Buy, 100);
        for slot in 0..4 {
            bids.push_back(&mut orders, slot);
        }
        assert_eq!(bids.best, 20);
        assert_eq!(bids.levels[20].qty, 8);
        assert_eq!(bids.levels[20].front(), 1);
        bids.remove(&mut orders, 1);
        assert_eq!(bids.best, 20);
        assert_eq!(
            bids.levels[20].front(),
            2,
            "hidden order is next once displayed ones are gone"
        );
        bids.remove(&mut orders, 2);
        assert_eq!(bids.best, 10);
        assert_eq!(bids.next_level(10), 3);
        bids.remove(&mut orders, 0);
        assert_eq!(bids.best, 3);
        bids.remove(&mut orders, 3);
        assert_eq!(bids.best, NIL);
        bids.occupied.validate();
    }

    #[test]
    fn lot_check_agrees_with_remainder() {
        for lot in [
            1u64,
            2,
            3,
            5,
            7,
            10,
            64,
            96,
            100,
            1_000,
            12_345,
            u64::MAX / 3,
            u64::MAX,
        ] {
            let check = LotCheck::new(lot);
            let mut state = lot ^ 0x9e37_79b9_7f4a_7c15;
            for i in 0..2_000u64 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                for qty in [
                    i,
                    i.wrapping_mul(lot),
                    state,
                    state - state % lot,
                    u64::MAX - i,
                ] {
                    assert_eq!(check.divides(qty), qty % lot == 0, "lot {lot} qty {qty}");
                }
            }
        }
    }

    #[test]
    fn fifo_unlink_from_middle_keeps_order() {
        let mut orders: Vec<Order> = (0..3).map(|_| order(0, 1, false)).collect();
        let mut asks = SideBook::new(Side::Sell, 4);
        for slot in 0..3 {
            asks.push_back(&mut orders, slot);
        }
        asks.remove(&mut orders, 1);
        let level = asks.levels[0];
        assert_eq!((level.displayed.head, level.displayed.tail), (0, 2));
        assert_eq!(orders[0].next, 2);
        assert_eq!(orders[2].prev, 0);
        assert_eq!((level.qty, level.count), (2, 2));
        assert_eq!(asks.next_level(0), NIL);
    }
}
