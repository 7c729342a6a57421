//! Checks a decoded message against its definition in one pass over the
//! field table, with fixed-size tag sets on the stack (no allocation).
//!
//! Order of the checks, per field in wire order: a value is present (4),
//! the tag is a FIX 4.4 tag (0), header fields come first and trailer fields
//! last (14), the tag belongs to this message (2), it appears once (13), its
//! value has the type's format (6) and an allowed value (5); a NumInGroup
//! field is followed by exactly that many instances (16). After the pass the
//! required fields of the header, body and trailer are checked (1). The
//! first problem found is reported.

use super::{
    field, is_user_defined, message, messages, section, FieldType, GroupDefinition,
    MessageDefinition, Section, SessionRejectReason, ValueRule, MAX_FIX44_TAG,
};
use crate::fix::codec::{self, parse_utc_timestamp, Decoder, Frame, Message};

/// Why a message does not match the dictionary: the SessionRejectReason
/// (373) and the RefTagID (371) of the Reject that reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{reason}, tag {tag:?}")]
pub struct Violation {
    /// SessionRejectReason (373).
    pub reason: SessionRejectReason,
    /// RefTagID (371), when one field is at fault.
    pub tag: Option<u32>,
}

impl Violation {
    fn at(reason: SessionRejectReason, tag: u32) -> Violation {
        Violation {
            reason,
            tag: Some(tag),
        }
    }
}

/// Why an inbound message cannot be processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    /// Reject (3) with this reason.
    #[error("invalid message: {0}")]
    Invalid(Violation),
    /// A FIX 4.4 MsgType RTES does not accept: BusinessMessageReject (j)
    /// with BusinessRejectReason 3.
    #[error("unsupported message type")]
    UnsupportedMessageType,
}

/// Checks a message RTES received: its type must be a session message or
/// an application message RTES accepts.
pub fn validate_inbound(
    message_in: &Message<'_>,
) -> Result<&'static MessageDefinition, InboundError> {
    let msg_type = message_in.msg_type();
    match message(msg_type) {
        Some(definition) if definition.direction != super::Direction::Outbound => {
            validate(definition, message_in).map_err(InboundError::Invalid)?;
            Ok(definition)
        }
        _ if super::is_fix44_msg_type(msg_type) => Err(InboundError::UnsupportedMessageType),
        _ => Err(InboundError::Invalid(Violation {
            reason: SessionRejectReason::InvalidMsgType,
            tag: None,
        })),
    }
}

/// Checks a whole framed message RTES is about to send (or sent): framing,
/// BodyLength, CheckSum, and every field against the dictionary. For tests
/// and debugging: it allocates a decoder.
///
/// ```
/// use rtes_gateway::fix::codec::{tags, Encoder};
/// use rtes_gateway::fix::dictionary::validate_outbound;
/// let mut encoder = Encoder::with_capacity(256);
/// encoder.begin(b"0");
/// encoder.field_bytes(tags::SENDER_COMP_ID, b"RTES");
/// encoder.field_bytes(tags::TARGET_COMP_ID, b"CLIENT");
/// encoder.field_u64(tags::MSG_SEQ_NUM, 1);
/// encoder.field_timestamp(tags::SENDING_TIME, 0);
/// assert!(validate_outbound(encoder.finish()).is_ok());
/// ```
pub fn validate_outbound(bytes: &[u8]) -> Result<&'static MessageDefinition, OutboundError> {
    match codec::frame(bytes, bytes.len().max(1)) {
        Frame::Complete(length) if length == bytes.len() => {}
        other => return Err(OutboundError::Framing(other)),
    }
    let mut decoder = Decoder::new(bytes.len());
    let decoded = decoder.decode(bytes).map_err(OutboundError::Decode)?;
    let definition = message(decoded.msg_type()).ok_or(OutboundError::UnknownMsgType)?;
    validate(definition, &decoded).map_err(OutboundError::Invalid)?;
    Ok(definition)
}

