//! TotalView-ITCH 5.0 wire records: one zerocopy struct per message, the
//! 11-byte common header included, so a record can be viewed straight out
//! of a MoldUDP64 message block. All integers are big-endian; the 48-bit
//! timestamp is a 6-byte array ([`write_u48`] / [`read_u48`]).

use zerocopy::byteorder::big_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// Message type codes.
pub mod message_type {
    /// `S` System Event.
    pub const SYSTEM_EVENT: u8 = b'S';
    /// `R` Stock Directory.
    pub const STOCK_DIRECTORY: u8 = b'R';
    /// `H` Stock Trading Action.
    pub const TRADING_ACTION: u8 = b'H';
    /// `A` Add Order (no MPID).
    pub const ADD_ORDER: u8 = b'A';
    /// `E` Order Executed.
    pub const ORDER_EXECUTED: u8 = b'E';
    /// `C` Order Executed With Price.
    pub const ORDER_EXECUTED_WITH_PRICE: u8 = b'C';
    /// `X` Order Cancel.
    pub const ORDER_CANCEL: u8 = b'X';
    /// `D` Order Delete.
    pub const ORDER_DELETE: u8 = b'D';
    /// `U` Order Replace.
    pub const ORDER_REPLACE: u8 = b'U';
    /// `P` Trade (non-cross).
    pub const TRADE: u8 = b'P';
    /// `Q` Cross Trade.
    pub const CROSS_TRADE: u8 = b'Q';
    /// GLIMPSE 5.0 End of Snapshot (no common header).
    pub const END_OF_SNAPSHOT: u8 = b'G';
}

/// Length of the common header (type, locate, tracking, timestamp).
pub const HEADER_LEN: usize = 11;
/// Length of the longest message RTES publishes (`P` Trade).
pub const MESSAGE_LEN_MAX: usize = 44;

/// Writes the low 48 bits of `value` big-endian.
pub fn write_u48(value: u64) -> [u8; 6] {
    let bytes = value.to_be_bytes();
    [bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]]
}

/// Reads a 48-bit big-endian integer.
pub fn read_u48(bytes: [u8; 6]) -> u64 {
    let mut out = [0u8; 8];
    out[2..].copy_from_slice(&bytes);
    u64::from_be_bytes(out)
}

macro_rules! wire_record {
    ($(#[$meta:meta])* $name:ident, $len:expr, { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
        #[repr(C)]
        pub struct $name {
            /// Message type byte.
            pub message_type: u8,
            /// Stock Locate (instrument index + 1; 0 for system-wide messages).
            pub stock_locate: U16,
            /// Tracking Number (always 0 in RTES).
            pub tracking_number: U16,
            /// Nanoseconds since midnight, 48 bits.
            pub timestamp: [u8; 6],
            $($(#[$fmeta])* pub $field: $ty,)*
        }
        const _: () = assert!(core::mem::size_of::<$name>() == $len);
    };
}

wire_record!(
    /// `S` System Event, 12 bytes.
    SystemEventRecord, 12, {
    /// Event code (`O` `S` `Q` `M` `E` `C`).
    event_code: u8,
});

wire_record!(
    /// `R` Stock Directory, 39 bytes.
    StockDirectoryRecord, 39, {
    /// Symbol, space padded.
    stock: [u8; 8],
    /// Market category.
    market_category: u8,
    /// Financial status indicator.
    financial_status: u8,
    /// Round lot size.
    round_lot_size: U32,
    /// Round lots only (`Y`/`N`).
    round_lots_only: u8,
    /// Issue classification.
    issue_classification: u8,
    /// Issue sub-type.
    issue_sub_type: [u8; 2],
    /// Authenticity (`P` production, `T` test).
    authenticity: u8,
    /// Short sale threshold indicator.
    short_sale_threshold: u8,
    /// IPO flag.
    ipo_flag: u8,
    /// LULD reference price tier.
    luld_tier: u8,
    /// ETP flag.
    etp_flag: u8,
    /// ETP leverage factor.
    etp_leverage: U32,
    /// Inverse indicator.
    inverse: u8,
});

wire_record!(
    /// `H` Stock Trading Action, 25 bytes.
    TradingActionRecord, 25, {
    /// Symbol.
    stock: [u8; 8],
    /// `H` halted, `P` paused, `Q` quotation only, `T` trading.
    trading_state: u8,
    /// Reserved.
    reserved: u8,
    /// Reason, 4 alpha.
    reason: [u8; 4],
});

wire_record!(
    /// `A` Add Order, 36 bytes.
    AddOrderRecord, 36, {
    /// Order Reference Number.
    order_ref: U64,
    /// `B` or `S`.
    side: u8,
    /// Shares.
    shares: U32,
    /// Symbol.
    stock: [u8; 8],
    /// Price(4).
    price: U32,
});

wire_record!(
    /// `E` Order Executed, 31 bytes.
    OrderExecutedRecord, 31, {
    /// Order Reference Number.
    order_ref: U64,
    /// Executed shares.
    shares: U32,
    /// Match number.
    match_number: U64,
});

wire_record!(
    /// `C` Order Executed With Price, 36 bytes.
    OrderExecutedWithPriceRecord, 36, {
    /// Order Reference Number.
    order_ref: U64,
    /// Executed shares.
    shares: U32,
    /// Match number.
    match_number: U64,
    /// `Y` or `N`.
    printable: u8,
    /// Execution price, Price(4).
    price: U32,
});

wire_record!(
    /// `X` Order Cancel, 23 bytes.
    OrderCancelRecord, 23, {
    /// Order Reference Number.
    order_ref: U64,
    /// Cancelled shares.
    shares: U32,
});

wire_record!(
    /// `D` Order Delete, 19 bytes.
    OrderDeleteRecord, 19, {
    /// Order Reference Number.
    order_ref: U64,
});

wire_record!(
    /// `U` Order Replace, 35 bytes.
    OrderReplaceRecord, 35, {
    /// Original Order Reference Number.
    original_order_ref: U64,
    /// New Order Reference Number.
    new_order_ref: U64,
    /// Shares.
    shares: U32,
    /// Price(4).
    price: U32,
});

wire_record!(
    /// `P` Trade (non-cross), 44 bytes.
    TradeRecord, 44, {
    /// Order Reference Number (0: non-displayed).
    order_ref: U64,
    /// `B` or `S`: side of the resting non-displayed order.
    side: u8,
    /// Shares.
    shares: U32,
    /// Symbol.
    stock: [u8; 8],
    /// Price(4).
    price: U32,
    /// Match number.
    match_number: U64,
});

wire_record!(
    /// `Q` Cross Trade, 40 bytes.
    CrossTradeRecord, 40, {
    /// Shares (64 bits in ITCH 5.0).
    shares: U64,
    /// Symbol.
    stock: [u8; 8],
    /// Cross price, Price(4).
    cross_price: U32,
    /// Match number.
    match_number: U64,
    /// `O` opening, `C` closing, `H` halt/IPO, `I` intraday.
    cross_type: u8,
});

/// GLIMPSE 5.0 `G` End of Snapshot: the only record without the common
/// header. The sequence number is the TotalView-ITCH sequence number the
/// snapshot is valid at (the next live message), as ASCII digits padded
/// with spaces on the left to 20 characters, as SoupBinTCP writes numbers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct EndOfSnapshotRecord {
    /// `G`.
    pub message_type: u8,
    /// Sequence number, 20 ASCII characters.
    pub sequence_number: [u8; 20],
}
const _: () = assert!(core::mem::size_of::<EndOfSnapshotRecord>() == 21);
