//! The engine state machine: instruments, books, risk and sequencing.
//!
//! `apply` dispatches each command to a handler here; matching, the
//! uncross, the state hash and the invariant checks live in their own files
//! as further `impl Engine` blocks.

use crate::book::Book;
use crate::config::{ConfigError, EngineConfig, InstrumentConfig};
use crate::index::OrderIndex;
use crate::lists::OwnershipLists;
use crate::matching::Taker;
use crate::risk::{
    check_account_limits, check_position, check_quantity, AccountLimits, RiskOrder, RiskState,
};
use crate::slab::{Order, Slab, NIL};
use crate::types::*;

/// A resting order as seen from outside the engine (tests, snapshots).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestingOrder {
    /// Exchange reference.
    pub order_ref: OrderRef,
    /// Owner.
    pub owner: OwnerId,
    /// Owner's handle.
    pub client_order_id: ClientOrderId,
    /// Account.
    pub account: AccountId,
    /// Side.
    pub side: Side,
    /// Limit price.
    pub price: Price,
    /// Open quantity.
    pub leaves: Qty,
    /// Non-displayed.
    pub hidden: bool,
}

/// The matching engine. See `docs/engine-semantics.md`.
///
/// ```
/// use rtes_engine::*;
///
/// struct Collect(Vec<String>);
/// impl EventSink for Collect {
///     fn report(&mut self, report: &Report) {
///         self.0.push(format!("{:?}", report.kind));
///     }
///     fn market(&mut self, event: &MarketEvent) {
///         self.0.push(format!("{:?}", event.kind));
///     }
/// }
///
/// let config = EngineConfig {
///     instruments: vec![InstrumentConfig {
///         symbol: "ACME".into(),
///         tick_size: 100,
///         lot_size: 1,
///         min_qty: Qty(1),
///         max_qty: Qty(1_000_000),
///         reference_price: Price(100),
///         band_low: Price(50),
///         band_high: Price(150),
///         initial_state: TradingState::Continuous,
///     }],
///     accounts: vec![AccountConfig {
///         name: "A".into(),
///         max_order_qty: Qty(1_000_000),
///         max_notional: u128::MAX,
///         price_collar_bps: 10_000,
///         max_open_orders: 100,
///         max_position: 1_000_000,
///         self_trade_prevention: SelfTradePrevention::Off,
///     }],
///     max_resting_orders: 1_000,
///     max_owners: 4,
/// };
/// let mut engine = Engine::new(config).unwrap();
/// let order = NewOrder {
///     client_order_id: ClientOrderId(1),
///     account: AccountId(0),
///     instrument: InstrumentId(0),
///     side: Side::Buy,
///     order_type: OrderType::Limit,
///     price: Price(99),
///     qty: Qty(10),
///     time_in_force: TimeInForce::Day,
///     min_qty: Qty(0),
///     post_only: false,
///     hidden: false,
/// };
/// let command = Command { owner: OwnerId(1), ts: TimestampNs(5), kind: CommandKind::New(order) };
/// let mut sink = Collect(Vec::new());
/// assert_eq!(engine.apply(&command, &mut sink), SequenceNumber(1));
/// assert!(sink.0[0].starts_with("Accepted"));
/// assert!(sink.0[1].starts_with("Add"));
/// assert_eq!(engine.best_prices(InstrumentId(0)), (Some(Price(99)), None));
/// engine.validate();
/// ```
pub struct Engine {
    /// Instrument configuration, as given.
    pub(crate) instruments: Vec<InstrumentConfig>,
    /// One book per instrument.
    pub(crate) books: Vec<Book>,
    /// Hot account limits, per account.
    pub(crate) accounts: Vec<AccountLimits>,
    /// Every resting order.
    pub(crate) slab: Slab,
    /// `(owner, client order id) → slot`.
    pub(crate) index: OrderIndex,
    /// Per-account and per-owner order lists (mass cancels).
    pub(crate) lists: OwnershipLists,
    /// Positions and open quantities.
    pub(crate) risk: RiskState,
    /// Owners are `0..max_owners`.
    pub(crate) max_owners: u32,
    /// Sequence number of the command being applied (0 before the first).
    pub(crate) seq: u64,
    /// Timestamp of the command being applied.
    pub(crate) ts: TimestampNs,
    /// Next order reference to hand out.
    pub(crate) next_order_ref: u64,
    /// Next match number to hand out.
    pub(crate) next_match_number: u64,
    /// Mass-cancel work list, `(order_ref, slot)`; capacity for every slot.
    pub(crate) scratch: Vec<(u64, u32)>,
}

