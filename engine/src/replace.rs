//! Contract "Replace": the checks, keeping priority, losing it, and the
//! marketable replace that matches as an incoming order.

use crate::engine::Engine;
use crate::matching::Taker;
use crate::risk::{check_account_limits, check_position, check_quantity, RiskOrder};
use crate::slab::Order;
use crate::types::*;

impl Engine {
    /// Replace checks 2, 3 (state, new id).
    #[inline(always)]
    fn check_replace_identity(
        &self,
        owner: OwnerId,
        order: &Order,
        replace: &ReplaceOrder,
    ) -> Result<(), RejectReason> {
        match self.books[order.instrument as usize].state {
            TradingState::Closed => return Err(RejectReason::InstrumentClosed),
            TradingState::Halted => return Err(RejectReason::InstrumentHalted),
            _ => {}
        }
        if replace.new_client_order_id != replace.client_order_id
            && self
                .index
                .contains(&self.slab.orders, owner.0, replace.new_client_order_id.0)
        {
            return Err(RejectReason::DuplicateClientOrderId);
        }
        Ok(())
    }

    /// Replace checks 5, 6 (quantity, band, risk, post-only).
    #[inline(always)]
    fn check_replace_terms(
        &self,
        order: &Order,
        replace: &ReplaceOrder,
    ) -> Result<(), RejectReason> {
        let book = &self.books[order.instrument as usize];
        check_quantity(book, replace.qty.0)?;
        let price = replace.price.0;
        if price < book.band_low || price > book.band_high {
            return Err(RejectReason::PriceOutsideBand);
        }
        let limits = &self.accounts[order.account as usize];
        let risk_order = RiskOrder {
            side: order.side,
            price: Some(price),
            qty: replace.qty.0,
            already_open: order.leaves,
        };
        check_account_limits(limits, book, risk_order)?;
        check_position(
            limits,
            self.risk.exposure(order.account, order.instrument),
            risk_order,
        )?;
        if order.post_only
            && book.state == TradingState::Continuous
            && book.is_marketable(order.side, Some(price))
        {
            return Err(RejectReason::PostOnlyWouldTake);
        }
        Ok(())
    }

    /// Contract "Replace".
    #[inline]
    pub(crate) fn replace(
        &mut self,
        owner: OwnerId,
        replace: &ReplaceOrder,
        sink: &mut impl EventSink,
    ) {
        let reject = |engine: &Self, sink: &mut _, reason| {
            let kind = ReportKind::CancelRejected { reason };
            engine.report(sink, owner.0, replace.client_order_id, kind);
        };
        let found = self
            .index
            .find(&self.slab.orders, owner.0, replace.client_order_id.0);
        let Some((position, slot)) = found else {
            return reject(self, sink, RejectReason::UnknownOrder);
        };
        let order = *self.slab.get(slot);
        if let Err(reason) = self.check_replace_identity(owner, &order, replace) {
            return reject(self, sink, reason);
        }
        if replace.qty.0 == 0 {
            return self.cancel_resting_fully(slot, CancelReason::User, sink);
        }
        if let Err(reason) = self.check_replace_terms(&order, replace) {
            return reject(self, sink, reason);
        }
        if replace.client_order_id != replace.new_client_order_id {
            // Nothing touched the index since the lookup: the position holds.
            self.index.remove_at(position);
            self.index
                .insert(owner.0, replace.new_client_order_id.0, slot);
            self.slab.get_mut(slot).client_order_id = replace.new_client_order_id;
        }
        if replace.price.0 == order.price && replace.qty.0 <= order.leaves {
            self.replace_keeping_priority(&order, slot, replace, sink);
        } else {
            self.replace_losing_priority(&order, slot, replace, sink);
        }
    }

