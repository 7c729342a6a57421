//! Order-by-order engine events folded into aggregated price levels, with a
//! record of what changed during the current engine batch: which levels (and
//! their state before the batch), which trades, which trading states.

use rtes_engine::{
    InstrumentConfig, MarketEvent, MarketEventKind, Price, Qty, SequenceNumber, Side, TradingState,
};

use super::limits::band_levels;
use super::orders::{OrderTable, TrackedOrder};

/// One aggregated price level of one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceLevel {
    /// Price in ticks.
    pub price: Price,
    /// Displayed shares at this price.
    pub qty: Qty,
    /// Displayed orders at this price.
    pub orders: u32,
}

/// A trade as market data prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrintedTrade {
    /// Instrument index.
    pub instrument: u32,
    /// Price in ticks.
    pub price: Price,
    /// Shares.
    pub qty: Qty,
    /// Engine sequence number of the command that traded.
    pub seq: SequenceNumber,
}

/// A level touched in the current batch and its state before the batch
/// (`before_orders == 0`: the level did not exist).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DirtyLevel {
    pub side: Side,
    pub price: Price,
    pub before_qty: Qty,
    pub before_orders: u32,
}

/// Where `price` is, or would be inserted, in levels sorted best first.
pub(crate) fn find_level(levels: &[PriceLevel], side: Side, price: Price) -> Result<usize, usize> {
    levels.binary_search_by(|level| match side {
        Side::Buy => price.cmp(&level.price),
        Side::Sell => level.price.cmp(&price),
    })
}

/// Index of a side in per-side arrays.
pub(crate) fn side_index(side: Side) -> usize {
    match side {
        Side::Buy => 0,
        Side::Sell => 1,
    }
}

/// The book of one instrument and its batch record.
#[derive(Debug)]
pub(crate) struct InstrumentBook {
    /// Bids then offers, each best first; capacity = the band, so never full.
    pub levels: [Vec<PriceLevel>; 2],
    band_low: i64,
    band_high: i64,
    /// One bit per (side, tick of the band): touched in this batch.
    dirty_bits: [Vec<u64>; 2],
    /// Touched levels in first-touch order; after [`InstrumentBook::settle`]
    /// only those whose state differs from before the batch.
    pub dirty: Vec<DirtyLevel>,
    /// Trading state now.
    pub state: TradingState,
    /// The state changed in this batch.
    pub state_changed: bool,
    /// Most recent trade.
    pub last_trade: Option<PrintedTrade>,
    /// Sequence number of the latest event applied to this instrument.
    pub last_seq: SequenceNumber,
    /// Any event for this instrument in this batch.
    pub touched: bool,
}

impl InstrumentBook {
    pub fn new(instrument: &InstrumentConfig) -> InstrumentBook {
        let levels = band_levels(instrument);
        let words = levels.div_ceil(64);
        InstrumentBook {
            levels: [Vec::with_capacity(levels), Vec::with_capacity(levels)],
            band_low: instrument.band_low.0,
            band_high: instrument.band_high.0,
            dirty_bits: [vec![0; words], vec![0; words]],
            dirty: Vec::with_capacity(2 * levels),
            state: instrument.initial_state,
            state_changed: false,
            last_trade: None,
            last_seq: SequenceNumber(0),
            touched: false,
        }
    }

    /// The level at `price`, if any.
    pub fn level(&self, side: Side, price: Price) -> Option<PriceLevel> {
        let levels = &self.levels[side_index(side)];
        find_level(levels, side, price)
            .ok()
            .map(|index| levels[index])
    }

    fn in_band(&self, price: Price) -> bool {
        (self.band_low..=self.band_high).contains(&price.0)
    }

    /// Records the level's pre-batch state the first time it is touched.
    fn touch(&mut self, side: Side, price: Price) {
        let offset = (price.0 - self.band_low) as usize;
        let word = &mut self.dirty_bits[side_index(side)][offset / 64];
        let bit = 1u64 << (offset % 64);
        if *word & bit != 0 {
            return;
        }
        *word |= bit;
        let before = self.level(side, price);
        self.dirty.push(DirtyLevel {
            side,
            price,
            before_qty: before.map_or(Qty(0), |level| level.qty),
            before_orders: before.map_or(0, |level| level.orders),
        });
    }

