//! The messages the blaster sends on a FIX session, each with the standard
//! header (49, 56, 34, 52 in that order) and the next MsgSeqNum, appended
//! to the session's output buffer. The gateway's [`Encoder`] reuses one
//! buffer, so nothing here allocates once the buffers have grown.

use std::time::Duration;

use rtes_gateway::fix::codec::{tags, Encoder};
use rtes_gateway::ouch::Side;

use super::CANCEL_ID_SUFFIX;
use crate::blaster::protocol::{CancelRequest, EnterRequest, ReplaceRequest};

/// Prices travel with 4 implied decimals inside the blaster (OUCH's scale).
const PRICE_DECIMALS: u32 = 4;
/// Room for the longest message the blaster sends (a Logon with long
/// credentials is well under this).
const ENCODER_CAPACITY: usize = 1024;
/// OrdType (40) 2: limit.
const ORD_TYPE_LIMIT: u8 = b'2';
/// TimeInForce (59) 0: day.
const TIME_IN_FORCE_DAY: u8 = b'0';
/// TimeInForce (59) 3: immediate or cancel.
const TIME_IN_FORCE_IOC: u8 = b'3';

/// MsgTypes the blaster sends.
mod msg_type {
    pub const HEARTBEAT: &[u8] = b"0";
    pub const LOGOUT: &[u8] = b"5";
    pub const LOGON: &[u8] = b"A";
    pub const NEW_ORDER_SINGLE: &[u8] = b"D";
    pub const ORDER_CANCEL_REQUEST: &[u8] = b"F";
    pub const ORDER_CANCEL_REPLACE_REQUEST: &[u8] = b"G";
}

/// One FIX session's outbound side: CompIDs, the next MsgSeqNum, HeartBtInt.
#[derive(Debug)]
pub struct FixOutbound {
    encoder: Encoder,
    sender_comp_id: Vec<u8>,
    target_comp_id: Vec<u8>,
    next_sequence: u64,
    heartbeat_s: u32,
}

impl FixOutbound {
    /// A session from `sender_comp_id` (ours) to `target_comp_id` (the
    /// venue's) with HeartBtInt `heartbeat_s`, starting at MsgSeqNum 1.
    ///
    /// ```
    /// use rtes_tools::blaster::fix::FixOutbound;
    /// let mut session = FixOutbound::new("DEMO01", "RTES", 30);
    /// let mut out = Vec::new();
    /// session.logon(&mut out, None, 1_795_425_600_000_000_000);
    /// let text = String::from_utf8(out).unwrap().replace('\x01', "|");
    /// assert!(text.starts_with("8=FIX.4.4|9="));
    /// assert!(text.contains("|35=A|49=DEMO01|56=RTES|34=1|52=20261123-09:20:00.000|98=0|108=30|141=Y|10="));
    /// assert_eq!(session.next_sequence(), 2);
    /// ```
    pub fn new(sender_comp_id: &str, target_comp_id: &str, heartbeat_s: u32) -> FixOutbound {
        FixOutbound {
            encoder: Encoder::with_capacity(ENCODER_CAPACITY),
            sender_comp_id: sender_comp_id.as_bytes().to_vec(),
            target_comp_id: target_comp_id.as_bytes().to_vec(),
            next_sequence: 1,
            heartbeat_s,
        }
    }

    /// MsgSeqNum of the next message.
    pub fn next_sequence(&self) -> u64 {
        self.next_sequence
    }

    /// HeartBtInt as a duration: silent this long, a heartbeat is due.
    pub fn heartbeat_interval(&self) -> Duration {
        Duration::from_secs(u64::from(self.heartbeat_s))
    }

