//! Typed ITCH 5.0 messages and their encoder/decoder.

use super::wire::*;
use zerocopy::byteorder::big_endian::{U16, U32, U64};
use zerocopy::{FromBytes, IntoBytes};

/// Fields every ITCH message starts with (after the type byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    /// Stock Locate: instrument index + 1, or 0 for system-wide messages.
    pub stock_locate: u16,
    /// Tracking Number.
    pub tracking_number: u16,
    /// Nanoseconds since midnight (only the low 48 bits travel).
    pub timestamp_ns: u64,
}

/// `R` Stock Directory body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockDirectory {
    /// Symbol, space padded.
    pub stock: [u8; 8],
    /// Market category (RTES: `Q`).
    pub market_category: u8,
    /// Financial status (RTES: `N` normal).
    pub financial_status: u8,
    /// Round lot size (the instrument's lot size).
    pub round_lot_size: u32,
    /// `Y` if only round lots are accepted.
    pub round_lots_only: u8,
    /// Issue classification (RTES: `C` common stock).
    pub issue_classification: u8,
    /// Issue sub-type (RTES: `Z ` not applicable).
    pub issue_sub_type: [u8; 2],
    /// `P` production, `T` test.
    pub authenticity: u8,
    /// Short sale threshold indicator (`Y`, `N`, space).
    pub short_sale_threshold: u8,
    /// IPO flag (`Y`, `N`, space).
    pub ipo_flag: u8,
    /// LULD tier (`1`, `2`, space).
    pub luld_tier: u8,
    /// ETP flag (`Y`, `N`, space).
    pub etp_flag: u8,
    /// ETP leverage factor.
    pub etp_leverage: u32,
    /// Inverse indicator (`Y`, `N`).
    pub inverse: u8,
}

/// What a message says, by type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// `S`.
    SystemEvent {
        /// Event code.
        event_code: u8,
    },
    /// `R`.
    StockDirectory(StockDirectory),
    /// `H`.
    TradingAction {
        /// Symbol.
        stock: [u8; 8],
        /// `H` `P` `Q` `T`.
        trading_state: u8,
        /// Reason, 4 alpha.
        reason: [u8; 4],
    },
    /// `A`.
    AddOrder {
        /// Order reference.
        order_ref: u64,
        /// `B` or `S`.
        side: u8,
        /// Shares.
        shares: u32,
        /// Symbol.
        stock: [u8; 8],
        /// Price(4).
        price: u32,
    },
    /// `E`.
    OrderExecuted {
        /// Order reference.
        order_ref: u64,
        /// Shares.
        shares: u32,
        /// Match number.
        match_number: u64,
    },
    /// `C`.
    OrderExecutedWithPrice {
        /// Order reference.
        order_ref: u64,
        /// Shares.
        shares: u32,
        /// Match number.
        match_number: u64,
        /// `Y` or `N`.
        printable: u8,
        /// Price(4).
        price: u32,
    },
    /// `X`.
    OrderCancel {
        /// Order reference.
        order_ref: u64,
        /// Cancelled shares.
        shares: u32,
    },
    /// `D`.
    OrderDelete {
        /// Order reference.
        order_ref: u64,
    },
    /// `U`.
    OrderReplace {
        /// Original order reference.
        original_order_ref: u64,
        /// New order reference.
        new_order_ref: u64,
        /// Shares.
        shares: u32,
        /// Price(4).
        price: u32,
    },
    /// `P`.
    Trade {
        /// Order reference (0 for non-displayed orders).
        order_ref: u64,
        /// `B` or `S`.
        side: u8,
        /// Shares.
        shares: u32,
        /// Symbol.
        stock: [u8; 8],
        /// Price(4).
        price: u32,
        /// Match number.
        match_number: u64,
    },
    /// `Q`.
    CrossTrade {
        /// Shares.
        shares: u64,
        /// Symbol.
        stock: [u8; 8],
        /// Cross price, Price(4).
        price: u32,
        /// Match number.
        match_number: u64,
        /// `O` `C` `H` `I`.
        cross_type: u8,
    },
    /// GLIMPSE 5.0 `G` End of Snapshot: the snapshot before it is the book
    /// as of ITCH message `sequence` (the next live message). It has no
    /// common header on the wire: encoding ignores [`Message::header`] and
    /// decoding gives a default one.
    EndOfSnapshot {
        /// First ITCH sequence number after the snapshot.
        sequence: u64,
    },
}

