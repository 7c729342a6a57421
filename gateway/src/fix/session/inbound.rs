//! What happens to one decoded inbound message, in the order of the FIX
//! session rules: BeginString, logon state, header fields, SendingTime,
//! CompIDs, MsgSeqNum (too high: queue and ask; too low: duplicate or fatal),
//! PossDup checks, body validation against the dictionary, then the
//! message's own handling.

use crate::fix::codec::{parse_utc_timestamp, tags, Message, BEGIN_STRING};
use crate::fix::dictionary::{self, InboundError, SessionRejectReason};

use super::core::{Core, Io};
use super::outbound::{Replier, BUSINESS_REJECT_UNSUPPORTED_MESSAGE_TYPE};
use super::queue::{GapQueue, Queued};
use super::text::Text;
use super::{
    DisconnectReason, SessionEvent, SessionHandler, SessionState, SessionStore, StoreFailure,
};

/// The standard header fields the session rules read, taken in one pass.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Header<'a> {
    /// MsgSeqNum (34), when present and a number.
    pub(super) seq: Option<u64>,
    pub(super) sender_comp_id: Option<&'a [u8]>,
    pub(super) target_comp_id: Option<&'a [u8]>,
    pub(super) sending_time: Option<&'a [u8]>,
    pub(super) poss_dup: Option<&'a [u8]>,
    pub(super) orig_sending_time: Option<&'a [u8]>,
}

impl<'a> Header<'a> {
    /// Reads the header fields (first occurrence of each).
    pub(super) fn read(message: &Message<'a>) -> Header<'a> {
        let mut header = Header::default();
        let mut seq_text = None;
        for field in message.fields() {
            let slot = match field.tag {
                tags::MSG_SEQ_NUM => &mut seq_text,
                tags::SENDER_COMP_ID => &mut header.sender_comp_id,
                tags::TARGET_COMP_ID => &mut header.target_comp_id,
                tags::SENDING_TIME => &mut header.sending_time,
                tags::POSS_DUP_FLAG => &mut header.poss_dup,
                tags::ORIG_SENDING_TIME => &mut header.orig_sending_time,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(message.value(field));
            }
        }
        header.seq = seq_text.and_then(parse_seq);
        header
    }

    /// The first header field missing (373=1) or malformed (373=6).
    pub(super) fn problem(&self) -> Option<(SessionRejectReason, u32)> {
        let required = [
            (tags::SENDER_COMP_ID, self.sender_comp_id),
            (tags::TARGET_COMP_ID, self.target_comp_id),
            (tags::SENDING_TIME, self.sending_time),
        ];
        if let Some((tag, _)) = required.iter().find(|(_, value)| value.is_none()) {
            return Some((SessionRejectReason::RequiredTagMissing, *tag));
        }
        let time_ok =
            |value: Option<&[u8]>| value.is_none_or(|text| parse_utc_timestamp(text).is_ok());
        let flag_ok = self
            .poss_dup
            .is_none_or(|flag| flag == b"Y" || flag == b"N");
        let malformed = [
            (tags::SENDING_TIME, time_ok(self.sending_time)),
            (tags::POSS_DUP_FLAG, flag_ok),
            (tags::ORIG_SENDING_TIME, time_ok(self.orig_sending_time)),
        ];
        malformed
            .iter()
            .find(|(_, ok)| !ok)
            .map(|(tag, _)| (SessionRejectReason::IncorrectDataFormat, *tag))
    }

    pub(super) fn is_poss_dup(&self) -> bool {
        self.poss_dup == Some(b"Y")
    }

    /// SendingTime in ns (0 when absent or malformed: `problem` reports it).
    pub(super) fn sending_time_ns(&self) -> u64 {
        self.sending_time
            .and_then(|text| parse_utc_timestamp(text).ok())
            .unwrap_or(0)
    }
}

/// A MsgSeqNum: 1 or more, digits only.
fn parse_seq(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 18 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let seq = text
        .iter()
        .fold(0u64, |value, digit| value * 10 + u64::from(digit - b'0'));
    (seq > 0).then_some(seq)
}

/// Whether the message came off the socket or out of the gap queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    Socket,
    Queue,
}

impl<S: SessionStore> Core<S> {
    /// Applies the session rules to one decoded message.
    pub(super) fn process<H: SessionHandler<S>>(
        &mut self,
        message: &Message<'_>,
        origin: Origin,
        queue: &mut GapQueue,
        io: &mut Io<'_, H>,
    ) {
        if let Err(error) = self.process_message(message, origin, queue, io) {
            self.store_failed(error, io.handler);
        }
    }

