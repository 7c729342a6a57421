//! Encoding into a reusable buffer. The body is written first at a fixed
//! offset; [`Encoder::finish`] then writes BeginString and BodyLength right
//! before it and appends CheckSum, so nothing is moved or allocated.

use super::decimal::format_decimal;
use super::decode::checksum;
use super::timestamp::format_utc_timestamp;
use super::{BEGIN_STRING, SOH};

/// `8=FIX.4.4<SOH>` plus the longest `9=nnnnnnn<SOH>`.
const HEADER_RESERVE: usize = 2 + BEGIN_STRING.len() + 1 + 2 + 7 + 1;

/// Builds one message at a time in a buffer reused across messages.
///
/// ```
/// use rtes_gateway::fix::codec::{tags, Encoder};
/// let mut encoder = Encoder::with_capacity(256);
/// encoder.begin(b"0");
/// assert_eq!(encoder.finish(), b"8=FIX.4.4\x019=5\x0135=0\x0110=163\x01");
/// ```
#[derive(Debug, Clone)]
pub struct Encoder {
    buffer: Vec<u8>,
    start: usize,
}

impl Encoder {
    /// An encoder whose buffer holds `capacity` bytes before it must grow.
    pub fn with_capacity(capacity: usize) -> Encoder {
        Encoder {
            buffer: Vec::with_capacity(capacity.max(HEADER_RESERVE + 64)),
            start: 0,
        }
    }

    /// Starts a message of type `msg_type` (35 is written first, as the
    /// spec requires).
    pub fn begin(&mut self, msg_type: &[u8]) {
        self.buffer.clear();
        self.buffer.resize(HEADER_RESERVE, 0);
        self.field_bytes(super::tags::MSG_TYPE, msg_type);
    }

    /// Appends `tag=value<SOH>`. `value` must not contain SOH.
    pub fn field_bytes(&mut self, tag: u32, value: &[u8]) {
        debug_assert!(!value.contains(&SOH), "tag {tag} value contains SOH");
        self.tag(tag);
        self.buffer.extend_from_slice(value);
        self.buffer.push(SOH);
    }

    /// Appends an unsigned integer field.
    pub fn field_u64(&mut self, tag: u32, value: u64) {
        self.tag(tag);
        let mut digits = itoa::Buffer::new();
        self.buffer
            .extend_from_slice(digits.format(value).as_bytes());
        self.buffer.push(SOH);
    }

    /// Appends a single-character field.
    pub fn field_char(&mut self, tag: u32, value: u8) {
        self.field_bytes(tag, &[value]);
    }

    /// Appends a decimal field: `value` in units of 10^-`decimals`.
    pub fn field_decimal(&mut self, tag: u32, value: i64, decimals: u32) {
        self.tag(tag);
        format_decimal(value, decimals, &mut self.buffer);
        self.buffer.push(SOH);
    }

    /// Appends a UTCTimestamp field (millisecond precision, as FIX 4.4 defines it).
    pub fn field_timestamp(&mut self, tag: u32, utc_ns: u64) {
        self.tag(tag);
        format_utc_timestamp(utc_ns, &mut self.buffer);
        self.buffer.push(SOH);
    }

    /// Appends already formatted `tag=value<SOH>...` fields verbatim.
    pub fn raw_fields(&mut self, fields: &[u8]) {
        debug_assert!(fields.is_empty() || fields.last() == Some(&SOH));
        self.buffer.extend_from_slice(fields);
    }

    fn tag(&mut self, tag: u32) {
        let mut digits = itoa::Buffer::new();
        self.buffer.extend_from_slice(digits.format(tag).as_bytes());
        self.buffer.push(b'=');
    }

    /// Writes BeginString, BodyLength and CheckSum; returns the message.
    pub fn finish(&mut self) -> &[u8] {
        let body_length = self.buffer.len() - HEADER_RESERVE;
        let mut digits = itoa::Buffer::new();
        let length_text = digits.format(body_length).as_bytes();
        assert!(length_text.len() <= 7, "message body over 9,999,999 bytes");
        let header_len = 2 + BEGIN_STRING.len() + 1 + 2 + length_text.len() + 1;
        self.start = HEADER_RESERVE - header_len;
        let header = &mut self.buffer[self.start..HEADER_RESERVE];
        let (begin, length) = header.split_at_mut(2 + BEGIN_STRING.len() + 1);
        begin[..2].copy_from_slice(b"8=");
        begin[2..2 + BEGIN_STRING.len()].copy_from_slice(BEGIN_STRING);
        begin[2 + BEGIN_STRING.len()] = SOH;
        length[..2].copy_from_slice(b"9=");
        length[2..2 + length_text.len()].copy_from_slice(length_text);
        length[2 + length_text.len()] = SOH;
        let sum = checksum(&self.buffer[self.start..]);
        self.buffer.extend_from_slice(&[
            b'1',
            b'0',
            b'=',
            b'0' + sum / 100,
            b'0' + sum / 10 % 10,
            b'0' + sum % 10,
            SOH,
        ]);
        &self.buffer[self.start..]
    }

    /// The last finished message.
    pub fn message(&self) -> &[u8] {
        &self.buffer[self.start..]
    }
}
