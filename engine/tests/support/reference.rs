//! A naive, obviously-correct reference engine written from
//! `docs/engine-semantics.md` alone (not from the fast engine's code), so
//! that the differential tests compare two independent readings of the
//! contract.
//!
//! Clarity over speed: every resting order of every instrument lives in one
//! plain `Vec`; priority order is recomputed by sorting whenever it is needed;
//! open quantities and order counts are recomputed by scanning.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use rtes_engine::{
    AccountConfig, AccountId, CancelOrder, CancelReason, ClientOrderId, Command, CommandKind,
    EngineConfig, EventSink, InstrumentConfig, InstrumentId, Liquidity, MarketEvent,
    MarketEventKind, MatchNumber, NewOrder, OrderRef, OrderType, OwnerId, Price, Qty, RejectReason,
    ReplaceOrder, Report, ReportKind, RestingOrder, SelfTradePrevention, SequenceNumber, Side,
    TimeInForce, TimestampNs, TradingState,
};

/// A resting order.
#[derive(Debug, Clone, Copy)]
struct Order {
    order_ref: OrderRef,
    owner: OwnerId,
    client_order_id: ClientOrderId,
    account: AccountId,
    instrument: InstrumentId,
    side: Side,
    price: Price,
    leaves: Qty,
    hidden: bool,
    post_only: bool,
    /// Time priority: the order's place in the global sequence of entries to
    /// a queue (a new order resting, or a replace that lost priority).
    arrival: u64,
}

/// An order being matched on entry (a new order or a marketable replace).
#[derive(Debug, Clone, Copy)]
struct Incoming {
    order_ref: OrderRef,
    owner: OwnerId,
    client_order_id: ClientOrderId,
    account: AccountId,
    instrument: InstrumentId,
    side: Side,
    /// `None` for a market order: it crosses any price.
    limit: Option<Price>,
    remaining: Qty,
    hidden: bool,
    post_only: bool,
}

impl Incoming {
    fn crosses(&self, resting_price: Price) -> bool {
        crosses(self.side, self.limit, resting_price)
    }
}

/// Whether an order on `side` with `limit` (`None` = market) would trade
/// against an opposite order at `resting_price`.
fn crosses(side: Side, limit: Option<Price>, resting_price: Price) -> bool {
    match (side, limit) {
        (_, None) => true,
        (Side::Buy, Some(price)) => resting_price <= price,
        (Side::Sell, Some(price)) => resting_price >= price,
    }
}

/// How the match loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MatchEnd {
    /// Nothing more to match against (or nothing left to match).
    Exhausted,
    /// Self-trade prevention cancelled the incoming order's remainder.
    SelfTradeStopped,
}

/// The reference engine. Same shape of API as `rtes_engine::Engine`.
pub struct ReferenceEngine {
    config: EngineConfig,
    states: Vec<TradingState>,
    /// Every resting order, in no particular order.
    orders: Vec<Order>,
    /// Net position per (account, instrument): executed buys − sells.
    positions: BTreeMap<(AccountId, InstrumentId), i128>,
    last_seq: u64,
    last_order_ref: u64,
    last_match: u64,
    last_arrival: u64,
    /// Sequence number and timestamp of the command being applied.
    now: (SequenceNumber, TimestampNs),
}

impl ReferenceEngine {
    /// A reference engine with every instrument in its initial state.
    pub fn new(config: EngineConfig) -> ReferenceEngine {
        let states = config
            .instruments
            .iter()
            .map(|instrument| instrument.initial_state)
            .collect();
        ReferenceEngine {
            config,
            states,
            orders: Vec::new(),
            positions: BTreeMap::new(),
            last_seq: 0,
            last_order_ref: 0,
            last_match: 0,
            last_arrival: 0,
            now: (SequenceNumber(0), TimestampNs(0)),
        }
    }

