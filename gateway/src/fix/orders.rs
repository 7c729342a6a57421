//! One FIX session's orders: ClOrdID → order, and what an ExecutionReport
//! needs that the engine does not keep (OrderQty as sent, CumQty, AvgPx,
//! the ClOrdID of a pending cancel or replace).
//!
//! Bounded: a session remembers at most `capacity` orders. Live orders are
//! always kept; when the table is full the oldest finished order is forgotten
//! (its ClOrdIDs may then be used again). The engine's `ClientOrderId` of an
//! order is its slot number, so a report finds its order without a lookup.

use std::collections::{HashMap, VecDeque};

use rtes_engine::{ClientOrderId, InstrumentId};

/// Longest ClOrdID accepted, bytes.
pub const CL_ORD_ID_MAX: usize = 40;

/// A ClOrdID (11) as the client sent it, stored inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClOrdId {
    len: u8,
    bytes: [u8; CL_ORD_ID_MAX],
}

impl ClOrdId {
    /// `None` when empty or longer than [`CL_ORD_ID_MAX`].
    ///
    /// ```
    /// use rtes_gateway::fix::orders::ClOrdId;
    /// assert_eq!(ClOrdId::new(b"order-7").unwrap().as_bytes(), b"order-7");
    /// assert!(ClOrdId::new(&[b'x'; 41]).is_none());
    /// ```
    pub fn new(text: &[u8]) -> Option<ClOrdId> {
        if text.is_empty() || text.len() > CL_ORD_ID_MAX {
            return None;
        }
        let mut bytes = [0u8; CL_ORD_ID_MAX];
        bytes[..text.len()].copy_from_slice(text);
        Some(ClOrdId {
            len: text.len() as u8,
            bytes,
        })
    }

    /// The identifier's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for ClOrdId {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// A cancel or replace sent to the engine and not answered yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// Nothing in flight.
    None,
    /// OrderCancelRequest with this ClOrdID.
    Cancel(ClOrdId),
    /// OrderCancelReplaceRequest with this ClOrdID and its new OrderQty/OrdType.
    Replace {
        /// The replacement's ClOrdID.
        cl_ord_id: ClOrdId,
        /// New total order quantity (filled part included).
        order_qty: u64,
        /// New OrdType as sent.
        ord_type: u8,
    },
}

/// What the session knows about one order.
#[derive(Debug, Clone, Copy)]
pub struct FixOrder {
    /// Current ClOrdID (the latest replacement's).
    pub cl_ord_id: ClOrdId,
    /// Engine order reference (ITCH's number); 0 until accepted.
    pub order_ref: u64,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Side (54) as sent.
    pub side: u8,
    /// OrdType (40) as sent.
    pub ord_type: u8,
    /// TimeInForce (59) as sent.
    pub time_in_force: u8,
    /// Limit price in ticks (0 for market orders).
    pub price_ticks: i64,
    /// OrderQty (38): total quantity including what has executed.
    pub order_qty: u64,
    /// Executed so far.
    pub cum_qty: u64,
    /// Open quantity.
    pub leaves_qty: u64,
    /// Σ executed qty × price in ticks, for AvgPx.
    pub executed_notional_ticks: u128,
    /// OrdStatus (39) to report.
    pub ord_status: u8,
    /// Request in flight.
    pub pending: Pending,
}

impl FixOrder {
    /// Still working on the book (or not yet answered by the engine).
    pub fn is_open(&self) -> bool {
        !matches!(self.ord_status, b'2' | b'4' | b'8' | b'C')
    }
}

/// Why an order could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OrderTableError {
    /// The ClOrdID is already known this session.
    #[error("duplicate ClOrdID")]
    Duplicate,
    /// Every slot holds an open order.
    #[error("too many open orders on this session")]
    Full,
}

/// The session's orders.
pub struct OrderTable {
    orders: Vec<FixOrder>,
    by_cl_ord_id: HashMap<ClOrdId, u32>,
    /// Finished orders, oldest first: forgotten in this order when full.
    finished: VecDeque<u32>,
    /// ClOrdIDs superseded by a replace, oldest first (bounded like `finished`).
    superseded: VecDeque<ClOrdId>,
    capacity: usize,
}

