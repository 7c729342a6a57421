//! OUCH 4.2 messages as plain typed values, and their conversion to and
//! from the wire records. A decoded value re-encodes to the same bytes.

use zerocopy::byteorder::big_endian::{U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::codes::{
    BboWeightIndicator, CancelReason, Capacity, CrossType, CustomerType, Display, EventCode,
    IntermarketSweep, LiquidityFlag, OrderState, RejectReason, Side, TradeCorrectionReason,
};
use super::wire::{
    message_type, AcceptedRecord, BrokenTradeRecord, CancelOrderRecord, CancelRejectRecord,
    CanceledRecord, EnterOrderRecord, ExecutedRecord, PriceCorrectionRecord, RejectedRecord,
    ReplaceOrderRecord, ReplacedRecord, SystemEventRecord,
};
use super::OuchError;
use crate::soupbin::ascii::Alpha;

/// Client order token: alpha 14, unique per session and day.
pub type Token = Alpha<14>;
/// Stock symbol: alpha 8.
pub type Stock = Alpha<8>;
/// Firm (MPID): alpha 4.
pub type Firm = Alpha<4>;

/// A typed OUCH message and its wire record.
pub trait OuchMessage: Sized {
    /// The zerocopy record.
    type Record: FromBytes + IntoBytes + KnownLayout + Immutable + Unaligned;
    /// The message type byte.
    const MESSAGE_TYPE: u8;

    /// The wire record of this value.
    fn to_record(&self) -> Self::Record;

    /// The value of a record; fails on a code byte the spec does not define.
    fn from_record(record: &Self::Record) -> Result<Self, OuchError>;

    /// Writes the message at the start of `out`; returns the bytes written.
    fn encode(&self, out: &mut [u8]) -> Result<usize, OuchError> {
        let size = core::mem::size_of::<Self::Record>();
        let available = out.len();
        let destination = out.get_mut(..size).ok_or(OuchError::BufferTooSmall {
            needed: size,
            available,
        })?;
        destination.copy_from_slice(self.to_record().as_bytes());
        Ok(size)
    }
}

/// Reads a code field, naming the field in the error.
fn code<T>(field: &'static str, byte: u8, from_byte: fn(u8) -> Option<T>) -> Result<T, OuchError> {
    from_byte(byte).ok_or(OuchError::InvalidCode { field, byte })
}

/// `O` Enter Order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnterOrder {
    /// Client order token.
    pub order_token: Token,
    /// Side.
    pub side: Side,
    /// Shares.
    pub shares: u32,
    /// Stock.
    pub stock: Stock,
    /// Price, 4 implied decimals.
    pub price: u32,
    /// Time in force (seconds; 0 IOC, 99998/99999 day).
    pub time_in_force: u32,
    /// Firm.
    pub firm: Firm,
    /// Display.
    pub display: Display,
    /// Capacity.
    pub capacity: Capacity,
    /// Intermarket sweep eligibility.
    pub intermarket_sweep: IntermarketSweep,
    /// Minimum quantity (0 = none).
    pub minimum_quantity: u32,
    /// Cross type.
    pub cross_type: CrossType,
    /// Customer type.
    pub customer_type: CustomerType,
}

impl OuchMessage for EnterOrder {
    type Record = EnterOrderRecord;
    const MESSAGE_TYPE: u8 = message_type::ENTER_ORDER;

    fn to_record(&self) -> EnterOrderRecord {
        EnterOrderRecord {
            message_type: Self::MESSAGE_TYPE,
            order_token: self.order_token.0,
            side: self.side.as_byte(),
            shares: U32::new(self.shares),
            stock: self.stock.0,
            price: U32::new(self.price),
            time_in_force: U32::new(self.time_in_force),
            firm: self.firm.0,
            display: self.display.as_byte(),
            capacity: self.capacity.as_byte(),
            intermarket_sweep: self.intermarket_sweep.as_byte(),
            minimum_quantity: U32::new(self.minimum_quantity),
            cross_type: self.cross_type.as_byte(),
            customer_type: self.customer_type.as_byte(),
        }
    }

