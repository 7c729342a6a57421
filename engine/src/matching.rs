//! Continuous matching: the fill-condition pre-walk, the match loop with
//! self-trade prevention, and the book bookkeeping every fill, rest and
//! removal shares (level totals, index, lists, risk, slab).

use crate::book::crosses;
use crate::engine::Engine;
use crate::slab::{Order, NIL};
use crate::types::*;

/// An order while it takes liquidity: a new order or a marketable replace.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Taker {
    /// Instrument.
    pub(crate) instrument: u32,
    /// Side.
    pub(crate) side: Side,
    /// Limit price; `None` for a market order (any price).
    pub(crate) price: Option<i64>,
    /// Open quantity still to execute.
    pub(crate) remaining: u64,
    /// Reference.
    pub(crate) order_ref: OrderRef,
    /// Owner.
    pub(crate) owner: u32,
    /// Owner's handle.
    pub(crate) client_order_id: ClientOrderId,
    /// Account.
    pub(crate) account: u32,
}

impl Taker {
    /// Whether a resting price is acceptable.
    #[inline]
    fn accepts(&self, resting_price: i64) -> bool {
        match self.price {
            None => true,
            Some(limit) => crosses(self.side, limit, resting_price),
        }
    }
}

impl Engine {
    /// Contract execution step 3: can at least `need` execute now? Walks
    /// the opposite side in priority order without changing anything.
    pub(crate) fn fill_condition_met(&self, taker: &Taker, need: u64) -> bool {
        let book = &self.books[taker.instrument as usize];
        let opposite = book.side(taker.side.opposite());
        let stp = self.accounts[taker.account as usize].self_trade_prevention;
        let mut available = 0u64;
        let mut level = opposite.best;
        while level != NIL && taker.accepts(book.price_of(level)) {
            let queues = &opposite.levels[level as usize];
            if stp == SelfTradePrevention::Off {
                available = available.saturating_add(queues.qty);
            } else {
                for queue in [queues.displayed, queues.hidden] {
                    let mut slot = queue.head;
                    while slot != NIL {
                        let order = self.slab.get(slot);
                        if order.account == taker.account {
                            if stp != SelfTradePrevention::CancelOldest {
                                // The match would stop here (cancel newest / both).
                                return available >= need;
                            }
                        } else {
                            available = available.saturating_add(order.leaves);
                        }
                        if available >= need {
                            return true;
                        }
                        slot = order.next;
                    }
                }
            }
            if available >= need {
                return true;
            }
            level = opposite.next_level(level);
        }
        available >= need
    }

    /// Contract execution step 4. Returns `false` when self-trade
    /// prevention cancelled the taker (its remainder must not rest or be
    /// reported again), `true` otherwise.
    #[inline]
    pub(crate) fn match_taker(&mut self, taker: &mut Taker, sink: &mut impl EventSink) -> bool {
        let stp = self.accounts[taker.account as usize].self_trade_prevention;
        let opposite_side = taker.side.opposite();
        while taker.remaining > 0 {
            let book = &self.books[taker.instrument as usize];
            let opposite = book.side(opposite_side);
            let level = opposite.best;
            if level == NIL {
                break;
            }
            let price = book.price_of(level);
            if !taker.accepts(price) {
                break;
            }
            let slot = opposite.levels[level as usize].front();
            debug_assert!(slot != NIL, "best level is empty");
            if stp != SelfTradePrevention::Off && self.slab.get(slot).account == taker.account {
                match stp {
                    SelfTradePrevention::CancelOldest => {
                        self.cancel_resting_fully(slot, CancelReason::SelfTradeOldest, sink);
                        continue;
                    }
                    SelfTradePrevention::CancelBoth => {
                        self.cancel_resting_fully(slot, CancelReason::SelfTradeBoth, sink);
                        self.cancel_taker(taker, CancelReason::SelfTradeBoth, sink);
                        return false;
                    }
                    _ => {
                        self.cancel_taker(taker, CancelReason::SelfTradeNewest, sink);
                        return false;
                    }
                }
            }
            self.fill(taker, slot, price, sink);
        }
        true
    }

    /// Reports the taker's remainder as cancelled.
    #[inline]
    fn cancel_taker(&self, taker: &Taker, reason: CancelReason, sink: &mut impl EventSink) {
        let kind = ReportKind::Canceled {
            order_ref: taker.order_ref,
            instrument: InstrumentId(taker.instrument),
            qty: Qty(taker.remaining),
            leaves: Qty(0),
            reason,
        };
        self.report(sink, taker.owner, taker.client_order_id, kind);
    }