    /// Applies one command; returns its sequence number.
    pub fn apply(&mut self, command: &Command, sink: &mut impl EventSink) -> SequenceNumber {
        self.last_seq += 1;
        self.now = (SequenceNumber(self.last_seq), command.ts);
        let owner = command.owner;
        match command.kind {
            CommandKind::New(order) => self.new_order(owner, &order, sink),
            CommandKind::Cancel(cancel) => self.cancel(owner, &cancel, sink),
            CommandKind::Replace(replace) => self.replace(owner, &replace, sink),
            CommandKind::MassCancel(mass) => match self.account(mass.account) {
                None => self.report(
                    sink,
                    owner,
                    ClientOrderId(0),
                    ReportKind::CancelRejected {
                        reason: RejectReason::UnknownAccount,
                    },
                ),
                Some(_) => self.cancel_all(
                    owner,
                    |order| {
                        order.account == mass.account
                            && (mass.instrument.is_none()
                                || mass.instrument == Some(order.instrument))
                    },
                    CancelReason::MassCancel,
                    sink,
                ),
            },
            CommandKind::CancelOwnerOrders => self.cancel_all(
                owner,
                |order| order.owner == owner,
                CancelReason::Disconnect,
                sink,
            ),
            CommandKind::SetTradingState { instrument, state } => {
                self.set_trading_state(owner, instrument, state, sink)
            }
        }
        SequenceNumber(self.last_seq)
    }

    /// Resting orders of one side in priority order.
    pub fn resting_orders(&self, instrument: InstrumentId, side: Side) -> Vec<RestingOrder> {
        self.side_in_priority(instrument, side)
            .into_iter()
            .map(|order| resting_order(&order))
            .collect()
    }

    /// Current trading state of an instrument.
    pub fn trading_state(&self, instrument: InstrumentId) -> TradingState {
        self.states[instrument.0 as usize]
    }

    /// Net position of an account on an instrument (executed buys − sells).
    pub fn position(&self, account: AccountId, instrument: InstrumentId) -> i128 {
        self.positions
            .get(&(account, instrument))
            .copied()
            .unwrap_or(0)
    }

    /// Every live order of an owner with its instrument, by `OrderRef`.
    pub fn live_orders_of(&self, owner: OwnerId) -> Vec<(InstrumentId, RestingOrder)> {
        let mut live: Vec<Order> = self
            .orders
            .iter()
            .filter(|order| order.owner == owner)
            .copied()
            .collect();
        live.sort_by_key(|order| order.order_ref);
        live.iter()
            .map(|order| (order.instrument, resting_order(order)))
            .collect()
    }

    /// Number of resting orders across all instruments.
    pub fn resting_order_count(&self) -> usize {
        self.orders.len()
    }

    // ----- new orders -----

    fn new_order(&mut self, owner: OwnerId, order: &NewOrder, sink: &mut impl EventSink) {
        if let Err(reason) = self.check_new(owner, order) {
            let kind = ReportKind::Rejected {
                instrument: order.instrument,
                reason,
            };
            self.report(sink, owner, order.client_order_id, kind);
            return;
        }
        let order_ref = self.next_order_ref();
        let accepted = ReportKind::Accepted {
            order_ref,
            order: *order,
        };
        self.report(sink, owner, order.client_order_id, accepted);
        let market = order.order_type == OrderType::Market;
        let mut incoming = Incoming {
            order_ref,
            owner,
            client_order_id: order.client_order_id,
            account: order.account,
            instrument: order.instrument,
            side: order.side,
            limit: if market { None } else { Some(order.price) },
            remaining: order.qty,
            hidden: order.hidden,
            post_only: order.post_only,
        };
        if self.state(order.instrument) == TradingState::PreOpen {
            self.rest(&incoming, sink);
            return;
        }
        let need = if order.time_in_force == TimeInForce::Fok {
            order.qty
        } else {
            order.min_qty
        };
        if need.0 > 0 && self.executable_qty(&incoming, need) < need.0 {
            let kind = ReportKind::Canceled {
                order_ref,
                instrument: order.instrument,
                qty: order.qty,
                leaves: Qty(0),
                reason: CancelReason::FillConditionNotMet,
            };
            self.report(sink, owner, order.client_order_id, kind);
            return;
        }
        if self.match_incoming(&mut incoming, sink) == MatchEnd::SelfTradeStopped {
            return;
        }
        if incoming.remaining.0 == 0 {
            return;
        }
        // A market order is always treated as IOC.
        if market || order.time_in_force != TimeInForce::Day {
            let reason = CancelReason::ImmediateOrCancel;
            self.cancel_incoming(&incoming, reason, sink);
        } else {
            self.rest(&incoming, sink);
        }
    }