    fn add(&mut self, side: Side, price: Price, qty: Qty) {
        self.touch(side, price);
        let levels = &mut self.levels[side_index(side)];
        match find_level(levels, side, price) {
            Ok(index) => {
                levels[index].qty.0 += qty.0;
                levels[index].orders += 1;
            }
            Err(index) => {
                // Capacity is the band's width and prices lie in the band.
                assert!(
                    levels.len() < levels.capacity(),
                    "level table sized to the band"
                );
                levels.insert(
                    index,
                    PriceLevel {
                        price,
                        qty,
                        orders: 1,
                    },
                );
            }
        }
    }

    /// Takes `qty` off the level; `order_left` when the order is gone.
    fn reduce(&mut self, side: Side, price: Price, qty: Qty, order_left: bool) -> bool {
        self.touch(side, price);
        let levels = &mut self.levels[side_index(side)];
        let Ok(index) = find_level(levels, side, price) else {
            return false;
        };
        let level = &mut levels[index];
        level.qty.0 = level.qty.0.saturating_sub(qty.0);
        if order_left {
            level.orders -= 1;
        }
        if level.orders == 0 {
            levels.remove(index);
        }
        true
    }

    /// End of batch: forgets the touch marks and keeps only the levels whose
    /// state differs from before the batch (an order added and cancelled in
    /// one batch leaves nothing to send).
    pub fn settle(&mut self) {
        for dirty in &self.dirty {
            let offset = (dirty.price.0 - self.band_low) as usize;
            self.dirty_bits[side_index(dirty.side)][offset / 64] = 0;
        }
        let levels = &self.levels;
        self.dirty.retain(|dirty| {
            let now = find_level(&levels[side_index(dirty.side)], dirty.side, dirty.price)
                .ok()
                .map(|index| levels[side_index(dirty.side)][index]);
            let (qty, orders) = now.map_or((Qty(0), 0), |level| (level.qty, level.orders));
            qty != dirty.before_qty || orders != dirty.before_orders
        });
    }

    /// Whether a settled change touched `side`.
    pub fn side_changed(&self, side: Side) -> bool {
        self.dirty.iter().any(|dirty| dirty.side == side)
    }

    /// Forgets the batch record (after every session has seen it).
    pub fn clear_batch(&mut self) {
        self.dirty.clear();
        self.state_changed = false;
        self.touched = false;
    }
}

/// Why an event could not be applied: the hub's view and the engine's differ
/// (a bug, or a hub that did not see the stream from its start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inconsistency {
    /// The instrument index is not configured.
    UnknownInstrument,
    /// The order reference is unknown, already used, or the price is off the band.
    UnknownOrder,
    /// The order table is full.
    OrderTableFull,
}

/// Every book, the displayed orders and the trades of the current batch.
#[derive(Debug)]
pub(crate) struct Market {
    pub books: Vec<InstrumentBook>,
    orders: OrderTable,
    /// Trades of this batch, all instruments, in event order.
    pub trades: Vec<PrintedTrade>,
    /// Instruments touched in this batch, in first-touch order.
    pub touched: Vec<u32>,
    /// Trades that did not fit this batch's table.
    pub trades_dropped: u64,
}

impl Market {
    pub fn new(instruments: &[InstrumentConfig], max_orders: usize, max_trades: usize) -> Market {
        Market {
            books: instruments.iter().map(InstrumentBook::new).collect(),
            orders: OrderTable::new(max_orders),
            trades: Vec::with_capacity(max_trades),
            touched: Vec::with_capacity(instruments.len()),
            trades_dropped: 0,
        }
    }

    /// Displayed orders tracked.
    pub fn order_count(&self) -> usize {
        self.orders.len()
    }

    /// Whether the trade table is full (the batch should end).
    pub fn trades_full(&self) -> bool {
        self.trades.len() == self.trades.capacity()
    }

