//! The FIX 4.4 message dictionary RTES validates against: every FIX 4.4
//! field (tag, name, data type, and the allowed values of the fields whose
//! enumerations RTES checks), the standard header and trailer, the session
//! messages, the application messages RTES accepts and those it sends, with
//! their repeating groups. All of it is static data: nothing is built or
//! allocated at run time, and a tag lookup is one array index.
//!
//! [`validate`] checks a decoded message against its [`MessageDefinition`]
//! and names the first problem as a [`Violation`] carrying the
//! SessionRejectReason (373) and RefTagID (371) the session puts in its
//! Reject. User-defined tags (5000–9999) are allowed anywhere and not
//! checked, as FIX reserves them for bilateral use.
//!
//! ```
//! use rtes_gateway::fix::codec::Decoder;
//! use rtes_gateway::fix::dictionary::{self, InboundError, SessionRejectReason};
//! let order = b"8=FIX.4.4\x019=5\x0135=D\x0110=000\x01"; // framing is not checked here
//! let mut decoder = Decoder::new(64);
//! let message = decoder.decode(order).unwrap();
//! let error = dictionary::validate_inbound(&message).unwrap_err();
//! assert_eq!(
//!     error,
//!     InboundError::Invalid(dictionary::Violation {
//!         reason: SessionRejectReason::RequiredTagMissing,
//!         tag: Some(34),
//!     })
//! );
//! ```

mod fields;
mod messages;
mod validate;

use crate::fix::codec::Message;

pub use validate::{
    validate, validate_inbound, validate_outbound, InboundError, OutboundError, Violation,
};

/// Highest tag number FIX 4.4 defines.
pub const MAX_FIX44_TAG: u32 = 956;
/// First tag of the user-defined range (FIX reserves 5000–9999 for
/// bilateral use; RTES accepts and ignores them).
pub const USER_DEFINED_TAG_MIN: u32 = 5000;
/// Last tag of the user-defined range.
pub const USER_DEFINED_TAG_MAX: u32 = 9999;

/// A FIX 4.4 data type, which decides the format check of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Signed integer.
    Int,
    /// Byte count of a following data field.
    Length,
    /// Number of instances of a repeating group.
    NumInGroup,
    /// Message sequence number.
    SeqNum,
    /// A tag number.
    TagNum,
    /// Day of the month, 1–31.
    DayOfMonth,
    /// Decimal number.
    Float,
    /// Quantity (decimal).
    Qty,
    /// Price (decimal).
    Price,
    /// Price offset (decimal).
    PriceOffset,
    /// Amount (decimal).
    Amt,
    /// Percentage (decimal).
    Percentage,
    /// One character.
    Char,
    /// `Y` or `N`.
    Boolean,
    /// Free text.
    String,
    /// Space-separated list of values.
    MultipleValueString,
    /// ISO 4217 currency code.
    Currency,
    /// ISO 10383 market identifier.
    Exchange,
    /// ISO 3166 country code.
    Country,
    /// `YYYYMMDD-HH:MM:SS[.sss]` in UTC.
    UtcTimestamp,
    /// `HH:MM:SS[.sss]` in UTC.
    UtcTimeOnly,
    /// `YYYYMMDD` in UTC.
    UtcDateOnly,
    /// `YYYYMMDD` in the market's local time.
    LocalMktDate,
    /// `YYYYMM`, optionally followed by a day or a week code.
    MonthYear,
    /// Raw data whose length a preceding Length field gives.
    Data,
}

/// Which values of a field RTES accepts beyond its data type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRule {
    /// Any value of the data type.
    Any,
    /// One of the FIX 4.4 enumeration.
    OneOf(&'static [&'static [u8]]),
    /// A space-separated list, each item one of the enumeration.
    EachOf(&'static [&'static [u8]]),
    /// An integer that is zero or more.
    NonNegative,
}

/// One FIX 4.4 field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDefinition {
    /// Tag number.
    pub tag: u32,
    /// The specification's name.
    pub name: &'static str,
    /// Data type.
    pub field_type: FieldType,
    /// Values checked beyond the type.
    pub values: ValueRule,
}

/// A field or repeating group allowed in a message or group.
#[derive(Debug, Clone, Copy)]
pub struct Member {
    /// Tag number (the NumInGroup tag for a group).
    pub tag: u16,
    /// Whether FIX 4.4 (or RTES) requires it.
    pub required: bool,
    /// The group this tag counts, if it is a NumInGroup field.
    pub group: Option<&'static GroupDefinition>,
}