/// One ITCH 5.0 message.
///
/// ```
/// use rtes_mdfeed::itch::{Body, Header, Message};
/// let message = Message {
///     header: Header { stock_locate: 1, tracking_number: 0, timestamp_ns: 42 },
///     body: Body::OrderDelete { order_ref: 7 },
/// };
/// let mut buffer = [0u8; 64];
/// let len = message.encode(&mut buffer).unwrap();
/// assert_eq!(len, 19);
/// assert_eq!(Message::decode(&buffer[..len]).unwrap(), message);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message {
    /// Common header.
    pub header: Header,
    /// Type-specific fields.
    pub body: Body,
}

/// Why bytes could not be decoded (or a message encoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ItchError {
    /// No bytes at all.
    #[error("empty message")]
    Empty,
    /// A type byte this codec does not handle.
    #[error("unknown ITCH message type {0:#04x}")]
    UnknownType(u8),
    /// The length does not match the type's fixed size.
    #[error("ITCH message type {message_type:#04x} has {length} bytes, expected {expected}")]
    WrongLength {
        /// Type byte.
        message_type: u8,
        /// Bytes given.
        length: usize,
        /// Bytes the type has.
        expected: usize,
    },
    /// A side byte other than `B` or `S`.
    #[error("invalid side byte {0:#04x}")]
    InvalidSide(u8),
    /// An ASCII number field that is not digits padded with spaces.
    #[error("ITCH message type {0:#04x} has an invalid ASCII number")]
    InvalidNumber(u8),
    /// The output buffer is too small.
    #[error("message needs {needed} bytes, buffer has {available}")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
}

/// `value` as 20 ASCII digits padded with spaces on the left.
fn ascii_number(value: u64) -> [u8; 20] {
    let mut out = [b' '; 20];
    let mut rest = value;
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out
}

