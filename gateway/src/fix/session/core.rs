//! The session's state and the small steps every rule is built from:
//! advancing the expected sequence number, rejecting, logging out,
//! disconnecting.

use crate::fix::codec::Message;
use crate::fix::dictionary::SessionRejectReason;

use super::outbound::{Outbound, Rejection};
use super::text::Text;
use super::{
    DisconnectReason, Now, SessionEvent, SessionHandler, SessionSettings, SessionState,
    SessionStore, StoreFailure,
};

/// Nanoseconds per second.
pub(super) const NS_PER_SECOND: u64 = 1_000_000_000;

/// A Logon that passed the session checks and waits for the caller's
/// credential decision (or is accepted at once).
#[derive(Debug, Clone, Copy)]
pub(super) struct PendingLogon {
    /// Its MsgSeqNum.
    pub(super) seq: u64,
    pub(super) heart_bt_int_s: u32,
    /// Whether both sequence numbers go back to 1.
    pub(super) reset: bool,
    /// Whether the peer asked for it (141=Y), so our reply says 141=Y.
    pub(super) reset_requested: bool,
    /// NextExpectedMsgSeqNum (789), if sent.
    pub(super) next_expected: Option<u64>,
}

/// What every step that can write or report needs: the time, the output
/// buffer and the caller's handler.
pub(super) struct Io<'a, H> {
    pub(super) now: Now,
    pub(super) output: &'a mut Vec<u8>,
    pub(super) handler: &'a mut H,
}

/// Everything but the inbound buffers.
#[derive(Debug)]
pub(super) struct Core<S> {
    pub(super) settings: SessionSettings,
    pub(super) outbound: Outbound<S>,
    pub(super) state: SessionState,
    pub(super) disconnect_reason: Option<DisconnectReason>,
    pub(super) heart_bt_int_s: u32,
    pub(super) heartbeat_interval_ns: u64,
    pub(super) connected_at_ns: u64,
    pub(super) last_received_ns: u64,
    pub(super) logout_sent_at_ns: u64,
    pub(super) test_request_pending: bool,
    pub(super) test_requests_sent: u64,
    /// Our ResendRequest is outstanding until the expected sequence number
    /// passes this one (the gap's last number).
    pub(super) resend_requested_through: Option<u64>,
    pub(super) pending_logon: Option<PendingLogon>,
}

impl<S: SessionStore> Core<S> {
    pub(super) fn new(settings: SessionSettings, store: S) -> Core<S> {
        let outbound = Outbound::new(
            store,
            &settings.sender_comp_id,
            &settings.target_comp_id,
            settings.max_message_bytes,
            settings.max_fields,
        );
        Core {
            settings,
            outbound,
            state: SessionState::Disconnected,
            disconnect_reason: None,
            heart_bt_int_s: 0,
            heartbeat_interval_ns: 0,
            connected_at_ns: 0,
            last_received_ns: 0,
            logout_sent_at_ns: 0,
            test_request_pending: false,
            test_requests_sent: 0,
            resend_requested_through: None,
            pending_logon: None,
        }
    }

    /// Back to a fresh connection's state (sequence numbers stay in the
    /// store).
    pub(super) fn reset_connection(&mut self, state: SessionState, now: Now) {
        self.state = state;
        self.disconnect_reason = None;
        self.connected_at_ns = now.monotonic_ns;
        self.last_received_ns = now.monotonic_ns;
        self.outbound.last_sent_ns = now.monotonic_ns;
        self.outbound.deliver_application = false;
        self.test_request_pending = false;
        self.resend_requested_through = None;
        self.pending_logon = None;
    }

    /// The MsgSeqNum expected next from the peer.
    pub(super) fn expected(&self) -> u64 {
        self.outbound.store.next_target_seq()
    }

    /// Whether inbound bytes are read in this state.
    pub(super) fn accepts_input(&self) -> bool {
        matches!(
            self.state,
            SessionState::AwaitingLogon | SessionState::Active | SessionState::LogoutSent
        )
    }

    /// Whether application messages are delivered (logged on).
    pub(super) fn is_logged_on(&self) -> bool {
        matches!(self.state, SessionState::Active | SessionState::LogoutSent)
    }

    /// Message `seq` was processed: expect the next one.
    pub(super) fn advance(&mut self, seq: u64) -> Result<(), StoreFailure> {
        debug_assert_eq!(seq, self.expected());
        self.set_expected(seq + 1)
    }