/// A repeating group: a NumInGroup field followed by that many instances,
/// each starting with the delimiter field.
#[derive(Debug)]
pub struct GroupDefinition {
    /// The NumInGroup tag.
    pub count_tag: u16,
    /// The first field of every instance.
    pub delimiter: u16,
    /// Fields and nested groups of an instance, sorted by tag.
    pub members: &'static [Member],
    /// Tags each instance must carry, sorted.
    pub required: &'static [u16],
}

/// Who sends a message, from RTES's side of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A session-level (administrative) message, both ways.
    Session,
    /// An application message RTES accepts.
    Inbound,
    /// An application message RTES sends.
    Outbound,
}

/// The layout of one message type.
#[derive(Debug)]
pub struct MessageDefinition {
    /// MsgType (35).
    pub msg_type: &'static [u8],
    /// The specification's name.
    pub name: &'static str,
    /// Session, inbound or outbound.
    pub direction: Direction,
    /// Body fields and groups, sorted by tag.
    pub members: &'static [Member],
    /// Body tags every message must carry, sorted.
    pub required: &'static [u16],
}

impl MessageDefinition {
    /// The body member with this tag.
    pub fn member(&self, tag: u32) -> Option<&'static Member> {
        find_member(self.members, tag)
    }

    /// Whether this is a session-level message.
    pub fn is_session(&self) -> bool {
        self.direction == Direction::Session
    }
}

impl GroupDefinition {
    /// The instance member with this tag.
    pub fn member(&self, tag: u32) -> Option<&'static Member> {
        find_member(self.members, tag)
    }
}

/// A field that becomes required when another has one of some values
/// (FIX's "conditionally required"). RTES's application layer checks these
/// and answers with BusinessMessageReject (380=5); the rules are data here
/// so that docs, tests and the check share one list.
#[derive(Debug, Clone, Copy)]
pub struct Condition {
    /// The field whose value decides.
    pub when_tag: u32,
    /// The values that make `then_required` required.
    pub when_values: &'static [&'static [u8]],
    /// The field then required.
    pub then_required: u32,
}

/// Price (44) for Limit and Stop Limit orders, StopPx (99) for Stop and
/// Stop Limit orders.
const ORDER_CONDITIONS: &[Condition] = &[
    Condition {
        when_tag: 40,
        when_values: &[b"2", b"4"],
        then_required: 44,
    },
    Condition {
        when_tag: 40,
        when_values: &[b"3", b"4"],
        then_required: 99,
    },
];

/// Symbol (55) when cancelling every order for one security (530=1).
const MASS_CANCEL_CONDITIONS: &[Condition] = &[Condition {
    when_tag: 530,
    when_values: &[b"1"],
    then_required: 55,
}];

/// The conditionally required fields of a message type.
pub fn conditions(msg_type: &[u8]) -> &'static [Condition] {
    match msg_type {
        b"D" | b"G" => ORDER_CONDITIONS,
        b"q" => MASS_CANCEL_CONDITIONS,
        _ => &[],
    }
}

/// The first conditionally required field `message` lacks, if any.
///
/// ```
/// use rtes_gateway::fix::codec::{tags, Decoder, Encoder};
/// let mut encoder = Encoder::with_capacity(256);
/// encoder.begin(b"D");
/// encoder.field_bytes(tags::ORD_TYPE, b"2");
/// let bytes = encoder.finish().to_vec();
/// let mut decoder = Decoder::new(32);
/// let message = decoder.decode(&bytes).unwrap();
/// assert_eq!(rtes_gateway::fix::dictionary::missing_conditional_field(&message), Some(44));
/// ```
pub fn missing_conditional_field(message: &Message<'_>) -> Option<u32> {
    conditions(message.msg_type()).iter().find_map(|condition| {
        let applies = message
            .get(condition.when_tag)
            .is_some_and(|value| condition.when_values.contains(&value));
        (applies && message.get(condition.then_required).is_none())
            .then_some(condition.then_required)
    })
}

/// Where a tag belongs in every message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    /// Not a header or trailer field.
    Body,
    /// Standard header.
    Header,
    /// Standard trailer.
    Trailer,
}

/// Index into [`fields::FIELDS`] by tag; `u16::MAX` for tags FIX 4.4 does
/// not define.
const FIELD_INDEX: [u16; MAX_FIX44_TAG as usize + 1] = build_field_index();