    /// The new-order checks, in the contract's order.
    fn check_new(&self, owner: OwnerId, order: &NewOrder) -> Result<(), RejectReason> {
        let instrument = self
            .instrument(order.instrument)
            .ok_or(RejectReason::UnknownInstrument)?;
        if owner.0 >= self.config.max_owners {
            return Err(RejectReason::UnknownAccount);
        }
        self.account(order.account)
            .ok_or(RejectReason::UnknownAccount)?;
        if self.find_live(owner, order.client_order_id).is_some() {
            return Err(RejectReason::DuplicateClientOrderId);
        }
        let market = order.order_type == OrderType::Market;
        let immediate = order.time_in_force != TimeInForce::Day;
        let day_limit = !market && !immediate;
        let state = self.state(order.instrument);
        match state {
            TradingState::Closed => return Err(RejectReason::InstrumentClosed),
            TradingState::Halted => return Err(RejectReason::InstrumentHalted),
            TradingState::PreOpen if market || immediate || order.min_qty.0 > 0 => {
                return Err(RejectReason::NotAllowedInState)
            }
            _ => {}
        }
        check_quantity(instrument, order.qty)?;
        if order.post_only && (market || immediate) {
            return Err(RejectReason::InvalidOrderAttributes);
        }
        if order.min_qty > order.qty {
            return Err(RejectReason::InvalidMinQty);
        }
        if !market {
            check_band(instrument, order.price)?;
        }
        let limit = if market { None } else { Some(order.price) };
        let risk = RiskRequest {
            account: order.account,
            instrument: order.instrument,
            side: order.side,
            limit,
            qty: order.qty,
            counts_open_orders: day_limit,
            excluded_leaves: Qty(0),
        };
        self.check_risk(&risk)?;
        if day_limit && self.orders.len() >= self.config.max_resting_orders as usize {
            return Err(RejectReason::BookFull);
        }
        if order.post_only
            && state == TradingState::Continuous
            && self.marketable(order.instrument, order.side, order.price)
        {
            return Err(RejectReason::PostOnlyWouldTake);
        }
        Ok(())
    }

    /// Account risk checks (step 8), shared by new orders and replaces.
    fn check_risk(&self, request: &RiskRequest) -> Result<(), RejectReason> {
        let account = &self.config.accounts[request.account.0 as usize];
        let instrument = &self.config.instruments[request.instrument.0 as usize];
        if request.qty > account.max_order_qty {
            return Err(RejectReason::RiskMaxOrderQty);
        }
        let reference = instrument.reference_price.0 as i128;
        let price = request.limit.map_or(reference, |price| price.0 as i128);
        // Bands are positive (the engine's configuration check), so the
        // product is non-negative and fits in u128.
        let notional = (price * instrument.tick_size as i128) as u128 * request.qty.0 as u128;
        if notional > account.max_notional {
            return Err(RejectReason::RiskMaxNotional);
        }
        if let Some(limit) = request.limit {
            let distance = (limit.0 as i128 - reference).abs();
            if distance * 10_000 > account.price_collar_bps as i128 * reference {
                return Err(RejectReason::RiskPriceCollar);
            }
        }
        if request.counts_open_orders {
            let open = self
                .orders
                .iter()
                .filter(|order| order.account == request.account)
                .count();
            if open >= account.max_open_orders as usize {
                return Err(RejectReason::RiskMaxOpenOrders);
            }
        }
        let position = self.position(request.account, request.instrument);
        let open_same_side: i128 = self
            .orders
            .iter()
            .filter(|order| {
                order.account == request.account
                    && order.instrument == request.instrument
                    && order.side == request.side
            })
            .map(|order| order.leaves.0 as i128)
            .sum::<i128>()
            - request.excluded_leaves.0 as i128;
        let signed_position = match request.side {
            Side::Buy => position,
            Side::Sell => -position,
        };
        if signed_position + open_same_side + request.qty.0 as i128 > account.max_position as i128 {
            return Err(RejectReason::RiskMaxPosition);
        }
        Ok(())
    }

    /// Open quantity the incoming order could execute now, walking the
    /// opposite side as the fill condition describes; stops once `need` is
    /// reached.
    fn executable_qty(&self, incoming: &Incoming, need: Qty) -> u64 {
        let stp = self.stp(incoming.account);
        let mut sum = 0;
        for resting in self.side_in_priority(incoming.instrument, incoming.side.opposite()) {
            if !incoming.crosses(resting.price) {
                break;
            }
            if resting.account == incoming.account {
                match stp {
                    SelfTradePrevention::Off => {}
                    SelfTradePrevention::CancelOldest => continue,
                    SelfTradePrevention::CancelNewest | SelfTradePrevention::CancelBoth => break,
                }
            }
            sum += resting.leaves.0;
            if sum >= need.0 {
                break;
            }
        }
        sum
    }

