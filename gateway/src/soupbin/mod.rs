//! SoupBinTCP 4.00: Nasdaq's session layer over TCP (framing, login,
//! heartbeats, sequenced delivery) that carries OUCH.
//!
//! - [`wire`]: zerocopy records for every fixed-size packet;
//! - [`Packet`]: one decoded packet borrowing the receive buffer, and its
//!   encoder [`Packet::encode_into`];
//! - [`decode_frame`] / [`FrameDecoder`]: sans-I/O framing with a fixed
//!   maximum packet length and a fixed buffer;
//! - [`ascii`]: alpha and numeric-ASCII field helpers.
//!
//! Nothing here allocates after [`FrameDecoder::new`].

pub mod ascii;
mod frame;
mod packet;
pub mod wire;

pub use frame::{decode_frame, FrameDecoder, FrameDecoderConfig, DEFAULT_PACKET_LENGTH_MAX};
pub use packet::{write_header, LoginRejectReason, Packet};
pub use wire::HEADER_LEN;

use ascii::FieldError;

/// A SoupBinTCP framing, decoding or encoding failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SoupError {
    /// A length field of 0: there is not even a type byte. Fatal.
    #[error("packet length 0 (no packet type)")]
    ZeroLength,
    /// A length field over the configured maximum. Fatal.
    #[error("packet length {length} is over the maximum {max}")]
    TooLong {
        /// The length field.
        length: u16,
        /// The configured maximum.
        max: u16,
    },
    /// A packet type SoupBinTCP 4.00 does not define.
    #[error("unknown packet type {packet_type:#04x}")]
    UnknownType {
        /// The type byte.
        packet_type: u8,
    },
    /// A fixed-size packet whose length field is not the one its type has.
    #[error("packet type {packet_type:#04x} with length {length}, expected {expected}")]
    WrongLength {
        /// The type byte.
        packet_type: u8,
        /// The length field.
        length: u16,
        /// The length the type requires.
        expected: u16,
    },
    /// The output buffer is too small for the packet.
    #[error("packet needs {needed} bytes, the buffer has {available}")]
    BufferTooSmall {
        /// Bytes the packet needs.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// A payload too long for the 16-bit length field.
    #[error("payload of {length} bytes does not fit a SoupBinTCP packet")]
    PayloadTooLong {
        /// Payload bytes.
        length: usize,
    },
    /// An alpha or numeric field could not be written or read.
    #[error("field: {0}")]
    Field(#[from] FieldError),
}
