//! The sending half of a session: standard header, sequence numbers,
//! storing, and every message the session writes itself. The application
//! reaches it through [`Replier`] (inside the message callback) or
//! `Session::send_application` (outside).

use crate::fix::codec::{tags, Decoder, Encoder, Message};
use crate::fix::dictionary::SessionRejectReason;

use super::{Now, SessionStore, StoreFailure};

/// BusinessRejectReason (380) 3: unsupported message type.
pub(super) const BUSINESS_REJECT_UNSUPPORTED_MESSAGE_TYPE: u64 = 3;

/// Standard header fields a message may carry before its body, besides
/// 8, 9 and 35 (used to find where a stored message's body starts).
const HEADER_TAGS_WE_WRITE: [u32; 6] = [
    tags::SENDER_COMP_ID,
    tags::TARGET_COMP_ID,
    tags::MSG_SEQ_NUM,
    tags::SENDING_TIME,
    tags::POSS_DUP_FLAG,
    tags::ORIG_SENDING_TIME,
];

/// The session's sending half.
#[derive(Debug)]
pub(super) struct Outbound<S> {
    pub(super) store: S,
    encoder: Encoder,
    /// Splits stored messages when they are resent.
    resend_decoder: Decoder,
    /// `49=<ours><SOH>56=<theirs><SOH>`, written into every header.
    comp_id_fields: Vec<u8>,
    /// When we last wrote bytes to the peer (monotonic ns).
    pub(super) last_sent_ns: u64,
    /// Whether application messages go to the output (logged on) or are
    /// only stored for a later resend.
    pub(super) deliver_application: bool,
}

impl<S: SessionStore> Outbound<S> {
    pub(super) fn new(
        store: S,
        sender_comp_id: &str,
        target_comp_id: &str,
        max_message_bytes: usize,
        max_fields: usize,
    ) -> Outbound<S> {
        let mut comp_id_fields =
            Vec::with_capacity(sender_comp_id.len() + target_comp_id.len() + 8);
        comp_id_fields.extend_from_slice(b"49=");
        comp_id_fields.extend_from_slice(sender_comp_id.as_bytes());
        comp_id_fields.extend_from_slice(b"\x0156=");
        comp_id_fields.extend_from_slice(target_comp_id.as_bytes());
        comp_id_fields.push(crate::fix::codec::SOH);
        Outbound {
            store,
            // Room for the largest message either side sends plus a resent
            // header, so the steady state never grows the buffer.
            encoder: Encoder::with_capacity(max_message_bytes + 128),
            resend_decoder: Decoder::new(max_fields),
            comp_id_fields,
            last_sent_ns: 0,
            deliver_application: false,
        }
    }

    /// Starts a message: 35, 49, 56, 34, 52.
    fn begin(&mut self, msg_type: &[u8], seq: u64, now: Now) {
        self.encoder.begin(msg_type);
        self.encoder.raw_fields(&self.comp_id_fields);
        self.encoder.field_u64(tags::MSG_SEQ_NUM, seq);
        self.encoder.field_timestamp(tags::SENDING_TIME, now.utc_ns);
    }

    fn write(&mut self, output: &mut Vec<u8>, now: Now) {
        output.extend_from_slice(self.encoder.message());
        self.last_sent_ns = now.monotonic_ns;
    }

    /// Sends an application message: sequenced, stored, written when
    /// logged on. Returns its MsgSeqNum.
    pub(super) fn send_application(
        &mut self,
        msg_type: &[u8],
        now: Now,
        output: &mut Vec<u8>,
        body: impl FnOnce(&mut Encoder),
    ) -> Result<u64, StoreFailure> {
        let seq = self.store.next_sender_seq();
        self.begin(msg_type, seq, now);
        body(&mut self.encoder);
        let message = self.encoder.finish();
        self.store.append_sent(seq, message)?;
        if self.deliver_application {
            self.write(output, now);
        }
        Ok(seq)
    }