    /// Step 4: the match loop, self-trade prevention included.
    fn match_incoming(&mut self, incoming: &mut Incoming, sink: &mut impl EventSink) -> MatchEnd {
        let stp = self.stp(incoming.account);
        while incoming.remaining.0 > 0 {
            let Some(resting) = self.best(incoming.instrument, incoming.side.opposite()) else {
                break;
            };
            if !incoming.crosses(resting.price) {
                break;
            }
            if resting.account == incoming.account && stp != SelfTradePrevention::Off {
                match stp {
                    SelfTradePrevention::CancelNewest => {
                        self.cancel_incoming(incoming, CancelReason::SelfTradeNewest, sink);
                        return MatchEnd::SelfTradeStopped;
                    }
                    SelfTradePrevention::CancelOldest => {
                        self.cancel_resting(&resting, CancelReason::SelfTradeOldest, sink);
                        continue;
                    }
                    SelfTradePrevention::CancelBoth => {
                        self.cancel_resting(&resting, CancelReason::SelfTradeBoth, sink);
                        self.cancel_incoming(incoming, CancelReason::SelfTradeBoth, sink);
                        return MatchEnd::SelfTradeStopped;
                    }
                    SelfTradePrevention::Off => unreachable!("excluded above"),
                }
            }
            self.fill(incoming, &resting, sink);
        }
        MatchEnd::Exhausted
    }

    /// One fill of the incoming order against the best resting order.
    fn fill(&mut self, incoming: &mut Incoming, resting: &Order, sink: &mut impl EventSink) {
        let qty = Qty(incoming.remaining.0.min(resting.leaves.0));
        let match_number = self.next_match();
        let kind = if resting.hidden {
            MarketEventKind::HiddenTrade {
                side: resting.side,
                price: resting.price,
                qty,
                match_number,
            }
        } else {
            MarketEventKind::Execute {
                order_ref: resting.order_ref,
                qty,
                match_number,
            }
        };
        self.market(sink, resting.instrument, kind);
        let resting_leaves = Qty(resting.leaves.0 - qty.0);
        self.set_leaves(resting.order_ref, resting_leaves);
        let added = ReportKind::Executed {
            order_ref: resting.order_ref,
            instrument: resting.instrument,
            side: resting.side,
            qty,
            price: resting.price,
            leaves: resting_leaves,
            match_number,
            liquidity: Liquidity::Added,
        };
        self.report(sink, resting.owner, resting.client_order_id, added);
        incoming.remaining = Qty(incoming.remaining.0 - qty.0);
        let removed = ReportKind::Executed {
            order_ref: incoming.order_ref,
            instrument: incoming.instrument,
            side: incoming.side,
            qty,
            price: resting.price,
            leaves: incoming.remaining,
            match_number,
            liquidity: Liquidity::Removed,
        };
        self.report(sink, incoming.owner, incoming.client_order_id, removed);
        self.trade_positions(incoming.instrument, incoming.account, incoming.side, qty);
        self.trade_positions(incoming.instrument, resting.account, resting.side, qty);
    }

    /// Step 6: the remainder rests at the back of its queue.
    fn rest(&mut self, incoming: &Incoming, sink: &mut impl EventSink) {
        let price = incoming.limit.expect("only limit orders rest");
        let arrival = self.next_arrival();
        self.orders.push(Order {
            order_ref: incoming.order_ref,
            owner: incoming.owner,
            client_order_id: incoming.client_order_id,
            account: incoming.account,
            instrument: incoming.instrument,
            side: incoming.side,
            price,
            leaves: incoming.remaining,
            hidden: incoming.hidden,
            post_only: incoming.post_only,
            arrival,
        });
        if !incoming.hidden {
            let kind = MarketEventKind::Add {
                order_ref: incoming.order_ref,
                side: incoming.side,
                price,
                qty: incoming.remaining,
            };
            self.market(sink, incoming.instrument, kind);
        }
    }

    /// Cancels what remains of the incoming order (it never rested).
    fn cancel_incoming(
        &mut self,
        incoming: &Incoming,
        reason: CancelReason,
        sink: &mut impl EventSink,
    ) {
        let kind = ReportKind::Canceled {
            order_ref: incoming.order_ref,
            instrument: incoming.instrument,
            qty: incoming.remaining,
            leaves: Qty(0),
            reason,
        };
        self.report(sink, incoming.owner, incoming.client_order_id, kind);
    }