/// Why a message RTES sends does not validate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// Not exactly one complete message.
    #[error("framing: {0:?}")]
    Framing(Frame),
    /// Fields could not be split.
    #[error("decode: {0}")]
    Decode(codec::DecodeError),
    /// A MsgType RTES does not define.
    #[error("MsgType not in the dictionary")]
    UnknownMsgType,
    /// A field problem.
    #[error("invalid: {0}")]
    Invalid(Violation),
}

/// Checks `message` against `definition`; see the module docs for the order.
pub fn validate(definition: &MessageDefinition, message: &Message<'_>) -> Result<(), Violation> {
    let fields = message.fields();
    let mut seen = TagSet::new();
    let mut current = Section::Header;
    let mut index = 0;
    while index < fields.len() {
        let field_at = fields[index];
        let tag = field_at.tag;
        let value = message.value(&field_at);
        index += 1;
        if value.is_empty() {
            return Err(Violation::at(
                SessionRejectReason::TagSpecifiedWithoutValue,
                tag,
            ));
        }
        if is_user_defined(tag) {
            continue;
        }
        let member = match section(tag) {
            _ if field(tag).is_none() => {
                return Err(Violation::at(SessionRejectReason::InvalidTagNumber, tag))
            }
            Section::Header if current == Section::Header => {
                super::find_member(messages::HEADER, tag)
            }
            Section::Trailer => {
                current = Section::Trailer;
                super::find_member(messages::TRAILER, tag)
            }
            Section::Body if current != Section::Trailer => {
                current = Section::Body;
                let member = definition.member(tag);
                if member.is_none() {
                    return Err(Violation::at(
                        SessionRejectReason::TagNotDefinedForMessageType,
                        tag,
                    ));
                }
                member
            }
            _ => {
                return Err(Violation::at(
                    SessionRejectReason::TagSpecifiedOutOfRequiredOrder,
                    tag,
                ))
            }
        };
        if !seen.insert(tag) {
            return Err(Violation::at(
                SessionRejectReason::TagAppearsMoreThanOnce,
                tag,
            ));
        }
        check_value(tag, value)?;
        if let Some(group) = member.and_then(|member| member.group) {
            index = validate_group(group, message, index, count(value))?;
        }
    }
    missing(messages::HEADER_REQUIRED, &seen)
        .or_else(|| missing(definition.required, &seen))
        .or_else(|| missing(messages::TRAILER_REQUIRED, &seen))
        .map_or(Ok(()), |tag| {
            Err(Violation::at(SessionRejectReason::RequiredTagMissing, tag))
        })
}

/// Walks the instances of `group` starting at `index`; returns the index
/// after the last one.
fn validate_group(
    group: &GroupDefinition,
    message: &Message<'_>,
    mut index: usize,
    declared: u64,
) -> Result<usize, Violation> {
    let fields = message.fields();
    let delimiter = u32::from(group.delimiter);
    let mut instances = 0u64;
    while fields
        .get(index)
        .is_some_and(|field_at| field_at.tag == delimiter)
    {
        instances += 1;
        let mut seen = TagSet::new();
        while let Some(field_at) = fields.get(index) {
            let tag = field_at.tag;
            let value = message.value(field_at);
            if value.is_empty() {
                return Err(Violation::at(
                    SessionRejectReason::TagSpecifiedWithoutValue,
                    tag,
                ));
            }
            if is_user_defined(tag) {
                index += 1;
                continue;
            }
            if tag == delimiter && seen.contains(delimiter) {
                break;
            }
            let Some(member) = group.member(tag) else {
                break;
            };
            if !seen.insert(tag) {
                return Err(Violation::at(
                    SessionRejectReason::TagAppearsMoreThanOnce,
                    tag,
                ));
            }
            check_value(tag, value)?;
            index += 1;
            if let Some(nested) = member.group {
                index = validate_group(nested, message, index, count(value))?;
            }
        }
        if let Some(tag) = missing(group.required, &seen) {
            return Err(Violation::at(SessionRejectReason::RequiredTagMissing, tag));
        }
    }
    if instances != declared {
        return Err(Violation::at(
            SessionRejectReason::IncorrectNumInGroupCount,
            u32::from(group.count_tag),
        ));
    }
    Ok(index)
}

