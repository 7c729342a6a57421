//! SoupBinTCP 4.00 wire records.
//!
//! Every packet starts with a big-endian `u16` packet length (the bytes after
//! the length field, type byte included) and a one-byte packet type. Each
//! fixed-size packet has a record here that covers the whole packet, header
//! included, so a record can be viewed straight out of a receive buffer.
//! Packets with a free-form payload (`S`, `U`, `+`) are a [`PacketHeader`]
//! followed by the payload bytes.

use zerocopy::byteorder::big_endian::U16;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// Bytes of the length field plus the type byte.
pub const HEADER_LEN: usize = 3;

/// Wire packet type codes.
pub mod packet_type {
    /// `+` Debug (either direction), free text.
    pub const DEBUG: u8 = b'+';
    /// `A` Login Accepted (server to client).
    pub const LOGIN_ACCEPTED: u8 = b'A';
    /// `J` Login Rejected (server to client).
    pub const LOGIN_REJECTED: u8 = b'J';
    /// `S` Sequenced Data (server to client).
    pub const SEQUENCED_DATA: u8 = b'S';
    /// `H` Server Heartbeat.
    pub const SERVER_HEARTBEAT: u8 = b'H';
    /// `Z` End of Session (server to client).
    pub const END_OF_SESSION: u8 = b'Z';
    /// `L` Login Request (client to server).
    pub const LOGIN_REQUEST: u8 = b'L';
    /// `U` Unsequenced Data (client to server).
    pub const UNSEQUENCED_DATA: u8 = b'U';
    /// `R` Client Heartbeat.
    pub const CLIENT_HEARTBEAT: u8 = b'R';
    /// `O` Logout Request (client to server).
    pub const LOGOUT_REQUEST: u8 = b'O';
}

/// Packet length values (type byte included) of the fixed-size packets.
pub mod packet_length {
    /// Login Request, SoupBinTCP 4.00.
    pub const LOGIN_REQUEST: u16 = 47;
    /// Login Request with the 4.1-style trailing heartbeat-timeout field.
    pub const LOGIN_REQUEST_WITH_TIMEOUT: u16 = 52;
    /// Login Accepted.
    pub const LOGIN_ACCEPTED: u16 = 31;
    /// Login Rejected.
    pub const LOGIN_REJECTED: u16 = 2;
    /// Heartbeats, Logout Request and End of Session: the type byte only.
    pub const EMPTY: u16 = 1;
}

/// The three bytes every packet starts with.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct PacketHeader {
    /// Bytes after this field (type byte included).
    pub packet_length: U16,
    /// Packet type code (see [`packet_type`]).
    pub packet_type: u8,
}

impl PacketHeader {
    /// A header for `packet_type` followed by `payload_len` payload bytes.
    /// The caller guarantees `payload_len + 1` fits a `u16`.
    pub fn new(packet_type: u8, payload_len: u16) -> Self {
        PacketHeader {
            packet_length: U16::new(payload_len + 1),
            packet_type,
        }
    }
}

/// `L` Login Request, SoupBinTCP 4.00 (49 bytes on the wire, length 47).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct LoginRequestRecord {
    /// Length 47, type `L`.
    pub header: PacketHeader,
    /// Username, alpha 6.
    pub username: [u8; 6],
    /// Password, alpha 10.
    pub password: [u8; 10],
    /// Requested session, alpha 10 (blank = the current session).
    pub requested_session: [u8; 10],
    /// Requested sequence number, numeric ASCII 20 (0 = the most recent).
    pub requested_sequence_number: [u8; 20],
}

/// `L` Login Request with the 4.1-style trailing requested heartbeat
/// timeout (54 bytes on the wire, length 52). RTES accepts and reports the
/// field but keeps its configured timeout.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct LoginRequestWithTimeoutRecord {
    /// The 4.00 fields, header length 52.
    pub login: LoginRequestRecord,
    /// Requested heartbeat timeout, numeric ASCII 5.
    pub heartbeat_timeout: [u8; 5],
}

/// `A` Login Accepted (33 bytes on the wire, length 31).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct LoginAcceptedRecord {
    /// Length 31, type `A`.
    pub header: PacketHeader,
    /// Session, alpha 10.
    pub session: [u8; 10],
    /// Sequence number of the next message the client will receive,
    /// numeric ASCII 20.
    pub sequence_number: [u8; 20],
}

/// `J` Login Rejected (4 bytes on the wire, length 2).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct LoginRejectedRecord {
    /// Length 2, type `J`.
    pub header: PacketHeader,
    /// Reject reason code (see [`LoginRejectReason`](super::LoginRejectReason)).
    pub reject_reason_code: u8,
}

/// A packet with no payload: `H`, `R`, `O`, `Z` (3 bytes, length 1).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct EmptyPacketRecord {
    /// Length 1 and the type.
    pub header: PacketHeader,
}

const _: () = assert!(core::mem::size_of::<PacketHeader>() == HEADER_LEN);
const _: () = assert!(core::mem::size_of::<LoginRequestRecord>() == 2 + 47);
const _: () = assert!(core::mem::size_of::<LoginRequestWithTimeoutRecord>() == 2 + 52);
const _: () = assert!(core::mem::size_of::<LoginAcceptedRecord>() == 2 + 31);
const _: () = assert!(core::mem::size_of::<LoginRejectedRecord>() == 2 + 2);
const _: () = assert!(core::mem::size_of::<EmptyPacketRecord>() == 2 + 1);