    // ----- cancel, replace, mass cancel -----

    fn cancel(&mut self, owner: OwnerId, cancel: &CancelOrder, sink: &mut impl EventSink) {
        let Some(order) = self.find_live(owner, cancel.client_order_id) else {
            self.cancel_rejected(
                owner,
                cancel.client_order_id,
                RejectReason::UnknownOrder,
                sink,
            );
            return;
        };
        if cancel.leave_qty >= order.leaves {
            self.cancel_rejected(
                owner,
                cancel.client_order_id,
                RejectReason::InvalidQuantity,
                sink,
            );
            return;
        }
        if cancel.leave_qty.0 == 0 {
            self.cancel_resting(&order, CancelReason::User, sink);
            return;
        }
        let cut = Qty(order.leaves.0 - cancel.leave_qty.0);
        self.set_leaves(order.order_ref, cancel.leave_qty);
        if !order.hidden {
            let kind = MarketEventKind::Reduce {
                order_ref: order.order_ref,
                qty: cut,
            };
            self.market(sink, order.instrument, kind);
        }
        let kind = ReportKind::Canceled {
            order_ref: order.order_ref,
            instrument: order.instrument,
            qty: cut,
            leaves: cancel.leave_qty,
            reason: CancelReason::User,
        };
        self.report(sink, order.owner, order.client_order_id, kind);
    }

    fn replace(&mut self, owner: OwnerId, replace: &ReplaceOrder, sink: &mut impl EventSink) {
        let order = match self.check_replace(owner, replace) {
            Ok(order) => order,
            Err(reason) => {
                self.cancel_rejected(owner, replace.client_order_id, reason, sink);
                return;
            }
        };
        if replace.qty.0 == 0 {
            self.cancel_resting(&order, CancelReason::User, sink);
            return;
        }
        if replace.price == order.price && replace.qty <= order.leaves {
            self.replace_keeping_priority(&order, replace, sink);
            return;
        }
        self.replace_losing_priority(&order, replace, sink);
    }

    /// Replace steps 1–6; returns the order being replaced when they pass.
    fn check_replace(&self, owner: OwnerId, replace: &ReplaceOrder) -> Result<Order, RejectReason> {
        let order = self
            .find_live(owner, replace.client_order_id)
            .ok_or(RejectReason::UnknownOrder)?;
        let state = self.state(order.instrument);
        match state {
            TradingState::Closed => return Err(RejectReason::InstrumentClosed),
            TradingState::Halted => return Err(RejectReason::InstrumentHalted),
            _ => {}
        }
        if replace.new_client_order_id != replace.client_order_id
            && self.find_live(owner, replace.new_client_order_id).is_some()
        {
            return Err(RejectReason::DuplicateClientOrderId);
        }
        if replace.qty.0 == 0 {
            return Ok(order);
        }
        let instrument = &self.config.instruments[order.instrument.0 as usize];
        check_quantity(instrument, replace.qty)?;
        check_band(instrument, replace.price)?;
        let risk = RiskRequest {
            account: order.account,
            instrument: order.instrument,
            side: order.side,
            limit: Some(replace.price),
            qty: replace.qty,
            counts_open_orders: false,
            excluded_leaves: order.leaves,
        };
        self.check_risk(&risk)?;
        if order.post_only
            && state == TradingState::Continuous
            && self.marketable(order.instrument, order.side, replace.price)
        {
            return Err(RejectReason::PostOnlyWouldTake);
        }
        Ok(order)
    }

    fn replace_keeping_priority(
        &mut self,
        order: &Order,
        replace: &ReplaceOrder,
        sink: &mut impl EventSink,
    ) {
        let slot = self.slot(order.order_ref);
        self.orders[slot].leaves = replace.qty;
        self.orders[slot].client_order_id = replace.new_client_order_id;
        if !order.hidden && replace.qty < order.leaves {
            let kind = MarketEventKind::Reduce {
                order_ref: order.order_ref,
                qty: Qty(order.leaves.0 - replace.qty.0),
            };
            self.market(sink, order.instrument, kind);
        }
        self.replaced_report(order, replace, order.order_ref, sink);
    }