    /// Sends an administrative message: sequenced, not stored (a resend
    /// replaces it with a gap fill), always written.
    pub(super) fn send_admin(
        &mut self,
        msg_type: &[u8],
        now: Now,
        output: &mut Vec<u8>,
        body: impl FnOnce(&mut Encoder),
    ) -> Result<u64, StoreFailure> {
        let seq = self.store.next_sender_seq();
        self.begin(msg_type, seq, now);
        body(&mut self.encoder);
        self.encoder.finish();
        self.store.skip_sent(seq)?;
        self.write(output, now);
        Ok(seq)
    }

    /// Logon reply: EncryptMethod 0, their HeartBtInt, 141=Y when they
    /// asked for a reset.
    pub(super) fn logon(
        &mut self,
        heart_bt_int_s: u32,
        reset: bool,
        now: Now,
        output: &mut Vec<u8>,
    ) -> Result<u64, StoreFailure> {
        self.send_admin(b"A", now, output, |encoder| {
            encoder.field_u64(tags::ENCRYPT_METHOD, 0);
            encoder.field_u64(tags::HEART_BT_INT, u64::from(heart_bt_int_s));
            if reset {
                encoder.field_char(tags::RESET_SEQ_NUM_FLAG, b'Y');
            }
        })
    }

    /// Heartbeat, echoing a TestReqID when answering a TestRequest.
    pub(super) fn heartbeat(
        &mut self,
        test_request_id: Option<&[u8]>,
        now: Now,
        output: &mut Vec<u8>,
    ) -> Result<u64, StoreFailure> {
        self.send_admin(b"0", now, output, |encoder| {
            if let Some(id) = test_request_id {
                encoder.field_bytes(tags::TEST_REQ_ID, id);
            }
        })
    }

    /// TestRequest with a numeric TestReqID.
    pub(super) fn test_request(
        &mut self,
        id: u64,
        now: Now,
        output: &mut Vec<u8>,
    ) -> Result<u64, StoreFailure> {
        self.send_admin(b"1", now, output, |encoder| {
            encoder.field_u64(tags::TEST_REQ_ID, id);
        })
    }

    /// ResendRequest for `begin..` (EndSeqNo 0: everything after, as FIX
    /// 4.2+ recommends and QuickFIX sends).
    pub(super) fn resend_request(
        &mut self,
        begin: u64,
        now: Now,
        output: &mut Vec<u8>,
    ) -> Result<u64, StoreFailure> {
        self.send_admin(b"2", now, output, |encoder| {
            encoder.field_u64(tags::BEGIN_SEQ_NO, begin);
            encoder.field_u64(tags::END_SEQ_NO, 0);
        })
    }

    /// Logout with an optional Text.
    pub(super) fn logout(
        &mut self,
        text: &str,
        now: Now,
        output: &mut Vec<u8>,
    ) -> Result<u64, StoreFailure> {
        self.send_admin(b"5", now, output, |encoder| {
            if !text.is_empty() {
                encoder.field_bytes(tags::TEXT, text.as_bytes());
            }
        })
    }

    /// Session-level Reject of message `ref_seq`.
    pub(super) fn reject(
        &mut self,
        rejected: &Rejection<'_>,
        now: Now,
        output: &mut Vec<u8>,
    ) -> Result<u64, StoreFailure> {
        self.send_admin(b"3", now, output, |encoder| {
            encoder.field_u64(tags::REF_SEQ_NUM, rejected.ref_seq);
            if let Some(tag) = rejected.ref_tag {
                encoder.field_u64(tags::REF_TAG_ID, u64::from(tag));
            }
            if !rejected.ref_msg_type.is_empty() {
                encoder.field_bytes(tags::REF_MSG_TYPE, rejected.ref_msg_type);
            }
            encoder.field_u64(
                tags::SESSION_REJECT_REASON,
                u64::from(rejected.reason.code()),
            );
            encoder.field_bytes(tags::TEXT, rejected.text.as_bytes());
        })
    }

