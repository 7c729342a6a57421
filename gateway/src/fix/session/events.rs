//! What the session tells its caller: its state, why it wants the
//! connection closed, and the events the caller logs (one structured line
//! each; the session itself never logs).

use crate::fix::codec::{DecodeError, GarbleReason};
use crate::fix::dictionary::SessionRejectReason;

use super::StoreFailure;

/// Where the session is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// No connection.
    Disconnected,
    /// Connected; the first message must be a Logon.
    AwaitingLogon,
    /// A Logon passed the session checks; the caller is checking its
    /// credentials (`accept_logon` / `refuse_logon`). No input is read.
    LogonPending,
    /// Logged on.
    Active,
    /// We sent a Logout and wait for theirs (up to the logout timeout).
    LogoutSent,
    /// The session wants the connection closed (`wants_disconnect`): the
    /// caller flushes the output, closes, and calls `on_disconnect`.
    Disconnecting,
}

/// Why the session wants the connection closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// No Logon (or no credential decision) within the logon timeout.
    LogonTimeout,
    /// The first message was not a Logon.
    FirstMessageNotLogon,
    /// A Logon was refused (Logout sent with the reason).
    LogonRefused,
    /// A Logon arrived on a logged-on session.
    UnexpectedLogon,
    /// The Logout handshake finished.
    LogoutCompleted,
    /// Our Logout was not answered within the logout timeout.
    LogoutTimeout,
    /// The peer stayed silent after a TestRequest.
    HeartbeatTimeout,
    /// MsgSeqNum lower than expected without PossDupFlag.
    SequenceTooLow,
    /// A message without a usable MsgSeqNum.
    MissingSequenceNumber,
    /// SenderCompID or TargetCompID not this session's.
    CompIdProblem,
    /// BeginString not FIX.4.4.
    WrongBeginString,
    /// A message longer than `max_message_bytes`.
    MessageTooLarge,
    /// A message with more than `max_fields` fields.
    TooManyFields,
    /// Messages held behind a gap exceeded `max_queued_bytes`.
    QueueFull,
    /// NextExpectedMsgSeqNum (789) beyond what we have sent.
    NextExpectedTooHigh,
    /// The message store failed.
    StoreFailure,
    /// `initiate_logout` before the session was logged on.
    Operator,
}

impl DisconnectReason {
    /// Short text for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::LogonTimeout => "no logon within the logon timeout",
            DisconnectReason::FirstMessageNotLogon => "first message not a logon",
            DisconnectReason::LogonRefused => "logon refused",
            DisconnectReason::UnexpectedLogon => "logon on a logged-on session",
            DisconnectReason::LogoutCompleted => "logout completed",
            DisconnectReason::LogoutTimeout => "logout not answered",
            DisconnectReason::HeartbeatTimeout => "peer silent after a test request",
            DisconnectReason::SequenceTooLow => "MsgSeqNum too low",
            DisconnectReason::MissingSequenceNumber => "MsgSeqNum missing",
            DisconnectReason::CompIdProblem => "CompID problem",
            DisconnectReason::WrongBeginString => "incorrect BeginString",
            DisconnectReason::MessageTooLarge => "message too large",
            DisconnectReason::TooManyFields => "too many fields",
            DisconnectReason::QueueFull => "gap queue full",
            DisconnectReason::NextExpectedTooHigh => "NextExpectedMsgSeqNum too high",
            DisconnectReason::StoreFailure => "message store failure",
            DisconnectReason::Operator => "operator",
        }
    }
}

/// Why bytes were dropped as garbled (the expected MsgSeqNum is unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Garble {
    /// Framing: BeginString, BodyLength or CheckSum.
    Framing(GarbleReason),
    /// Field structure: tag not a number, no `=`, first fields not 8, 9, 35.
    Fields(DecodeError),
}

/// Something the caller should know (and log).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum SessionEvent<'a> {
    /// A Logon passed the session checks; check its credentials and call
    /// `accept_logon` or `refuse_logon`.
    LogonRequest {
        /// Username (553).
        username: Option<&'a [u8]>,
        /// Password (554).
        password: Option<&'a [u8]>,
        /// HeartBtInt (108), seconds.
        heart_bt_int_s: u32,
        /// Whether sequence numbers will be reset to 1.
        reset: bool,
    },
    /// Logged on (our Logon reply is in the output).
    LoggedOn {
        /// HeartBtInt, seconds.
        heart_bt_int_s: u32,
        /// Whether sequence numbers were reset to 1.
        reset: bool,
    },
    /// The peer sent a Logout.
    LoggedOut {
        /// Its Text (58).
        text: Option<&'a [u8]>,
    },
    /// We sent a Logout (refusal, error or operator).
    LogoutSent {
        /// Its Text (58).
        text: &'a str,
    },
    /// The session wants the connection closed.
    Disconnect {
        /// Why.
        reason: DisconnectReason,
    },
    /// We rejected an inbound message with a session-level Reject.
    Rejected {
        /// RefSeqNum (45).
        ref_seq: u64,
        /// RefMsgType (372).
        ref_msg_type: &'a [u8],
        /// SessionRejectReason (373).
        reason: SessionRejectReason,
        /// RefTagID (371).
        ref_tag: Option<u32>,
        /// Text (58).
        text: &'a str,
    },
    /// We answered a valid FIX 4.4 MsgType RTES does not support with
    /// BusinessMessageReject (380=3).
    UnsupportedMessage {
        /// RefSeqNum (45).
        ref_seq: u64,
        /// RefMsgType (372).
        ref_msg_type: &'a [u8],
    },
    /// The peer rejected one of our messages.
    RejectReceived {
        /// RefSeqNum (45).
        ref_seq: Option<u64>,
        /// SessionRejectReason (373).
        reason: Option<u64>,
        /// Text (58).
        text: Option<&'a [u8]>,
    },
    /// A message arrived ahead of sequence: it is queued and the gap asked for.
    GapDetected {
        /// The MsgSeqNum we expected.
        expected: u64,
        /// The one received.
        received: u64,
    },
    /// The peer asked us to resend.
    ResendRequested {
        /// BeginSeqNo (7).
        begin: u64,
        /// EndSeqNo (16); 0 = everything.
        end: u64,
    },
    /// The peer moved our expected sequence number with SequenceReset.
    SequenceReset {
        /// NewSeqNo (36).
        new_seq: u64,
        /// GapFill mode (123=Y).
        gap_fill: bool,
    },
    /// Bytes dropped as garbled.
    Garbled {
        /// Why.
        reason: Garble,
    },
    /// The store failed; a `Disconnect` follows.
    StoreFailed {
        /// The error.
        error: &'a StoreFailure,
    },
}