/// Header/trailer membership by tag.
const SECTION_BY_TAG: [Section; MAX_FIX44_TAG as usize + 1] = build_sections();

const fn build_field_index() -> [u16; MAX_FIX44_TAG as usize + 1] {
    let mut index = [u16::MAX; MAX_FIX44_TAG as usize + 1];
    let mut position = 0;
    while position < fields::FIELDS.len() {
        let tag = fields::FIELDS[position].tag as usize;
        // The table must be sorted and without duplicates: checked at
        // compile time so a bad edit cannot ship.
        assert!(position == 0 || fields::FIELDS[position - 1].tag < tag as u32);
        assert!(tag <= MAX_FIX44_TAG as usize);
        index[tag] = position as u16;
        position += 1;
    }
    index
}

const fn build_sections() -> [Section; MAX_FIX44_TAG as usize + 1] {
    let mut sections = [Section::Body; MAX_FIX44_TAG as usize + 1];
    let mut position = 0;
    while position < messages::HEADER.len() {
        sections[messages::HEADER[position].tag as usize] = Section::Header;
        position += 1;
    }
    // Hop group members only appear inside the header's NoHops group.
    position = 0;
    while position < messages::TRAILER.len() {
        sections[messages::TRAILER[position].tag as usize] = Section::Trailer;
        position += 1;
    }
    sections
}

/// The FIX 4.4 definition of `tag`, if FIX 4.4 defines it.
///
/// ```
/// use rtes_gateway::fix::dictionary::{field, FieldType};
/// assert_eq!(field(44).map(|field| field.field_type), Some(FieldType::Price));
/// assert!(field(957).is_none());
/// ```
pub fn field(tag: u32) -> Option<&'static FieldDefinition> {
    let position = *FIELD_INDEX.get(tag as usize)?;
    fields::FIELDS.get(usize::from(position))
}

/// Whether `tag` is in the user-defined range RTES ignores.
pub fn is_user_defined(tag: u32) -> bool {
    (USER_DEFINED_TAG_MIN..=USER_DEFINED_TAG_MAX).contains(&tag)
}

/// Whether `tag` is a standard header field.
pub fn is_header_field(tag: u32) -> bool {
    section(tag) == Section::Header
}

/// Whether `tag` is a standard trailer field.
pub fn is_trailer_field(tag: u32) -> bool {
    section(tag) == Section::Trailer
}

fn section(tag: u32) -> Section {
    SECTION_BY_TAG
        .get(tag as usize)
        .copied()
        .unwrap_or(Section::Body)
}

/// The standard header's members.
pub fn header() -> &'static [Member] {
    messages::HEADER
}

/// The standard trailer's members.
pub fn trailer() -> &'static [Member] {
    messages::TRAILER
}

/// The definition of a message type RTES knows (session, inbound or
/// outbound).
///
/// ```
/// use rtes_gateway::fix::dictionary::{message, Direction};
/// assert_eq!(message(b"D").map(|definition| definition.direction), Some(Direction::Inbound));
/// assert!(message(b"E").is_none()); // NewOrderList: FIX 4.4, not RTES
/// ```
pub fn message(msg_type: &[u8]) -> Option<&'static MessageDefinition> {
    use messages::*;
    let definition = match msg_type {
        b"0" => &HEARTBEAT,
        b"1" => &TEST_REQUEST,
        b"2" => &RESEND_REQUEST,
        b"3" => &REJECT,
        b"4" => &SEQUENCE_RESET,
        b"5" => &LOGOUT,
        b"A" => &LOGON,
        b"D" => &NEW_ORDER_SINGLE,
        b"F" => &ORDER_CANCEL_REQUEST,
        b"G" => &ORDER_CANCEL_REPLACE_REQUEST,
        b"H" => &ORDER_STATUS_REQUEST,
        b"q" => &ORDER_MASS_CANCEL_REQUEST,
        b"V" => &MARKET_DATA_REQUEST,
        b"x" => &SECURITY_LIST_REQUEST,
        b"g" => &TRADING_SESSION_STATUS_REQUEST,
        b"R" => &QUOTE_REQUEST,
        b"8" => &EXECUTION_REPORT,
        b"9" => &ORDER_CANCEL_REJECT,
        b"r" => &ORDER_MASS_CANCEL_REPORT,
        b"j" => &BUSINESS_MESSAGE_REJECT,
        b"W" => &MARKET_DATA_SNAPSHOT_FULL_REFRESH,
        b"X" => &MARKET_DATA_INCREMENTAL_REFRESH,
        b"Y" => &MARKET_DATA_REQUEST_REJECT,
        b"y" => &SECURITY_LIST,
        b"h" => &TRADING_SESSION_STATUS,
        b"S" => &QUOTE,
        b"AG" => &QUOTE_REQUEST_REJECT,
        _ => return None,
    };
    Some(definition)
}

