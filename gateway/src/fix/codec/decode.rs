//! Framing and decoding of FIX tag=value messages without allocation.
//!
//! [`frame`] finds where the next message ends in a read buffer and checks
//! BodyLength (9) and CheckSum (10); [`Decoder::decode`] splits a framed
//! message into a fixed-capacity table of field offsets. Values are never
//! copied: [`Message::get`] returns slices of the input.

use super::SOH;

/// Longest BeginString value accepted while framing ("FIX.4.4" is 7).
const BEGIN_STRING_VALUE_MAX: usize = 16;
/// Most digits in a BodyLength value.
const BODY_LENGTH_DIGITS_MAX: usize = 7;
/// Length of the trailer `10=ddd<SOH>`.
const TRAILER_LEN: usize = 7;

/// What [`frame`] found at the start of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// A whole message of this many bytes, BodyLength and CheckSum correct.
    Complete(usize),
    /// More bytes are needed.
    Incomplete,
    /// Not a valid message: drop `skip` bytes and try again. The FIX session
    /// spec says a garbled message is ignored and the expected sequence
    /// number is not advanced.
    Garbled {
        /// Bytes to drop (at least 1).
        skip: usize,
        /// Why.
        reason: GarbleReason,
    },
    /// BodyLength announces a message over the configured limit; the
    /// connection cannot buffer it and must be logged out.
    TooLarge {
        /// Total size the header announced.
        declared_bytes: usize,
    },
}

/// Why bytes were not a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GarbleReason {
    /// The bytes do not start with `8=`.
    NoBeginString,
    /// BeginString or BodyLength field malformed (no SOH, not a number).
    BadHeader,
    /// The CheckSum field is not where BodyLength says the body ends.
    BodyLengthMismatch,
    /// CheckSum value wrong.
    ChecksumMismatch,
}

impl GarbleReason {
    /// Short text for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            GarbleReason::NoBeginString => "message does not start with 8=",
            GarbleReason::BadHeader => "malformed BeginString or BodyLength",
            GarbleReason::BodyLengthMismatch => "BodyLength does not match the message",
            GarbleReason::ChecksumMismatch => "CheckSum mismatch",
        }
    }
}

/// Finds the first complete message in `buffer`.
///
/// ```
/// use rtes_gateway::fix::codec::{frame, Frame};
/// let message = b"8=FIX.4.4\x019=5\x0135=0\x0110=163\x01";
/// assert_eq!(frame(message, 1024), Frame::Complete(message.len()));
/// assert_eq!(frame(&message[..10], 1024), Frame::Incomplete);
/// ```
pub fn frame(buffer: &[u8], max_message_bytes: usize) -> Frame {
    if buffer.is_empty() {
        return Frame::Incomplete;
    }
    let prefix = &buffer[..buffer.len().min(2)];
    if prefix != &b"8="[..prefix.len()] {
        return garbled(buffer, GarbleReason::NoBeginString);
    }
    let Some(begin_end) = find_soh(buffer, 2, BEGIN_STRING_VALUE_MAX) else {
        return incomplete_or_garbled(buffer, 2 + BEGIN_STRING_VALUE_MAX);
    };
    let length_start = begin_end + 1;
    let length_prefix = &buffer[length_start..buffer.len().min(length_start + 2)];
    if length_prefix != &b"9="[..length_prefix.len()] {
        return garbled(buffer, GarbleReason::BadHeader);
    }
    let digits_start = length_start + 2;
    let Some(length_end) = find_soh(buffer, digits_start, BODY_LENGTH_DIGITS_MAX) else {
        return incomplete_or_garbled(buffer, digits_start + BODY_LENGTH_DIGITS_MAX);
    };
    let Some(body_length) = parse_digits(&buffer[digits_start..length_end]) else {
        return garbled(buffer, GarbleReason::BadHeader);
    };
    let body_start = length_end + 1;
    let total = body_start + body_length as usize + TRAILER_LEN;
    if total > max_message_bytes {
        return Frame::TooLarge {
            declared_bytes: total,
        };
    }
    if buffer.len() < total {
        return Frame::Incomplete;
    }
    let trailer = &buffer[total - TRAILER_LEN..total];
    let body_ends_with_soh = buffer[total - TRAILER_LEN - 1] == SOH;
    if !body_ends_with_soh || &trailer[..3] != b"10=" || trailer[6] != SOH {
        return garbled(buffer, GarbleReason::BodyLengthMismatch);
    }
    let Some(declared) = parse_digits(&trailer[3..6]) else {
        return garbled(buffer, GarbleReason::BodyLengthMismatch);
    };
    if u64::from(checksum(&buffer[..total - TRAILER_LEN])) != declared {
        return Frame::Garbled {
            skip: total,
            reason: GarbleReason::ChecksumMismatch,
        };
    }
    Frame::Complete(total)
}

