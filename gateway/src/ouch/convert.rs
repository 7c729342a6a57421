//! Pure functions between OUCH 4.2 fields and engine types. No I/O, no
//! allocation; the caller resolves the stock symbol to an instrument and the
//! token to a [`ClientOrderId`] first.
//!
//! # What RTES honours
//!
//! | OUCH field | RTES behaviour |
//! |---|---|
//! | Side | `B` buy; `S`, `T` (short), `E` (short exempt) sell — RTES has no short-sale rules; other bytes → reject `O` |
//! | Price | limit price, a multiple of the instrument tick, 1 ..= [`MAX_LIMIT_PRICE`]; otherwise reject `X` (never rounded) |
//! | Market orders | TIF 0 with price [`MARKET_BUY_PRICE`] (buy) or [`MARKET_SELL_PRICE`] (sell) → engine market order; the same prices with another TIF → reject `X` |
//! | Time in force | 0 → IOC; 99998, 99999 → Day; any other value (seconds) → Day: timed orders are not supported, so RTES never sends cancel reason `T` |
//! | Fill or kill | TIF 0 and Minimum Quantity = Shares → engine FOK (min qty 0) |
//! | Minimum Quantity | passed to the engine; over Shares → reject `N` |
//! | Display | `Y` displayed, `N` non-displayed (hidden), `P` post-only displayed; every other 4.2 value (`A`, `L`, `I`, `M`, `W`, `O`, `T`, `Q`, `m`, `n`) or an undefined byte → reject `D` |
//! | Capacity, Customer Type, ISO, Firm | checked to be defined values (else reject `O`), then ignored: RTES has one market, no attribution and no clearing |
//! | Cross Type | `N` only; a defined cross type → reject `R`, an undefined byte → reject `O` |
//! | Replace | shares and price are honoured; TIF, display, ISO and min qty of the replacement are checked but the order keeps its original attributes |

use rtes_engine::{
    AccountId, CancelReason as EngineCancelReason, ClientOrderId, InstrumentId, Liquidity,
    NewOrder, OrderType, Price, Qty, RejectReason as EngineRejectReason, Side as EngineSide,
    TimeInForce, TimestampNs,
};
use rtes_engine::{CancelOrder as EngineCancel, ReplaceOrder as EngineReplace};

use super::codes::{
    CancelReason, Capacity, CrossType, CustomerType, Display, IntermarketSweep, LiquidityFlag,
    OrderState, RejectReason, Side,
};
use super::wire::{CancelOrderRecord, EnterOrderRecord, ReplaceOrderRecord};

/// Buy price meaning "market" (with TIF 0): the largest signed 32-bit value.
pub const MARKET_BUY_PRICE: u32 = 0x7FFF_FFFF;
/// Sell price meaning "market" (with TIF 0).
pub const MARKET_SELL_PRICE: u32 = 0;
/// Largest limit price RTES accepts: $199,999.9900, Nasdaq's OUCH maximum.
pub const MAX_LIMIT_PRICE: u32 = 1_999_999_900;
/// Time in force 0: immediate or cancel.
pub const TIME_IN_FORCE_IOC: u32 = 0;
/// Time in force 99998: until the end of market hours (RTES: Day).
pub const TIME_IN_FORCE_MARKET_HOURS: u32 = 99_998;
/// Time in force 99999: until the end of system hours (RTES: Day).
pub const TIME_IN_FORCE_SYSTEM_HOURS: u32 = 99_999;
/// Nanoseconds in a day, for timestamps since midnight.
pub const NANOSECONDS_PER_DAY: u64 = 86_400_000_000_000;

/// An instrument's tick size in OUCH price units (1/10,000 of a dollar);
/// never zero. A $0.01 tick is `WireTick::new(100)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WireTick(core::num::NonZeroU32);

impl WireTick {
    /// The tick, `None` for zero.
    pub const fn new(units: u32) -> Option<Self> {
        match core::num::NonZeroU32::new(units) {
            Some(units) => Some(WireTick(units)),
            None => None,
        }
    }

    /// The tick in OUCH price units.
    pub const fn get(self) -> u32 {
        self.0.get()
    }
}