/// Digits with optional spaces around them; `None` otherwise.
fn parse_ascii_number(field: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(field).ok()?.trim_matches(' ');
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn check_side(side: u8) -> Result<u8, ItchError> {
    match side {
        b'B' | b'S' => Ok(side),
        other => Err(ItchError::InvalidSide(other)),
    }
}

/// Builds a record's common header fields.
macro_rules! record {
    ($ty:ident, $code:expr, $header:expr, { $($field:ident : $value:expr),* $(,)? }) => {
        $ty {
            message_type: $code,
            stock_locate: U16::new($header.stock_locate),
            tracking_number: U16::new($header.tracking_number),
            timestamp: write_u48($header.timestamp_ns),
            $($field: $value,)*
        }
    };
}

fn write_record<R: IntoBytes + zerocopy::Immutable>(
    record: &R,
    out: &mut [u8],
) -> Result<usize, ItchError> {
    let bytes = record.as_bytes();
    let Some(target) = out.get_mut(..bytes.len()) else {
        return Err(ItchError::BufferTooSmall {
            needed: bytes.len(),
            available: out.len(),
        });
    };
    target.copy_from_slice(bytes);
    Ok(bytes.len())
}

fn read_record<R: FromBytes + zerocopy::KnownLayout + zerocopy::Immutable>(
    bytes: &[u8],
) -> Result<&R, ItchError> {
    R::ref_from_bytes(bytes).map_err(|_| ItchError::WrongLength {
        message_type: bytes[0],
        length: bytes.len(),
        expected: core::mem::size_of::<R>(),
    })
}

impl Message {
    /// The type byte of this message.
    pub fn message_type(&self) -> u8 {
        use message_type::*;
        match self.body {
            Body::SystemEvent { .. } => SYSTEM_EVENT,
            Body::StockDirectory(_) => STOCK_DIRECTORY,
            Body::TradingAction { .. } => TRADING_ACTION,
            Body::AddOrder { .. } => ADD_ORDER,
            Body::OrderExecuted { .. } => ORDER_EXECUTED,
            Body::OrderExecutedWithPrice { .. } => ORDER_EXECUTED_WITH_PRICE,
            Body::OrderCancel { .. } => ORDER_CANCEL,
            Body::OrderDelete { .. } => ORDER_DELETE,
            Body::OrderReplace { .. } => ORDER_REPLACE,
            Body::Trade { .. } => TRADE,
            Body::CrossTrade { .. } => CROSS_TRADE,
            Body::EndOfSnapshot { .. } => END_OF_SNAPSHOT,
        }
    }

    /// Encoded length in bytes.
    pub fn encoded_len(&self) -> usize {
        encoded_len(self.message_type()).unwrap_or(0)
    }

    /// Writes the message into `out`; returns the bytes written. Does not
    /// allocate.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ItchError> {
        use message_type::*;
        let h = self.header;
        match self.body {
            Body::SystemEvent { event_code } => write_record(
                &record!(SystemEventRecord, SYSTEM_EVENT, h, { event_code: event_code }),
                out,
            ),
            Body::StockDirectory(d) => write_record(
                &record!(StockDirectoryRecord, STOCK_DIRECTORY, h, {
                    stock: d.stock,
                    market_category: d.market_category,
                    financial_status: d.financial_status,
                    round_lot_size: U32::new(d.round_lot_size),
                    round_lots_only: d.round_lots_only,
                    issue_classification: d.issue_classification,
                    issue_sub_type: d.issue_sub_type,
                    authenticity: d.authenticity,
                    short_sale_threshold: d.short_sale_threshold,
                    ipo_flag: d.ipo_flag,
                    luld_tier: d.luld_tier,
                    etp_flag: d.etp_flag,
                    etp_leverage: U32::new(d.etp_leverage),
                    inverse: d.inverse,
                }),
                out,
            ),
            Body::TradingAction {
                stock,
                trading_state,
                reason,
            } => write_record(
                &record!(TradingActionRecord, TRADING_ACTION, h, {
                    stock: stock, trading_state: trading_state, reserved: b' ', reason: reason,
                }),
                out,
            ),
            Body::AddOrder {
                order_ref,
                side,
                shares,
                stock,
                price,
            } => write_record(
                &record!(AddOrderRecord, ADD_ORDER, h, {
                    order_ref: U64::new(order_ref), side: side, shares: U32::new(shares),
                    stock: stock, price: U32::new(price),
                }),
                out,
            ),
            Body::OrderExecuted {
                order_ref,
                shares,
                match_number,
            } => write_record(
                &record!(OrderExecutedRecord, ORDER_EXECUTED, h, {
                    order_ref: U64::new(order_ref), shares: U32::new(shares),
                    match_number: U64::new(match_number),
                }),
                out,
            ),
            Body::OrderExecutedWithPrice {
                order_ref,
                shares,
                match_number,
                printable,
                price,
            } => write_record(
                &record!(OrderExecutedWithPriceRecord, ORDER_EXECUTED_WITH_PRICE, h, {
                    order_ref: U64::new(order_ref), shares: U32::new(shares),
                    match_number: U64::new(match_number), printable: printable,
                    price: U32::new(price),
                }),
                out,
            ),
            Body::OrderCancel { order_ref, shares } => write_record(
                &record!(OrderCancelRecord, ORDER_CANCEL, h, {
                    order_ref: U64::new(order_ref), shares: U32::new(shares),
                }),
                out,
            ),
            Body::OrderDelete { order_ref } => write_record(
                &record!(OrderDeleteRecord, ORDER_DELETE, h, { order_ref: U64::new(order_ref) }),
                out,
            ),
            Body::OrderReplace {
                original_order_ref,
                new_order_ref,
                shares,
                price,
            } => write_record(
                &record!(OrderReplaceRecord, ORDER_REPLACE, h, {
                    original_order_ref: U64::new(original_order_ref),
                    new_order_ref: U64::new(new_order_ref),
                    shares: U32::new(shares), price: U32::new(price),
                }),
                out,
            ),
            Body::Trade {
                order_ref,
                side,
                shares,
                stock,
                price,
                match_number,
            } => write_record(
                &record!(TradeRecord, TRADE, h, {
                    order_ref: U64::new(order_ref), side: side, shares: U32::new(shares),
                    stock: stock, price: U32::new(price), match_number: U64::new(match_number),
                }),
                out,
            ),
            Body::CrossTrade {
                shares,
                stock,
                price,
                match_number,
                cross_type,
            } => write_record(
                &record!(CrossTradeRecord, CROSS_TRADE, h, {
                    shares: U64::new(shares), stock: stock, cross_price: U32::new(price),
                    match_number: U64::new(match_number), cross_type: cross_type,
                }),
                out,
            ),
            Body::EndOfSnapshot { sequence } => write_record(
                &EndOfSnapshotRecord {
                    message_type: END_OF_SNAPSHOT,
                    sequence_number: ascii_number(sequence),
                },
                out,
            ),
        }
    }

    /// Decodes one message from exactly its bytes. Never panics.
    pub fn decode(bytes: &[u8]) -> Result<Message, ItchError> {
        use message_type::*;
        let Some(&message_type) = bytes.first() else {
            return Err(ItchError::Empty);
        };
        let expected = encoded_len(message_type).ok_or(ItchError::UnknownType(message_type))?;
        if bytes.len() != expected {
            return Err(ItchError::WrongLength {
                message_type,
                length: bytes.len(),
                expected,
            });
        }
        macro_rules! header {
            ($r:expr) => {
                Header {
                    stock_locate: $r.stock_locate.get(),
                    tracking_number: $r.tracking_number.get(),
                    timestamp_ns: read_u48($r.timestamp),
                }
            };
        }
        let (header, body) = match message_type {
            SYSTEM_EVENT => {
                let r: &SystemEventRecord = read_record(bytes)?;
                (
                    header!(r),
                    Body::SystemEvent {
                        event_code: r.event_code,
                    },
                )
            }
            STOCK_DIRECTORY => {
                let r: &StockDirectoryRecord = read_record(bytes)?;
                let directory = StockDirectory {
                    stock: r.stock,
                    market_category: r.market_category,
                    financial_status: r.financial_status,
                    round_lot_size: r.round_lot_size.get(),
                    round_lots_only: r.round_lots_only,
                    issue_classification: r.issue_classification,
                    issue_sub_type: r.issue_sub_type,
                    authenticity: r.authenticity,
                    short_sale_threshold: r.short_sale_threshold,
                    ipo_flag: r.ipo_flag,
                    luld_tier: r.luld_tier,
                    etp_flag: r.etp_flag,
                    etp_leverage: r.etp_leverage.get(),
                    inverse: r.inverse,
                };
                (header!(r), Body::StockDirectory(directory))
            }
            TRADING_ACTION => {
                let r: &TradingActionRecord = read_record(bytes)?;
                let body = Body::TradingAction {
                    stock: r.stock,
                    trading_state: r.trading_state,
                    reason: r.reason,
                };
                (header!(r), body)
            }
            ADD_ORDER => {
                let r: &AddOrderRecord = read_record(bytes)?;
                let body = Body::AddOrder {
                    order_ref: r.order_ref.get(),
                    side: check_side(r.side)?,
                    shares: r.shares.get(),
                    stock: r.stock,
                    price: r.price.get(),
                };
                (header!(r), body)
            }
            ORDER_EXECUTED => {
                let r: &OrderExecutedRecord = read_record(bytes)?;
                let body = Body::OrderExecuted {
                    order_ref: r.order_ref.get(),
                    shares: r.shares.get(),
                    match_number: r.match_number.get(),
                };
                (header!(r), body)
            }
            ORDER_EXECUTED_WITH_PRICE => {
                let r: &OrderExecutedWithPriceRecord = read_record(bytes)?;
                let body = Body::OrderExecutedWithPrice {
                    order_ref: r.order_ref.get(),
                    shares: r.shares.get(),
                    match_number: r.match_number.get(),
                    printable: r.printable,
                    price: r.price.get(),
                };
                (header!(r), body)
            }
            ORDER_CANCEL => {
                let r: &OrderCancelRecord = read_record(bytes)?;
                let body = Body::OrderCancel {
                    order_ref: r.order_ref.get(),
                    shares: r.shares.get(),
                };
                (header!(r), body)
            }
            ORDER_DELETE => {
                let r: &OrderDeleteRecord = read_record(bytes)?;
                (
                    header!(r),
                    Body::OrderDelete {
                        order_ref: r.order_ref.get(),
                    },
                )
            }
            ORDER_REPLACE => {
                let r: &OrderReplaceRecord = read_record(bytes)?;
                let body = Body::OrderReplace {
                    original_order_ref: r.original_order_ref.get(),
                    new_order_ref: r.new_order_ref.get(),
                    shares: r.shares.get(),
                    price: r.price.get(),
                };
                (header!(r), body)
            }
            TRADE => {
                let r: &TradeRecord = read_record(bytes)?;
                let body = Body::Trade {
                    order_ref: r.order_ref.get(),
                    side: check_side(r.side)?,
                    shares: r.shares.get(),
                    stock: r.stock,
                    price: r.price.get(),
                    match_number: r.match_number.get(),
                };
                (header!(r), body)
            }
            CROSS_TRADE => {
                let r: &CrossTradeRecord = read_record(bytes)?;
                let body = Body::CrossTrade {
                    shares: r.shares.get(),
                    stock: r.stock,
                    price: r.cross_price.get(),
                    match_number: r.match_number.get(),
                    cross_type: r.cross_type,
                };
                (header!(r), body)
            }
            END_OF_SNAPSHOT => {
                let r: &EndOfSnapshotRecord = read_record(bytes)?;
                let sequence = parse_ascii_number(&r.sequence_number)
                    .ok_or(ItchError::InvalidNumber(END_OF_SNAPSHOT))?;
                (Header::default(), Body::EndOfSnapshot { sequence })
            }
            other => return Err(ItchError::UnknownType(other)),
        };
        Ok(Message { header, body })
    }
}