    fn replace_losing_priority(
        &mut self,
        order: &Order,
        replace: &ReplaceOrder,
        sink: &mut impl EventSink,
    ) {
        let new_ref = self.next_order_ref();
        self.remove(order.order_ref);
        let mut incoming = Incoming {
            order_ref: new_ref,
            owner: order.owner,
            client_order_id: replace.new_client_order_id,
            account: order.account,
            instrument: order.instrument,
            side: order.side,
            limit: Some(replace.price),
            remaining: replace.qty,
            hidden: order.hidden,
            post_only: order.post_only,
        };
        let marketable = self.state(order.instrument) == TradingState::Continuous
            && self.marketable(order.instrument, order.side, replace.price);
        if !marketable {
            // Rest first (no Add: the Replace event announces it).
            let arrival = self.next_arrival();
            self.orders.push(Order {
                order_ref: new_ref,
                client_order_id: replace.new_client_order_id,
                price: replace.price,
                leaves: replace.qty,
                arrival,
                ..*order
            });
            if !order.hidden {
                let kind = MarketEventKind::Replace {
                    old_order_ref: order.order_ref,
                    new_order_ref: new_ref,
                    price: replace.price,
                    qty: replace.qty,
                };
                self.market(sink, order.instrument, kind);
            }
            self.replaced_report(order, replace, new_ref, sink);
            return;
        }
        if !order.hidden {
            let kind = MarketEventKind::Delete {
                order_ref: order.order_ref,
            };
            self.market(sink, order.instrument, kind);
        }
        self.replaced_report(order, replace, new_ref, sink);
        if self.match_incoming(&mut incoming, sink) == MatchEnd::SelfTradeStopped {
            return;
        }
        if incoming.remaining.0 > 0 {
            self.rest(&incoming, sink);
        }
    }

    fn replaced_report(
        &mut self,
        order: &Order,
        replace: &ReplaceOrder,
        order_ref: OrderRef,
        sink: &mut impl EventSink,
    ) {
        let kind = ReportKind::Replaced {
            previous_client_order_id: order.client_order_id,
            previous_order_ref: order.order_ref,
            order_ref,
            instrument: order.instrument,
            side: order.side,
            price: replace.price,
            qty: replace.qty,
        };
        self.report(sink, order.owner, replace.new_client_order_id, kind);
    }

    /// Mass cancel and cancel-owner-orders: every live order matching
    /// `selected`, in ascending `OrderRef` order, then the summary report.
    fn cancel_all(
        &mut self,
        owner: OwnerId,
        selected: impl Fn(&Order) -> bool,
        reason: CancelReason,
        sink: &mut impl EventSink,
    ) {
        let mut victims: Vec<Order> = self
            .orders
            .iter()
            .filter(|order| selected(order))
            .copied()
            .collect();
        victims.sort_by_key(|order| order.order_ref);
        for victim in &victims {
            self.cancel_resting(victim, reason, sink);
        }
        let kind = ReportKind::MassCanceled {
            count: victims.len() as u32,
        };
        self.report(sink, owner, ClientOrderId(0), kind);
    }

    /// Removes a resting order entirely: `Delete` if displayed, then its
    /// `Canceled` report.
    fn cancel_resting(&mut self, order: &Order, reason: CancelReason, sink: &mut impl EventSink) {
        self.remove(order.order_ref);
        if !order.hidden {
            let kind = MarketEventKind::Delete {
                order_ref: order.order_ref,
            };
            self.market(sink, order.instrument, kind);
        }
        let kind = ReportKind::Canceled {
            order_ref: order.order_ref,
            instrument: order.instrument,
            qty: order.leaves,
            leaves: Qty(0),
            reason,
        };
        self.report(sink, order.owner, order.client_order_id, kind);
    }

    fn cancel_rejected(
        &mut self,
        owner: OwnerId,
        client_order_id: ClientOrderId,
        reason: RejectReason,
        sink: &mut impl EventSink,
    ) {
        let kind = ReportKind::CancelRejected { reason };
        self.report(sink, owner, client_order_id, kind);
    }

    // ----- trading states and the uncross -----

    fn set_trading_state(
        &mut self,
        owner: OwnerId,
        instrument: InstrumentId,
        state: TradingState,
        sink: &mut impl EventSink,
    ) {
        if self.instrument(instrument).is_none() {
            let kind = ReportKind::Rejected {
                instrument,
                reason: RejectReason::UnknownInstrument,
            };
            self.report(sink, owner, ClientOrderId(0), kind);
            return;
        }
        let old = self.state(instrument);
        if old == state {
            return;
        }
        self.states[instrument.0 as usize] = state;
        self.market(sink, instrument, MarketEventKind::TradingState { state });
        if state == TradingState::Continuous
            && matches!(old, TradingState::PreOpen | TradingState::Halted)
        {
            self.uncross(instrument, sink);
        }
    }