    fn begin(&mut self, msg_type: &[u8], utc_ns: u64) {
        self.encoder.begin(msg_type);
        self.encoder
            .field_bytes(tags::SENDER_COMP_ID, &self.sender_comp_id);
        self.encoder
            .field_bytes(tags::TARGET_COMP_ID, &self.target_comp_id);
        self.encoder
            .field_u64(tags::MSG_SEQ_NUM, self.next_sequence);
        self.encoder.field_timestamp(tags::SENDING_TIME, utc_ns);
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.encoder.finish());
        self.next_sequence += 1;
    }

    /// Appends a Logon with ResetSeqNumFlag: the session restarts at
    /// MsgSeqNum 1 on both sides. `credentials` are Username (553) and
    /// Password (554).
    pub fn logon(&mut self, out: &mut Vec<u8>, credentials: Option<(&str, &str)>, utc_ns: u64) {
        self.next_sequence = 1;
        self.begin(msg_type::LOGON, utc_ns);
        self.encoder.field_char(tags::ENCRYPT_METHOD, b'0');
        self.encoder
            .field_u64(tags::HEART_BT_INT, u64::from(self.heartbeat_s));
        self.encoder.field_char(tags::RESET_SEQ_NUM_FLAG, b'Y');
        if let Some((username, password)) = credentials {
            self.encoder
                .field_bytes(tags::USERNAME, username.as_bytes());
            self.encoder
                .field_bytes(tags::PASSWORD, password.as_bytes());
        }
        self.finish(out);
    }

    /// Appends a NewOrderSingle: a limit order, day or IOC.
    pub fn new_order(&mut self, out: &mut Vec<u8>, request: &EnterRequest<'_>, utc_ns: u64) {
        self.begin(msg_type::NEW_ORDER_SINGLE, utc_ns);
        self.encoder.field_bytes(tags::CL_ORD_ID, request.token);
        self.encoder
            .field_bytes(tags::SYMBOL, symbol(request.stock));
        self.encoder.field_char(tags::SIDE, side(request.side));
        self.encoder.field_timestamp(tags::TRANSACT_TIME, utc_ns);
        self.encoder
            .field_u64(tags::ORDER_QTY, u64::from(request.shares));
        self.encoder.field_char(tags::ORD_TYPE, ORD_TYPE_LIMIT);
        self.encoder
            .field_decimal(tags::PRICE, i64::from(request.price), PRICE_DECIMALS);
        let time_in_force = if request.ioc {
            TIME_IN_FORCE_IOC
        } else {
            TIME_IN_FORCE_DAY
        };
        self.encoder.field_char(tags::TIME_IN_FORCE, time_in_force);
        self.finish(out);
    }

    /// Appends an OrderCancelRequest; its own ClOrdID is the order's token
    /// followed by [`CANCEL_ID_SUFFIX`].
    pub fn cancel(&mut self, out: &mut Vec<u8>, request: &CancelRequest<'_>, utc_ns: u64) {
        let mut cancel_id = [CANCEL_ID_SUFFIX; 15];
        cancel_id[..14].copy_from_slice(request.token);
        self.begin(msg_type::ORDER_CANCEL_REQUEST, utc_ns);
        self.encoder
            .field_bytes(tags::ORIG_CL_ORD_ID, request.token);
        self.encoder.field_bytes(tags::CL_ORD_ID, &cancel_id);
        self.encoder
            .field_bytes(tags::SYMBOL, symbol(request.stock));
        self.encoder.field_char(tags::SIDE, side(request.side));
        self.encoder.field_timestamp(tags::TRANSACT_TIME, utc_ns);
        self.finish(out);
    }

    /// Appends an OrderCancelReplaceRequest: a limit order at the new price
    /// with the new total OrderQty.
    pub fn replace(&mut self, out: &mut Vec<u8>, request: &ReplaceRequest<'_>, utc_ns: u64) {
        self.begin(msg_type::ORDER_CANCEL_REPLACE_REQUEST, utc_ns);
        self.encoder
            .field_bytes(tags::ORIG_CL_ORD_ID, request.existing);
        self.encoder
            .field_bytes(tags::CL_ORD_ID, request.replacement);
        self.encoder
            .field_bytes(tags::SYMBOL, symbol(request.stock));
        self.encoder.field_char(tags::SIDE, side(request.side));
        self.encoder.field_timestamp(tags::TRANSACT_TIME, utc_ns);
        self.encoder
            .field_u64(tags::ORDER_QTY, u64::from(request.shares));
        self.encoder.field_char(tags::ORD_TYPE, ORD_TYPE_LIMIT);
        self.encoder
            .field_decimal(tags::PRICE, i64::from(request.price), PRICE_DECIMALS);
        self.finish(out);
    }

    /// Appends a Heartbeat; a non-empty `test_request_id` answers the
    /// TestRequest that carried it (TestReqID, 112).
    pub fn heartbeat(&mut self, out: &mut Vec<u8>, test_request_id: &[u8], utc_ns: u64) {
        self.begin(msg_type::HEARTBEAT, utc_ns);
        if !test_request_id.is_empty() {
            self.encoder.field_bytes(tags::TEST_REQ_ID, test_request_id);
        }
        self.finish(out);
    }

    /// Appends a Logout.
    pub fn logout(&mut self, out: &mut Vec<u8>, utc_ns: u64) {
        self.begin(msg_type::LOGOUT, utc_ns);
        self.finish(out);
    }
}

/// The symbol without OUCH's space padding.
fn symbol(stock: &[u8; 8]) -> &[u8] {
    stock.trim_ascii_end()
}