    /// Applies one engine event.
    pub fn apply(&mut self, event: &MarketEvent) -> Result<(), Inconsistency> {
        let index = event.instrument.0;
        let book = self
            .books
            .get_mut(index as usize)
            .ok_or(Inconsistency::UnknownInstrument)?;
        book.last_seq = event.seq;
        if !book.touched {
            book.touched = true;
            self.touched.push(index);
        }
        match event.kind {
            MarketEventKind::Add {
                order_ref,
                side,
                price,
                qty,
            } => self.add(index, order_ref.0, side, price, qty),
            MarketEventKind::Execute { order_ref, qty, .. } => {
                let order = self.take(order_ref.0, qty)?;
                self.print(event, order.price, qty);
                Ok(())
            }
            MarketEventKind::ExecuteAtPrice { order_ref, qty, .. }
            | MarketEventKind::Reduce { order_ref, qty } => self.take(order_ref.0, qty).map(drop),
            MarketEventKind::Delete { order_ref } => self.delete(order_ref.0).map(drop),
            MarketEventKind::Replace {
                old_order_ref,
                new_order_ref,
                price,
                qty,
            } => {
                let old = self.delete(old_order_ref.0)?;
                self.add(index, new_order_ref.0, old.side, price, qty)
            }
            MarketEventKind::HiddenTrade { price, qty, .. }
            | MarketEventKind::CrossTrade { qty, price, .. } => {
                self.print(event, price, qty);
                Ok(())
            }
            MarketEventKind::TradingState { state } => {
                let book = &mut self.books[index as usize];
                book.state_changed |= book.state != state;
                book.state = state;
                Ok(())
            }
        }
    }

    fn add(
        &mut self,
        instrument: u32,
        order_ref: u64,
        side: Side,
        price: Price,
        qty: Qty,
    ) -> Result<(), Inconsistency> {
        let book = &mut self.books[instrument as usize];
        if !book.in_band(price) || qty.0 == 0 {
            return Err(Inconsistency::UnknownOrder);
        }
        let order = TrackedOrder {
            instrument,
            side,
            price,
            qty,
        };
        if !self.orders.insert(order_ref, order) {
            return Err(if self.orders.get_mut(order_ref).is_some() {
                Inconsistency::UnknownOrder
            } else {
                Inconsistency::OrderTableFull
            });
        }
        book.add(side, price, qty);
        Ok(())
    }

    /// Executes or reduces `qty` of an order; it leaves the book at zero
    /// (an execution to zero removes the order implicitly, as in ITCH).
    fn take(&mut self, order_ref: u64, qty: Qty) -> Result<TrackedOrder, Inconsistency> {
        let order = self
            .orders
            .get_mut(order_ref)
            .ok_or(Inconsistency::UnknownOrder)?;
        let taken = Qty(qty.0.min(order.qty.0));
        order.qty.0 -= taken.0;
        let snapshot = *order;
        if snapshot.qty.0 == 0 {
            self.orders.remove(order_ref);
        }
        let book = &mut self.books[snapshot.instrument as usize];
        book.reduce(snapshot.side, snapshot.price, taken, snapshot.qty.0 == 0);
        if taken != qty {
            return Err(Inconsistency::UnknownOrder);
        }
        Ok(snapshot)
    }

    fn delete(&mut self, order_ref: u64) -> Result<TrackedOrder, Inconsistency> {
        let order = self
            .orders
            .remove(order_ref)
            .ok_or(Inconsistency::UnknownOrder)?;
        let book = &mut self.books[order.instrument as usize];
        book.reduce(order.side, order.price, order.qty, true);
        Ok(order)
    }

    fn print(&mut self, event: &MarketEvent, price: Price, qty: Qty) {
        let trade = PrintedTrade {
            instrument: event.instrument.0,
            price,
            qty,
            seq: event.seq,
        };
        self.books[event.instrument.0 as usize].last_trade = Some(trade);
        if self.trades_full() {
            self.trades_dropped += 1;
        } else {
            self.trades.push(trade);
        }
    }

    /// End of batch, before sessions look: settle every touched book.
    pub fn settle(&mut self) {
        for &index in &self.touched {
            self.books[index as usize].settle();
        }
    }

    /// After every session has seen the batch.
    pub fn clear_batch(&mut self) {
        for &index in &self.touched {
            self.books[index as usize].clear_batch();
        }
        self.touched.clear();
        self.trades.clear();
    }

