//! FIX 4.4 tag=value codec: framing, a zero-allocation decoder over `&[u8]`,
//! an encoder into a reusable buffer, and the field formats (UTCTimestamp,
//! decimal prices) RTES reads and writes.
//!
//! ```
//! use rtes_gateway::fix::codec::{tags, Decoder, Encoder, Frame};
//! let mut encoder = Encoder::with_capacity(512);
//! encoder.begin(b"D");
//! encoder.field_bytes(tags::CL_ORD_ID, b"order-1");
//! encoder.field_u64(tags::ORDER_QTY, 100);
//! let message = encoder.finish().to_vec();
//!
//! assert_eq!(rtes_gateway::fix::codec::frame(&message, 4096), Frame::Complete(message.len()));
//! let mut decoder = Decoder::new(64);
//! let decoded = decoder.decode(&message).unwrap();
//! assert_eq!(decoded.msg_type(), b"D");
//! assert_eq!(decoded.get(tags::CL_ORD_ID), Some(&b"order-1"[..]));
//! ```

mod decimal;
mod decode;
mod encode;
mod fields;
pub mod tags;
mod timestamp;

pub use decimal::{format_decimal, parse_decimal, DecimalError};
pub use decode::{frame, DecodeError, Decoder, Field, FieldError, Frame, GarbleReason, Message};
pub use encode::Encoder;
pub use fields::FieldWriter;
pub use timestamp::{format_utc_timestamp, parse_utc_timestamp, TimestampError};

/// The only BeginString RTES speaks.
pub const BEGIN_STRING: &[u8] = b"FIX.4.4";
/// Field delimiter.
pub const SOH: u8 = 0x01;
