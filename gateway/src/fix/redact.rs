//! Message text for debug logs, with secrets removed: Password (554) is
//! replaced outright, Account (1) and Text (58) are masked to their length,
//! and SOH is shown as `|`.

use super::codec::SOH;

/// Tags whose values never reach a log.
const REDACTED: [&[u8]; 1] = [b"554"];
/// Tags whose values are replaced by `*` of the same length.
const MASKED: [&[u8]; 2] = [b"1", b"58"];

/// A printable, redacted copy of one or more messages.
///
/// ```
/// let text = rtes_gateway::fix::redact::redacted(b"35=A\x01553=u\x01554=secret\x0158=hi\x01");
/// assert_eq!(text, "35=A|553=u|554=<redacted>|58=**|");
/// ```
pub fn redacted(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() + 16);
    for field in bytes.split_inclusive(|byte| *byte == SOH) {
        let (body, terminated) = match field.split_last() {
            Some((&SOH, body)) => (body, true),
            _ => (field, false),
        };
        match body.iter().position(|byte| *byte == b'=') {
            Some(equals) if REDACTED.contains(&&body[..equals]) => {
                text.push_str(&String::from_utf8_lossy(&body[..=equals]));
                text.push_str("<redacted>");
            }
            Some(equals) if MASKED.contains(&&body[..equals]) => {
                text.push_str(&String::from_utf8_lossy(&body[..=equals]));
                text.extend(std::iter::repeat_n('*', body.len() - equals - 1));
            }
            _ => text.push_str(&String::from_utf8_lossy(body)),
        }
        if terminated {
            text.push('|');
        }
    }
    text
}