/// Sum of the bytes modulo 256, as CheckSum (10) defines it.
pub(crate) fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |sum, byte| sum.wrapping_add(*byte))
}

/// Position of the first SOH in `buffer[from..from + limit + 1]`.
fn find_soh(buffer: &[u8], from: usize, limit: usize) -> Option<usize> {
    let end = buffer.len().min(from + limit + 1);
    buffer
        .get(from..end)?
        .iter()
        .position(|byte| *byte == SOH)
        .map(|offset| from + offset)
}

/// A header field whose SOH has not arrived: wait while it may still come,
/// garbled once the field is longer than any valid one.
fn incomplete_or_garbled(buffer: &[u8], longest: usize) -> Frame {
    if buffer.len() <= longest {
        Frame::Incomplete
    } else {
        garbled(buffer, GarbleReason::BadHeader)
    }
}

/// Skips to the next `<SOH>8=` (a possible message start) after byte 0, or
/// past the last SOH when there is none, so a message that begins right
/// after the garbage is not lost.
fn garbled(buffer: &[u8], reason: GarbleReason) -> Frame {
    let skip = buffer
        .windows(3)
        .skip(1)
        .position(|window| window == b"\x018=")
        .map(|offset| offset + 2)
        .or_else(|| {
            buffer
                .iter()
                .rposition(|byte| *byte == SOH)
                .map(|last| last + 1)
        })
        .unwrap_or(buffer.len())
        .max(1);
    Frame::Garbled { skip, reason }
}

/// Parses ASCII digits (no sign, at least one digit, at most 18).
pub(crate) fn parse_digits(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 18 {
        return None;
    }
    let mut value = 0u64;
    for byte in bytes {
        if !byte.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(byte - b'0');
    }
    Some(value)
}

/// One field: its tag and where its value lies in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Field {
    /// Tag number.
    pub tag: u32,
    /// Offset of the first value byte.
    pub start: u32,
    /// Offset one past the last value byte (the SOH).
    pub end: u32,
}

/// Why a framed message could not be split into fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A tag is not a positive number.
    #[error("tag at byte {offset} is not a positive number")]
    InvalidTag {
        /// Byte offset of the field.
        offset: usize,
    },
    /// A field has no `=` or no SOH.
    #[error("field at byte {offset} is not tag=value<SOH>")]
    MalformedField {
        /// Byte offset of the field.
        offset: usize,
    },
    /// A field has an empty value (SessionRejectReason 4).
    #[error("tag {tag} has no value")]
    EmptyValue {
        /// The tag.
        tag: u32,
    },
    /// The message has more fields than the configured limit.
    #[error("more than {limit} fields")]
    TooManyFields {
        /// The limit.
        limit: usize,
    },
    /// The first three fields are not 8, 9, 35 or the last is not 10.
    #[error("fields 8, 9, 35 must come first and 10 last")]
    FieldOrder,
}

/// Why a field's value could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// The field is absent.
    #[error("tag {0} is missing")]
    Missing(u32),
    /// The value is not in the field's data format.
    #[error("tag {0} has an incorrect data format")]
    Format(u32),
}

/// Splits framed messages into fields; owns the reusable offset table.
#[derive(Debug)]
pub struct Decoder {
    fields: Vec<Field>,
    max_fields: usize,
    empty_values_allowed: bool,
}

impl Decoder {
    /// A decoder that accepts at most `max_fields` fields per message.
    pub fn new(max_fields: usize) -> Decoder {
        Decoder {
            fields: Vec::with_capacity(max_fields),
            max_fields,
            empty_values_allowed: false,
        }
    }

    /// Keeps fields with an empty value (`tag=<SOH>`) in the table instead
    /// of failing with [`DecodeError::EmptyValue`]. The session layer needs
    /// the rest of such a message (its MsgSeqNum above all) to answer with
    /// Reject 373=4 and advance the sequence number; `Message::get` then
    /// returns an empty slice for that tag.
    pub fn with_empty_values(mut self) -> Decoder {
        self.empty_values_allowed = true;
        self
    }