impl OrderTable {
    /// A table for at most `capacity` orders; all memory is taken here.
    pub fn new(capacity: usize) -> OrderTable {
        assert!(capacity > 0 && capacity < u32::MAX as usize);
        OrderTable {
            orders: Vec::with_capacity(capacity),
            by_cl_ord_id: HashMap::with_capacity(capacity * 2),
            finished: VecDeque::with_capacity(capacity),
            superseded: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    /// The slot holding `cl_ord_id` (current or superseded), if remembered.
    pub fn find(&self, cl_ord_id: &ClOrdId) -> Option<ClientOrderId> {
        self.by_cl_ord_id
            .get(cl_ord_id)
            .map(|slot| ClientOrderId(u64::from(*slot)))
    }

    /// True if `cl_ord_id` is remembered (live, finished or superseded).
    pub fn contains(&self, cl_ord_id: &ClOrdId) -> bool {
        self.by_cl_ord_id.contains_key(cl_ord_id)
    }

    /// Adds a new order; its engine id is returned.
    pub fn insert(&mut self, order: FixOrder) -> Result<ClientOrderId, OrderTableError> {
        if self.by_cl_ord_id.contains_key(&order.cl_ord_id) {
            return Err(OrderTableError::Duplicate);
        }
        let slot = if self.orders.len() < self.capacity {
            self.orders.push(order);
            (self.orders.len() - 1) as u32
        } else {
            let slot = self.evict_finished().ok_or(OrderTableError::Full)?;
            self.orders[slot as usize] = order;
            slot
        };
        self.by_cl_ord_id.insert(order.cl_ord_id, slot);
        Ok(ClientOrderId(u64::from(slot)))
    }

    /// The order with engine id `id`.
    pub fn get(&self, id: ClientOrderId) -> Option<&FixOrder> {
        self.orders.get(id.0 as usize)
    }

    /// The order with engine id `id`, mutably.
    pub fn get_mut(&mut self, id: ClientOrderId) -> Option<&mut FixOrder> {
        self.orders.get_mut(id.0 as usize)
    }

    /// Makes `new_id` the order's current ClOrdID (a replace was done); the
    /// old one stays known so it cannot be reused.
    pub fn rename(&mut self, id: ClientOrderId, new_id: ClOrdId) {
        let slot = id.0 as u32;
        let order = &mut self.orders[slot as usize];
        let old_id = order.cl_ord_id;
        if old_id == new_id {
            return;
        }
        order.cl_ord_id = new_id;
        self.by_cl_ord_id.insert(new_id, slot);
        if self.superseded.len() == self.capacity {
            if let Some(oldest) = self.superseded.pop_front() {
                self.forget_id(&oldest);
            }
        }
        self.superseded.push_back(old_id);
    }

    /// Records that the order will get no more engine reports.
    pub fn finish(&mut self, id: ClientOrderId) {
        debug_assert!(!self.orders[id.0 as usize].is_open());
        self.finished.push_back(id.0 as u32);
    }

    /// Every open order, for status requests and tests.
    pub fn open_orders(&self) -> impl Iterator<Item = (ClientOrderId, &FixOrder)> {
        self.orders
            .iter()
            .enumerate()
            .filter(|(_, order)| order.is_open())
            .map(|(slot, order)| (ClientOrderId(slot as u64), order))
    }

    /// Forgets the oldest finished order with nothing pending; returns its slot.
    fn evict_finished(&mut self) -> Option<u32> {
        for _ in 0..self.finished.len() {
            let slot = self.finished.pop_front()?;
            let order = self.orders[slot as usize];
            if order.pending != Pending::None || order.is_open() {
                // A late answer may still arrive for it; keep it a while longer.
                self.finished.push_back(slot);
                continue;
            }
            self.forget_id(&order.cl_ord_id);
            return Some(slot);
        }
        None
    }

    fn forget_id(&mut self, cl_ord_id: &ClOrdId) {
        self.by_cl_ord_id.remove(cl_ord_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: &str) -> FixOrder {
        FixOrder {
            cl_ord_id: ClOrdId::new(id.as_bytes()).unwrap(),
            order_ref: 0,
            instrument: InstrumentId(0),
            side: b'1',
            ord_type: b'2',
            time_in_force: b'0',
            price_ticks: 100,
            order_qty: 10,
            cum_qty: 0,
            leaves_qty: 10,
            executed_notional_ticks: 0,
            ord_status: b'0',
            pending: Pending::None,
        }
    }

    #[test]
    fn duplicate_cl_ord_id_is_refused_even_after_a_replace() {
        let mut table = OrderTable::new(4);
        let id = table.insert(order("a")).unwrap();
        assert_eq!(table.insert(order("a")), Err(OrderTableError::Duplicate));
        table.rename(id, ClOrdId::new(b"b").unwrap());
        assert_eq!(table.insert(order("a")), Err(OrderTableError::Duplicate));
        assert_eq!(table.insert(order("b")), Err(OrderTableError::Duplicate));
        assert_eq!(table.find(&ClOrdId::new(b"a").unwrap()), Some(id));
    }

    #[test]
    fn full_table_forgets_the_oldest_finished_order_only() {
        let mut table = OrderTable::new(2);
        let first = table.insert(order("a")).unwrap();
        let _second = table.insert(order("b")).unwrap();
        assert_eq!(table.insert(order("c")), Err(OrderTableError::Full));
        table.get_mut(first).unwrap().ord_status = b'2';
        table.finish(first);
        let third = table.insert(order("c")).unwrap();
        assert_eq!(third, first, "the finished order's slot is reused");
        assert!(!table.contains(&ClOrdId::new(b"a").unwrap()));
        assert!(table.contains(&ClOrdId::new(b"b").unwrap()));
    }

    #[test]
    fn finished_order_with_a_pending_request_is_kept() {
        let mut table = OrderTable::new(1);
        let first = table.insert(order("a")).unwrap();
        let pending = Pending::Cancel(ClOrdId::new(b"x").unwrap());
        let stored = table.get_mut(first).unwrap();
        stored.ord_status = b'2';
        stored.pending = pending;
        table.finish(first);
        assert_eq!(table.insert(order("c")), Err(OrderTableError::Full));
        table.get_mut(first).unwrap().pending = Pending::None;
        assert!(table.insert(order("c")).is_ok());
    }
}
