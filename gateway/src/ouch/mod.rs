//! OUCH 4.2: Nasdaq's binary order-entry application protocol, carried in
//! SoupBinTCP `U` (inbound) and `S` (outbound) packets.
//!
//! - [`wire`]: zerocopy records, one per message, sizes pinned at compile time;
//! - [`codes`]: the one-byte code fields as enums;
//! - [`message`]: typed values with [`OuchMessage::encode`] and
//!   [`OuchMessage::from_record`];
//! - [`decode_inbound`] / [`decode_outbound`]: check type and length and
//!   view the bytes as a record, without copying;
//! - [`encode_framed`]: a message inside its SoupBinTCP packet, in one pass;
//! - [`convert`]: OUCH ↔ engine mapping (prices, time in force, display,
//!   reject and cancel reasons, liquidity).
//!
//! Inbound messages are Enter Order `O`, Replace Order `U` and Cancel Order
//! `X` (4.2 has no Modify Order). Outbound: System Event `S`, Accepted `A`,
//! Replaced `U`, Canceled `C`, Executed `E`, Rejected `J`, Broken Trade `B`,
//! Price Correction `K`, Cancel Reject `I`.

pub mod codes;
pub mod convert;

pub mod message;
pub mod wire;

pub use codes::{
    BboWeightIndicator, CancelReason, Capacity, CrossType, CustomerType, Display, EventCode,
    IntermarketSweep, LiquidityFlag, OrderState, RejectReason, Side, TradeCorrectionReason,
};
pub use message::{
    Accepted, AcceptedOrder, BrokenTrade, CancelOrder, CancelReject, Canceled, EnterOrder,
    Executed, Firm, OuchMessage, PriceCorrection, Rejected, ReplaceOrder, Replaced, Stock,
    SystemEvent, Token,
};

use wire::{
    message_type, AcceptedRecord, BrokenTradeRecord, CancelOrderRecord, CancelRejectRecord,
    CanceledRecord, EnterOrderRecord, ExecutedRecord, PriceCorrectionRecord, RejectedRecord,
    ReplaceOrderRecord, ReplacedRecord, SystemEventRecord,
};
use zerocopy::{FromBytes, Immutable, KnownLayout};

/// An OUCH decoding or encoding failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OuchError {
    /// No bytes at all: not even a message type.
    #[error("empty OUCH message")]
    Empty,
    /// A message type not defined for this direction.
    #[error("unknown OUCH message type {message_type:#04x}")]
    UnknownMessageType {
        /// The type byte.
        message_type: u8,
    },
    /// The message is not the length its type has.
    #[error("OUCH message type {message_type:#04x} of {length} bytes, expected {expected}")]
    WrongLength {
        /// The type byte.
        message_type: u8,
        /// Bytes received.
        length: usize,
        /// Bytes the type has.
        expected: usize,
    },
    /// A code field holds a byte the spec does not define.
    #[error("field {field} holds the undefined code {byte:#04x}")]
    InvalidCode {
        /// Field name.
        field: &'static str,
        /// The byte.
        byte: u8,
    },
    /// The output buffer is too small.
    #[error("message needs {needed} bytes, the buffer has {available}")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
}