    /// BusinessMessageReject (an application message: stored, resendable).
    pub(super) fn business_reject(
        &mut self,
        ref_seq: u64,
        ref_msg_type: &[u8],
        reason: u64,
        text: &str,
        now: Now,
        output: &mut Vec<u8>,
    ) -> Result<u64, StoreFailure> {
        self.send_application(b"j", now, output, |encoder| {
            encoder.field_u64(tags::REF_SEQ_NUM, ref_seq);
            encoder.field_bytes(tags::REF_MSG_TYPE, ref_msg_type);
            encoder.field_u64(tags::BUSINESS_REJECT_REASON, reason);
            if !text.is_empty() {
                encoder.field_bytes(tags::TEXT, text.as_bytes());
            }
        })
    }

    /// Answers a ResendRequest for `begin..=end` (`end` 0: up to the last
    /// sent). Stored application messages go out again with the same
    /// MsgSeqNum, PossDupFlag=Y, OrigSendingTime = their SendingTime and a
    /// new SendingTime; every run of numbers without a stored message
    /// (administrative messages, or messages the store lost) becomes one
    /// SequenceReset-GapFill. Nothing new is sequenced.
    pub(super) fn resend(
        &mut self,
        begin: u64,
        end: u64,
        now: Now,
        output: &mut Vec<u8>,
    ) -> Result<(), StoreFailure> {
        let last_sent = self.store.next_sender_seq().saturating_sub(1);
        let end = if end == 0 || end > last_sent {
            last_sent
        } else {
            end
        };
        let begin = begin.max(1);
        if begin > end {
            // Nothing was sent in that range: nothing to resend or fill.
            return Ok(());
        }
        let Outbound {
            store,
            encoder,
            resend_decoder,
            comp_id_fields,
            ..
        } = self;
        let mut writer = ResendWriter {
            encoder,
            decoder: resend_decoder,
            comp_id_fields,
            output,
            now,
            next: begin,
        };
        store.for_each_sent(begin, end, &mut |seq, stored| {
            writer.resend_one(seq, stored)
        })?;
        if writer.next <= end {
            writer.gap_fill(writer.next, end + 1);
        }
        self.last_sent_ns = now.monotonic_ns;
        Ok(())
    }
}

/// What a session-level Reject says.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rejection<'a> {
    pub(super) ref_seq: u64,
    pub(super) ref_msg_type: &'a [u8],
    pub(super) reason: SessionRejectReason,
    pub(super) ref_tag: Option<u32>,
    pub(super) text: &'a str,
}

/// State of one resend pass.
struct ResendWriter<'a> {
    encoder: &'a mut Encoder,
    decoder: &'a mut Decoder,
    comp_id_fields: &'a [u8],
    output: &'a mut Vec<u8>,
    now: Now,
    /// The first sequence number not yet resent or filled.
    next: u64,
}

impl ResendWriter<'_> {
    fn resend_one(&mut self, seq: u64, stored: &[u8]) {
        if seq < self.next {
            return;
        }
        let Some((msg_type, original_sending_time, body)) = split_stored(self.decoder, stored)
        else {
            // A stored message that no longer parses cannot be resent; the
            // gap fill that covers it keeps the peer's sequence whole.
            return;
        };
        if seq > self.next {
            self.gap_fill(self.next, seq);
        }
        self.encoder.begin(msg_type);
        self.encoder.raw_fields(self.comp_id_fields);
        self.encoder.field_u64(tags::MSG_SEQ_NUM, seq);
        self.encoder.field_char(tags::POSS_DUP_FLAG, b'Y');
        self.encoder
            .field_timestamp(tags::SENDING_TIME, self.now.utc_ns);
        self.encoder
            .field_bytes(tags::ORIG_SENDING_TIME, original_sending_time);
        self.encoder.raw_fields(body);
        self.output.extend_from_slice(self.encoder.finish());
        self.next = seq + 1;
    }

    /// SequenceReset-GapFill sent as `seq`, moving the peer to `new_seq`.
    fn gap_fill(&mut self, seq: u64, new_seq: u64) {
        self.encoder.begin(b"4");
        self.encoder.raw_fields(self.comp_id_fields);
        self.encoder.field_u64(tags::MSG_SEQ_NUM, seq);
        self.encoder.field_char(tags::POSS_DUP_FLAG, b'Y');
        self.encoder
            .field_timestamp(tags::SENDING_TIME, self.now.utc_ns);
        self.encoder
            .field_timestamp(tags::ORIG_SENDING_TIME, self.now.utc_ns);
        self.encoder.field_char(tags::GAP_FILL_FLAG, b'Y');
        self.encoder.field_u64(tags::NEW_SEQ_NO, new_seq);
        self.output.extend_from_slice(self.encoder.finish());
        self.next = new_seq;
    }
}

