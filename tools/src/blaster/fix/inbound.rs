//! The receiving side of a FIX session: a fixed receive buffer, framing
//! with the gateway codec (BodyLength and CheckSum checked), the inbound
//! MsgSeqNum check, and what each message means for the receiver.
//!
//! Mapping onto [`Reply`] (keys are ClOrdIDs, i.e. the run's tokens):
//! | venue message | reply |
//! |---|---|
//! | ExecutionReport 150=0 New | `Accepted` (11, open = LeavesQty 151) |
//! | 150=F Trade | `Executed` (11, LastQty 32) |
//! | 150=4 Canceled | `Canceled` (41 when present: the order, not the cancel request; else 11) |
//! | 150=5 Replaced | `Replaced` (11 new, 41 old, open = 151) |
//! | 150=8 Rejected | `Rejected` (11) |
//! | OrderCancelReject 434=1 | `CancelRejected` (41, the order) |
//! | OrderCancelReject 434=2 | `Rejected` (11, the refused replacement) |
//!
//! Session messages: Heartbeat and Logon are ignored, TestRequest asks the
//! sender for a Heartbeat, SequenceReset moves the expected number on;
//! Logout, Reject (3), BusinessMessageReject (j), ResendRequest (2), a
//! sequence gap or a too-low MsgSeqNum end the session with a reason.

use rtes_gateway::fix::codec::{frame, tags, Decoder, Frame, Message};

use super::{FIELDS_MAX, MESSAGE_BYTES_MAX};
use crate::blaster::protocol::{Event, Reply};

/// A FIX session's receive buffer and inbound state.
#[derive(Debug)]
pub struct FixReader {
    buffer: Box<[u8]>,
    /// First byte not yet consumed.
    start: usize,
    /// One past the last byte received.
    end: usize,
    decoder: Decoder,
    expected_sequence: u64,
    logon_seen: bool,
}

impl FixReader {
    /// A reader with a `capacity`-byte buffer expecting MsgSeqNum 1 next.
    ///
    /// # Panics
    /// When `capacity` cannot hold the largest message accepted.
    pub fn new(capacity: usize) -> FixReader {
        assert!(capacity >= MESSAGE_BYTES_MAX, "receive buffer too small");
        FixReader {
            buffer: vec![0u8; capacity].into_boxed_slice(),
            start: 0,
            end: 0,
            decoder: Decoder::new(FIELDS_MAX),
            expected_sequence: 1,
            logon_seen: false,
        }
    }

    /// MsgSeqNum the next venue message must carry.
    pub fn expected_sequence(&self) -> u64 {
        self.expected_sequence
    }

    /// Whether the venue's Logon has arrived, in sequence.
    pub fn logon_seen(&self) -> bool {
        self.logon_seen
    }

    /// Where the next `read` may write; what is left of a partial message
    /// moves to the front first (a few hundred bytes at most).
    pub fn spare_capacity(&mut self) -> &mut [u8] {
        if self.start > 0 {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        &mut self.buffer[self.end..]
    }

    /// Declares `count` bytes written into the spare capacity.
    pub fn commit(&mut self, count: usize) {
        assert!(
            self.end + count <= self.buffer.len(),
            "commit past the buffer"
        );
        self.end += count;
    }

    /// The next buffered message's meaning.
    pub fn next_event(&mut self) -> Event<'_> {
        let available = &self.buffer[self.start..self.end];
        let length = match frame(available, MESSAGE_BYTES_MAX) {
            Frame::Complete(length) => length,
            Frame::Incomplete => return Event::Pending,
            Frame::Garbled { skip, .. } => {
                // The session spec: a garbled message is dropped, and its
                // sequence number is not consumed.
                self.start += skip;
                return Event::Malformed;
            }
            Frame::TooLarge { declared_bytes } => {
                return Event::Close(format!(
                    "venue announced a {declared_bytes}-byte message \
                     (over the blaster's {MESSAGE_BYTES_MAX})"
                ))
            }
        };
        let bytes = &self.buffer[self.start..self.start + length];
        self.start += length;
        let Ok(message) = self.decoder.decode(bytes) else {
            return Event::Malformed;
        };
        match check_sequence(&message, &mut self.expected_sequence) {
            Sequence::InOrder => {
                self.logon_seen |= message.msg_type() == b"A";
                event_of(&message)
            }
            Sequence::Duplicate => Event::Ignored,
            Sequence::Broken(event) => event,
        }
    }
}