    fn process_message<H: SessionHandler<S>>(
        &mut self,
        message: &Message<'_>,
        origin: Origin,
        queue: &mut GapQueue,
        io: &mut Io<'_, H>,
    ) -> Result<(), StoreFailure> {
        if origin == Origin::Socket {
            self.last_received_ns = io.now.monotonic_ns;
            self.test_request_pending = false;
        }
        if message.begin_string() != BEGIN_STRING {
            return self.logout_and_disconnect(
                "Incorrect BeginString",
                DisconnectReason::WrongBeginString,
                io,
            );
        }
        if self.state == SessionState::AwaitingLogon {
            if message.msg_type() != b"A" {
                // QuickFIX disconnects without a word: a Logout would
                // consume a sequence number of a session never started.
                self.disconnect(DisconnectReason::FirstMessageNotLogon, io.handler);
                return Ok(());
            }
            return self.on_logon(message, queue, io);
        }
        let header = Header::read(message);
        let Some(seq) = header.seq else {
            return self.logout_and_disconnect(
                "MsgSeqNum (34) missing or not a positive number",
                DisconnectReason::MissingSequenceNumber,
                io,
            );
        };
        if let Some((reason, tag)) = header.problem() {
            return self.reject(message, seq, reason, Some(tag), None, io);
        }
        if !self.sending_time_ok(header.sending_time_ns(), io) {
            self.reject(
                message,
                seq,
                SessionRejectReason::SendingTimeAccuracyProblem,
                Some(tags::SENDING_TIME),
                None,
                io,
            )?;
            return self.logout_and_wait("SendingTime accuracy problem", io);
        }
        if !self.comp_ids_ok(&header) {
            self.reject(
                message,
                seq,
                SessionRejectReason::CompIdProblem,
                None,
                None,
                io,
            )?;
            return self.logout_and_disconnect(
                "CompID problem",
                DisconnectReason::CompIdProblem,
                io,
            );
        }
        self.sequence(message, &header, seq, queue, io)
    }

    /// Whether SendingTime is within the tolerance of our clock.
    fn sending_time_ok<H>(&self, sending_time_ns: u64, io: &Io<'_, H>) -> bool {
        sending_time_ns.abs_diff(io.now.utc_ns) <= self.settings.sending_time_tolerance_ns
    }

    /// Whether their SenderCompID is our target and their TargetCompID us.
    pub(super) fn comp_ids_ok(&self, header: &Header<'_>) -> bool {
        header.sender_comp_id == Some(self.settings.target_comp_id.as_bytes())
            && header.target_comp_id == Some(self.settings.sender_comp_id.as_bytes())
    }

    /// The MsgSeqNum rules, per message type.
    fn sequence<H: SessionHandler<S>>(
        &mut self,
        message: &Message<'_>,
        header: &Header<'_>,
        seq: u64,
        queue: &mut GapQueue,
        io: &mut Io<'_, H>,
    ) -> Result<(), StoreFailure> {
        let msg_type = message.msg_type();
        let expected = self.expected();
        let gap_fill = msg_type == b"4" && message.get(tags::GAP_FILL_FLAG) == Some(b"Y");
        if msg_type == b"4" && !gap_fill {
            // Reset mode ignores MsgSeqNum (FIX): it may be anything.
            return self.on_sequence_reset(message, seq, false, queue, io);
        }
        if msg_type == b"5" {
            // A Logout is honoured whatever its number (QuickFIX).
            return self.on_logout(message, seq, io);
        }
        if seq > expected {
            return self.too_high(message, seq, expected, queue, io);
        }
        if seq < expected {
            if header.is_poss_dup() {
                return self
                    .possible_duplicate_checks(message, header, seq, io)
                    .map(|_| ());
            }
            let text = self.too_low_text(seq);
            return self.logout_and_disconnect(text.as_str(), DisconnectReason::SequenceTooLow, io);
        }
        if header.is_poss_dup()
            && msg_type != b"4"
            && !self.possible_duplicate_checks(message, header, seq, io)?
        {
            return Ok(());
        }
        self.in_sequence(message, seq, queue, io)
    }