    /// The single-price uncross.
    fn uncross(&mut self, instrument: InstrumentId, sink: &mut impl EventSink) {
        let Some((exec, price)) = self.uncross_price(instrument) else {
            return;
        };
        if exec == 0 {
            return;
        }
        let mut total = 0;
        while let (Some(bid), Some(offer)) = (
            self.best(instrument, Side::Buy),
            self.best(instrument, Side::Sell),
        ) {
            if bid.price < price || offer.price > price {
                break;
            }
            let qty = Qty(bid.leaves.0.min(offer.leaves.0));
            let match_number = self.next_match();
            for order in [&bid, &offer] {
                if !order.hidden {
                    let kind = MarketEventKind::ExecuteAtPrice {
                        order_ref: order.order_ref,
                        qty,
                        match_number,
                        price,
                    };
                    self.market(sink, instrument, kind);
                }
            }
            for order in [&bid, &offer] {
                let leaves = Qty(order.leaves.0 - qty.0);
                self.set_leaves(order.order_ref, leaves);
                let kind = ReportKind::Executed {
                    order_ref: order.order_ref,
                    instrument,
                    side: order.side,
                    qty,
                    price,
                    leaves,
                    match_number,
                    liquidity: Liquidity::Cross,
                };
                self.report(sink, order.owner, order.client_order_id, kind);
                self.trade_positions(instrument, order.account, order.side, qty);
            }
            total += qty.0;
        }
        assert_eq!(total, exec, "the pairing must execute exactly exec(p)");
        let kind = MarketEventKind::CrossTrade {
            qty: Qty(total),
            price,
            match_number: self.next_match(),
        };
        self.market(sink, instrument, kind);
    }

    /// The chosen uncross price and its executable quantity, or `None` when
    /// the book is empty.
    fn uncross_price(&self, instrument: InstrumentId) -> Option<(u64, Price)> {
        let reference = self.config.instruments[instrument.0 as usize]
            .reference_price
            .0;
        let on_book: Vec<&Order> = self
            .orders
            .iter()
            .filter(|order| order.instrument == instrument)
            .collect();
        let candidates: BTreeSet<Price> = on_book.iter().map(|order| order.price).collect();
        candidates
            .into_iter()
            .map(|price| {
                let buy: u64 = on_book
                    .iter()
                    .filter(|order| order.side == Side::Buy && order.price >= price)
                    .map(|order| order.leaves.0)
                    .sum();
                let sell: u64 = on_book
                    .iter()
                    .filter(|order| order.side == Side::Sell && order.price <= price)
                    .map(|order| order.leaves.0)
                    .sum();
                let exec = buy.min(sell);
                let imbalance = buy.abs_diff(sell);
                let distance = (price.0 - reference).unsigned_abs();
                // Smallest key wins: max exec, min imbalance, min distance, lower price.
                ((Reverse(exec), imbalance, distance, price), exec)
            })
            .min()
            .map(|((_, _, _, price), exec)| (exec, price))
    }

    // ----- book helpers -----

    /// One side of one instrument, best first: price, then displayed before
    /// hidden, then arrival.
    fn side_in_priority(&self, instrument: InstrumentId, side: Side) -> Vec<Order> {
        let mut orders: Vec<Order> = self
            .orders
            .iter()
            .filter(|order| order.instrument == instrument && order.side == side)
            .copied()
            .collect();
        orders.sort_by_key(|order| {
            let price_rank = match side {
                Side::Buy => -order.price.0,
                Side::Sell => order.price.0,
            };
            (price_rank, order.hidden, order.arrival)
        });
        orders
    }

    fn best(&self, instrument: InstrumentId, side: Side) -> Option<Order> {
        self.side_in_priority(instrument, side).first().copied()
    }

    /// Whether a limit order at `price` on `side` would trade against the
    /// opposite best (hidden orders count).
    fn marketable(&self, instrument: InstrumentId, side: Side, price: Price) -> bool {
        self.best(instrument, side.opposite())
            .is_some_and(|best| crosses(side, Some(price), best.price))
    }