    /// Trades of this batch for one instrument.
    pub fn trades_of(&self, instrument: u32) -> impl Iterator<Item = &PrintedTrade> {
        self.trades
            .iter()
            .filter(move |trade| trade.instrument == instrument)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtes_engine::{InstrumentId, MatchNumber, OrderRef, TimestampNs};

    fn instrument() -> InstrumentConfig {
        InstrumentConfig {
            symbol: "AAA".into(),
            tick_size: 100,
            lot_size: 1,
            min_qty: Qty(1),
            max_qty: Qty(1_000),
            reference_price: Price(100),
            band_low: Price(90),
            band_high: Price(110),
            initial_state: TradingState::Continuous,
        }
    }

    fn event(seq: u64, kind: MarketEventKind) -> MarketEvent {
        MarketEvent {
            seq: SequenceNumber(seq),
            ts: TimestampNs(seq),
            instrument: InstrumentId(0),
            kind,
        }
    }

    fn add(reference: u64, side: Side, price: i64, qty: u64) -> MarketEventKind {
        MarketEventKind::Add {
            order_ref: OrderRef(reference),
            side,
            price: Price(price),
            qty: Qty(qty),
        }
    }

    #[test]
    fn levels_aggregate_and_sort_best_first() {
        let mut market = Market::new(&[instrument()], 16, 16);
        for (seq, kind) in [
            add(1, Side::Buy, 99, 10),
            add(2, Side::Buy, 101, 5),
            add(3, Side::Buy, 99, 7),
            add(4, Side::Sell, 105, 3),
            add(5, Side::Sell, 103, 4),
        ]
        .into_iter()
        .enumerate()
        {
            market.apply(&event(seq as u64 + 1, kind)).unwrap();
        }
        let book = &market.books[0];
        let prices: Vec<i64> = book.levels[0].iter().map(|level| level.price.0).collect();
        assert_eq!(prices, [101, 99]);
        assert_eq!(book.levels[0][1].qty, Qty(17));
        assert_eq!(book.levels[0][1].orders, 2);
        let prices: Vec<i64> = book.levels[1].iter().map(|level| level.price.0).collect();
        assert_eq!(prices, [103, 105]);
    }

    #[test]
    fn execution_to_zero_removes_the_order_and_prints() {
        let mut market = Market::new(&[instrument()], 16, 16);
        market
            .apply(&event(1, add(1, Side::Sell, 100, 10)))
            .unwrap();
        let execute = MarketEventKind::Execute {
            order_ref: OrderRef(1),
            qty: Qty(10),
            match_number: MatchNumber(1),
        };
        market.apply(&event(2, execute)).unwrap();
        assert!(market.books[0].levels[1].is_empty());
        assert_eq!(market.order_count(), 0);
        assert_eq!(market.trades.len(), 1);
        assert_eq!(market.trades[0].price, Price(100));
        let again = market.apply(&event(
            3,
            MarketEventKind::Delete {
                order_ref: OrderRef(1),
            },
        ));
        assert_eq!(again, Err(Inconsistency::UnknownOrder));
    }

    #[test]
    fn settle_drops_levels_back_to_their_old_state() {
        let mut market = Market::new(&[instrument()], 16, 16);
        market.apply(&event(1, add(1, Side::Buy, 100, 10))).unwrap();
        market.settle();
        market.clear_batch();
        market.apply(&event(2, add(2, Side::Buy, 100, 5))).unwrap();
        market
            .apply(&event(
                3,
                MarketEventKind::Delete {
                    order_ref: OrderRef(2),
                },
            ))
            .unwrap();
        market.apply(&event(4, add(3, Side::Buy, 98, 5))).unwrap();
        market.settle();
        let dirty = &market.books[0].dirty;
        assert_eq!(dirty.len(), 1);
        assert_eq!(dirty[0].price, Price(98));
        assert_eq!(dirty[0].before_orders, 0);
    }

    #[test]
    fn replace_keeps_the_side() {
        let mut market = Market::new(&[instrument()], 16, 16);
        market
            .apply(&event(1, add(1, Side::Sell, 104, 10)))
            .unwrap();
        let replace = MarketEventKind::Replace {
            old_order_ref: OrderRef(1),
            new_order_ref: OrderRef(2),
            price: Price(106),
            qty: Qty(4),
        };
        market.apply(&event(2, replace)).unwrap();
        let asks = &market.books[0].levels[1];
        assert_eq!(asks.len(), 1);
        assert_eq!((asks[0].price, asks[0].qty), (Price(106), Qty(4)));
    }
}
