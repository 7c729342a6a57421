//! Domain types shared by every stage: identifiers, fixed-point prices and
//! quantities, the commands the engine consumes and the events it emits.
//!
//! Every type here is `Copy` and heap-free so it can travel through the SPSC
//! rings between threads as a fixed-size record.

/// Index of an instrument in the engine's instrument table (0-based).
///
/// The ITCH Stock Locate code is `InstrumentId.0 + 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct InstrumentId(pub u32);

/// Price in ticks of the instrument's tick size (fixed point, never a float).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Price(pub i64);

/// Quantity in shares (always a multiple of the instrument's lot size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Qty(pub u64);

/// Trading account: the unit of risk limits and self-trade prevention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct AccountId(pub u32);

/// A stable order-entry identity (an OUCH user or a FIX session) that owns
/// orders and receives their reports. Stable across reconnects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct OwnerId(pub u32);

/// Order handle chosen by the gateway, unique per owner for the trading day.
///
/// The gateway maps protocol tokens (OUCH token, FIX ClOrdID) to these, so
/// the engine never sees variable-length strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ClientOrderId(pub u64);

/// Exchange order reference number, assigned by the engine (1, 2, 3, …).
/// The same number appears in OUCH Accepted, FIX OrderID and ITCH messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct OrderRef(pub u64);

/// Match number of one execution, shared by both sides and the ITCH feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MatchNumber(pub u64);

/// Global engine sequence number: one per command applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SequenceNumber(pub u64);

/// Nanoseconds since the Unix epoch, taken by the gateway at ingress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TimestampNs(pub u64);

/// Side of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Bid.
    Buy,
    /// Offer.
    Sell,
}

impl Side {
    /// The other side.
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
}

/// Limit or market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderType {
    /// Trades at its limit price or better; may rest.
    Limit,
    /// Trades at any price inside the instrument's price band; never rests.
    Market,
}

/// How long an order may live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeInForce {
    /// Rests until cancelled or the end of the day.
    Day,
    /// Immediate or cancel: the unfilled remainder is cancelled.
    Ioc,
    /// Fill or kill: fills completely at once or does nothing.
    Fok,
}

/// Trading state of an instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TradingState {
    /// No orders accepted; cancels allowed.
    Closed,
    /// Orders accepted and rest; no matching until the uncross.
    PreOpen,
    /// Continuous matching.
    Continuous,
    /// Cancels only; the move back to continuous runs an uncross.
    Halted,
}

/// Self-trade prevention mode of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SelfTradePrevention {
    /// Self-matches trade normally.
    Off,
    /// The incoming (newest) order's remainder is cancelled.
    CancelNewest,
    /// The resting (oldest) order is cancelled and matching continues.
    CancelOldest,
    /// Both the resting order and the incoming remainder are cancelled.
    CancelBoth,
}

/// A new order as the gateway submits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewOrder {
    /// Owner's handle for this order.
    pub client_order_id: ClientOrderId,
    /// Account charged for risk and used for self-trade prevention.
    pub account: AccountId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Buy or sell.
    pub side: Side,
    /// Limit or market.
    pub order_type: OrderType,
    /// Limit price in ticks; ignored for market orders.
    pub price: Price,
    /// Shares.
    pub qty: Qty,
    /// Time in force.
    pub time_in_force: TimeInForce,
    /// At least this much must execute on entry, else nothing does (0 = none).
    pub min_qty: Qty,
    /// Rejected if it would take liquidity on entry.
    pub post_only: bool,
    /// Non-displayed: rests and matches, never shown on the public feed.
    pub hidden: bool,
}

/// Replace an order: new identity, price and open quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplaceOrder {
    /// The order being replaced.
    pub client_order_id: ClientOrderId,
    /// The replacement's handle (may equal the original).
    pub new_client_order_id: ClientOrderId,
    /// New limit price in ticks.
    pub price: Price,
    /// New open (leaves) quantity; 0 cancels the order.
    pub qty: Qty,
}

/// Cancel or reduce an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelOrder {
    /// The order.
    pub client_order_id: ClientOrderId,
    /// Open quantity to leave on the order (0 = cancel it fully).
    pub leave_qty: Qty,
}

/// Cancel every open order of an account, optionally on one instrument only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MassCancel {
    /// Account whose orders go.
    pub account: AccountId,
    /// `None` = all instruments.
    pub instrument: Option<InstrumentId>,
}