impl Engine {
    /// Builds an engine, allocating every table it will use.
    pub fn new(config: EngineConfig) -> Result<Engine, ConfigError> {
        crate::config_check::check(&config)?;
        let books = config
            .instruments
            .iter()
            .map(|instrument| {
                Book::new(
                    instrument.band_low.0,
                    instrument.band_high.0,
                    instrument.reference_price.0,
                    instrument.tick_size,
                    instrument.lot_size,
                    instrument.min_qty.0,
                    instrument.max_qty.0,
                    instrument.initial_state,
                )
            })
            .collect();
        let accounts = config
            .accounts
            .iter()
            .map(AccountLimits::from_config)
            .collect();
        let capacity = config.max_resting_orders;
        Ok(Engine {
            books,
            accounts,
            slab: Slab::new(capacity),
            index: OrderIndex::new(capacity),
            lists: OwnershipLists::new(capacity, config.accounts.len(), config.max_owners),
            risk: RiskState::new(config.accounts.len(), config.instruments.len()),
            max_owners: config.max_owners,
            instruments: config.instruments,
            seq: 0,
            ts: TimestampNs(0),
            next_order_ref: 1,
            next_match_number: 1,
            scratch: Vec::with_capacity(capacity as usize),
        })
    }

    /// Applies one command, writing its events into `sink`; returns the
    /// sequence number it was given (1 for the first command).
    #[inline]
    pub fn apply(&mut self, command: &Command, sink: &mut impl EventSink) -> SequenceNumber {
        self.seq += 1;
        self.ts = command.ts;
        let owner = command.owner;
        match &command.kind {
            CommandKind::New(order) => self.new_order(owner, order, sink),
            CommandKind::Cancel(cancel) => self.cancel(owner, cancel, sink),
            CommandKind::Replace(replace) => self.replace(owner, replace, sink),
            CommandKind::MassCancel(mass) => self.mass_cancel(owner, mass, sink),
            CommandKind::CancelOwnerOrders => self.cancel_owner_orders(owner, sink),
            CommandKind::SetTradingState { instrument, state } => {
                self.set_trading_state(owner, *instrument, *state, sink)
            }
        }
        SequenceNumber(self.seq)
    }

    /// Resting orders of one side in priority order (best price first;
    /// at one price displayed before hidden, then time).
    pub fn resting_orders(&self, instrument: InstrumentId, side: Side) -> Vec<RestingOrder> {
        let mut out = Vec::new();
        if let Some(book) = self.books.get(instrument.0 as usize) {
            self.for_each_resting(book.side(side), |_, order| {
                out.push(RestingOrder {
                    order_ref: order.order_ref,
                    owner: OwnerId(order.owner),
                    client_order_id: order.client_order_id,
                    account: AccountId(order.account),
                    side: order.side,
                    price: Price(order.price),
                    leaves: Qty(order.leaves),
                    hidden: order.hidden,
                })
            });
        }
        out
    }

    /// Current trading state of an instrument.
    pub fn trading_state(&self, instrument: InstrumentId) -> TradingState {
        self.books[instrument.0 as usize].state
    }

    /// The instruments, indexed by `InstrumentId`.
    pub fn instruments(&self) -> &[InstrumentConfig] {
        &self.instruments
    }

    /// Checks every book invariant (O(n)); panics with a description on the
    /// first violation. Tests call it after every command.
    pub fn validate(&self) {
        crate::invariants::validate(self);
    }