    fn from_record(r: &EnterOrderRecord) -> Result<Self, OuchError> {
        Ok(EnterOrder {
            order_token: Alpha(r.order_token),
            side: code("side", r.side, Side::from_byte)?,
            shares: r.shares.get(),
            stock: Alpha(r.stock),
            price: r.price.get(),
            time_in_force: r.time_in_force.get(),
            firm: Alpha(r.firm),
            display: code("display", r.display, Display::from_byte)?,
            capacity: code("capacity", r.capacity, Capacity::from_byte)?,
            intermarket_sweep: code(
                "intermarket_sweep",
                r.intermarket_sweep,
                IntermarketSweep::from_byte,
            )?,
            minimum_quantity: r.minimum_quantity.get(),
            cross_type: code("cross_type", r.cross_type, CrossType::from_byte)?,
            customer_type: code("customer_type", r.customer_type, CustomerType::from_byte)?,
        })
    }
}

/// `U` Replace Order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplaceOrder {
    /// Token of the order being replaced.
    pub existing_order_token: Token,
    /// Token of the replacement.
    pub replacement_order_token: Token,
    /// New total open shares (0 cancels).
    pub shares: u32,
    /// New price.
    pub price: u32,
    /// Time in force.
    pub time_in_force: u32,
    /// Display.
    pub display: Display,
    /// Intermarket sweep eligibility.
    pub intermarket_sweep: IntermarketSweep,
    /// Minimum quantity.
    pub minimum_quantity: u32,
}

impl OuchMessage for ReplaceOrder {
    type Record = ReplaceOrderRecord;
    const MESSAGE_TYPE: u8 = message_type::REPLACE_ORDER;

    fn to_record(&self) -> ReplaceOrderRecord {
        ReplaceOrderRecord {
            message_type: Self::MESSAGE_TYPE,
            existing_order_token: self.existing_order_token.0,
            replacement_order_token: self.replacement_order_token.0,
            shares: U32::new(self.shares),
            price: U32::new(self.price),
            time_in_force: U32::new(self.time_in_force),
            display: self.display.as_byte(),
            intermarket_sweep: self.intermarket_sweep.as_byte(),
            minimum_quantity: U32::new(self.minimum_quantity),
        }
    }

    fn from_record(r: &ReplaceOrderRecord) -> Result<Self, OuchError> {
        Ok(ReplaceOrder {
            existing_order_token: Alpha(r.existing_order_token),
            replacement_order_token: Alpha(r.replacement_order_token),
            shares: r.shares.get(),
            price: r.price.get(),
            time_in_force: r.time_in_force.get(),
            display: code("display", r.display, Display::from_byte)?,
            intermarket_sweep: code(
                "intermarket_sweep",
                r.intermarket_sweep,
                IntermarketSweep::from_byte,
            )?,
            minimum_quantity: r.minimum_quantity.get(),
        })
    }
}

/// `X` Cancel Order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelOrder {
    /// Token of the order.
    pub order_token: Token,
    /// New intended open shares (0 = cancel all).
    pub shares: u32,
}

impl OuchMessage for CancelOrder {
    type Record = CancelOrderRecord;
    const MESSAGE_TYPE: u8 = message_type::CANCEL_ORDER;

    fn to_record(&self) -> CancelOrderRecord {
        CancelOrderRecord {
            message_type: Self::MESSAGE_TYPE,
            order_token: self.order_token.0,
            shares: U32::new(self.shares),
        }
    }

    fn from_record(r: &CancelOrderRecord) -> Result<Self, OuchError> {
        Ok(CancelOrder {
            order_token: Alpha(r.order_token),
            shares: r.shares.get(),
        })
    }
}

/// `S` System Event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemEvent {
    /// Nanoseconds since midnight.
    pub timestamp_ns: u64,
    /// Event.
    pub event_code: EventCode,
}

impl OuchMessage for SystemEvent {
    type Record = SystemEventRecord;
    const MESSAGE_TYPE: u8 = message_type::SYSTEM_EVENT;

    fn to_record(&self) -> SystemEventRecord {
        SystemEventRecord {
            message_type: Self::MESSAGE_TYPE,
            timestamp: U64::new(self.timestamp_ns),
            event_code: self.event_code.as_byte(),
        }
    }

    fn from_record(r: &SystemEventRecord) -> Result<Self, OuchError> {
        Ok(SystemEvent {
            timestamp_ns: r.timestamp.get(),
            event_code: code("event_code", r.event_code, EventCode::from_byte)?,
        })
    }
}