/// An OUCH price as engine ticks; a price that is not a whole number of
/// ticks is rejected with `X`, never rounded.
///
/// ```
/// use rtes_gateway::ouch::convert::{price_from_wire, WireTick};
/// let cent = WireTick::new(100).unwrap();
/// assert_eq!(price_from_wire(1_234_500, cent).unwrap().0, 12_345);
/// assert!(price_from_wire(1_234_550, cent).is_err());
/// ```
pub fn price_from_wire(price: u32, tick: WireTick) -> Result<Price, RejectReason> {
    // Written as a round trip rather than `%` so it reads "no rounding".
    let ticks = price / tick.get();
    if ticks * tick.get() != price {
        return Err(RejectReason::InvalidPrice);
    }
    Ok(Price(i64::from(ticks)))
}

/// Engine ticks as an OUCH price; `None` when negative or over `u32::MAX`.
///
/// ```
/// use rtes_engine::Price;
/// use rtes_gateway::ouch::convert::{price_to_wire, WireTick};
/// let cent = WireTick::new(100).unwrap();
/// assert_eq!(price_to_wire(Price(12_345), cent), Some(1_234_500));
/// assert_eq!(price_to_wire(Price(-1), cent), None);
/// ```
pub fn price_to_wire(price: Price, tick: WireTick) -> Option<u32> {
    let units = price.0.checked_mul(i64::from(tick.get()))?;
    u32::try_from(units).ok()
}

/// What the gateway knows about an Enter Order besides its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryContext {
    /// Handle the gateway assigned to the order token.
    pub client_order_id: ClientOrderId,
    /// Account of the session's user.
    pub account: AccountId,
    /// Instrument the Stock field named.
    pub instrument: InstrumentId,
    /// The instrument's tick in OUCH price units.
    pub tick: WireTick,
}

/// An Enter Order as an engine order, or the OUCH reject reason to send in
/// a Rejected message. See the module table for each field's treatment.
pub fn enter_order_to_engine(
    record: &EnterOrderRecord,
    context: &EntryContext,
) -> Result<NewOrder, RejectReason> {
    let side = side_from_wire(record.side)?;
    let (hidden, post_only) = display_from_wire(record.display)?;
    check_ignored_fields(record)?;
    let shares = record.shares.get();
    let minimum_quantity = record.minimum_quantity.get();
    if minimum_quantity > shares {
        return Err(RejectReason::InvalidMinimumQuantity);
    }
    let time_in_force = record.time_in_force.get();
    let price = record.price.get();
    let is_market = time_in_force == TIME_IN_FORCE_IOC
        && match side {
            EngineSide::Buy => price == MARKET_BUY_PRICE,
            EngineSide::Sell => price == MARKET_SELL_PRICE,
        };
    let (order_type, price) = if is_market {
        (OrderType::Market, Price(0))
    } else {
        (
            OrderType::Limit,
            limit_price_from_wire(price, context.tick)?,
        )
    };
    let is_fill_or_kill =
        time_in_force == TIME_IN_FORCE_IOC && shares > 0 && minimum_quantity == shares;
    let (time_in_force, min_qty) = match time_in_force {
        TIME_IN_FORCE_IOC if is_fill_or_kill => (TimeInForce::Fok, 0),
        TIME_IN_FORCE_IOC => (TimeInForce::Ioc, minimum_quantity),
        // 99998, 99999 and timed orders (seconds) all rest for the day.
        _ => (TimeInForce::Day, minimum_quantity),
    };
    Ok(NewOrder {
        client_order_id: context.client_order_id,
        account: context.account,
        instrument: context.instrument,
        side,
        order_type,
        price,
        qty: Qty(u64::from(shares)),
        time_in_force,
        min_qty: Qty(u64::from(min_qty)),
        post_only,
        hidden,
    })
}

/// A limit price: positive, at most [`MAX_LIMIT_PRICE`], a whole number of ticks.
fn limit_price_from_wire(price: u32, tick: WireTick) -> Result<Price, RejectReason> {
    if price == 0 || price > MAX_LIMIT_PRICE {
        return Err(RejectReason::InvalidPrice);
    }
    price_from_wire(price, tick)
}

