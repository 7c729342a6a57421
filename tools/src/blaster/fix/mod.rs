//! FIX 4.4 initiator side of the blaster, on the gateway's codec
//! (`rtes_gateway::fix::codec`): just enough session layer for a load run.
//!
//! - [`login`]: Logon with ResetSeqNumFlag (141=Y) so every run starts at
//!   sequence number 1 on both sides and is repeatable; optional
//!   Username/Password (553/554).
//! - [`outbound`]: NewOrderSingle (D), OrderCancelRequest (F),
//!   OrderCancelReplaceRequest (G), Heartbeat (0, answering TestRequest with
//!   its TestReqID) and Logout (5), sequenced, into the session's buffer.
//! - [`inbound`]: framing (BodyLength and CheckSum checked), the inbound
//!   sequence check, and the mapping of ExecutionReport (8) and
//!   OrderCancelReject (9) onto the receiver's [`Reply`](super::protocol::Reply)
//!   events; Logout, Reject, BusinessMessageReject, a ResendRequest or a
//!   sequence gap end the session with a reason (the blaster keeps no
//!   message store, so it cannot resend or recover).
//!
//! ClOrdIDs are the run's 14-character order tokens (a per-run prefix from
//! the clock, then the order number), so a rerun against a live server never
//! reuses one; a cancel's own ClOrdID is its order's token followed by `C`
//! (the blaster cancels an order at most once).

pub mod inbound;
pub mod login;
pub mod outbound;

pub use inbound::FixReader;
pub use login::login;
pub use outbound::FixOutbound;

/// Most bytes of one inbound FIX message (RTES's ExecutionReports are ~250).
pub const MESSAGE_BYTES_MAX: usize = 64 * 1024;
/// Most fields of one inbound FIX message.
pub const FIELDS_MAX: usize = 256;
/// Longest TestReqID answered verbatim (RTES's are short counters).
pub const TEST_REQUEST_ID_MAX: usize = 128;
/// Suffix of a cancel request's own ClOrdID (after its order's token).
pub const CANCEL_ID_SUFFIX: u8 = b'C';