/// The order fields Accepted and Replaced share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcceptedOrder {
    /// Nanoseconds since midnight.
    pub timestamp_ns: u64,
    /// The order's token (the replacement token in Replaced).
    pub order_token: Token,
    /// Side.
    pub side: Side,
    /// Open shares.
    pub shares: u32,
    /// Stock.
    pub stock: Stock,
    /// Price as accepted.
    pub price: u32,
    /// Time in force as accepted.
    pub time_in_force: u32,
    /// Firm.
    pub firm: Firm,
    /// Display as accepted.
    pub display: Display,
    /// Order reference number (the ITCH order reference).
    pub order_reference_number: u64,
    /// Capacity.
    pub capacity: Capacity,
    /// Intermarket sweep eligibility.
    pub intermarket_sweep: IntermarketSweep,
    /// Minimum quantity.
    pub minimum_quantity: u32,
    /// Cross type.
    pub cross_type: CrossType,
    /// Live or already dead.
    pub order_state: OrderState,
    /// BBO weight indicator (RTES sends unspecified).
    pub bbo_weight_indicator: BboWeightIndicator,
}

/// `A` Accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted(pub AcceptedOrder);

impl OuchMessage for Accepted {
    type Record = AcceptedRecord;
    const MESSAGE_TYPE: u8 = message_type::ACCEPTED;

    fn to_record(&self) -> AcceptedRecord {
        let o = &self.0;
        AcceptedRecord {
            message_type: Self::MESSAGE_TYPE,
            timestamp: U64::new(o.timestamp_ns),
            order_token: o.order_token.0,
            side: o.side.as_byte(),
            shares: U32::new(o.shares),
            stock: o.stock.0,
            price: U32::new(o.price),
            time_in_force: U32::new(o.time_in_force),
            firm: o.firm.0,
            display: o.display.as_byte(),
            order_reference_number: U64::new(o.order_reference_number),
            capacity: o.capacity.as_byte(),
            intermarket_sweep: o.intermarket_sweep.as_byte(),
            minimum_quantity: U32::new(o.minimum_quantity),
            cross_type: o.cross_type.as_byte(),
            order_state: o.order_state.as_byte(),
            bbo_weight_indicator: o.bbo_weight_indicator.as_byte(),
        }
    }

    fn from_record(r: &AcceptedRecord) -> Result<Self, OuchError> {
        Ok(Accepted(AcceptedOrder {
            timestamp_ns: r.timestamp.get(),
            order_token: Alpha(r.order_token),
            side: code("side", r.side, Side::from_byte)?,
            shares: r.shares.get(),
            stock: Alpha(r.stock),
            price: r.price.get(),
            time_in_force: r.time_in_force.get(),
            firm: Alpha(r.firm),
            display: code("display", r.display, Display::from_byte)?,
            order_reference_number: r.order_reference_number.get(),
            capacity: code("capacity", r.capacity, Capacity::from_byte)?,
            intermarket_sweep: code(
                "intermarket_sweep",
                r.intermarket_sweep,
                IntermarketSweep::from_byte,
            )?,
            minimum_quantity: r.minimum_quantity.get(),
            cross_type: code("cross_type", r.cross_type, CrossType::from_byte)?,
            order_state: code("order_state", r.order_state, OrderState::from_byte)?,
            bbo_weight_indicator: code(
                "bbo_weight_indicator",
                r.bbo_weight_indicator,
                BboWeightIndicator::from_byte,
            )?,
        }))
    }
}

/// `U` Replaced: the replacement order's fields plus the previous token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replaced {
    /// The replacement order (`order_token` is the replacement token).
    pub order: AcceptedOrder,
    /// Token of the order that was replaced.
    pub previous_order_token: Token,
}

impl OuchMessage for Replaced {
    type Record = ReplacedRecord;
    const MESSAGE_TYPE: u8 = message_type::REPLACED;

