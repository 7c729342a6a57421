//! Encoding into a reusable buffer. The body is written first at a fixed
//! offset; [`Encoder::finish`] then writes BeginString and BodyLength right
//! before it and appends CheckSum, so nothing is moved or allocated.
//!
//! The buffer is kept fully initialised (its length is the room, a cursor
//! the bytes written), so short pieces (tags, enumerations, ids) are copied
//! with fixed-size moves instead of a `memcpy` call each: those calls were
//! most of the encoding time.

use super::decimal::{decimal_bytes, DECIMAL_TEXT_MAX};
use super::decode::checksum;
use super::timestamp::{date_bytes, time_of_day_bytes, utc_day, DATE_LEN, UTC_TIMESTAMP_LEN};
use super::{BEGIN_STRING, SOH};

/// `8=FIX.4.4<SOH>` plus the longest `9=nnnnnnn<SOH>`.
const HEADER_RESERVE: usize = 2 + BEGIN_STRING.len() + 1 + 2 + 7 + 1;
/// Length of the trailer `10=ddd<SOH>`.
const TRAILER_LEN: usize = 7;

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
    /// Always initialised up to its length, which is the room available.
    buffer: Vec<u8>,
    /// First byte of the finished message.
    start: usize,
    /// One past the last byte written.
    end: usize,
    /// The day (since the epoch) whose `YYYYMMDD` is in `date`: the civil
    /// calendar arithmetic runs once a day, not per timestamp.
    day: u64,
    date: [u8; DATE_LEN],
}

impl Encoder {
    /// An encoder whose buffer holds `capacity` bytes before it must grow.
    pub fn with_capacity(capacity: usize) -> Encoder {
        Encoder {
            buffer: vec![0; capacity.max(HEADER_RESERVE + 64)],
            start: HEADER_RESERVE,
            end: HEADER_RESERVE,
            day: 0,
            date: date_bytes(0),
        }
    }

    /// Starts a message of type `msg_type` (35 is written first, as the
    /// spec requires).
    pub fn begin(&mut self, msg_type: &[u8]) {
        self.start = HEADER_RESERVE;
        self.end = HEADER_RESERVE;
        self.field_bytes(super::tags::MSG_TYPE, msg_type);
    }

    /// Appends `tag=value<SOH>`. `value` must not contain SOH.
    pub fn field_bytes(&mut self, tag: u32, value: &[u8]) {
        debug_assert!(!value.contains(&SOH), "tag {tag} value contains SOH");
        self.tag(tag);
        self.put(value);
        self.put_byte(SOH);
    }

    /// Appends an unsigned integer field.
    pub fn field_u64(&mut self, tag: u32, value: u64) {
        self.tag(tag);
        let mut digits = itoa::Buffer::new();
        self.put(digits.format(value).as_bytes());
        self.put_byte(SOH);
    }

    /// Appends a single-character field.
    pub fn field_char(&mut self, tag: u32, value: u8) {
        self.tag(tag);
        let room = self.room(2);
        room[0] = value;
        room[1] = SOH;
        self.end += 2;
    }

    /// Appends a decimal field: `value` in units of 10^-`decimals`.
    pub fn field_decimal(&mut self, tag: u32, value: i64, decimals: u32) {
        self.tag(tag);
        let mut text = [0u8; DECIMAL_TEXT_MAX];
        let length = decimal_bytes(value, decimals, &mut text);
        self.put(&text[..length]);
        self.put_byte(SOH);
    }

    /// Appends a UTCTimestamp field (millisecond precision, as FIX 4.4 defines it).
    pub fn field_timestamp(&mut self, tag: u32, utc_ns: u64) {
        self.tag(tag);
        let day = utc_day(utc_ns);
        if day != self.day {
            self.day = day;
            self.date = date_bytes(day);
        }
        let date = self.date;
        let room = self.room(UTC_TIMESTAMP_LEN + 1);
        room[..DATE_LEN].copy_from_slice(&date);
        room[DATE_LEN..UTC_TIMESTAMP_LEN].copy_from_slice(&time_of_day_bytes(utc_ns));
        room[UTC_TIMESTAMP_LEN] = SOH;
        self.end += UTC_TIMESTAMP_LEN + 1;
    }

    /// Appends already formatted `tag=value<SOH>...` fields verbatim.
    pub fn raw_fields(&mut self, fields: &[u8]) {
        debug_assert!(fields.is_empty() || fields.last() == Some(&SOH));
        self.put(fields);
    }