    /// Splits one framed message (as returned by [`frame`]) into fields.
    pub fn decode<'a>(&'a mut self, bytes: &'a [u8]) -> Result<Message<'a>, DecodeError> {
        self.fields.clear();
        let mut offset = 0;
        while offset < bytes.len() {
            if self.fields.len() == self.max_fields {
                return Err(DecodeError::TooManyFields {
                    limit: self.max_fields,
                });
            }
            let field = split_field(bytes, offset, self.empty_values_allowed)?;
            offset = field.end as usize + 1;
            self.fields.push(field);
        }
        let tags_at = |index: usize| self.fields.get(index).map(|field| field.tag);
        let header_in_order = tags_at(0) == Some(super::tags::BEGIN_STRING)
            && tags_at(1) == Some(super::tags::BODY_LENGTH)
            && tags_at(2) == Some(super::tags::MSG_TYPE);
        let trailer_last =
            self.fields.last().map(|field| field.tag) == Some(super::tags::CHECK_SUM);
        if !header_in_order || !trailer_last {
            return Err(DecodeError::FieldOrder);
        }
        Ok(Message {
            bytes,
            fields: &self.fields,
        })
    }
}

fn split_field(bytes: &[u8], offset: usize, empty_allowed: bool) -> Result<Field, DecodeError> {
    let rest = &bytes[offset..];
    let equals = rest
        .iter()
        .take(11)
        .position(|byte| *byte == b'=')
        .ok_or(DecodeError::MalformedField { offset })?;
    let tag = parse_digits(&rest[..equals])
        .filter(|tag| *tag > 0 && *tag <= u64::from(u32::MAX))
        .ok_or(DecodeError::InvalidTag { offset })? as u32;
    let value_start = offset + equals + 1;
    let value_len = bytes[value_start..]
        .iter()
        .position(|byte| *byte == SOH)
        .ok_or(DecodeError::MalformedField { offset })?;
    if value_len == 0 && !empty_allowed {
        return Err(DecodeError::EmptyValue { tag });
    }
    Ok(Field {
        tag,
        start: value_start as u32,
        end: (value_start + value_len) as u32,
    })
}

/// A decoded message: the bytes and their field table.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    bytes: &'a [u8],
    fields: &'a [Field],
}

impl<'a> Message<'a> {
    /// The whole message as received.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Every field in wire order (header, body, trailer).
    pub fn fields(&self) -> &'a [Field] {
        self.fields
    }

    /// The value bytes of `field`.
    pub fn value(&self, field: &Field) -> &'a [u8] {
        &self.bytes[field.start as usize..field.end as usize]
    }

    /// MsgType (35).
    pub fn msg_type(&self) -> &'a [u8] {
        self.value(&self.fields[2])
    }

    /// BeginString (8).
    pub fn begin_string(&self) -> &'a [u8] {
        self.value(&self.fields[0])
    }

    /// The first value of `tag`, if present.
    pub fn get(&self, tag: u32) -> Option<&'a [u8]> {
        self.fields
            .iter()
            .find(|field| field.tag == tag)
            .map(|field| self.value(field))
    }

    /// `tag` as an unsigned integer; `Ok(None)` if absent.
    pub fn get_u64(&self, tag: u32) -> Result<Option<u64>, FieldError> {
        match self.get(tag) {
            None => Ok(None),
            Some(value) => parse_digits(value).map(Some).ok_or(FieldError::Format(tag)),
        }
    }

    /// `tag` as an unsigned integer; an error if absent.
    pub fn require_u64(&self, tag: u32) -> Result<u64, FieldError> {
        self.get_u64(tag)?.ok_or(FieldError::Missing(tag))
    }

    /// `tag`'s value; an error if absent.
    pub fn require(&self, tag: u32) -> Result<&'a [u8], FieldError> {
        self.get(tag).ok_or(FieldError::Missing(tag))
    }

    /// `tag` as a single character; `Ok(None)` if absent.
    pub fn get_char(&self, tag: u32) -> Result<Option<u8>, FieldError> {
        match self.get(tag) {
            None => Ok(None),
            Some([single]) => Ok(Some(*single)),
            Some(_) => Err(FieldError::Format(tag)),
        }
    }

    /// `tag` as a FIX Boolean (`Y`/`N`); absent is `false`.
    pub fn get_flag(&self, tag: u32) -> Result<bool, FieldError> {
        match self.get_char(tag)? {
            None | Some(b'N') => Ok(false),
            Some(b'Y') => Ok(true),
            Some(_) => Err(FieldError::Format(tag)),
        }
    }

    /// The first tag that appears more than once among `fields()[from..]`,
    /// ignoring tags for which `may_repeat` is true (repeating groups).
    pub fn repeated_tag(&self, may_repeat: impl Fn(u32) -> bool) -> Option<u32> {
        let fields = self.fields;
        fields.iter().enumerate().find_map(|(index, field)| {
            let repeated = !may_repeat(field.tag)
                && fields[index + 1..]
                    .iter()
                    .any(|later| later.tag == field.tag);
            repeated.then_some(field.tag)
        })
    }
}