    fn to_record(&self) -> ReplacedRecord {
        let a = Accepted(self.order).to_record();
        ReplacedRecord {
            message_type: Self::MESSAGE_TYPE,
            timestamp: a.timestamp,
            replacement_order_token: a.order_token,
            side: a.side,
            shares: a.shares,
            stock: a.stock,
            price: a.price,
            time_in_force: a.time_in_force,
            firm: a.firm,
            display: a.display,
            order_reference_number: a.order_reference_number,
            capacity: a.capacity,
            intermarket_sweep: a.intermarket_sweep,
            minimum_quantity: a.minimum_quantity,
            cross_type: a.cross_type,
            order_state: a.order_state,
            previous_order_token: self.previous_order_token.0,
            bbo_weight_indicator: a.bbo_weight_indicator,
        }
    }

    fn from_record(r: &ReplacedRecord) -> Result<Self, OuchError> {
        let accepted = AcceptedRecord {
            message_type: message_type::ACCEPTED,
            timestamp: r.timestamp,
            order_token: r.replacement_order_token,
            side: r.side,
            shares: r.shares,
            stock: r.stock,
            price: r.price,
            time_in_force: r.time_in_force,
            firm: r.firm,
            display: r.display,
            order_reference_number: r.order_reference_number,
            capacity: r.capacity,
            intermarket_sweep: r.intermarket_sweep,
            minimum_quantity: r.minimum_quantity,
            cross_type: r.cross_type,
            order_state: r.order_state,
            bbo_weight_indicator: r.bbo_weight_indicator,
        };
        Ok(Replaced {
            order: Accepted::from_record(&accepted)?.0,
            previous_order_token: Alpha(r.previous_order_token),
        })
    }
}

/// `C` Canceled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Canceled {
    /// Nanoseconds since midnight.
    pub timestamp_ns: u64,
    /// Token of the order.
    pub order_token: Token,
    /// Shares removed by this cancel.
    pub decrement_shares: u32,
    /// Why.
    pub reason: CancelReason,
}

impl OuchMessage for Canceled {
    type Record = CanceledRecord;
    const MESSAGE_TYPE: u8 = message_type::CANCELED;

    fn to_record(&self) -> CanceledRecord {
        CanceledRecord {
            message_type: Self::MESSAGE_TYPE,
            timestamp: U64::new(self.timestamp_ns),
            order_token: self.order_token.0,
            decrement_shares: U32::new(self.decrement_shares),
            reason: self.reason.as_byte(),
        }
    }

    fn from_record(r: &CanceledRecord) -> Result<Self, OuchError> {
        Ok(Canceled {
            timestamp_ns: r.timestamp.get(),
            order_token: Alpha(r.order_token),
            decrement_shares: r.decrement_shares.get(),
            reason: code("reason", r.reason, CancelReason::from_byte)?,
        })
    }
}

/// `E` Executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Executed {
    /// Nanoseconds since midnight.
    pub timestamp_ns: u64,
    /// Token of the order.
    pub order_token: Token,
    /// Shares executed.
    pub executed_shares: u32,
    /// Execution price, 4 implied decimals.
    pub execution_price: u32,
    /// Liquidity flag.
    pub liquidity_flag: LiquidityFlag,
    /// Match number (the same as in ITCH).
    pub match_number: u64,
}

impl OuchMessage for Executed {
    type Record = ExecutedRecord;
    const MESSAGE_TYPE: u8 = message_type::EXECUTED;

    fn to_record(&self) -> ExecutedRecord {
        ExecutedRecord {
            message_type: Self::MESSAGE_TYPE,
            timestamp: U64::new(self.timestamp_ns),
            order_token: self.order_token.0,
            executed_shares: U32::new(self.executed_shares),
            execution_price: U32::new(self.execution_price),
            liquidity_flag: self.liquidity_flag.as_byte(),
            match_number: U64::new(self.match_number),
        }
    }

    fn from_record(r: &ExecutedRecord) -> Result<Self, OuchError> {
        Ok(Executed {
            timestamp_ns: r.timestamp.get(),
            order_token: Alpha(r.order_token),
            executed_shares: r.executed_shares.get(),
            execution_price: r.execution_price.get(),
            liquidity_flag: code("liquidity_flag", r.liquidity_flag, LiquidityFlag::from_byte)?,
            match_number: r.match_number.get(),
        })
    }
}

/// `J` Rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    /// Nanoseconds since midnight.
    pub timestamp_ns: u64,
    /// Token of the refused order.
    pub order_token: Token,
    /// Why.
    pub reason: RejectReason,
}