    /// PossDupFlag=Y: OrigSendingTime must be present (else Reject 373=1)
    /// and not after SendingTime (else Reject 373=10 and Logout, as
    /// QuickFIX). A SequenceReset is exempt (QuickFIX: gap fills often
    /// lack 122). Returns whether the message may go on.
    fn possible_duplicate_checks<H: SessionHandler<S>>(
        &mut self,
        message: &Message<'_>,
        header: &Header<'_>,
        seq: u64,
        io: &mut Io<'_, H>,
    ) -> Result<bool, StoreFailure> {
        if message.msg_type() == b"4" {
            return Ok(true);
        }
        let Some(original) = header.orig_sending_time else {
            self.reject(
                message,
                seq,
                SessionRejectReason::RequiredTagMissing,
                Some(tags::ORIG_SENDING_TIME),
                None,
                io,
            )?;
            return Ok(false);
        };
        let original_ns = parse_utc_timestamp(original).unwrap_or(0);
        if original_ns > header.sending_time_ns() {
            self.reject(
                message,
                seq,
                SessionRejectReason::SendingTimeAccuracyProblem,
                Some(tags::ORIG_SENDING_TIME),
                Some("OrigSendingTime later than SendingTime"),
                io,
            )?;
            self.logout_and_wait("OrigSendingTime later than SendingTime", io)?;
            return Ok(false);
        }
        Ok(true)
    }

    /// A message ahead of sequence: hold it, and ask for the gap unless our
    /// ResendRequest (to infinity) already covers it. A ResendRequest is
    /// answered first, so two sides with gaps cannot wait on each other.
    fn too_high<H: SessionHandler<S>>(
        &mut self,
        message: &Message<'_>,
        seq: u64,
        expected: u64,
        queue: &mut GapQueue,
        io: &mut Io<'_, H>,
    ) -> Result<(), StoreFailure> {
        let mut kind = Queued::Process;
        if message.msg_type() == b"2" && dictionary::validate_inbound(message).is_ok() {
            self.answer_resend_request(message, io)?;
            kind = Queued::Skip;
        }
        if queue.push(seq, message.bytes(), kind).is_err() {
            return self.logout_and_disconnect(
                "Too many messages queued behind a sequence gap",
                DisconnectReason::QueueFull,
                io,
            );
        }
        io.handler.on_event(SessionEvent::GapDetected {
            expected,
            received: seq,
        });
        self.request_gap(expected, seq, io)
    }

    /// Sends ResendRequest `expected..` unless one is outstanding.
    pub(super) fn request_gap<H: SessionHandler<S>>(
        &mut self,
        expected: u64,
        received: u64,
        io: &mut Io<'_, H>,
    ) -> Result<(), StoreFailure> {
        if self.resend_requested_through.is_none() {
            self.outbound.resend_request(expected, io.now, io.output)?;
            self.resend_requested_through = Some(received - 1);
        }
        Ok(())
    }

    /// The expected message: validate its body, then handle it.
    fn in_sequence<H: SessionHandler<S>>(
        &mut self,
        message: &Message<'_>,
        seq: u64,
        queue: &mut GapQueue,
        io: &mut Io<'_, H>,
    ) -> Result<(), StoreFailure> {
        let definition = match dictionary::validate_inbound(message) {
            Ok(definition) => definition,
            Err(InboundError::Invalid(violation)) => {
                return self.reject(message, seq, violation.reason, violation.tag, None, io);
            }
            Err(InboundError::UnsupportedMessageType) => {
                return self.unsupported(message, seq, io);
            }
        };
        match definition.msg_type {
            b"A" => {
                // QuickFIX drops a connection that logs on twice.
                self.disconnect(DisconnectReason::UnexpectedLogon, io.handler);
                Ok(())
            }
            b"0" => self.advance(seq),
            b"1" => {
                let id = message.get(tags::TEST_REQ_ID);
                self.outbound.heartbeat(id, io.now, io.output)?;
                self.advance(seq)
            }
            b"2" => {
                self.answer_resend_request(message, io)?;
                self.advance(seq)
            }
            b"3" => {
                io.handler.on_event(SessionEvent::RejectReceived {
                    ref_seq: message.get_u64(tags::REF_SEQ_NUM).ok().flatten(),
                    reason: message.get_u64(tags::SESSION_REJECT_REASON).ok().flatten(),
                    text: message.get(tags::TEXT),
                });
                self.advance(seq)
            }
            b"4" => self.on_sequence_reset(message, seq, true, queue, io),
            _ => self.deliver(message, seq, io),
        }
    }

