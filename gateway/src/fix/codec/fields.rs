//! Appending `tag=value<SOH>` fields to any byte buffer, for message bodies
//! built before the header is known (the session adds the header).

use super::decimal::format_decimal;
use super::timestamp::format_utc_timestamp;
use super::SOH;

/// Writes fields onto the end of a borrowed buffer.
///
/// ```
/// use rtes_gateway::fix::codec::{tags, FieldWriter};
/// let mut body = Vec::new();
/// FieldWriter(&mut body).u64(tags::ORDER_QTY, 100).bytes(tags::SYMBOL, b"AAPL");
/// assert_eq!(body, b"38=100\x0155=AAPL\x01");
/// ```
pub struct FieldWriter<'a>(pub &'a mut Vec<u8>);

impl FieldWriter<'_> {
    fn tag(&mut self, tag: u32) {
        let mut digits = itoa::Buffer::new();
        self.0.extend_from_slice(digits.format(tag).as_bytes());
        self.0.push(b'=');
    }

    /// `tag=value`; `value` must not contain SOH.
    pub fn bytes(&mut self, tag: u32, value: &[u8]) -> &mut Self {
        debug_assert!(!value.contains(&SOH), "tag {tag} value contains SOH");
        self.tag(tag);
        self.0.extend_from_slice(value);
        self.0.push(SOH);
        self
    }

    /// A single-character value.
    pub fn char(&mut self, tag: u32, value: u8) -> &mut Self {
        self.bytes(tag, &[value])
    }

    /// An unsigned integer value.
    pub fn u64(&mut self, tag: u32, value: u64) -> &mut Self {
        self.tag(tag);
        let mut digits = itoa::Buffer::new();
        self.0.extend_from_slice(digits.format(value).as_bytes());
        self.0.push(SOH);
        self
    }

    /// A decimal value: `value` in units of 10^-`decimals`.
    pub fn decimal(&mut self, tag: u32, value: i64, decimals: u32) -> &mut Self {
        self.tag(tag);
        format_decimal(value, decimals, self.0);
        self.0.push(SOH);
        self
    }

    /// A UTCTimestamp value (milliseconds).
    pub fn timestamp(&mut self, tag: u32, utc_ns: u64) -> &mut Self {
        self.tag(tag);
        format_utc_timestamp(utc_ns, self.0);
        self.0.push(SOH);
        self
    }
}