/// A client-to-server message, viewed in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundMessage<'a> {
    /// `O` Enter Order.
    EnterOrder(&'a EnterOrderRecord),
    /// `U` Replace Order.
    ReplaceOrder(&'a ReplaceOrderRecord),
    /// `X` Cancel Order.
    CancelOrder(&'a CancelOrderRecord),
}

/// A server-to-client message, viewed in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboundMessage<'a> {
    /// `S` System Event.
    SystemEvent(&'a SystemEventRecord),
    /// `A` Accepted.
    Accepted(&'a AcceptedRecord),
    /// `U` Replaced.
    Replaced(&'a ReplacedRecord),
    /// `C` Canceled.
    Canceled(&'a CanceledRecord),
    /// `E` Executed.
    Executed(&'a ExecutedRecord),
    /// `J` Rejected.
    Rejected(&'a RejectedRecord),
    /// `B` Broken Trade.
    BrokenTrade(&'a BrokenTradeRecord),
    /// `K` Price Correction.
    PriceCorrection(&'a PriceCorrectionRecord),
    /// `I` Cancel Reject.
    CancelReject(&'a CancelRejectRecord),
}

/// Views `message` as record `T` after checking its exact length.
fn view<T: FromBytes + KnownLayout + Immutable>(message: &[u8]) -> Result<&T, OuchError> {
    T::ref_from_bytes(message).map_err(|_| OuchError::WrongLength {
        message_type: message[0],
        length: message.len(),
        expected: core::mem::size_of::<T>(),
    })
}

/// Decodes one client message (the payload of a SoupBinTCP `U` packet).
/// Only the type and length are checked; code fields are checked by
/// [`OuchMessage::from_record`] or [`convert`], which know the reject code.
///
/// ```
/// use rtes_gateway::ouch::{decode_inbound, InboundMessage};
/// let mut bytes = [b' '; 19];
/// bytes[0] = b'X';
/// bytes[15..].copy_from_slice(&0u32.to_be_bytes());
/// let InboundMessage::CancelOrder(cancel) = decode_inbound(&bytes).unwrap() else { panic!() };
/// assert_eq!(cancel.shares.get(), 0);
/// ```
pub fn decode_inbound(message: &[u8]) -> Result<InboundMessage<'_>, OuchError> {
    let &kind = message.first().ok_or(OuchError::Empty)?;
    Ok(match kind {
        message_type::ENTER_ORDER => InboundMessage::EnterOrder(view(message)?),
        message_type::REPLACE_ORDER => InboundMessage::ReplaceOrder(view(message)?),
        message_type::CANCEL_ORDER => InboundMessage::CancelOrder(view(message)?),
        _ => return Err(OuchError::UnknownMessageType { message_type: kind }),
    })
}

/// Decodes one server message (the payload of a SoupBinTCP `S` packet);
/// for clients, tools and tests.
pub fn decode_outbound(message: &[u8]) -> Result<OutboundMessage<'_>, OuchError> {
    let &kind = message.first().ok_or(OuchError::Empty)?;
    Ok(match kind {
        message_type::SYSTEM_EVENT => OutboundMessage::SystemEvent(view(message)?),
        message_type::ACCEPTED => OutboundMessage::Accepted(view(message)?),
        message_type::REPLACED => OutboundMessage::Replaced(view(message)?),
        message_type::CANCELED => OutboundMessage::Canceled(view(message)?),
        message_type::EXECUTED => OutboundMessage::Executed(view(message)?),
        message_type::REJECTED => OutboundMessage::Rejected(view(message)?),
        message_type::BROKEN_TRADE => OutboundMessage::BrokenTrade(view(message)?),
        message_type::PRICE_CORRECTION => OutboundMessage::PriceCorrection(view(message)?),
        message_type::CANCEL_REJECT => OutboundMessage::CancelReject(view(message)?),
        _ => return Err(OuchError::UnknownMessageType { message_type: kind }),
    })
}

/// Writes `message` wrapped in a SoupBinTCP packet of `packet_type` (`S`
/// from the server, `U` from a client) at the start of `out`, in one pass
/// and without a copy; returns the bytes written.
///
/// ```
/// use rtes_gateway::ouch::{encode_framed, SystemEvent, EventCode};
/// let event = SystemEvent { timestamp_ns: 1, event_code: EventCode::EndOfDay };
/// let mut out = [0u8; 64];
/// let written = encode_framed(b'S', &event, &mut out).unwrap();
/// assert_eq!(&out[..4], b"\x00\x0bSS");
/// assert_eq!(written, 13);
/// ```
pub fn encode_framed<M: OuchMessage>(
    packet_type: u8,
    message: &M,
    out: &mut [u8],
) -> Result<usize, OuchError> {
    use crate::soupbin::HEADER_LEN;
    let needed = HEADER_LEN + core::mem::size_of::<M::Record>();
    if out.len() < needed {
        return Err(OuchError::BufferTooSmall {
            needed,
            available: out.len(),
        });
    }
    let written = message.encode(&mut out[HEADER_LEN..])?;
    // OUCH messages are at most 80 bytes, so the length always fits.
    let length = (written + 1) as u16;
    out[..2].copy_from_slice(&length.to_be_bytes());
    out[2] = packet_type;
    Ok(HEADER_LEN + written)
}
