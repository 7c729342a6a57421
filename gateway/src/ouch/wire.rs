//! OUCH 4.2 wire records. Offsets count from the message type byte (0);
//! integers are unsigned big-endian, prices `u32` with 4 implied decimals,
//! timestamps nanoseconds since midnight, alpha fields space padded.

use zerocopy::byteorder::big_endian::{U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// Message type bytes (inbound and outbound share `U`).
pub mod message_type {
    /// `O` Enter Order (inbound).
    pub const ENTER_ORDER: u8 = b'O';
    /// `U` Replace Order (inbound).
    pub const REPLACE_ORDER: u8 = b'U';
    /// `X` Cancel Order (inbound).
    pub const CANCEL_ORDER: u8 = b'X';
    /// `S` System Event (outbound).
    pub const SYSTEM_EVENT: u8 = b'S';
    /// `A` Accepted (outbound).
    pub const ACCEPTED: u8 = b'A';
    /// `U` Replaced (outbound).
    pub const REPLACED: u8 = b'U';
    /// `C` Canceled (outbound).
    pub const CANCELED: u8 = b'C';
    /// `E` Executed (outbound).
    pub const EXECUTED: u8 = b'E';
    /// `J` Rejected (outbound).
    pub const REJECTED: u8 = b'J';
    /// `B` Broken Trade (outbound).
    pub const BROKEN_TRADE: u8 = b'B';
    /// `K` Price Correction (outbound).
    pub const PRICE_CORRECTION: u8 = b'K';
    /// `I` Cancel Reject (outbound; added in a later 4.2 revision).
    pub const CANCEL_REJECT: u8 = b'I';
}

/// Derives the zerocopy traits every record needs and pins its size.
macro_rules! record {
    ($(#[$meta:meta])* pub struct $name:ident ($size:literal) { $($(#[$field_meta:meta])* pub $field:ident : $ty:ty,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
        #[repr(C)]
        pub struct $name {
            $( $(#[$field_meta])* pub $field: $ty, )+
        }

        impl $name {
            /// Size on the wire.
            pub const SIZE: usize = $size;
        }

        const _: () = assert!(core::mem::size_of::<$name>() == $size);
    };
}

record! {
    /// `O` Enter Order (49 bytes).
    pub struct EnterOrderRecord (49) {
        /// `O` @0.
        pub message_type: u8,
        /// Order token @1, alpha 14, unique per session and day.
        pub order_token: [u8; 14],
        /// Buy/sell indicator @15.
        pub side: u8,
        /// Shares @16.
        pub shares: U32,
        /// Stock symbol @20, alpha 8.
        pub stock: [u8; 8],
        /// Limit price @28, 4 implied decimals.
        pub price: U32,
        /// Time in force @32: 0 IOC, 99998 market hours, 99999 system hours, else seconds.
        pub time_in_force: U32,
        /// Firm @36, alpha 4.
        pub firm: [u8; 4],
        /// Display @40.
        pub display: u8,
        /// Capacity @41.
        pub capacity: u8,
        /// Intermarket sweep eligibility @42.
        pub intermarket_sweep: u8,
        /// Minimum quantity @43.
        pub minimum_quantity: U32,
        /// Cross type @47.
        pub cross_type: u8,
        /// Customer type @48.
        pub customer_type: u8,
    }
}

record! {
    /// `U` Replace Order (47 bytes).
    pub struct ReplaceOrderRecord (47) {
        /// `U` @0.
        pub message_type: u8,
        /// Existing order token @1.
        pub existing_order_token: [u8; 14],
        /// Replacement order token @15.
        pub replacement_order_token: [u8; 14],
        /// Shares @29: the new total open quantity.
        pub shares: U32,
        /// Price @33.
        pub price: U32,
        /// Time in force @37.
        pub time_in_force: U32,
        /// Display @41.
        pub display: u8,
        /// Intermarket sweep eligibility @42.
        pub intermarket_sweep: u8,
        /// Minimum quantity @43.
        pub minimum_quantity: U32,
    }
}

record! {
    /// `X` Cancel Order (19 bytes).
    pub struct CancelOrderRecord (19) {
        /// `X` @0.
        pub message_type: u8,
        /// Order token @1.
        pub order_token: [u8; 14],
        /// Shares @15: the new intended open size (0 = cancel all).
        pub shares: U32,
    }
}

record! {
    /// `S` System Event (10 bytes).
    pub struct SystemEventRecord (10) {
        /// `S` @0.
        pub message_type: u8,
        /// Timestamp @1, ns since midnight.
        pub timestamp: U64,
        /// Event code @9.
        pub event_code: u8,
    }
}

record! {
    /// `A` Accepted (66 bytes).
    pub struct AcceptedRecord (66) {
        /// `A` @0.
        pub message_type: u8,
        /// Timestamp @1.
        pub timestamp: U64,
        /// Order token @9.
        pub order_token: [u8; 14],
        /// Side @23.
        pub side: u8,
        /// Shares @24.
        pub shares: U32,
        /// Stock @28.
        pub stock: [u8; 8],
        /// Price @36.
        pub price: U32,
        /// Time in force @40.
        pub time_in_force: U32,
        /// Firm @44.
        pub firm: [u8; 4],
        /// Display @48.
        pub display: u8,
        /// Order reference number @49 (the ITCH order reference).
        pub order_reference_number: U64,
        /// Capacity @57.
        pub capacity: u8,
        /// Intermarket sweep @58.
        pub intermarket_sweep: u8,
        /// Minimum quantity @59.
        pub minimum_quantity: U32,
        /// Cross type @63.
        pub cross_type: u8,
        /// Order state @64.
        pub order_state: u8,
        /// BBO weight indicator @65.
        pub bbo_weight_indicator: u8,
    }
}

record! {
    /// `U` Replaced (80 bytes).
    pub struct ReplacedRecord (80) {
        /// `U` @0.
        pub message_type: u8,
        /// Timestamp @1.
        pub timestamp: U64,
        /// Replacement order token @9.
        pub replacement_order_token: [u8; 14],
        /// Side @23.
        pub side: u8,
        /// Shares @24.
        pub shares: U32,
        /// Stock @28.
        pub stock: [u8; 8],
        /// Price @36.
        pub price: U32,
        /// Time in force @40.
        pub time_in_force: U32,
        /// Firm @44.
        pub firm: [u8; 4],
        /// Display @48.
        pub display: u8,
        /// Order reference number @49.
        pub order_reference_number: U64,
        /// Capacity @57.
        pub capacity: u8,
        /// Intermarket sweep @58.
        pub intermarket_sweep: u8,
        /// Minimum quantity @59.
        pub minimum_quantity: U32,
        /// Cross type @63.
        pub cross_type: u8,
        /// Order state @64.
        pub order_state: u8,
        /// Previous order token @65.
        pub previous_order_token: [u8; 14],
        /// BBO weight indicator @79.
        pub bbo_weight_indicator: u8,
    }
}

record! {
    /// `C` Canceled (28 bytes).
    pub struct CanceledRecord (28) {
        /// `C` @0.
        pub message_type: u8,
        /// Timestamp @1.
        pub timestamp: U64,
        /// Order token @9.
        pub order_token: [u8; 14],
        /// Decrement shares @23: shares removed by this cancel.
        pub decrement_shares: U32,
        /// Reason @27.
        pub reason: u8,
    }
}

record! {
    /// `E` Executed (40 bytes).
    pub struct ExecutedRecord (40) {
        /// `E` @0.
        pub message_type: u8,
        /// Timestamp @1.
        pub timestamp: U64,
        /// Order token @9.
        pub order_token: [u8; 14],
        /// Executed shares @23.
        pub executed_shares: U32,
        /// Execution price @27.
        pub execution_price: U32,
        /// Liquidity flag @31.
        pub liquidity_flag: u8,
        /// Match number @32 (the same as in ITCH).
        pub match_number: U64,
    }
}

record! {
    /// `J` Rejected (24 bytes).
    pub struct RejectedRecord (24) {
        /// `J` @0.
        pub message_type: u8,
        /// Timestamp @1.
        pub timestamp: U64,
        /// Order token @9.
        pub order_token: [u8; 14],
        /// Reject reason @23.
        pub reason: u8,
    }
}

record! {
    /// `B` Broken Trade (32 bytes).
    pub struct BrokenTradeRecord (32) {
        /// `B` @0.
        pub message_type: u8,
        /// Timestamp @1.
        pub timestamp: U64,
        /// Order token @9.
        pub order_token: [u8; 14],
        /// Match number @23.
        pub match_number: U64,
        /// Reason @31.
        pub reason: u8,
    }
}

record! {
    /// `K` Price Correction (36 bytes).
    pub struct PriceCorrectionRecord (36) {
        /// `K` @0.
        pub message_type: u8,
        /// Timestamp @1.
        pub timestamp: U64,
        /// Order token @9.
        pub order_token: [u8; 14],
        /// Match number @23.
        pub match_number: U64,
        /// New execution price @31.
        pub new_execution_price: U32,
        /// Reason @35.
        pub reason: u8,
    }
}

record! {
    /// `I` Cancel Reject (23 bytes): a cancel could not be applied.
    pub struct CancelRejectRecord (23) {
        /// `I` @0.
        pub message_type: u8,
        /// Timestamp @1.
        pub timestamp: U64,
        /// Order token @9.
        pub order_token: [u8; 14],
    }
}
