//! MoldUDP64: the packet layer around ITCH on UDP.
//!
//! Downstream packet: Session alpha 10 · Sequence Number u64 (of the first
//! message) · Message Count u16 · then `count` blocks of `u16 length` +
//! message. Count 0 is a heartbeat, 0xFFFF the end of session. A request
//! packet (client → re-request server) is the same 20-byte header where the
//! count is the number of messages wanted.

use zerocopy::byteorder::big_endian::{U16, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// Bytes of the session field.
pub const SESSION_LEN: usize = 10;
/// Bytes of the header.
pub const HEADER_LEN: usize = 20;
/// Message count of an end-of-session packet.
pub const END_OF_SESSION_COUNT: u16 = 0xFFFF;
/// Largest UDP payload on IPv4.
pub const PAYLOAD_LEN_MAX: usize = 65_507;

/// The 20-byte header of every downstream and request packet.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct PacketHeaderRecord {
    /// Session, alpha 10.
    pub session: [u8; SESSION_LEN],
    /// Sequence number of the first message (heartbeat: the next one).
    pub sequence_number: U64,
    /// Messages in the packet (request: messages wanted).
    pub message_count: U16,
}
const _: () = assert!(core::mem::size_of::<PacketHeaderRecord>() == HEADER_LEN);

/// A MoldUDP64 decoding failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoldError {
    /// Fewer than 20 bytes.
    #[error("packet of {0} bytes is shorter than the 20-byte header")]
    Short(usize),
    /// A message block runs past the end of the packet.
    #[error("message block {index} is truncated")]
    Truncated {
        /// Index of the block in the packet.
        index: u16,
    },
    /// Bytes left after the last announced block.
    #[error("{0} bytes after the last message block")]
    TrailingBytes(usize),
    /// A request packet that is not exactly 20 bytes.
    #[error("request packet of {0} bytes, expected 20")]
    BadRequestLength(usize),
}

/// What kind of downstream packet this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketKind {
    /// Count 1..=0xFFFE: messages.
    Messages,
    /// Count 0.
    Heartbeat,
    /// Count 0xFFFF.
    EndOfSession,
}

/// A decoded downstream packet borrowing its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Session name.
    pub session: [u8; SESSION_LEN],
    /// Sequence number of the first message.
    pub sequence_number: u64,
    /// Message count field as sent.
    pub message_count: u16,
    blocks: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Validates a packet: header, and that the blocks exactly fill it.
    pub fn decode(bytes: &'a [u8]) -> Result<Packet<'a>, MoldError> {
        let (header, blocks) = PacketHeaderRecord::ref_from_prefix(bytes)
            .map_err(|_| MoldError::Short(bytes.len()))?;
        let packet = Packet {
            session: header.session,
            sequence_number: header.sequence_number.get(),
            message_count: header.message_count.get(),
            blocks,
        };
        if packet.kind() == PacketKind::Messages {
            let mut rest = blocks;
            for index in 0..packet.message_count {
                rest = split_block(rest).ok_or(MoldError::Truncated { index })?.1;
            }
            if !rest.is_empty() {
                return Err(MoldError::TrailingBytes(rest.len()));
            }
        }
        Ok(packet)
    }

    /// Heartbeat, end of session, or messages.
    pub fn kind(&self) -> PacketKind {
        match self.message_count {
            0 => PacketKind::Heartbeat,
            END_OF_SESSION_COUNT => PacketKind::EndOfSession,
            _ => PacketKind::Messages,
        }
    }

    /// The messages with their sequence numbers (none for heartbeats and end
    /// of session).
    pub fn messages(&self) -> Messages<'a> {
        let remaining = match self.kind() {
            PacketKind::Messages => self.message_count,
            _ => 0,
        };
        Messages {
            rest: self.blocks,
            remaining,
            next_sequence: self.sequence_number,
        }
    }
}

fn split_block(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let length = u16::from_be_bytes([*bytes.first()?, *bytes.get(1)?]) as usize;
    let end = 2 + length;
    if bytes.len() < end {
        return None;
    }
    Some((&bytes[2..end], &bytes[end..]))
}

/// Iterator over `(sequence_number, message bytes)` of a packet.
#[derive(Debug, Clone)]
pub struct Messages<'a> {
    rest: &'a [u8],
    remaining: u16,
    next_sequence: u64,
}

impl<'a> Iterator for Messages<'a> {
    type Item = (u64, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let (message, rest) = split_block(self.rest)?;
        self.rest = rest;
        self.remaining -= 1;
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        Some((sequence, message))
    }
}