/// Every message type RTES knows, for docs and tests.
pub fn messages() -> impl Iterator<Item = &'static MessageDefinition> {
    const TYPES: [&[u8]; 27] = [
        b"0", b"1", b"2", b"3", b"4", b"5", b"A", b"D", b"F", b"G", b"H", b"q", b"V", b"x", b"g",
        b"R", b"8", b"9", b"r", b"j", b"W", b"X", b"Y", b"y", b"h", b"S", b"AG",
    ];
    TYPES.into_iter().filter_map(message)
}

/// Whether FIX 4.4 defines `msg_type` (whether or not RTES supports it).
pub fn is_fix44_msg_type(msg_type: &[u8]) -> bool {
    messages::FIX44_MSG_TYPES.contains(&msg_type)
}

fn find_member(members: &'static [Member], tag: u32) -> Option<&'static Member> {
    let tag = u16::try_from(tag).ok()?;
    members
        .binary_search_by_key(&tag, |member| member.tag)
        .ok()
        .map(|position| &members[position])
}

/// A member that is an optional field (for the generated tables).
const fn optional(tag: u16) -> Member {
    Member {
        tag,
        required: false,
        group: None,
    }
}

/// A member that is a required field.
const fn required(tag: u16) -> Member {
    Member {
        tag,
        required: true,
        group: None,
    }
}

/// A member that is a repeating group's NumInGroup field.
const fn group(tag: u16, required: bool, definition: &'static GroupDefinition) -> Member {
    Member {
        tag,
        required,
        group: Some(definition),
    }
}

/// SessionRejectReason (373): why a message was rejected at session level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionRejectReason {
    /// 0: the tag is not a FIX 4.4 field.
    InvalidTagNumber,
    /// 1: a required field is missing.
    RequiredTagMissing,
    /// 2: the field is FIX 4.4 but not part of this message type.
    TagNotDefinedForMessageType,
    /// 3: undefined tag.
    UndefinedTag,
    /// 4: `tag=` with nothing after it.
    TagSpecifiedWithoutValue,
    /// 5: the value is not one the field allows.
    ValueIsIncorrect,
    /// 6: the value is not in the field's data format.
    IncorrectDataFormat,
    /// 9: SenderCompID or TargetCompID is not this session's.
    CompIdProblem,
    /// 10: SendingTime (or OrigSendingTime) is implausible.
    SendingTimeAccuracyProblem,
    /// 11: the MsgType is not a FIX 4.4 one.
    InvalidMsgType,
    /// 13: a field appears twice outside a repeating group.
    TagAppearsMoreThanOnce,
    /// 14: a header field after the body, or a body field after the trailer.
    TagSpecifiedOutOfRequiredOrder,
    /// 16: a NumInGroup count differs from the instances present.
    IncorrectNumInGroupCount,
    /// 99: other.
    Other,
}

impl SessionRejectReason {
    /// The value of field 373.
    pub fn code(self) -> u32 {
        match self {
            SessionRejectReason::InvalidTagNumber => 0,
            SessionRejectReason::RequiredTagMissing => 1,
            SessionRejectReason::TagNotDefinedForMessageType => 2,
            SessionRejectReason::UndefinedTag => 3,
            SessionRejectReason::TagSpecifiedWithoutValue => 4,
            SessionRejectReason::ValueIsIncorrect => 5,
            SessionRejectReason::IncorrectDataFormat => 6,
            SessionRejectReason::CompIdProblem => 9,
            SessionRejectReason::SendingTimeAccuracyProblem => 10,
            SessionRejectReason::InvalidMsgType => 11,
            SessionRejectReason::TagAppearsMoreThanOnce => 13,
            SessionRejectReason::TagSpecifiedOutOfRequiredOrder => 14,
            SessionRejectReason::IncorrectNumInGroupCount => 16,
            SessionRejectReason::Other => 99,
        }
    }