    /// Replace step 7.
    #[inline]
    fn replace_keeping_priority(
        &mut self,
        order: &Order,
        slot: u32,
        replace: &ReplaceOrder,
        sink: &mut impl EventSink,
    ) {
        let cut = order.leaves - replace.qty.0;
        if cut > 0 {
            if !order.hidden {
                let kind = MarketEventKind::Reduce {
                    order_ref: order.order_ref,
                    qty: Qty(cut),
                };
                self.market(sink, order.instrument, kind);
            }
            self.reduce_resting(slot, cut);
        }
        self.report_replaced(order, order.order_ref, replace, sink);
    }

    /// Replace step 8.
    #[inline]
    fn replace_losing_priority(
        &mut self,
        order: &Order,
        slot: u32,
        replace: &ReplaceOrder,
        sink: &mut impl EventSink,
    ) {
        let new_ref = self.take_order_ref();
        let instrument = order.instrument;
        let book = &mut self.books[instrument as usize];
        book.side_mut(order.side)
            .remove(&mut self.slab.orders, slot);
        *self
            .risk
            .exposure_mut(order.account, instrument)
            .open_mut(order.side) -= order.leaves;
        let level = book.level_of(replace.price.0);
        let marketable = book.state == TradingState::Continuous
            && book.is_marketable(order.side, Some(replace.price.0));
        let entry = self.slab.get_mut(slot);
        entry.order_ref = new_ref;
        entry.price = replace.price.0;
        entry.level = level;
        entry.leaves = replace.qty.0;
        if !marketable {
            self.rest_slot(slot);
            if !order.hidden {
                let kind = MarketEventKind::Replace {
                    old_order_ref: order.order_ref,
                    new_order_ref: new_ref,
                    price: replace.price,
                    qty: replace.qty,
                };
                self.market(sink, instrument, kind);
            }
            return self.report_replaced(order, new_ref, replace, sink);
        }
        if !order.hidden {
            self.market(
                sink,
                instrument,
                MarketEventKind::Delete {
                    order_ref: order.order_ref,
                },
            );
        }
        self.report_replaced(order, new_ref, replace, sink);
        self.match_replaced(order, slot, new_ref, replace, sink);
    }

    /// Replace step 8, marketable: the replacement takes liquidity as an
    /// incoming Day limit order (no fill condition), then rests or goes.
    fn match_replaced(
        &mut self,
        order: &Order,
        slot: u32,
        new_ref: OrderRef,
        replace: &ReplaceOrder,
        sink: &mut impl EventSink,
    ) {
        let instrument = order.instrument;
        let mut taker = Taker {
            instrument,
            side: order.side,
            price: Some(replace.price.0),
            remaining: replace.qty.0,
            order_ref: new_ref,
            owner: order.owner,
            client_order_id: replace.new_client_order_id,
            account: order.account,
        };
        if self.match_taker(&mut taker, sink) && taker.remaining > 0 {
            self.slab.get_mut(slot).leaves = taker.remaining;
            self.rest_slot(slot);
            if !order.hidden {
                let kind = MarketEventKind::Add {
                    order_ref: new_ref,
                    side: order.side,
                    price: replace.price,
                    qty: Qty(taker.remaining),
                };
                self.market(sink, instrument, kind);
            }
        } else {
            // Filled or cancelled by STP while off the book: it just goes.
            self.lists.unlink(slot, order.account, order.owner);
            self.index.remove(
                &self.slab.orders,
                order.owner,
                replace.new_client_order_id.0,
            );
            self.risk.open_orders[order.account as usize] -= 1;
            self.slab.free(slot);
        }
    }

    /// The `Replaced` report.
    #[inline]
    fn report_replaced(
        &self,
        order: &Order,
        order_ref: OrderRef,
        replace: &ReplaceOrder,
        sink: &mut impl EventSink,
    ) {
        let kind = ReportKind::Replaced {
            previous_client_order_id: replace.client_order_id,
            previous_order_ref: order.order_ref,
            order_ref,
            instrument: InstrumentId(order.instrument),
            side: order.side,
            price: replace.price,
            qty: replace.qty,
        };
        self.report(sink, order.owner, replace.new_client_order_id, kind);
    }
}