/// Builds one downstream packet in a fixed buffer (allocated once).
///
/// ```
/// use rtes_mdfeed::moldudp::{Packet, PacketBuilder};
/// let mut builder = PacketBuilder::new(*b"RTES000001", 1_400);
/// builder.start(5);
/// assert!(builder.push(b"hello"));
/// let packet = Packet::decode(builder.bytes()).unwrap();
/// assert_eq!(packet.messages().collect::<Vec<_>>(), vec![(5, &b"hello"[..])]);
/// ```
#[derive(Debug, Clone)]
pub struct PacketBuilder {
    session: [u8; SESSION_LEN],
    buffer: Vec<u8>,
    len: usize,
    count: u16,
    first_sequence: u64,
}

impl PacketBuilder {
    /// A builder for packets of at most `payload_len_max` bytes.
    pub fn new(session: [u8; SESSION_LEN], payload_len_max: usize) -> PacketBuilder {
        assert!(
            (HEADER_LEN + 2 + 1..=PAYLOAD_LEN_MAX).contains(&payload_len_max),
            "MoldUDP64 payload size {payload_len_max} out of range"
        );
        PacketBuilder {
            session,
            buffer: vec![0; payload_len_max],
            len: HEADER_LEN,
            count: 0,
            first_sequence: 1,
        }
    }

    /// The session name.
    pub fn session(&self) -> [u8; SESSION_LEN] {
        self.session
    }

    /// Starts an empty packet whose first message will be `first_sequence`.
    pub fn start(&mut self, first_sequence: u64) {
        self.len = HEADER_LEN;
        self.count = 0;
        self.first_sequence = first_sequence;
    }

    /// Messages in the packet so far.
    pub fn count(&self) -> u16 {
        self.count
    }

    /// Sequence number of the first message.
    pub fn first_sequence(&self) -> u64 {
        self.first_sequence
    }

    /// Whether the packet has no messages.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether a message of `len` bytes still fits.
    pub fn fits(&self, len: usize) -> bool {
        self.len + 2 + len <= self.buffer.len() && self.count < END_OF_SESSION_COUNT - 1
    }

    /// Appends a message; false (nothing written) if it does not fit.
    pub fn push(&mut self, message: &[u8]) -> bool {
        if !self.fits(message.len()) {
            return false;
        }
        let start = self.len;
        self.buffer[start..start + 2].copy_from_slice(&(message.len() as u16).to_be_bytes());
        self.buffer[start + 2..start + 2 + message.len()].copy_from_slice(message);
        self.len += 2 + message.len();
        self.count += 1;
        true
    }

    /// The finished packet (header written now).
    pub fn bytes(&mut self) -> &[u8] {
        let header = PacketHeaderRecord {
            session: self.session,
            sequence_number: U64::new(self.first_sequence),
            message_count: U16::new(self.count),
        };
        self.buffer[..HEADER_LEN].copy_from_slice(header.as_bytes());
        &self.buffer[..self.len]
    }
}

/// A header-only packet: heartbeat (count 0), end of session (0xFFFF) or a
/// request (count = messages wanted).
///
/// ```
/// let bytes = rtes_mdfeed::moldudp::header_packet(*b"RTES000001", 9, 0);
/// let packet = rtes_mdfeed::moldudp::Packet::decode(&bytes).unwrap();
/// assert_eq!(packet.kind(), rtes_mdfeed::moldudp::PacketKind::Heartbeat);
/// ```
pub fn header_packet(session: [u8; SESSION_LEN], sequence: u64, count: u16) -> [u8; HEADER_LEN] {
    let header = PacketHeaderRecord {
        session,
        sequence_number: U64::new(sequence),
        message_count: U16::new(count),
    };
    let mut out = [0u8; HEADER_LEN];
    out.copy_from_slice(header.as_bytes());
    out
}

/// A retransmission request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// Session asked for.
    pub session: [u8; SESSION_LEN],
    /// First sequence number wanted.
    pub sequence_number: u64,
    /// Messages wanted.
    pub message_count: u16,
}

impl Request {
    /// Decodes a request packet (exactly 20 bytes).
    pub fn decode(bytes: &[u8]) -> Result<Request, MoldError> {
        let header = PacketHeaderRecord::ref_from_bytes(bytes)
            .map_err(|_| MoldError::BadRequestLength(bytes.len()))?;
        Ok(Request {
            session: header.session,
            sequence_number: header.sequence_number.get(),
            message_count: header.message_count.get(),
        })
    }

    /// Encodes the request packet.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        header_packet(self.session, self.sequence_number, self.message_count)
    }
}