/// A NumInGroup value already checked to be digits.
fn count(value: &[u8]) -> u64 {
    value.iter().fold(0u64, |total, digit| {
        total
            .saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    })
}

fn missing(required: &[u16], seen: &TagSet) -> Option<u32> {
    required
        .iter()
        .map(|tag| u32::from(*tag))
        .find(|tag| !seen.contains(*tag))
}

/// Format (373=6) and value (373=5) checks of one FIX 4.4 field.
fn check_value(tag: u32, value: &[u8]) -> Result<(), Violation> {
    let Some(definition) = field(tag) else {
        return Err(Violation::at(SessionRejectReason::InvalidTagNumber, tag));
    };
    if !has_format(definition.field_type, value) {
        return Err(Violation::at(SessionRejectReason::IncorrectDataFormat, tag));
    }
    let allowed = match definition.values {
        ValueRule::Any => true,
        ValueRule::OneOf(values) => values.contains(&value),
        ValueRule::EachOf(values) => value
            .split(|byte| *byte == b' ')
            .all(|item| values.contains(&item)),
        ValueRule::NonNegative => value.first() != Some(&b'-'),
    };
    if allowed {
        Ok(())
    } else {
        Err(Violation::at(SessionRejectReason::ValueIsIncorrect, tag))
    }
}

/// Whether `value` is in the format of `field_type` (FIX 4.4 Volume 1,
/// "Data types").
pub(super) fn has_format(field_type: FieldType, value: &[u8]) -> bool {
    match field_type {
        FieldType::Int => is_integer(value.strip_prefix(b"-").unwrap_or(value)),
        FieldType::Length | FieldType::NumInGroup | FieldType::SeqNum | FieldType::TagNum => {
            is_integer(value)
        }
        FieldType::DayOfMonth => {
            is_integer(value) && value.len() <= 2 && (1..=31).contains(&count(value))
        }
        FieldType::Float
        | FieldType::Qty
        | FieldType::Price
        | FieldType::PriceOffset
        | FieldType::Amt
        | FieldType::Percentage => is_decimal(value),
        FieldType::Char => value.len() == 1 && value[0] > b' ',
        FieldType::Boolean => value == b"Y" || value == b"N",
        FieldType::UtcTimestamp => parse_utc_timestamp(value).is_ok(),
        FieldType::UtcTimeOnly => is_time_of_day(value),
        FieldType::UtcDateOnly | FieldType::LocalMktDate => is_date(value),
        FieldType::MonthYear => is_month_year(value),
        FieldType::String
        | FieldType::MultipleValueString
        | FieldType::Currency
        | FieldType::Exchange
        | FieldType::Country
        | FieldType::Data => true,
    }
}

fn is_integer(value: &[u8]) -> bool {
    !value.is_empty() && value.len() <= 18 && value.iter().all(u8::is_ascii_digit)
}

/// `[-]digits[.digits]` or `[-].digits`, at least one digit.
fn is_decimal(value: &[u8]) -> bool {
    let unsigned = value.strip_prefix(b"-").unwrap_or(value);
    let mut digits = 0;
    let mut dots = 0;
    for byte in unsigned {
        match byte {
            b'0'..=b'9' => digits += 1,
            b'.' => dots += 1,
            _ => return false,
        }
    }
    digits > 0 && dots <= 1
}

/// `YYYYMMDD` with a plausible month and day.
fn is_date(value: &[u8]) -> bool {
    value.len() == 8
        && is_integer(value)
        && (1..=12).contains(&count(&value[4..6]))
        && (1..=31).contains(&count(&value[6..8]))
}