/// What a command asks the engine to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandKind {
    /// Enter an order.
    New(NewOrder),
    /// Cancel or reduce.
    Cancel(CancelOrder),
    /// Cancel/replace.
    Replace(ReplaceOrder),
    /// Mass cancel.
    MassCancel(MassCancel),
    /// Cancel every open order of the command's owner (cancel-on-disconnect).
    CancelOwnerOrders,
    /// Operator: change an instrument's trading state (runs the uncross when
    /// entering continuous from pre-open or halted).
    SetTradingState {
        /// Instrument.
        instrument: InstrumentId,
        /// New state.
        state: TradingState,
    },
}

/// One engine input: who sent it, when, and what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    /// Identity that sent it; reports go back to it.
    pub owner: OwnerId,
    /// Ingress timestamp (the engine's only notion of time).
    pub ts: TimestampNs,
    /// The request.
    pub kind: CommandKind,
}

/// Why an order or request was rejected. Grouped by subsystem like
/// exchange-core's result codes: validation 1xxx, state 2xxx, risk 3xxx,
/// capacity 4xxx.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum RejectReason {
    /// Instrument id not configured.
    UnknownInstrument = 1001,
    /// Zero quantity, or not a multiple of the lot size.
    InvalidQuantity = 1002,
    /// Quantity under the instrument's minimum.
    QuantityBelowMinimum = 1003,
    /// Quantity over the instrument's maximum.
    QuantityAboveMaximum = 1004,
    /// Price outside the instrument's price band.
    PriceOutsideBand = 1005,
    /// Minimum quantity larger than the order quantity.
    InvalidMinQty = 1006,
    /// Post-only combined with market/IOC/FOK, or similar contradiction.
    InvalidOrderAttributes = 1007,
    /// The client order id is already in use by a live order of this owner.
    DuplicateClientOrderId = 1008,
    /// Post-only order would take liquidity.
    PostOnlyWouldTake = 1009,
    /// Unknown client order id (cancel/replace).
    UnknownOrder = 1010,
    /// Instrument closed.
    InstrumentClosed = 2001,
    /// Instrument halted: cancels only.
    InstrumentHalted = 2002,
    /// Order type or time in force not allowed in the current state
    /// (market, IOC and FOK orders during pre-open).
    NotAllowedInState = 2003,
    /// Account risk: order quantity over the account's limit.
    RiskMaxOrderQty = 3001,
    /// Account risk: notional over the account's limit.
    RiskMaxNotional = 3002,
    /// Account risk: price outside the account's collar around the
    /// instrument's reference price.
    RiskPriceCollar = 3003,
    /// Account risk: too many open orders.
    RiskMaxOpenOrders = 3004,
    /// Account risk: would exceed the maximum net position.
    RiskMaxPosition = 3005,
    /// Unknown account.
    UnknownAccount = 3006,
    /// The order slab is full.
    BookFull = 4001,
}

/// Why (part of) an order was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CancelReason {
    /// The owner asked.
    User,
    /// IOC or market remainder.
    ImmediateOrCancel,
    /// FOK or minimum quantity could not be met: nothing executed.
    FillConditionNotMet,
    /// Self-trade prevention cancelled the incoming order (cancel newest).
    SelfTradeNewest,
    /// Self-trade prevention cancelled the resting order (cancel oldest).
    SelfTradeOldest,
    /// Self-trade prevention cancelled both; this is one of the two.
    SelfTradeBoth,
    /// Mass cancel by account.
    MassCancel,
    /// The owner disconnected with cancel-on-disconnect set (sent as a mass cancel).
    Disconnect,
    /// Operator action or end of day.
    Supervisory,
}

/// Liquidity role of one side of an execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Liquidity {
    /// The resting order.
    Added,
    /// The incoming order.
    Removed,
    /// Executed in an uncross.
    Cross,
}

