//! Logon: the checks a Logon must pass, the credential hand-off to the
//! caller, and what accepting does (reset, reply, gap request, resend).

use crate::fix::codec::{tags, Message};
use crate::fix::dictionary::{self, InboundError, SessionRejectReason, Violation};

use super::core::{Core, Io, PendingLogon, NS_PER_SECOND};
use super::inbound::Header;
use super::queue::{GapQueue, Queued};
use super::text::Text;
use super::{
    CredentialCheck, DisconnectReason, ResetPolicy, SessionEvent, SessionHandler, SessionState,
    SessionStore, StoreFailure,
};

/// Why a Logon is refused.
#[derive(Debug, Clone, Copy)]
enum LogonProblem {
    MissingSequenceNumber,
    Header(SessionRejectReason, u32),
    CompId,
    SendingTime,
    Invalid(Violation),
    EncryptMethod,
    HeartBtInt { minimum: u32, maximum: u32 },
    Username,
    ResetNotAccepted,
    ResetNeedsFirstNumber { received: u64 },
    SequenceTooLow { expected: u64, received: u64 },
    NextExpectedTooHigh { ours: u64, theirs: u64 },
}

impl LogonProblem {
    fn reason(self) -> DisconnectReason {
        match self {
            LogonProblem::MissingSequenceNumber => DisconnectReason::MissingSequenceNumber,
            LogonProblem::CompId => DisconnectReason::CompIdProblem,
            LogonProblem::SequenceTooLow { .. } => DisconnectReason::SequenceTooLow,
            LogonProblem::NextExpectedTooHigh { .. } => DisconnectReason::NextExpectedTooHigh,
            _ => DisconnectReason::LogonRefused,
        }
    }

    /// The Logout's Text.
    fn text(self) -> Text {
        match self {
            LogonProblem::MissingSequenceNumber => Text::format(format_args!(
                "MsgSeqNum (34) missing or not a positive number"
            )),
            LogonProblem::Header(reason, tag) => {
                Text::format(format_args!("{} ({tag})", reason.text()))
            }
            LogonProblem::CompId => Text::format(format_args!("CompID problem")),
            LogonProblem::SendingTime => Text::format(format_args!("SendingTime accuracy problem")),
            LogonProblem::Invalid(violation) => Text::format(format_args!(
                "{} ({})",
                violation.reason.text(),
                violation.tag.unwrap_or(0)
            )),
            LogonProblem::EncryptMethod => Text::format(format_args!(
                "EncryptMethod (98) must be 0: RTES does not encrypt"
            )),
            LogonProblem::HeartBtInt { minimum, maximum } => Text::format(format_args!(
                "HeartBtInt (108) must be between {minimum} and {maximum} seconds"
            )),
            LogonProblem::Username => Text::format(format_args!("Unknown Username (553)")),
            LogonProblem::ResetNotAccepted => Text::format(format_args!(
                "ResetSeqNumFlag (141) not accepted on this session"
            )),
            LogonProblem::ResetNeedsFirstNumber { received } => Text::format(format_args!(
                "ResetSeqNumFlag=Y requires MsgSeqNum 1, received {received}"
            )),
            LogonProblem::SequenceTooLow { expected, received } => Text::format(format_args!(
                "MsgSeqNum too low, expecting {expected} but received {received}"
            )),
            LogonProblem::NextExpectedTooHigh { ours, theirs } => Text::format(format_args!(
                "NextExpectedMsgSeqNum too high, expecting {ours} but received {theirs}"
            )),
        }
    }
}

impl<S: SessionStore> Core<S> {
    /// The first message of a connection, a Logon. Any failed check is
    /// answered with Logout (its Text says which) and a disconnect; no
    /// Reject, as nothing is logged on yet, and the Logon's number is not
    /// consumed.
    pub(super) fn on_logon<H: SessionHandler<S>>(
        &mut self,
        message: &Message<'_>,
        queue: &mut GapQueue,
        io: &mut Io<'_, H>,
    ) -> Result<(), StoreFailure> {
        match self.check_logon(message, io.now.utc_ns) {
            Ok(pending) => {
                self.pending_logon = Some(pending);
                match self.settings.credential_check {
                    CredentialCheck::None => self.accept_logon(queue, io),
                    CredentialCheck::Caller => {
                        self.state = SessionState::LogonPending;
                        io.handler.on_event(SessionEvent::LogonRequest {
                            username: message.get(tags::USERNAME),
                            password: message.get(tags::PASSWORD),
                            heart_bt_int_s: pending.heart_bt_int_s,
                            reset: pending.reset,
                        });
                        Ok(())
                    }
                }
            }
            Err(problem) => {
                self.logout_and_disconnect(problem.text().as_str(), problem.reason(), io)
            }
        }
    }

