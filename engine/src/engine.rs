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