/// What happened to an order, for its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// Order accepted. `live` is false when it ended immediately (filled or
    /// cancelled in the same command; the following reports say how).
    Accepted {
        /// Assigned order reference.
        order_ref: OrderRef,
        /// The order as accepted.
        order: NewOrder,
    },
    /// New order rejected.
    Rejected {
        /// Instrument the order named (may be unknown).
        instrument: InstrumentId,
        /// Why.
        reason: RejectReason,
    },
    /// Part or all of the order executed.
    Executed {
        /// Order reference.
        order_ref: OrderRef,
        /// Instrument.
        instrument: InstrumentId,
        /// Side of this order.
        side: Side,
        /// Shares executed.
        qty: Qty,
        /// Execution price in ticks.
        price: Price,
        /// Shares still open after this execution.
        leaves: Qty,
        /// Match number (same on both sides and on the feed).
        match_number: MatchNumber,
        /// Maker, taker or cross.
        liquidity: Liquidity,
    },
    /// Part or all of the open quantity was cancelled.
    Canceled {
        /// Order reference.
        order_ref: OrderRef,
        /// Instrument.
        instrument: InstrumentId,
        /// Shares removed.
        qty: Qty,
        /// Shares still open.
        leaves: Qty,
        /// Why.
        reason: CancelReason,
    },
    /// Replace done. The report's client order id is the new one.
    Replaced {
        /// The replaced order's client id.
        previous_client_order_id: ClientOrderId,
        /// Reference of the replaced order.
        previous_order_ref: OrderRef,
        /// Reference of the replacement (equal to the previous one when the
        /// order kept its priority).
        order_ref: OrderRef,
        /// Instrument.
        instrument: InstrumentId,
        /// Side.
        side: Side,
        /// New price.
        price: Price,
        /// New open quantity.
        qty: Qty,
    },
    /// Cancel or replace could not be done; the order is unchanged.
    CancelRejected {
        /// Why.
        reason: RejectReason,
    },
    /// Mass cancel finished (the individual `Canceled` reports precede it).
    MassCanceled {
        /// Orders cancelled.
        count: u32,
    },
}

/// A report to one owner about one of its orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// Sequence number of the command that caused it.
    pub seq: SequenceNumber,
    /// That command's timestamp.
    pub ts: TimestampNs,
    /// Recipient.
    pub owner: OwnerId,
    /// The owner's order handle (the new one for `Replaced`).
    pub client_order_id: ClientOrderId,
    /// What happened.
    pub kind: ReportKind,
}

/// A public book change, in ITCH terms. Hidden orders appear only as
/// `HiddenTrade`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketEventKind {
    /// A displayed order now rests on the book.
    Add {
        /// Reference.
        order_ref: OrderRef,
        /// Side.
        side: Side,
        /// Price.
        price: Price,
        /// Shares.
        qty: Qty,
    },
    /// A displayed resting order executed at its own price.
    Execute {
        /// Reference.
        order_ref: OrderRef,
        /// Shares.
        qty: Qty,
        /// Match number.
        match_number: MatchNumber,
    },
    /// A displayed resting order executed in an uncross at the cross price.
    ExecuteAtPrice {
        /// Reference.
        order_ref: OrderRef,
        /// Shares.
        qty: Qty,
        /// Match number.
        match_number: MatchNumber,
        /// Cross price.
        price: Price,
    },
    /// Part of a displayed order's shares were cancelled; it stays on the book.
    Reduce {
        /// Reference.
        order_ref: OrderRef,
        /// Shares removed.
        qty: Qty,
    },
    /// A displayed order left the book by cancellation. (An order executed
    /// down to zero leaves implicitly with its last `Execute`, as in ITCH.)
    Delete {
        /// Reference.
        order_ref: OrderRef,
    },
    /// A displayed order was replaced by a new one that rests, losing priority.
    Replace {
        /// Old reference.
        old_order_ref: OrderRef,
        /// New reference.
        new_order_ref: OrderRef,
        /// New price.
        price: Price,
        /// New shares.
        qty: Qty,
    },
    /// An execution against a non-displayed resting order.
    HiddenTrade {
        /// Side of the resting (hidden) order.
        side: Side,
        /// Price.
        price: Price,
        /// Shares.
        qty: Qty,
        /// Match number.
        match_number: MatchNumber,
    },
    /// Summary of an uncross.
    CrossTrade {
        /// Total shares crossed.
        qty: Qty,
        /// Cross price.
        price: Price,
        /// Match number of the cross.
        match_number: MatchNumber,
    },
    /// The instrument changed trading state.
    TradingState {
        /// New state.
        state: TradingState,
    },
}

/// A public market-data delta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketEvent {
    /// Sequence number of the command that caused it.
    pub seq: SequenceNumber,
    /// That command's timestamp.
    pub ts: TimestampNs,
    /// Instrument.
    pub instrument: InstrumentId,
    /// What changed.
    pub kind: MarketEventKind,
}

/// Where the engine writes its outputs. The runtime routes reports to the
/// gateway ring and market events to the feed ring; tests collect both.
pub trait EventSink {
    /// A report for one owner.
    fn report(&mut self, report: &Report);
    /// A public market-data delta.
    fn market(&mut self, event: &MarketEvent);
}