    /// The Text (58) RTES sends with it (QuickFIX's wording).
    pub fn text(self) -> &'static str {
        match self {
            SessionRejectReason::InvalidTagNumber => "Invalid tag number",
            SessionRejectReason::RequiredTagMissing => "Required tag missing",
            SessionRejectReason::TagNotDefinedForMessageType => {
                "Tag not defined for this message type"
            }
            SessionRejectReason::UndefinedTag => "Undefined tag",
            SessionRejectReason::TagSpecifiedWithoutValue => "Tag specified without a value",
            SessionRejectReason::ValueIsIncorrect => {
                "Value is incorrect (out of range) for this tag"
            }
            SessionRejectReason::IncorrectDataFormat => "Incorrect data format for value",
            SessionRejectReason::CompIdProblem => "CompID problem",
            SessionRejectReason::SendingTimeAccuracyProblem => "SendingTime accuracy problem",
            SessionRejectReason::InvalidMsgType => "Invalid MsgType",
            SessionRejectReason::TagAppearsMoreThanOnce => "Tag appears more than once",
            SessionRejectReason::TagSpecifiedOutOfRequiredOrder => {
                "Tag specified out of required order"
            }
            SessionRejectReason::IncorrectNumInGroupCount => {
                "Incorrect NumInGroup count for repeating group"
            }
            SessionRejectReason::Other => "Other",
        }
    }
}

impl std::fmt::Display for SessionRejectReason {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{} ({})", self.text(), self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_member_tag_is_a_fix44_field_and_lists_are_sorted() {
        fn check_members(members: &[Member], required: &[u16], context: &str) {
            assert!(
                members.windows(2).all(|pair| pair[0].tag < pair[1].tag),
                "{context}: members not sorted"
            );
            assert!(required.windows(2).all(|pair| pair[0] < pair[1]));
            for member in members {
                assert!(
                    field(u32::from(member.tag)).is_some(),
                    "{context}: {}",
                    member.tag
                );
                if let Some(group) = member.group {
                    assert_eq!(group.count_tag, member.tag);
                    assert_eq!(
                        field(u32::from(member.tag)).map(|field| field.field_type),
                        Some(FieldType::NumInGroup)
                    );
                    assert!(group.member(u32::from(group.delimiter)).is_some());
                    check_members(group.members, group.required, context);
                }
            }
            for tag in required {
                assert!(members
                    .iter()
                    .any(|member| member.tag == *tag && member.required));
            }
        }
        check_members(messages::HEADER, messages::HEADER_REQUIRED, "header");
        check_members(messages::TRAILER, messages::TRAILER_REQUIRED, "trailer");
        for definition in messages() {
            check_members(definition.members, definition.required, definition.name);
            assert!(is_fix44_msg_type(definition.msg_type));
        }
        assert_eq!(messages().count(), 27);
    }

    #[test]
    fn rtes_required_fields_match_the_brief() {
        let required = |msg_type: &[u8]| message(msg_type).unwrap().required.to_vec();
        assert_eq!(required(b"D"), [11, 38, 40, 54, 55, 60]);
        assert_eq!(required(b"F"), [11, 41, 54, 55, 60]);
        assert_eq!(required(b"G"), [11, 38, 40, 41, 54, 55, 60]);
        assert_eq!(required(b"H"), [11, 54, 55]);
        assert_eq!(required(b"q"), [11, 60, 530]);
        assert_eq!(required(b"V"), [146, 262, 263, 264, 267]);
        assert_eq!(required(b"x"), [320, 559]);
        assert_eq!(required(b"g"), [263, 335]);
        assert_eq!(required(b"R"), [131, 146]);
        assert_eq!(required(b"8"), [6, 14, 17, 37, 39, 54, 55, 150, 151]);
        assert_eq!(required(b"9"), [11, 37, 39, 41, 434]);
        assert_eq!(required(b"j"), [372, 380]);
        assert_eq!(required(b"A"), [98, 108]);
    }

    #[test]
    fn sections_and_user_defined_tags() {
        assert!(is_header_field(52) && is_header_field(122) && !is_header_field(55));
        assert!(is_trailer_field(10) && !is_trailer_field(9));
        assert!(is_user_defined(5000) && is_user_defined(9999) && !is_user_defined(10_000));
        assert!(is_fix44_msg_type(b"E") && !is_fix44_msg_type(b"ZZ"));
    }
}