    /// Best bid and best offer prices of an instrument (hidden orders
    /// included), `None` for an empty side or an unknown instrument.
    pub fn best_prices(&self, instrument: InstrumentId) -> (Option<Price>, Option<Price>) {
        let Some(book) = self.books.get(instrument.0 as usize) else {
            return (None, None);
        };
        let price = |level: u32| (level != NIL).then(|| Price(book.price_of(level)));
        (price(book.bids.best), price(book.asks.best))
    }

    /// Number of resting orders across all books.
    pub fn resting_order_count(&self) -> u32 {
        self.slab.live()
    }

    /// Calls `visit(slot, order)` for every order of a side in priority order.
    pub(crate) fn for_each_resting(
        &self,
        side: &crate::book::SideBook,
        mut visit: impl FnMut(u32, &Order),
    ) {
        let mut level = side.best;
        while level != NIL {
            let queues = side.levels[level as usize];
            for queue in [queues.displayed, queues.hidden] {
                let mut slot = queue.head;
                while slot != NIL {
                    let order = self.slab.get(slot);
                    visit(slot, order);
                    slot = order.next;
                }
            }
            level = side.next_level(level);
        }
    }

    /// Hands out the next order reference.
    #[inline]
    pub(crate) fn take_order_ref(&mut self) -> OrderRef {
        let order_ref = OrderRef(self.next_order_ref);
        self.next_order_ref += 1;
        order_ref
    }

    /// Hands out the next match number.
    #[inline]
    pub(crate) fn take_match_number(&mut self) -> MatchNumber {
        let match_number = MatchNumber(self.next_match_number);
        self.next_match_number += 1;
        match_number
    }

    /// Emits a report for the command being applied.
    #[inline]
    pub(crate) fn report(
        &self,
        sink: &mut impl EventSink,
        owner: u32,
        client_order_id: ClientOrderId,
        kind: ReportKind,
    ) {
        sink.report(&Report {
            seq: SequenceNumber(self.seq),
            ts: self.ts,
            owner: OwnerId(owner),
            client_order_id,
            kind,
        });
    }

    /// Emits a market event for the command being applied.
    #[inline]
    pub(crate) fn market(&self, sink: &mut impl EventSink, instrument: u32, kind: MarketEventKind) {
        sink.market(&MarketEvent {
            seq: SequenceNumber(self.seq),
            ts: self.ts,
            instrument: InstrumentId(instrument),
            kind,
        });
    }

    /// Contract "New order: checks", in order.
    #[inline]
    fn check_new_order(&self, owner: OwnerId, order: &NewOrder) -> Result<(), RejectReason> {
        let book = self
            .books
            .get(order.instrument.0 as usize)
            .ok_or(RejectReason::UnknownInstrument)?;
        let account = order.account.0;
        if owner.0 >= self.max_owners || account as usize >= self.accounts.len() {
            return Err(RejectReason::UnknownAccount);
        }
        if self
            .index
            .contains(&self.slab.orders, owner.0, order.client_order_id.0)
        {
            return Err(RejectReason::DuplicateClientOrderId);
        }
        let is_market = order.order_type == OrderType::Market;
        let immediate = is_market || order.time_in_force != TimeInForce::Day;
        match book.state {
            TradingState::Closed => return Err(RejectReason::InstrumentClosed),
            TradingState::Halted => return Err(RejectReason::InstrumentHalted),
            TradingState::PreOpen if immediate || order.min_qty.0 > 0 => {
                return Err(RejectReason::NotAllowedInState)
            }
            _ => {}
        }
        check_quantity(book, order.qty.0)?;
        if order.post_only && immediate {
            return Err(RejectReason::InvalidOrderAttributes);
        }
        if order.min_qty > order.qty {
            return Err(RejectReason::InvalidMinQty);
        }
        let price = if is_market { None } else { Some(order.price.0) };
        if let Some(limit) = price {
            if limit < book.band_low || limit > book.band_high {
                return Err(RejectReason::PriceOutsideBand);
            }
        }
        let limits = &self.accounts[account as usize];
        let risk_order = RiskOrder {
            side: order.side,
            price,
            qty: order.qty.0,
            already_open: 0,
        };
        check_account_limits(limits, book, risk_order)?;
        let rests = !immediate;
        if rests && self.risk.open_orders[account as usize] >= limits.max_open_orders {
            return Err(RejectReason::RiskMaxOpenOrders);
        }
        check_position(
            limits,
            self.risk.exposure(account, order.instrument.0),
            risk_order,
        )?;
        if rests && !self.slab.has_free() {
            return Err(RejectReason::BookFull);
        }
        if order.post_only
            && book.state == TradingState::Continuous
            && book.is_marketable(order.side, price)
        {
            return Err(RejectReason::PostOnlyWouldTake);
        }
        Ok(())
    }