    fn check_logon(
        &self,
        message: &Message<'_>,
        now_utc_ns: u64,
    ) -> Result<PendingLogon, LogonProblem> {
        let header = Header::read(message);
        let seq = header.seq.ok_or(LogonProblem::MissingSequenceNumber)?;
        if let Some((reason, tag)) = header.problem() {
            return Err(LogonProblem::Header(reason, tag));
        }
        if !self.comp_ids_ok(&header) {
            return Err(LogonProblem::CompId);
        }
        let skew_ns = header.sending_time_ns().abs_diff(now_utc_ns);
        if skew_ns > self.settings.sending_time_tolerance_ns {
            return Err(LogonProblem::SendingTime);
        }
        match dictionary::validate_inbound(message) {
            Ok(_) => {}
            Err(InboundError::Invalid(violation)) => return Err(LogonProblem::Invalid(violation)),
            Err(InboundError::UnsupportedMessageType) => unreachable!("Logon is a session message"),
        }
        if message.get(tags::ENCRYPT_METHOD) != Some(b"0") {
            return Err(LogonProblem::EncryptMethod);
        }
        let (minimum, maximum) = (self.settings.heartbeat_min_s, self.settings.heartbeat_max_s);
        let heart_bt_int_s = message
            .get_u64(tags::HEART_BT_INT)
            .ok()
            .flatten()
            .and_then(|seconds| u32::try_from(seconds).ok())
            .filter(|seconds| (minimum..=maximum).contains(seconds))
            .ok_or(LogonProblem::HeartBtInt { minimum, maximum })?;
        if let Some(username) = &self.settings.username {
            if message.get(tags::USERNAME) != Some(username.as_bytes()) {
                return Err(LogonProblem::Username);
            }
        }
        let reset_requested = message.get(tags::RESET_SEQ_NUM_FLAG) == Some(b"Y");
        if reset_requested && self.settings.reset_policy == ResetPolicy::Never {
            return Err(LogonProblem::ResetNotAccepted);
        }
        if reset_requested && seq != 1 {
            return Err(LogonProblem::ResetNeedsFirstNumber { received: seq });
        }
        let reset = reset_requested || self.settings.reset_policy == ResetPolicy::Always;
        let (expected, ours) = if reset {
            (1, 1)
        } else {
            (self.expected(), self.outbound.store.next_sender_seq())
        };
        if seq < expected {
            return Err(LogonProblem::SequenceTooLow {
                expected,
                received: seq,
            });
        }
        let next_expected = message
            .get_u64(tags::NEXT_EXPECTED_MSG_SEQ_NUM)
            .ok()
            .flatten();
        if let Some(theirs) = next_expected.filter(|theirs| *theirs > ours) {
            return Err(LogonProblem::NextExpectedTooHigh { ours, theirs });
        }
        Ok(PendingLogon {
            seq,
            heart_bt_int_s,
            reset,
            reset_requested,
            next_expected,
        })
    }

    /// Accepts the pending Logon: reset if asked, reply, ask for any gap
    /// before the Logon, and resend what NextExpectedMsgSeqNum says the
    /// peer missed.
    pub(super) fn accept_logon<H: SessionHandler<S>>(
        &mut self,
        queue: &mut GapQueue,
        io: &mut Io<'_, H>,
    ) -> Result<(), StoreFailure> {
        let Some(pending) = self.pending_logon.take() else {
            return Ok(());
        };
        if pending.reset {
            self.outbound.store.reset()?;
            queue.clear();
        }
        self.heart_bt_int_s = pending.heart_bt_int_s;
        self.heartbeat_interval_ns = u64::from(pending.heart_bt_int_s) * NS_PER_SECOND;
        self.state = SessionState::Active;
        self.outbound.deliver_application = true;
        self.last_received_ns = io.now.monotonic_ns;
        let reply_seq = self.outbound.logon(
            pending.heart_bt_int_s,
            pending.reset_requested,
            io.now,
            io.output,
        )?;
        io.handler.on_event(SessionEvent::LoggedOn {
            heart_bt_int_s: pending.heart_bt_int_s,
            reset: pending.reset,
        });
        let expected = self.expected();
        if pending.seq > expected {
            // Accept, then ask for what came before the Logon (FIX test
            // case 1S, QuickFIX); the Logon's number is passed over when
            // the gap is filled.
            if queue.push(pending.seq, &[], Queued::Skip).is_err() {
                return self.logout_and_disconnect(
                    "Too many messages queued behind a sequence gap",
                    DisconnectReason::QueueFull,
                    io,
                );
            }
            io.handler.on_event(SessionEvent::GapDetected {
                expected,
                received: pending.seq,
            });
            self.request_gap(expected, pending.seq, io)?;
        } else {
            self.advance(pending.seq)?;
        }
        if let Some(next_expected) = pending.next_expected.filter(|next| *next < reply_seq) {
            io.handler.on_event(SessionEvent::ResendRequested {
                begin: next_expected,
                end: reply_seq - 1,
            });
            self.outbound
                .resend(next_expected, reply_seq - 1, io.now, io.output)?;
        }
        Ok(())
    }
}