/// `HH:MM:SS` with an optional fraction of 3, 6 or 9 digits.
fn is_time_of_day(value: &[u8]) -> bool {
    if value.len() < 8 || value[2] != b':' || value[5] != b':' {
        return false;
    }
    let part = |range: std::ops::Range<usize>| {
        let digits = &value[range];
        is_integer(digits).then(|| count(digits))
    };
    let fraction_ok = match &value[8..] {
        [] => true,
        [b'.', digits @ ..] => matches!(digits.len(), 3 | 6 | 9) && is_integer(digits),
        _ => false,
    };
    matches!(part(0..2), Some(0..=23))
        && matches!(part(3..5), Some(0..=59))
        && matches!(part(6..8), Some(0..=60))
        && fraction_ok
}

/// `YYYYMM`, `YYYYMMDD` or `YYYYMMwN`.
fn is_month_year(value: &[u8]) -> bool {
    if value.len() < 6 || !is_integer(&value[..6]) || !(1..=12).contains(&count(&value[4..6])) {
        return false;
    }
    match &value[6..] {
        [] => true,
        [b'w', week] => (b'1'..=b'5').contains(week),
        day => day.len() == 2 && is_integer(day) && (1..=31).contains(&count(day)),
    }
}

/// Set of FIX 4.4 tags (0..=MAX_FIX44_TAG) as a bitmap on the stack.
struct TagSet {
    words: [u64; TAG_SET_WORDS],
}

const TAG_SET_WORDS: usize = (MAX_FIX44_TAG as usize + 64) / 64;

impl TagSet {
    fn new() -> TagSet {
        TagSet {
            words: [0; TAG_SET_WORDS],
        }
    }

    /// Adds `tag`; false if it was already there.
    fn insert(&mut self, tag: u32) -> bool {
        debug_assert!(tag <= MAX_FIX44_TAG);
        let (word, bit) = (tag as usize / 64, 1u64 << (tag % 64));
        let fresh = self.words[word] & bit == 0;
        self.words[word] |= bit;
        fresh
    }

    fn contains(&self, tag: u32) -> bool {
        let (word, bit) = (tag as usize / 64, 1u64 << (tag % 64));
        self.words.get(word).is_some_and(|value| value & bit != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(has_format(FieldType::Int, b"-12") && !has_format(FieldType::Int, b"1.5"));
        assert!(!has_format(FieldType::SeqNum, b"-1"));
        assert!(has_format(FieldType::Price, b"-190.25") && has_format(FieldType::Qty, b".5"));
        assert!(!has_format(FieldType::Qty, b"1.2.3") && !has_format(FieldType::Price, b"-"));
        assert!(has_format(FieldType::Boolean, b"Y") && !has_format(FieldType::Boolean, b"y"));
        assert!(has_format(FieldType::Char, b"1") && !has_format(FieldType::Char, b"12"));
        assert!(has_format(
            FieldType::UtcTimestamp,
            b"20240102-03:04:05.678"
        ));
        assert!(!has_format(FieldType::UtcTimestamp, b"20240102 03:04:05"));
        assert!(has_format(FieldType::UtcTimeOnly, b"23:59:60.123"));
        assert!(!has_format(FieldType::UtcTimeOnly, b"24:00:00"));
        assert!(has_format(FieldType::LocalMktDate, b"20240229"));
        assert!(!has_format(FieldType::LocalMktDate, b"20241301"));
        assert!(has_format(FieldType::MonthYear, b"202403w2"));
        assert!(
            has_format(FieldType::MonthYear, b"20240315")
                && !has_format(FieldType::MonthYear, b"2024")
        );
    }

    #[test]
    fn tag_set() {
        let mut set = TagSet::new();
        assert!(set.insert(956) && !set.insert(956) && set.contains(956));
        assert!(!set.contains(955) && !set.contains(100_000));
    }
}