    /// Contract "New order: execution".
    #[inline]
    fn new_order(&mut self, owner: OwnerId, order: &NewOrder, sink: &mut impl EventSink) {
        if let Err(reason) = self.check_new_order(owner, order) {
            let kind = ReportKind::Rejected {
                instrument: order.instrument,
                reason,
            };
            self.report(sink, owner.0, order.client_order_id, kind);
            return;
        }
        let order_ref = self.take_order_ref();
        self.report(
            sink,
            owner.0,
            order.client_order_id,
            ReportKind::Accepted {
                order_ref,
                order: *order,
            },
        );
        let is_market = order.order_type == OrderType::Market;
        let mut taker = Taker {
            instrument: order.instrument.0,
            side: order.side,
            price: if is_market { None } else { Some(order.price.0) },
            remaining: order.qty.0,
            order_ref,
            owner: owner.0,
            client_order_id: order.client_order_id,
            account: order.account.0,
        };
        if self.books[order.instrument.0 as usize].state == TradingState::Continuous {
            let need = if order.time_in_force == TimeInForce::Fok {
                order.qty.0
            } else {
                order.min_qty.0
            };
            if need > 0 && !self.fill_condition_met(&taker, need) {
                let kind = ReportKind::Canceled {
                    order_ref,
                    instrument: order.instrument,
                    qty: order.qty,
                    leaves: Qty(0),
                    reason: CancelReason::FillConditionNotMet,
                };
                self.report(sink, owner.0, order.client_order_id, kind);
                return;
            }
            if !self.match_taker(&mut taker, sink) || taker.remaining == 0 {
                return;
            }
            if is_market || order.time_in_force != TimeInForce::Day {
                let kind = ReportKind::Canceled {
                    order_ref,
                    instrument: order.instrument,
                    qty: Qty(taker.remaining),
                    leaves: Qty(0),
                    reason: CancelReason::ImmediateOrCancel,
                };
                self.report(sink, owner.0, order.client_order_id, kind);
                return;
            }
        }
        self.rest_new(&taker, order.hidden, order.post_only, sink);
    }