impl OuchMessage for Rejected {
    type Record = RejectedRecord;
    const MESSAGE_TYPE: u8 = message_type::REJECTED;

    fn to_record(&self) -> RejectedRecord {
        RejectedRecord {
            message_type: Self::MESSAGE_TYPE,
            timestamp: U64::new(self.timestamp_ns),
            order_token: self.order_token.0,
            reason: self.reason.as_byte(),
        }
    }

    fn from_record(r: &RejectedRecord) -> Result<Self, OuchError> {
        Ok(Rejected {
            timestamp_ns: r.timestamp.get(),
            order_token: Alpha(r.order_token),
            reason: code("reason", r.reason, RejectReason::from_byte)?,
        })
    }
}

/// `B` Broken Trade: an execution was broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokenTrade {
    /// Nanoseconds since midnight.
    pub timestamp_ns: u64,
    /// Token of the order.
    pub order_token: Token,
    /// Match number of the broken execution.
    pub match_number: u64,
    /// Why.
    pub reason: TradeCorrectionReason,
}

impl OuchMessage for BrokenTrade {
    type Record = BrokenTradeRecord;
    const MESSAGE_TYPE: u8 = message_type::BROKEN_TRADE;

    fn to_record(&self) -> BrokenTradeRecord {
        BrokenTradeRecord {
            message_type: Self::MESSAGE_TYPE,
            timestamp: U64::new(self.timestamp_ns),
            order_token: self.order_token.0,
            match_number: U64::new(self.match_number),
            reason: self.reason.as_byte(),
        }
    }

    fn from_record(r: &BrokenTradeRecord) -> Result<Self, OuchError> {
        Ok(BrokenTrade {
            timestamp_ns: r.timestamp.get(),
            order_token: Alpha(r.order_token),
            match_number: r.match_number.get(),
            reason: code("reason", r.reason, TradeCorrectionReason::from_byte)?,
        })
    }
}

/// `K` Price Correction: an execution's price was corrected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceCorrection {
    /// Nanoseconds since midnight.
    pub timestamp_ns: u64,
    /// Token of the order.
    pub order_token: Token,
    /// Match number of the corrected execution.
    pub match_number: u64,
    /// Corrected price, 4 implied decimals.
    pub new_execution_price: u32,
    /// Why.
    pub reason: TradeCorrectionReason,
}

impl OuchMessage for PriceCorrection {
    type Record = PriceCorrectionRecord;
    const MESSAGE_TYPE: u8 = message_type::PRICE_CORRECTION;

    fn to_record(&self) -> PriceCorrectionRecord {
        PriceCorrectionRecord {
            message_type: Self::MESSAGE_TYPE,
            timestamp: U64::new(self.timestamp_ns),
            order_token: self.order_token.0,
            match_number: U64::new(self.match_number),
            new_execution_price: U32::new(self.new_execution_price),
            reason: self.reason.as_byte(),
        }
    }

    fn from_record(r: &PriceCorrectionRecord) -> Result<Self, OuchError> {
        Ok(PriceCorrection {
            timestamp_ns: r.timestamp.get(),
            order_token: Alpha(r.order_token),
            match_number: r.match_number.get(),
            new_execution_price: r.new_execution_price.get(),
            reason: code("reason", r.reason, TradeCorrectionReason::from_byte)?,
        })
    }
}

/// `I` Cancel Reject: the cancel named an order that cannot be cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelReject {
    /// Nanoseconds since midnight.
    pub timestamp_ns: u64,
    /// Token named by the cancel.
    pub order_token: Token,
}

impl OuchMessage for CancelReject {
    type Record = CancelRejectRecord;
    const MESSAGE_TYPE: u8 = message_type::CANCEL_REJECT;

    fn to_record(&self) -> CancelRejectRecord {
        CancelRejectRecord {
            message_type: Self::MESSAGE_TYPE,
            timestamp: U64::new(self.timestamp_ns),
            order_token: self.order_token.0,
        }
    }

    fn from_record(r: &CancelRejectRecord) -> Result<Self, OuchError> {
        Ok(CancelReject {
            timestamp_ns: r.timestamp.get(),
            order_token: Alpha(r.order_token),
        })
    }
}