enum Sequence<'a> {
    InOrder,
    Duplicate,
    Broken(Event<'a>),
}

/// The initiator's half of the FIX sequence rules, without a store: the
/// blaster can neither ask for nor serve a resend, so any break ends the
/// session with a reason instead of being recovered.
fn check_sequence<'a>(message: &Message<'a>, expected: &mut u64) -> Sequence<'a> {
    let Ok(Some(sequence)) = message.get_u64(tags::MSG_SEQ_NUM) else {
        return Sequence::Broken(Event::Malformed);
    };
    let msg_type = message.msg_type();
    if msg_type == b"4" {
        // SequenceReset: reset or gap fill, either way NewSeqNo is next.
        if let Ok(Some(next)) = message.get_u64(tags::NEW_SEQ_NO) {
            *expected = next.max(*expected);
        }
        return Sequence::Duplicate;
    }
    if sequence < *expected {
        if message.get_flag(tags::POSS_DUP_FLAG) == Ok(true) {
            return Sequence::Duplicate;
        }
        return Sequence::Broken(Event::Close(format!(
            "venue MsgSeqNum {sequence} is lower than the expected {expected}"
        )));
    }
    if sequence > *expected && msg_type != b"5" {
        return Sequence::Broken(Event::Close(format!(
            "venue sequence gap: expected MsgSeqNum {expected}, got {sequence} \
             (the blaster does not ask for resends)"
        )));
    }
    *expected = sequence + 1;
    Sequence::InOrder
}

/// What one in-sequence message means.
pub fn event_of<'a>(message: &Message<'a>) -> Event<'a> {
    match message.msg_type() {
        b"8" => execution_report(message),
        b"9" => cancel_reject(message),
        b"1" => Event::TestRequest(message.get(tags::TEST_REQ_ID).unwrap_or_default()),
        b"5" => Event::Close(format!("venue logged out: {}", text(message))),
        b"3" => Event::Close(format!(
            "venue rejected our MsgSeqNum {} (35={}, tag {}): SessionRejectReason {}: {}",
            value(message, tags::REF_SEQ_NUM),
            value(message, tags::REF_MSG_TYPE),
            value(message, tags::REF_TAG_ID),
            value(message, tags::SESSION_REJECT_REASON),
            text(message)
        )),
        b"j" => Event::Close(format!(
            "venue business-rejected our MsgSeqNum {} (35={}): reason {}: {}",
            value(message, tags::REF_SEQ_NUM),
            value(message, tags::REF_MSG_TYPE),
            value(message, tags::BUSINESS_REJECT_REASON),
            text(message)
        )),
        b"2" => Event::Close(format!(
            "venue asked for a resend of {}..{}; the blaster keeps no message store",
            value(message, tags::BEGIN_SEQ_NO),
            value(message, tags::END_SEQ_NO)
        )),
        // Heartbeat, Logon, and application messages the blaster never
        // asks for (mass cancel reports, status answers).
        _ => Event::Ignored,
    }
}

fn execution_report<'a>(message: &Message<'a>) -> Event<'a> {
    let (Ok(Some(exec_type)), Some(token)) = (
        message.get_char(tags::EXEC_TYPE),
        message.get(tags::CL_ORD_ID),
    ) else {
        return Event::Malformed;
    };
    let reply = match exec_type {
        b'0' => {
            let Some(open_shares) = quantity(message, tags::LEAVES_QTY) else {
                return Event::Malformed;
            };
            Reply::Accepted {
                token,
                open_shares,
                dead: false,
            }
        }
        b'F' => {
            let Some(shares) = quantity(message, tags::LAST_QTY) else {
                return Event::Malformed;
            };
            Reply::Executed { token, shares }
        }
        // After a cancel request 11 is the request's own id and 41 the
        // order's; an unsolicited cancel (IOC remainder, self-trade) has
        // only 11, the order's.
        b'4' => Reply::Canceled {
            token: message.get(tags::ORIG_CL_ORD_ID).unwrap_or(token),
        },
        b'5' => {
            let (Some(previous), Some(open_shares)) = (
                message.get(tags::ORIG_CL_ORD_ID),
                quantity(message, tags::LEAVES_QTY),
            ) else {
                return Event::Malformed;
            };
            Reply::Replaced {
                token,
                previous,
                open_shares,
            }
        }
        b'8' => Reply::Rejected { token },
        // Restated (D), order status (I) and the rest change nothing the
        // blaster tracks.
        _ => return Event::Ignored,
    };
    Event::Reply(reply)
}