    fn find_live(&self, owner: OwnerId, client_order_id: ClientOrderId) -> Option<Order> {
        let mut found = self
            .orders
            .iter()
            .filter(|order| order.owner == owner && order.client_order_id == client_order_id);
        let order = found.next().copied();
        assert!(
            found.next().is_none(),
            "client order ids are unique per owner"
        );
        order
    }

    fn slot(&self, order_ref: OrderRef) -> usize {
        self.orders
            .iter()
            .position(|order| order.order_ref == order_ref)
            .expect("the order is resting")
    }

    fn remove(&mut self, order_ref: OrderRef) {
        let slot = self.slot(order_ref);
        self.orders.remove(slot);
    }

    /// Sets an order's open quantity; at zero it leaves the book.
    fn set_leaves(&mut self, order_ref: OrderRef, leaves: Qty) {
        if leaves.0 == 0 {
            self.remove(order_ref);
        } else {
            let slot = self.slot(order_ref);
            self.orders[slot].leaves = leaves;
        }
    }

    fn trade_positions(
        &mut self,
        instrument: InstrumentId,
        account: AccountId,
        side: Side,
        qty: Qty,
    ) {
        let delta = match side {
            Side::Buy => qty.0 as i128,
            Side::Sell => -(qty.0 as i128),
        };
        *self.positions.entry((account, instrument)).or_insert(0) += delta;
    }

    // ----- lookups, counters and emission -----

    fn instrument(&self, id: InstrumentId) -> Option<&InstrumentConfig> {
        self.config.instruments.get(id.0 as usize)
    }

    fn account(&self, id: AccountId) -> Option<&AccountConfig> {
        self.config.accounts.get(id.0 as usize)
    }

    fn state(&self, instrument: InstrumentId) -> TradingState {
        self.states[instrument.0 as usize]
    }

    fn stp(&self, account: AccountId) -> SelfTradePrevention {
        self.config.accounts[account.0 as usize].self_trade_prevention
    }

    fn next_order_ref(&mut self) -> OrderRef {
        self.last_order_ref += 1;
        OrderRef(self.last_order_ref)
    }

    fn next_match(&mut self) -> MatchNumber {
        self.last_match += 1;
        MatchNumber(self.last_match)
    }

    fn next_arrival(&mut self) -> u64 {
        self.last_arrival += 1;
        self.last_arrival
    }

    fn report(
        &mut self,
        sink: &mut impl EventSink,
        owner: OwnerId,
        client_order_id: ClientOrderId,
        kind: ReportKind,
    ) {
        let (seq, ts) = self.now;
        sink.report(&Report {
            seq,
            ts,
            owner,
            client_order_id,
            kind,
        });
    }

    fn market(
        &mut self,
        sink: &mut impl EventSink,
        instrument: InstrumentId,
        kind: MarketEventKind,
    ) {
        let (seq, ts) = self.now;
        sink.market(&MarketEvent {
            seq,
            ts,
            instrument,
            kind,
        });
    }
}

/// The inputs of the account risk checks.
struct RiskRequest {
    account: AccountId,
    instrument: InstrumentId,
    side: Side,
    /// `None` for a market order (notional at the reference price, no collar).
    limit: Option<Price>,
    qty: Qty,
    /// Day limit orders count against `max_open_orders`.
    counts_open_orders: bool,
    /// Open quantity of the order being replaced, excluded from the position check.
    excluded_leaves: Qty,
}

/// New-order check 5 (also replace step 5).
fn check_quantity(instrument: &InstrumentConfig, qty: Qty) -> Result<(), RejectReason> {
    if qty.0 == 0 || !qty.0.is_multiple_of(instrument.lot_size) {
        return Err(RejectReason::InvalidQuantity);
    }
    if qty < instrument.min_qty {
        return Err(RejectReason::QuantityBelowMinimum);
    }
    if qty > instrument.max_qty {
        return Err(RejectReason::QuantityAboveMaximum);
    }
    Ok(())
}

/// New-order check 7 (also replace step 5).
fn check_band(instrument: &InstrumentConfig, price: Price) -> Result<(), RejectReason> {
    if price < instrument.band_low || price > instrument.band_high {
        return Err(RejectReason::PriceOutsideBand);
    }
    Ok(())
}

/// The public view of a resting order.
fn resting_order(order: &Order) -> RestingOrder {
    RestingOrder {
        order_ref: order.order_ref,
        owner: order.owner,
        client_order_id: order.client_order_id,
        account: order.account,
        side: order.side,
        price: order.price,
        leaves: order.leaves,
        hidden: order.hidden,
    }
}