    /// Hands an application message to the handler, with a [`Replier`].
    fn deliver<H: SessionHandler<S>>(
        &mut self,
        message: &Message<'_>,
        seq: u64,
        io: &mut Io<'_, H>,
    ) -> Result<(), StoreFailure> {
        let mut failure = None;
        let mut replier = Replier {
            outbound: &mut self.outbound,
            output: io.output,
            now: io.now,
            failure: &mut failure,
        };
        io.handler.on_application(message, &mut replier);
        if let Some(error) = failure {
            return Err(error);
        }
        self.advance(seq)
    }

    /// BusinessMessageReject (380=3) for a valid FIX 4.4 type RTES does
    /// not accept.
    fn unsupported<H: SessionHandler<S>>(
        &mut self,
        message: &Message<'_>,
        seq: u64,
        io: &mut Io<'_, H>,
    ) -> Result<(), StoreFailure> {
        self.outbound.business_reject(
            seq,
            message.msg_type(),
            BUSINESS_REJECT_UNSUPPORTED_MESSAGE_TYPE,
            "Unsupported Message Type",
            io.now,
            io.output,
        )?;
        io.handler.on_event(SessionEvent::UnsupportedMessage {
            ref_seq: seq,
            ref_msg_type: message.msg_type(),
        });
        self.advance(seq)
    }

    /// Resends from the store what a (validated) ResendRequest asks for.
    fn answer_resend_request<H: SessionHandler<S>>(
        &mut self,
        message: &Message<'_>,
        io: &mut Io<'_, H>,
    ) -> Result<(), StoreFailure> {
        let begin = message
            .get_u64(tags::BEGIN_SEQ_NO)
            .ok()
            .flatten()
            .unwrap_or(1);
        let end = message
            .get_u64(tags::END_SEQ_NO)
            .ok()
            .flatten()
            .unwrap_or(0);
        io.handler
            .on_event(SessionEvent::ResendRequested { begin, end });
        self.outbound.resend(begin, end, io.now, io.output)
    }

    /// SequenceReset. GapFill mode (in sequence here): NewSeqNo must exceed
    /// MsgSeqNum. Reset mode: NewSeqNo below the expected number is refused,
    /// equal changes nothing, above moves the expected number. Neither
    /// Reject consumes the number (QuickFIX).
    fn on_sequence_reset<H: SessionHandler<S>>(
        &mut self,
        message: &Message<'_>,
        seq: u64,
        gap_fill: bool,
        queue: &mut GapQueue,
        io: &mut Io<'_, H>,
    ) -> Result<(), StoreFailure> {
        if !gap_fill {
            if let Err(InboundError::Invalid(violation)) = dictionary::validate_inbound(message) {
                return self.reject(message, seq, violation.reason, violation.tag, None, io);
            }
        }
        let new_seq = message
            .get_u64(tags::NEW_SEQ_NO)
            .ok()
            .flatten()
            .unwrap_or(0);
        let expected = self.expected();
        let refused = if gap_fill {
            new_seq <= seq
        } else {
            new_seq < expected
        };
        if refused {
            let text = Text::format(format_args!(
                "NewSeqNo {new_seq} would lower the expected MsgSeqNum {expected}"
            ));
            return self.reject(
                message,
                seq,
                SessionRejectReason::ValueIsIncorrect,
                Some(tags::NEW_SEQ_NO),
                Some(text.as_str()),
                io,
            );
        }
        if new_seq > expected {
            self.set_expected(new_seq)?;
            queue.drop_below(new_seq);
            io.handler
                .on_event(SessionEvent::SequenceReset { new_seq, gap_fill });
        }
        Ok(())
    }

    /// Logout: answer it (unless it answers ours), then disconnect.
    fn on_logout<H: SessionHandler<S>>(
        &mut self,
        message: &Message<'_>,
        seq: u64,
        io: &mut Io<'_, H>,
    ) -> Result<(), StoreFailure> {
        io.handler.on_event(SessionEvent::LoggedOut {
            text: message.get(tags::TEXT),
        });
        if self.state != SessionState::LogoutSent {
            self.outbound.logout("", io.now, io.output)?;
        }
        if seq == self.expected() {
            self.advance(seq)?;
        }
        self.disconnect(DisconnectReason::LogoutCompleted, io.handler);
        Ok(())
    }
}