/// Side (54): 1 buy, 2 sell, 5 sell short, 6 sell short exempt.
fn side(side: Side) -> u8 {
    match side {
        Side::Buy => b'1',
        Side::Sell => b'2',
        Side::SellShort => b'5',
        Side::SellShortExempt => b'6',
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtes_gateway::fix::codec::{frame, Decoder, Frame};

    /// 2026-11-23 09:20:00.123 UTC.
    const NOW_NS: u64 = 1_795_425_600_123_000_000;

    fn fields(bytes: &[u8]) -> Vec<(u32, String)> {
        assert_eq!(frame(bytes, 4096), Frame::Complete(bytes.len()));
        let mut decoder = Decoder::new(64);
        let message = decoder.decode(bytes).unwrap();
        message
            .fields()
            .iter()
            .map(|field| {
                let value = String::from_utf8_lossy(message.value(field)).into_owned();
                (field.tag, value)
            })
            .collect()
    }

    fn split(mut bytes: &[u8]) -> Vec<&[u8]> {
        let mut messages = Vec::new();
        while let Frame::Complete(length) = frame(bytes, 4096) {
            messages.push(&bytes[..length]);
            bytes = &bytes[length..];
        }
        assert!(bytes.is_empty());
        messages
    }

    fn body(bytes: &[u8]) -> Vec<(u32, String)> {
        // Without 8, 9, 35, the header (49, 56, 34, 52) and 10.
        let all = fields(bytes);
        all[7..all.len() - 1].to_vec()
    }

    fn pairs(expected: &[(u32, &str)]) -> Vec<(u32, String)> {
        expected
            .iter()
            .map(|(tag, value)| (*tag, value.to_string()))
            .collect()
    }

    #[test]
    fn orders_cancels_and_replaces_carry_the_fields_rtes_reads() {
        let mut session = FixOutbound::new("DEMO01", "RTES", 30);
        let mut out = Vec::new();
        session.logon(&mut out, Some(("demo04", "demo04pw")), NOW_NS);
        assert_eq!(
            body(&out),
            pairs(&[
                (98, "0"),
                (108, "30"),
                (141, "Y"),
                (553, "demo04"),
                (554, "demo04pw")
            ])
        );
        let token = *b"ABCDEF0000002S";
        out.clear();
        session.new_order(
            &mut out,
            &EnterRequest {
                token: &token,
                stock: b"AAPL    ",
                side: Side::Sell,
                price: 1_900_100,
                shares: 300,
                ioc: true,
            },
            NOW_NS,
        );
        let all = fields(&out);
        assert_eq!(
            all[2..7],
            pairs(&[
                (35, "D"),
                (49, "DEMO01"),
                (56, "RTES"),
                (34, "2"),
                (52, "20261123-09:20:00.123")
            ])
        );
        assert_eq!(
            body(&out),
            pairs(&[
                (11, "ABCDEF0000002S"),
                (55, "AAPL"),
                (54, "2"),
                (60, "20261123-09:20:00.123"),
                (38, "300"),
                (40, "2"),
                (44, "190.01"),
                (59, "3"),
            ])
        );
        out.clear();
        session.cancel(
            &mut out,
            &CancelRequest {
                token: &token,
                stock: b"AAPL    ",
                side: Side::Sell,
            },
            NOW_NS,
        );
        assert_eq!(
            body(&out),
            pairs(&[
                (41, "ABCDEF0000002S"),
                (11, "ABCDEF0000002SC"),
                (55, "AAPL"),
                (54, "2"),
                (60, "20261123-09:20:00.123"),
            ])
        );
        out.clear();
        session.replace(
            &mut out,
            &ReplaceRequest {
                existing: &token,
                replacement: b"ABCDEF0000002T",
                stock: b"MSFT    ",
                side: Side::Buy,
                price: 4_200_000,
                shares: 200,
            },
            NOW_NS,
        );
        assert_eq!(
            body(&out),
            pairs(&[
                (41, "ABCDEF0000002S"),
                (11, "ABCDEF0000002T"),
                (55, "MSFT"),
                (54, "1"),
                (60, "20261123-09:20:00.123"),
                (38, "200"),
                (40, "2"),
                (44, "420"),
            ])
        );
        out.clear();
        session.heartbeat(&mut out, b"TEST 7", NOW_NS);
        session.heartbeat(&mut out, b"", NOW_NS);
        session.logout(&mut out, NOW_NS);
        let messages = split(&out);
        assert_eq!(messages.len(), 3);
        assert_eq!(body(messages[0]), pairs(&[(112, "TEST 7")]));
        assert_eq!(body(messages[1]), pairs(&[]), "no TestReqID to echo");
        let logout = fields(messages[2]);
        assert_eq!((logout[2].1.as_str(), logout[5].1.as_str()), ("5", "7"));
        assert_eq!(session.next_sequence(), 8, "every message took a number");
    }
}