    /// Contract "Cancel".
    #[inline]
    fn cancel(&mut self, owner: OwnerId, cancel: &CancelOrder, sink: &mut impl EventSink) {
        let Some(slot) = self
            .index
            .get(&self.slab.orders, owner.0, cancel.client_order_id.0)
        else {
            let kind = ReportKind::CancelRejected {
                reason: RejectReason::UnknownOrder,
            };
            return self.report(sink, owner.0, cancel.client_order_id, kind);
        };
        let order = *self.slab.get(slot);
        let leave_qty = cancel.leave_qty.0;
        if leave_qty >= order.leaves {
            let kind = ReportKind::CancelRejected {
                reason: RejectReason::InvalidQuantity,
            };
            return self.report(sink, owner.0, cancel.client_order_id, kind);
        }
        let cut = order.leaves - leave_qty;
        if !order.hidden {
            let kind = if leave_qty == 0 {
                MarketEventKind::Delete {
                    order_ref: order.order_ref,
                }
            } else {
                MarketEventKind::Reduce {
                    order_ref: order.order_ref,
                    qty: Qty(cut),
                }
            };
            self.market(sink, order.instrument, kind);
        }
        let kind = ReportKind::Canceled {
            order_ref: order.order_ref,
            instrument: InstrumentId(order.instrument),
            qty: Qty(cut),
            leaves: Qty(leave_qty),
            reason: CancelReason::User,
        };
        self.report(sink, owner.0, order.client_order_id, kind);
        if leave_qty == 0 {
            self.unrest(slot);
        } else {
            self.reduce_resting(slot, cut);
        }
    }

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
    fn replace(&mut self, owner: OwnerId, replace: &ReplaceOrder, sink: &mut impl EventSink) {
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

    /// Contract "Mass cancel".
    fn mass_cancel(&mut self, owner: OwnerId, mass: &MassCancel, sink: &mut impl EventSink) {
        let account = mass.account.0;
        if account as usize >= self.accounts.len() {
            let kind = ReportKind::CancelRejected {
                reason: RejectReason::UnknownAccount,
            };
            return self.report(sink, owner.0, ClientOrderId(0), kind);
        }
        let mut victims = std::mem::take(&mut self.scratch);
        let mut slot = self.lists.account_head(account);
        while slot != NIL {
            let order = self.slab.get(slot);
            if mass.instrument.is_none_or_matches(order.instrument) {
                victims.push((order.order_ref.0, slot));
            }
            slot = self.lists.account_next(slot);
        }
        self.cancel_in_reference_order(&mut victims, CancelReason::MassCancel, sink);
        let count = victims.len() as u32;
        victims.clear();
        self.scratch = victims;
        self.report(
            sink,
            owner.0,
            ClientOrderId(0),
            ReportKind::MassCanceled { count },
        );
    }

    /// Contract "cancel-owner-orders".
    fn cancel_owner_orders(&mut self, owner: OwnerId, sink: &mut impl EventSink) {
        let mut victims = std::mem::take(&mut self.scratch);
        let mut slot = self.lists.owner_head(owner.0);
        while slot != NIL {
            victims.push((self.slab.get(slot).order_ref.0, slot));
            slot = self.lists.owner_next(slot);
        }
        self.cancel_in_reference_order(&mut victims, CancelReason::Disconnect, sink);
        let count = victims.len() as u32;
        victims.clear();
        self.scratch = victims;
        self.report(
            sink,
            owner.0,
            ClientOrderId(0),
            ReportKind::MassCanceled { count },
        );
    }

    /// Cancels `(order_ref, slot)` pairs in ascending reference order. The
    /// lists are in resting order, not reference order (a replace that
    /// loses priority keeps its list place, which saves list work on the
    /// hot path), so they are sorted here, in place.
    fn cancel_in_reference_order(
        &mut self,
        victims: &mut [(u64, u32)],
        reason: CancelReason,
        sink: &mut impl EventSink,
    ) {
        victims.sort_unstable();
        for &(_, slot) in victims.iter() {
            self.cancel_resting_fully(slot, reason, sink);
        }
    }

    /// Contract "Trading state".
    fn set_trading_state(
        &mut self,
        owner: OwnerId,
        instrument: InstrumentId,
        state: TradingState,
        sink: &mut impl EventSink,
    ) {
        let Some(book) = self.books.get_mut(instrument.0 as usize) else {
            let kind = ReportKind::Rejected {
                instrument,
                reason: RejectReason::UnknownInstrument,
            };
            return self.report(sink, owner.0, ClientOrderId(0), kind);
        };
        let previous = book.state;
        if previous == state {
            return;
        }
        book.state = state;
        if state == TradingState::Continuous && previous == TradingState::Closed {
            book.may_be_crossed = true;
        }
        self.market(sink, instrument.0, MarketEventKind::TradingState { state });
        let reopening = matches!(previous, TradingState::PreOpen | TradingState::Halted);
        if state == TradingState::Continuous && reopening {
            self.uncross(instrument.0, sink);
        }
    }
}

/// `Option<InstrumentId>` as a mass-cancel filter.
trait InstrumentFilter {
    /// `None` matches every instrument.
    fn is_none_or_matches(&self, instrument: u32) -> bool;
}

impl InstrumentFilter for Option<InstrumentId> {
    #[inline]
    fn is_none_or_matches(&self, instrument: u32) -> bool {
        match self {
            None => true,
            Some(wanted) => wanted.0 == instrument,
        }
    }
}