    /// One fill of the taker against the resting order in `slot` at `price`.
    #[inline]
    fn fill(&mut self, taker: &mut Taker, slot: u32, price: i64, sink: &mut impl EventSink) {
        let resting = self.slab.get_mut(slot);
        let qty = taker.remaining.min(resting.leaves);
        resting.leaves -= qty;
        taker.remaining -= qty;
        let resting = *resting;
        let instrument = taker.instrument;
        self.books[instrument as usize]
            .side_mut(resting.side)
            .reduce(resting.level, qty);
        let match_number = self.take_match_number();
        let market = if resting.hidden {
            MarketEventKind::HiddenTrade {
                side: resting.side,
                price: Price(price),
                qty: Qty(qty),
                match_number,
            }
        } else {
            MarketEventKind::Execute {
                order_ref: resting.order_ref,
                qty: Qty(qty),
                match_number,
            }
        };
        self.market(sink, instrument, market);
        let maker = ReportKind::Executed {
            order_ref: resting.order_ref,
            instrument: InstrumentId(instrument),
            side: resting.side,
            qty: Qty(qty),
            price: Price(price),
            leaves: Qty(resting.leaves),
            match_number,
            liquidity: Liquidity::Added,
        };
        self.report(sink, resting.owner, resting.client_order_id, maker);
        let taker_report = ReportKind::Executed {
            order_ref: taker.order_ref,
            instrument: InstrumentId(instrument),
            side: taker.side,
            qty: Qty(qty),
            price: Price(price),
            leaves: Qty(taker.remaining),
            match_number,
            liquidity: Liquidity::Removed,
        };
        self.report(sink, taker.owner, taker.client_order_id, taker_report);
        let maker_exposure = self.risk.exposure_mut(resting.account, instrument);
        *maker_exposure.open_mut(resting.side) -= qty;
        maker_exposure.position += signed(resting.side, qty);
        self.risk.exposure_mut(taker.account, instrument).position += signed(taker.side, qty);
        if resting.leaves == 0 {
            self.unrest(slot);
        }
    }

    /// Cancels a resting order entirely: market `Delete` (displayed), the
    /// owner's `Canceled` report, then removal.
    #[inline]
    pub(crate) fn cancel_resting_fully(
        &mut self,
        slot: u32,
        reason: CancelReason,
        sink: &mut impl EventSink,
    ) {
        let order = *self.slab.get(slot);
        if !order.hidden {
            self.market(
                sink,
                order.instrument,
                MarketEventKind::Delete {
                    order_ref: order.order_ref,
                },
            );
        }
        let kind = ReportKind::Canceled {
            order_ref: order.order_ref,
            instrument: InstrumentId(order.instrument),
            qty: Qty(order.leaves),
            leaves: Qty(0),
            reason,
        };
        self.report(sink, order.owner, order.client_order_id, kind);
        self.unrest(slot);
    }

    /// Contract execution step 6 for a new order: it takes a slot and rests.
    #[inline]
    pub(crate) fn rest_new(
        &mut self,
        taker: &Taker,
        hidden: bool,
        post_only: bool,
        sink: &mut impl EventSink,
    ) {
        let price = taker.price.expect("only limit orders rest");
        let book = &self.books[taker.instrument as usize];
        let order = Order {
            order_ref: taker.order_ref,
            client_order_id: taker.client_order_id,
            leaves: taker.remaining,
            price,
            prev: NIL,
            next: NIL,
            owner: taker.owner,
            account: taker.account,
            instrument: taker.instrument,
            level: book.level_of(price),
            side: taker.side,
            hidden,
            post_only,
            live: true,
        };
        let slot = self
            .slab
            .alloc(order)
            .expect("BookFull was checked before acceptance");
        self.index
            .insert(taker.owner, taker.client_order_id.0, slot);
        self.risk.open_orders[taker.account as usize] += 1;
        self.lists.push_back(slot, taker.account, taker.owner);
        self.rest_slot(slot);
        if !hidden {
            let kind = MarketEventKind::Add {
                order_ref: taker.order_ref,
                side: taker.side,
                price: Price(price),
                qty: Qty(taker.remaining),
            };
            self.market(sink, taker.instrument, kind);
        }
    }

    /// Puts an indexed, counted, listed slot at the back of its level and
    /// adds its leaves to the open quantity.
    #[inline(always)]
    pub(crate) fn rest_slot(&mut self, slot: u32) {
        let order = *self.slab.get(slot);
        self.books[order.instrument as usize]
            .side_mut(order.side)
            .push_back(&mut self.slab.orders, slot);
        *self
            .risk
            .exposure_mut(order.account, order.instrument)
            .open_mut(order.side) += order.leaves;
    }

    /// Takes a resting order off the book and releases everything it holds.
    #[inline]
    pub(crate) fn unrest(&mut self, slot: u32) {
        let order = *self.slab.get(slot);
        self.books[order.instrument as usize]
            .side_mut(order.side)
            .remove(&mut self.slab.orders, slot);
        *self
            .risk
            .exposure_mut(order.account, order.instrument)
            .open_mut(order.side) -= order.leaves;
        self.risk.open_orders[order.account as usize] -= 1;
        self.index
            .remove(&self.slab.orders, order.owner, order.client_order_id.0);
        self.lists.unlink(slot, order.account, order.owner);
        self.slab.free(slot);
    }

    /// Cuts `qty` from a resting order that keeps its priority.
    #[inline]
    pub(crate) fn reduce_resting(&mut self, slot: u32, qty: u64) {
        let order = self.slab.get_mut(slot);
        order.leaves -= qty;
        let order = *order;
        self.books[order.instrument as usize]
            .side_mut(order.side)
            .reduce(order.level, qty);
        *self
            .risk
            .exposure_mut(order.account, order.instrument)
            .open_mut(order.side) -= qty;
    }
}

/// Position change of a fill: buyer `+qty`, seller `−qty`.
#[inline]
pub(crate) fn signed(side: Side, qty: u64) -> i128 {
    match side {
        Side::Buy => i128::from(qty),
        Side::Sell => -i128::from(qty),
    }
}
