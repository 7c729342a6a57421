//! Sans-I/O SoupBinTCP framing: find complete packets in a byte stream.
//!
//! Two ways to use it:
//! - [`decode_frame`] works over the caller's own buffer and says how many
//!   bytes the packet took;
//! - [`FrameDecoder`] owns one fixed buffer, allocated at construction, that
//!   the caller fills from the socket ([`FrameDecoder::spare_capacity`] +
//!   [`FrameDecoder::commit`], or [`FrameDecoder::feed`]) and drains with
//!   [`FrameDecoder::next_frame`].
//!
//! SoupBinTCP has no way to find the next packet after a bad length field,
//! so [`SoupError::ZeroLength`] and [`SoupError::TooLong`] are fatal: the
//! decoder keeps answering them and the session should be closed. An unknown
//! type or a wrong length for a known type still has a trustworthy length
//! field; the decoder skips that packet and the caller decides whether to
//! carry on.

use super::packet::{parse_frame, Packet};
use super::SoupError;

/// Largest packet length (type byte and payload) accepted by default. The
/// longest OUCH 4.2 message is 80 bytes; 1024 leaves room for Debug text.
pub const DEFAULT_PACKET_LENGTH_MAX: u16 = 1024;

/// Where a frame ends, if `window` holds one: `Ok(Some(total bytes))`,
/// `Ok(None)` when more bytes are needed.
fn frame_extent(window: &[u8], packet_length_max: u16) -> Result<Option<usize>, SoupError> {
    let Some(length_bytes) = window.get(..2) else {
        return Ok(None);
    };
    let length = u16::from_be_bytes([length_bytes[0], length_bytes[1]]);
    if length == 0 {
        return Err(SoupError::ZeroLength);
    }
    if length > packet_length_max {
        return Err(SoupError::TooLong {
            length,
            max: packet_length_max,
        });
    }
    let total = 2 + usize::from(length);
    Ok((window.len() >= total).then_some(total))
}

/// Decodes the packet at the start of `buffer`: `Ok(Some((packet, bytes
/// used)))`, or `Ok(None)` when `buffer` does not yet hold a whole packet.
///
/// On [`SoupError::UnknownType`] or [`SoupError::WrongLength`] the packet is
/// `2 + length` bytes long (read the length field) and may be skipped.
///
/// ```
/// use rtes_gateway::soupbin::{decode_frame, Packet};
/// let stream = b"\x00\x01R\x00\x03Uhi";
/// let (packet, used) = decode_frame(stream, 1024).unwrap().unwrap();
/// assert_eq!((packet, used), (Packet::ClientHeartbeat, 3));
/// let (packet, _) = decode_frame(&stream[used..], 1024).unwrap().unwrap();
/// assert_eq!(packet, Packet::UnsequencedData(b"hi"));
/// assert_eq!(decode_frame(&stream[3..6], 1024), Ok(None));
/// ```
pub fn decode_frame(
    buffer: &[u8],
    packet_length_max: u16,
) -> Result<Option<(Packet<'_>, usize)>, SoupError> {
    match frame_extent(buffer, packet_length_max)? {
        None => Ok(None),
        Some(total) => parse_frame(&buffer[..total]).map(|packet| Some((packet, total))),
    }
}

/// Limits of a [`FrameDecoder`], fixed at construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameDecoderConfig {
    /// Largest packet length field accepted (type byte + payload).
    pub packet_length_max: u16,
    /// Bytes of receive buffer; at least `packet_length_max + 2`.
    pub buffer_capacity: usize,
}

impl Default for FrameDecoderConfig {
    fn default() -> Self {
        FrameDecoderConfig {
            packet_length_max: DEFAULT_PACKET_LENGTH_MAX,
            buffer_capacity: 16 * 1024,
        }
    }
}

/// An incremental decoder with one fixed buffer: it never grows, so a peer
/// cannot make it hold more than `buffer_capacity` bytes.
///
/// ```
/// use rtes_gateway::soupbin::{FrameDecoder, FrameDecoderConfig, Packet};
/// let mut decoder = FrameDecoder::new(FrameDecoderConfig::default());
/// assert_eq!(decoder.feed(b"\x00\x03U"), 3);
/// assert_eq!(decoder.next_frame(), Ok(None));
/// decoder.feed(b"hi\x00\x01R");
/// assert_eq!(decoder.next_frame(), Ok(Some(Packet::UnsequencedData(b"hi"))));
/// assert_eq!(decoder.next_frame(), Ok(Some(Packet::ClientHeartbeat)));
/// assert_eq!(decoder.next_frame(), Ok(None));
/// ```
#[derive(Debug)]
pub struct FrameDecoder {
    buffer: Box<[u8]>,
    /// First unread byte.
    start: usize,
    /// One past the last byte written.
    end: usize,
    packet_length_max: u16,
}

impl FrameDecoder {
    /// Allocates the buffer; the only allocation the decoder ever makes.
    ///
    /// # Panics
    /// When `buffer_capacity < packet_length_max + 2`: such a decoder could
    /// never hold a maximum-size packet, a configuration bug.
    pub fn new(config: FrameDecoderConfig) -> Self {
        assert!(
            config.buffer_capacity >= usize::from(config.packet_length_max) + 2,
            "buffer_capacity must hold one packet of packet_length_max"
        );
        assert!(
            config.packet_length_max >= 1,
            "packet_length_max must allow the type byte"
        );
        FrameDecoder {
            buffer: vec![0u8; config.buffer_capacity].into_boxed_slice(),
            start: 0,
            end: 0,
            packet_length_max: config.packet_length_max,
        }
    }

    /// Bytes received and not yet returned as packets.
    pub fn buffered_len(&self) -> usize {
        self.end - self.start
    }

    /// Moves unread bytes to the front and returns the free tail, for a
    /// socket `read` to fill; report what was read with [`commit`](Self::commit).
    pub fn spare_capacity(&mut self) -> &mut [u8] {
        self.compact();
        &mut self.buffer[self.end..]
    }

    /// Marks `count` bytes of the spare capacity as received.
    ///
    /// # Panics
    /// When `count` is more than the spare capacity (a caller bug).
    pub fn commit(&mut self, count: usize) {
        assert!(
            count <= self.buffer.len() - self.end,
            "commit beyond the spare capacity"
        );
        self.end += count;
    }

    /// Copies as much of `data` as fits and returns how many bytes were
    /// taken; the caller offers the rest again after draining packets.
    pub fn feed(&mut self, data: &[u8]) -> usize {
        let spare = self.spare_capacity();
        let taken = data.len().min(spare.len());
        spare[..taken].copy_from_slice(&data[..taken]);
        self.end += taken;
        taken
    }

    /// The next complete packet, `Ok(None)` when more bytes are needed.
    /// A packet with an unknown type or a wrong length is consumed and
    /// reported as an error; a zero or oversize length field is fatal and
    /// reported again on every call.
    pub fn next_frame(&mut self) -> Result<Option<Packet<'_>>, SoupError> {
        let window = &self.buffer[self.start..self.end];
        let Some(total) = frame_extent(window, self.packet_length_max)? else {
            return Ok(None);
        };
        let frame_start = self.start;
        self.start += total;
        if self.start == self.end {
            // Empty again: restart at the front so spare capacity stays
            // large without a copy. The frame's bytes are left in place.
            self.start = 0;
            self.end = 0;
        }
        parse_frame(&self.buffer[frame_start..frame_start + total]).map(Some)
    }

    fn compact(&mut self) {
        if self.start > 0 {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }
}