/// Fixed encoded length of a message type this codec handles.
pub fn encoded_len(message_type: u8) -> Option<usize> {
    use core::mem::size_of;
    use message_type::*;
    Some(match message_type {
        SYSTEM_EVENT => size_of::<SystemEventRecord>(),
        STOCK_DIRECTORY => size_of::<StockDirectoryRecord>(),
        TRADING_ACTION => size_of::<TradingActionRecord>(),
        ADD_ORDER => size_of::<AddOrderRecord>(),
        ORDER_EXECUTED => size_of::<OrderExecutedRecord>(),
        ORDER_EXECUTED_WITH_PRICE => size_of::<OrderExecutedWithPriceRecord>(),
        ORDER_CANCEL => size_of::<OrderCancelRecord>(),
        ORDER_DELETE => size_of::<OrderDeleteRecord>(),
        ORDER_REPLACE => size_of::<OrderReplaceRecord>(),
        TRADE => size_of::<TradeRecord>(),
        CROSS_TRADE => size_of::<CrossTradeRecord>(),
        END_OF_SNAPSHOT => size_of::<EndOfSnapshotRecord>(),
        _ => return None,
    })
}

/// Pads a symbol to the 8-byte alpha field (truncating past 8 bytes).
///
/// ```
/// assert_eq!(&rtes_mdfeed::itch::stock_field("AAPL"), b"AAPL    ");
/// ```
pub fn stock_field(symbol: &str) -> [u8; 8] {
    let mut out = [b' '; 8];
    for (slot, byte) in out.iter_mut().zip(symbol.bytes()) {
        *slot = byte;
    }
    out
}