/// `B` → buy; `S`, `T`, `E` → sell; anything else → `O`.
fn side_from_wire(byte: u8) -> Result<EngineSide, RejectReason> {
    match Side::from_byte(byte) {
        Some(Side::Buy) => Ok(EngineSide::Buy),
        Some(Side::Sell | Side::SellShort | Side::SellShortExempt) => Ok(EngineSide::Sell),
        None => Err(RejectReason::Other),
    }
}

/// `(hidden, post_only)` for the display values RTES honours, else `D`.
fn display_from_wire(byte: u8) -> Result<(bool, bool), RejectReason> {
    match Display::from_byte(byte) {
        Some(Display::Anonymous) => Ok((false, false)),
        Some(Display::NonDisplay) => Ok((true, false)),
        Some(Display::PostOnly) => Ok((false, true)),
        _ => Err(RejectReason::InvalidDisplay),
    }
}

/// Fields RTES does not act on must still hold defined values.
fn check_ignored_fields(record: &EnterOrderRecord) -> Result<(), RejectReason> {
    let defined = Capacity::from_byte(record.capacity).is_some()
        && IntermarketSweep::from_byte(record.intermarket_sweep).is_some()
        && CustomerType::from_byte(record.customer_type).is_some();
    match (defined, CrossType::from_byte(record.cross_type)) {
        (false, _) | (_, None) => Err(RejectReason::Other),
        (true, Some(CrossType::NoCross)) => Ok(()),
        (true, Some(_)) => Err(RejectReason::NotAllowedInCross),
    }
}

/// Handles for a Replace Order, resolved by the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplaceContext {
    /// Handle of the existing order token.
    pub client_order_id: ClientOrderId,
    /// Handle assigned to the replacement token.
    pub new_client_order_id: ClientOrderId,
    /// The instrument's tick in OUCH price units.
    pub tick: WireTick,
}

/// A Replace Order as an engine replace, or the OUCH reject reason for a
/// Rejected message on the replacement token. Shares 0 cancels the order.
/// The market-price sentinels are not limit prices and are rejected (`X`).
pub fn replace_order_to_engine(
    record: &ReplaceOrderRecord,
    context: &ReplaceContext,
) -> Result<EngineReplace, RejectReason> {
    display_from_wire(record.display)?;
    if IntermarketSweep::from_byte(record.intermarket_sweep).is_none() {
        return Err(RejectReason::Other);
    }
    let shares = record.shares.get();
    if record.minimum_quantity.get() > shares {
        return Err(RejectReason::InvalidMinimumQuantity);
    }
    Ok(EngineReplace {
        client_order_id: context.client_order_id,
        new_client_order_id: context.new_client_order_id,
        price: limit_price_from_wire(record.price.get(), context.tick)?,
        qty: Qty(u64::from(shares)),
    })
}

/// A Cancel Order as an engine cancel: Shares is the quantity to leave open
/// (0 cancels the order).
pub fn cancel_order_to_engine(
    record: &CancelOrderRecord,
    client_order_id: ClientOrderId,
) -> EngineCancel {
    EngineCancel {
        client_order_id,
        leave_qty: Qty(u64::from(record.shares.get())),
    }
}