    /// Writes `tag=`. Tags below 10,000 are assembled in a register and
    /// stored as one word: building them byte by byte in a stack array and
    /// copying that stalled store forwarding on every field.
    fn tag(&mut self, tag: u32) {
        let digits = match tag {
            0..=9 => 1,
            10..=99 => 2,
            100..=999 => 3,
            1000..=9999 => 4,
            _ => {
                let mut text = itoa::Buffer::new();
                self.put(text.format(tag).as_bytes());
                self.put_byte(b'=');
                return;
            }
        };
        let mut word = u64::from(b'=') << (8 * digits);
        let mut rest = tag;
        for position in (0..digits).rev() {
            word |= u64::from(b'0' + (rest % 10) as u8) << (8 * position);
            rest /= 10;
        }
        self.room(8).copy_from_slice(&word.to_le_bytes());
        self.end += digits + 1;
    }

    fn put_byte(&mut self, byte: u8) {
        self.room(1)[0] = byte;
        self.end += 1;
    }

    /// Copies `bytes` at the cursor; short copies use fixed-size moves.
    fn put(&mut self, bytes: &[u8]) {
        let length = bytes.len();
        let room = self.room(length);
        copy_short(&mut room[..length], bytes);
        self.end += length;
    }

    /// The `needed` bytes after the cursor, growing the buffer if they are
    /// not there (never in the steady state: the capacity is configured).
    fn room(&mut self, needed: usize) -> &mut [u8] {
        if self.end + needed > self.buffer.len() {
            let grown = (self.end + needed).max(self.buffer.len() * 2);
            self.buffer.resize(grown, 0);
        }
        &mut self.buffer[self.end..self.end + needed]
    }

    /// Writes BeginString, BodyLength and CheckSum; returns the message.
    pub fn finish(&mut self) -> &[u8] {
        let body_length = self.end - HEADER_RESERVE;
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
        let sum = checksum(&self.buffer[self.start..self.end]);
        let trailer = [
            b'1',
            b'0',
            b'=',
            b'0' + sum / 100,
            b'0' + sum / 10 % 10,
            b'0' + sum % 10,
            SOH,
        ];
        self.room(TRAILER_LEN).copy_from_slice(&trailer);
        self.end += TRAILER_LEN;
        &self.buffer[self.start..self.end]
    }

    /// The last finished message.
    pub fn message(&self) -> &[u8] {
        &self.buffer[self.start..self.end]
    }
}

/// `destination.copy_from_slice(source)` for equal lengths, with short
/// lengths done as two overlapping fixed-size moves (the usual small-copy
/// technique) so no library call is made.
#[inline(always)]
fn copy_short(destination: &mut [u8], source: &[u8]) {
    let length = source.len();
    debug_assert_eq!(destination.len(), length);
    match length {
        0 => {}
        1..=3 => {
            destination[0] = source[0];
            destination[length / 2] = source[length / 2];
            destination[length - 1] = source[length - 1];
        }
        4..=7 => {
            destination[..4].copy_from_slice(&source[..4]);
            destination[length - 4..].copy_from_slice(&source[length - 4..]);
        }
        8..=16 => {
            destination[..8].copy_from_slice(&source[..8]);
            destination[length - 8..].copy_from_slice(&source[length - 8..]);
        }
        17..=32 => {
            destination[..16].copy_from_slice(&source[..16]);
            destination[length - 16..].copy_from_slice(&source[length - 16..]);
        }
        _ => destination.copy_from_slice(source),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_short_copies_every_length() {
        for length in 0..80 {
            let source: Vec<u8> = (0..length as u8)
                .map(|byte| byte.wrapping_mul(7).wrapping_add(1))
                .collect();
            let mut destination = vec![0u8; length];
            copy_short(&mut destination, &source);
            assert_eq!(destination, source);
        }
    }

    #[test]
    fn tags_of_every_width_and_growth() {
        let mut encoder = Encoder::with_capacity(0);
        encoder.begin(b"0");
        for tag in [1, 12, 123, 1234, 12_345, 4_294_967_295] {
            encoder.field_bytes(tag, b"v");
        }
        encoder.field_bytes(58, &[b'x'; 500]);
        // A second day reuses nothing from the first.
        encoder.field_timestamp(52, 1_795_425_600_123_000_000);
        encoder.field_timestamp(60, 1_795_425_600_123_000_000 + 86_400_000_000_000);
        let message = encoder.finish().to_vec();
        let text = String::from_utf8_lossy(&message).replace('\x01', "|");
        assert!(
            text.contains("|1=v|12=v|123=v|1234=v|12345=v|4294967295=v|58=xxx"),
            "{text}"
        );
        assert_eq!(
            super::super::frame(&message, 4096),
            super::super::Frame::Complete(message.len())
        );
    }
}