/// MsgType, SendingTime and the body bytes (from the first field after the
/// header up to the CheckSum) of a message we stored.
fn split_stored<'a>(
    decoder: &mut Decoder,
    stored: &'a [u8],
) -> Option<(&'a [u8], &'a [u8], &'a [u8])> {
    // Offsets are copied out of the field table so the slices borrow
    // `stored` only, not the decoder.
    let (msg_type, sending_time, body) = {
        let message = decoder.decode(stored).ok()?;
        let fields = message.fields();
        let sending_time = *fields
            .iter()
            .find(|field| field.tag == tags::SENDING_TIME)?;
        let first_body = 3 + fields[3..]
            .iter()
            .position(|field| !HEADER_TAGS_WE_WRITE.contains(&field.tag))?;
        let body_start = fields[first_body - 1].end as usize + 1;
        let body_end = fields.last()?.start as usize - b"10=".len();
        (fields[2], sending_time, body_start..body_end)
    };
    Some((
        &stored[msg_type.start as usize..msg_type.end as usize],
        &stored[sending_time.start as usize..sending_time.end as usize],
        &stored[body],
    ))
}

/// Lets the application answer inside `SessionHandler::on_application`
/// (an ExecutionReport, a BusinessMessageReject) through the session's own
/// sequencing and store: a borrow of the sending half.
pub struct Replier<'a, S> {
    pub(super) outbound: &'a mut Outbound<S>,
    pub(super) output: &'a mut Vec<u8>,
    pub(super) now: Now,
    pub(super) failure: &'a mut Option<StoreFailure>,
}

impl<S: SessionStore> Replier<'_, S> {
    /// Sends an application message (header written for you, then
    /// `body`); returns its MsgSeqNum. A store failure is also recorded so
    /// the session disconnects after the callback returns.
    pub fn send_application(
        &mut self,
        msg_type: &[u8],
        body: impl FnOnce(&mut Encoder),
    ) -> Result<u64, StoreFailure> {
        let sent = self
            .outbound
            .send_application(msg_type, self.now, self.output, body);
        if let Err(error) = &sent {
            *self.failure = Some(error.clone());
        }
        sent
    }

    /// Sends BusinessMessageReject (j) for `message` with
    /// BusinessRejectReason (380) `reason` and Text `text`.
    pub fn business_reject(
        &mut self,
        message: &Message<'_>,
        reason: u64,
        text: &str,
    ) -> Result<u64, StoreFailure> {
        let ref_seq = message
            .get_u64(tags::MSG_SEQ_NUM)
            .ok()
            .flatten()
            .unwrap_or(0);
        let sent = self.outbound.business_reject(
            ref_seq,
            message.msg_type(),
            reason,
            text,
            self.now,
            self.output,
        );
        if let Err(error) = &sent {
            *self.failure = Some(error.clone());
        }
        sent
    }

    /// The time of the message being handled.
    pub fn now(&self) -> Now {
        self.now
    }

    /// MsgSeqNum the next message sent will carry.
    pub fn next_sender_seq(&self) -> u64 {
        self.outbound.store.next_sender_seq()
    }
}