fn cancel_reject<'a>(message: &Message<'a>) -> Event<'a> {
    match (
        message.get_char(tags::CXL_REJ_RESPONSE_TO),
        message.get(tags::CL_ORD_ID),
        message.get(tags::ORIG_CL_ORD_ID),
    ) {
        (Ok(Some(b'1')), _, Some(order)) => Event::Reply(Reply::CancelRejected { token: order }),
        (Ok(Some(b'2')), Some(replacement), _) => {
            Event::Reply(Reply::Rejected { token: replacement })
        }
        _ => Event::Malformed,
    }
}

/// A whole-share quantity; larger than the blaster ever sends saturates.
fn quantity(message: &Message<'_>, tag: u32) -> Option<u32> {
    let value = message.get_u64(tag).ok().flatten()?;
    Some(u32::try_from(value).unwrap_or(u32::MAX))
}

/// A field's text for a close reason (cold path).
fn value(message: &Message<'_>, tag: u32) -> String {
    message.get(tag).map_or_else(
        || "?".to_string(),
        |bytes| String::from_utf8_lossy(bytes).into_owned(),
    )
}

fn text(message: &Message<'_>) -> String {
    message.get(tags::TEXT).map_or_else(
        || "(no Text)".to_string(),
        |bytes| String::from_utf8_lossy(bytes).into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtes_gateway::fix::codec::Encoder;

    /// A venue message of `msg_type` with MsgSeqNum `sequence` and `body`.
    fn venue(msg_type: &str, sequence: u64, body: &[(u32, &str)]) -> Vec<u8> {
        let mut encoder = Encoder::with_capacity(512);
        encoder.begin(msg_type.as_bytes());
        encoder.field_bytes(tags::SENDER_COMP_ID, b"RTES");
        encoder.field_bytes(tags::TARGET_COMP_ID, b"DEMO01");
        encoder.field_u64(tags::MSG_SEQ_NUM, sequence);
        encoder.field_bytes(tags::SENDING_TIME, b"20261123-09:20:00.000");
        for (tag, value) in body {
            encoder.field_bytes(*tag, value.as_bytes());
        }
        encoder.finish().to_vec()
    }

    fn feed(reader: &mut FixReader, bytes: &[u8]) {
        reader.spare_capacity()[..bytes.len()].copy_from_slice(bytes);
        reader.commit(bytes.len());
    }

    #[test]
    fn execution_reports_map_onto_replies() {
        let mut reader = FixReader::new(MESSAGE_BYTES_MAX);
        let stream = [
            venue(
                "8",
                1,
                &[(150, "0"), (39, "0"), (11, "T1"), (151, "300"), (14, "0")],
            ),
            venue(
                "8",
                2,
                &[
                    (150, "F"),
                    (11, "T1"),
                    (31, "190.01"),
                    (32, "100"),
                    (151, "200"),
                ],
            ),
            venue("8", 3, &[(150, "4"), (11, "T1C"), (41, "T1"), (151, "0")]),
            venue(
                "8",
                4,
                &[
                    (150, "4"),
                    (11, "T2"),
                    (151, "0"),
                    (58, "immediate-or-cancel remainder"),
                ],
            ),
            venue("8", 5, &[(150, "5"), (11, "T4"), (41, "T3"), (151, "150")]),
            venue("8", 6, &[(150, "8"), (11, "T5"), (103, "99")]),
            venue("9", 7, &[(11, "T6C"), (41, "T6"), (434, "1"), (102, "0")]),
            venue("9", 8, &[(11, "T8"), (41, "T7"), (434, "2"), (102, "0")]),
            venue("8", 9, &[(150, "D"), (11, "T9"), (151, "10")]),
            venue("0", 10, &[]),
            venue("8", 11, &[(150, "0"), (11, "T10")]),
        ];
        // Split mid-message: the reader waits for the rest.
        let all: Vec<u8> = stream.concat();
        feed(&mut reader, &all[..30]);
        assert_eq!(reader.next_event(), Event::Pending);
        feed(&mut reader, &all[30..]);
        let expected = [
            Event::Reply(Reply::Accepted {
                token: b"T1",
                open_shares: 300,
                dead: false,
            }),
            Event::Reply(Reply::Executed {
                token: b"T1",
                shares: 100,
            }),
            Event::Reply(Reply::Canceled { token: b"T1" }),
            Event::Reply(Reply::Canceled { token: b"T2" }),
            Event::Reply(Reply::Replaced {
                token: b"T4",
                previous: b"T3",
                open_shares: 150,
            }),
            Event::Reply(Reply::Rejected { token: b"T5" }),
            Event::Reply(Reply::CancelRejected { token: b"T6" }),
            Event::Reply(Reply::Rejected { token: b"T8" }),
            Event::Ignored,
            Event::Ignored,
            Event::Malformed,
            Event::Pending,
        ];
        for want in expected {
            assert_eq!(reader.next_event(), want);
        }
        assert_eq!(reader.expected_sequence(), 12);
    }

    #[test]
    fn session_messages_and_sequence_breaks() {
        let mut reader = FixReader::new(MESSAGE_BYTES_MAX);
        feed(&mut reader, &venue("1", 1, &[(112, "TEST-1")]));
        assert_eq!(reader.next_event(), Event::TestRequest(b"TEST-1"));
        // A possible duplicate below the expected number is dropped.
        feed(&mut reader, &venue("0", 1, &[(43, "Y")]));
        assert_eq!(reader.next_event(), Event::Ignored);
        // A gap fill moves the expected number on.
        feed(&mut reader, &venue("4", 2, &[(123, "Y"), (36, "5")]));
        assert_eq!(reader.next_event(), Event::Ignored);
        assert_eq!(reader.expected_sequence(), 5);
        // A garbled message is skipped without consuming a number.
        let mut garbled = venue("0", 5, &[]);
        let last = garbled.len() - 2;
        garbled[last] = if garbled[last] == b'9' {
            b'0'
        } else {
            garbled[last] + 1
        };
        feed(&mut reader, &garbled);
        assert_eq!(reader.next_event(), Event::Malformed);
        feed(
            &mut reader,
            &venue(
                "3",
                5,
                &[
                    (45, "9"),
                    (372, "D"),
                    (371, "44"),
                    (373, "5"),
                    (58, "bad price"),
                ],
            ),
        );
        let Event::Close(why) = reader.next_event() else {
            panic!("Reject closes")
        };
        assert_eq!(
            why,
            "venue rejected our MsgSeqNum 9 (35=D, tag 44): SessionRejectReason 5: bad price"
        );
        feed(
            &mut reader,
            &venue("8", 9, &[(150, "0"), (11, "T"), (151, "1")]),
        );
        let Event::Close(why) = reader.next_event() else {
            panic!("a gap closes")
        };
        assert!(why.contains("expected MsgSeqNum 6, got 9"), "{why}");
        feed(
            &mut reader,
            &venue("8", 3, &[(150, "0"), (11, "T"), (151, "1")]),
        );
        let Event::Close(why) = reader.next_event() else {
            panic!("too low closes")
        };
        assert!(why.contains("3 is lower than the expected 6"), "{why}");
        // A Logout is reported whatever its number.
        feed(&mut reader, &venue("5", 40, &[(58, "throttled")]));
        assert_eq!(
            reader.next_event(),
            Event::Close("venue logged out: throttled".into())
        );
        feed(&mut reader, &venue("2", 41, &[(7, "3"), (16, "0")]));
        let Event::Close(why) = reader.next_event() else {
            panic!("resend closes")
        };
        assert!(why.contains("resend of 3..0"), "{why}");
    }
}