/// The OUCH reject reason for an engine reject.
///
/// | engine | OUCH | Nasdaq meaning |
/// |---|---|---|
/// | UnknownInstrument | `S` | invalid stock |
/// | QuantityAboveMaximum, RiskMaxOrderQty | `Z` | shares exceed the configured safety threshold |
/// | PriceOutsideBand, RiskPriceCollar | `X` | invalid price |
/// | InvalidMinQty | `N` | invalid minimum quantity |
/// | InstrumentClosed | `C` | exchange closed |
/// | InstrumentHalted | `H` | halted |
/// | NotAllowedInState | `R` | not allowed in this type of cross (RTES: in this trading state) |
/// | UnknownAccount | `L` | firm not authorized |
/// | RiskMaxNotional | `n` | exceeded dollar value limit |
/// | everything else | `O` | other |
pub fn reject_reason_to_ouch(reason: EngineRejectReason) -> RejectReason {
    use EngineRejectReason as E;
    match reason {
        E::UnknownInstrument => RejectReason::InvalidStock,
        E::QuantityAboveMaximum | E::RiskMaxOrderQty => RejectReason::SharesExceedThreshold,
        E::PriceOutsideBand | E::RiskPriceCollar => RejectReason::InvalidPrice,
        E::InvalidMinQty => RejectReason::InvalidMinimumQuantity,
        E::InstrumentClosed => RejectReason::Closed,
        E::InstrumentHalted => RejectReason::Halted,
        E::NotAllowedInState => RejectReason::NotAllowedInCross,
        E::UnknownAccount => RejectReason::FirmNotAuthorized,
        E::RiskMaxNotional => RejectReason::ExceededDollarValueLimit,
        E::InvalidQuantity
        | E::QuantityBelowMinimum
        | E::InvalidOrderAttributes
        | E::DuplicateClientOrderId
        | E::PostOnlyWouldTake
        | E::UnknownOrder
        | E::RiskMaxOpenOrders
        | E::RiskMaxPosition
        | E::BookFull => RejectReason::Other,
    }
}

/// The OUCH cancel reason for an engine cancel.
///
/// | engine | OUCH | Nasdaq meaning |
/// |---|---|---|
/// | User, MassCancel | `U` | user requested (a mass cancel is an order-entry request) |
/// | ImmediateOrCancel, FillConditionNotMet | `I` | immediate or cancel |
/// | SelfTradeNewest/Oldest/Both | `Q` | self-match prevention |
/// | Disconnect | `Z` | system cancel (cancel on disconnect) |
/// | Supervisory | `S` | supervisory (operator, end of day) |
pub fn cancel_reason_to_ouch(reason: EngineCancelReason) -> CancelReason {
    use EngineCancelReason as E;
    match reason {
        E::User | E::MassCancel => CancelReason::UserRequested,
        E::ImmediateOrCancel | E::FillConditionNotMet => CancelReason::ImmediateOrCancel,
        E::SelfTradeNewest | E::SelfTradeOldest | E::SelfTradeBoth => {
            CancelReason::SelfMatchPrevention
        }
        E::Disconnect => CancelReason::SystemCancel,
        E::Supervisory => CancelReason::Supervisory,
    }
}

/// The OUCH liquidity flag: `A` added, `R` removed, and `O` (opening cross)
/// for an uncross, as engine reports do not say which cross ran.
pub fn liquidity_to_ouch(liquidity: Liquidity) -> LiquidityFlag {
    match liquidity {
        Liquidity::Added => LiquidityFlag::Added,
        Liquidity::Removed => LiquidityFlag::Removed,
        Liquidity::Cross => LiquidityFlag::OpeningCross,
    }
}

/// The OUCH side code of an engine side (`B` or `S`; echo the client's own
/// byte in Accepted to keep `T`/`E`).
pub fn side_to_ouch(side: EngineSide) -> Side {
    match side {
        EngineSide::Buy => Side::Buy,
        EngineSide::Sell => Side::Sell,
    }
}

/// Display code describing an engine order: `N` hidden, `P` post-only, else `Y`.
pub fn display_to_ouch(order: &NewOrder) -> Display {
    match (order.hidden, order.post_only) {
        (true, _) => Display::NonDisplay,
        (false, true) => Display::PostOnly,
        (false, false) => Display::Anonymous,
    }
}

/// Order State for Accepted/Replaced: `L` when the order rests, else `D`.
pub fn order_state_to_ouch(live: bool) -> OrderState {
    if live {
        OrderState::Live
    } else {
        OrderState::Dead
    }
}

/// An engine timestamp (ns since the Unix epoch) as OUCH's nanoseconds since
/// midnight, UTC.
///
/// ```
/// use rtes_engine::TimestampNs;
/// use rtes_gateway::ouch::convert::timestamp_to_ouch;
/// assert_eq!(timestamp_to_ouch(TimestampNs(86_400_000_000_000 + 5)), 5);
/// ```
pub fn timestamp_to_ouch(timestamp: TimestampNs) -> u64 {
    timestamp.0 % NANOSECONDS_PER_DAY
}