    /// Expect `seq` next (after a message, a gap fill or a reset).
    pub(super) fn set_expected(&mut self, seq: u64) -> Result<(), StoreFailure> {
        self.outbound.store.set_next_target_seq(seq)?;
        if self
            .resend_requested_through
            .is_some_and(|through| seq > through)
        {
            self.resend_requested_through = None;
        }
        Ok(())
    }

    /// The session wants the connection closed.
    pub(super) fn disconnect<H: SessionHandler<S>>(
        &mut self,
        reason: DisconnectReason,
        handler: &mut H,
    ) {
        if self.state == SessionState::Disconnecting || self.state == SessionState::Disconnected {
            return;
        }
        self.state = SessionState::Disconnecting;
        self.disconnect_reason = Some(reason);
        self.outbound.deliver_application = false;
        handler.on_event(SessionEvent::Disconnect { reason });
    }

    /// Reports a store failure and disconnects: without its store the
    /// session can neither resend nor resume.
    pub(super) fn store_failed<H: SessionHandler<S>>(
        &mut self,
        error: StoreFailure,
        handler: &mut H,
    ) {
        handler.on_event(SessionEvent::StoreFailed { error: &error });
        self.disconnect(DisconnectReason::StoreFailure, handler);
    }

    /// Sends Logout with `text` and disconnects without waiting for the
    /// answer (the peer broke a rule that makes waiting pointless).
    pub(super) fn logout_and_disconnect<H: SessionHandler<S>>(
        &mut self,
        text: &str,
        reason: DisconnectReason,
        io: &mut Io<'_, H>,
    ) -> Result<(), StoreFailure> {
        self.outbound.logout(text, io.now, io.output)?;
        io.handler.on_event(SessionEvent::LogoutSent { text });
        self.disconnect(reason, io.handler);
        Ok(())
    }

    /// Ends the session for a limit the peer broke: Logout with `text` when
    /// logged on (before logon a silent disconnect, as for a first message
    /// that is not a Logon), then disconnect.
    pub(super) fn end_session<H: SessionHandler<S>>(
        &mut self,
        text: &str,
        reason: DisconnectReason,
        io: &mut Io<'_, H>,
    ) {
        if !self.is_logged_on() {
            self.disconnect(reason, io.handler);
        } else if let Err(error) = self.logout_and_disconnect(text, reason, io) {
            self.store_failed(error, io.handler);
        }
    }

    /// Sends Logout with `text` and waits for the peer's Logout (up to the
    /// logout timeout), still processing what arrives meanwhile.
    pub(super) fn logout_and_wait<H: SessionHandler<S>>(
        &mut self,
        text: &str,
        io: &mut Io<'_, H>,
    ) -> Result<(), StoreFailure> {
        self.outbound.logout(text, io.now, io.output)?;
        io.handler.on_event(SessionEvent::LogoutSent { text });
        self.state = SessionState::LogoutSent;
        self.logout_sent_at_ns = io.now.monotonic_ns;
        Ok(())
    }

    /// Sends a session-level Reject of `message` (MsgSeqNum `seq`) and,
    /// when it was the expected message, advances past it: a rejected
    /// message is still received (FIX), except a Logon or SequenceReset,
    /// whose number is not consumed by a Reject (QuickFIX).
    pub(super) fn reject<H: SessionHandler<S>>(
        &mut self,
        message: &Message<'_>,
        seq: u64,
        reason: SessionRejectReason,
        ref_tag: Option<u32>,
        text: Option<&str>,
        io: &mut Io<'_, H>,
    ) -> Result<(), StoreFailure> {
        let msg_type = message.msg_type();
        let rejection = Rejection {
            ref_seq: seq,
            ref_msg_type: msg_type,
            reason,
            ref_tag,
            text: text.unwrap_or(reason.text()),
        };
        self.outbound.reject(&rejection, io.now, io.output)?;
        io.handler.on_event(SessionEvent::Rejected {
            ref_seq: seq,
            ref_msg_type: msg_type,
            reason,
            ref_tag,
            text: rejection.text,
        });
        let consumes_number = msg_type != b"A" && msg_type != b"4";
        if consumes_number && seq == self.expected() {
            self.advance(seq)?;
        }
        Ok(())
    }

    /// "MsgSeqNum too low, expecting N but received M" (QuickFIX's words).
    pub(super) fn too_low_text(&self, received: u64) -> Text {
        Text::format(format_args!(
            "MsgSeqNum too low, expecting {} but received {}",
            self.expected(),
            received
        ))
    }
}
