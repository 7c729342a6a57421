//! The FIX 4.4 acceptor session layer as a sans-I/O state machine.
//!
//! The caller owns the socket, the clock and the buffers: it hands in bytes
//! ([`Session::on_bytes`]), the time ([`Now`], both clocks) and an output
//! buffer the session appends replies to, and it closes the connection when
//! [`Session::wants_disconnect`] says so. The session validates and
//! sequences every message (logon, heartbeats and test requests, gap
//! detection with ResendRequest and a bounded queue, resend from the store
//! with PossDup and gap fills, SequenceReset, Reject, Logout) and delivers
//! each in-sequence, valid application message to a [`SessionHandler`] as a
//! zero-copy [`Message`]. `docs/fix-session.md` describes every rule.
//!
//! ```
//! use rtes_gateway::fix::codec::{tags, Encoder, Message};
//! use rtes_gateway::fix::session::*;
//!
//! struct Echo;
//! impl SessionHandler<MemoryStore> for Echo {
//!     fn on_application(&mut self, _message: &Message<'_>, _reply: &mut Replier<'_, MemoryStore>) {}
//!     fn on_event(&mut self, _event: SessionEvent<'_>) {}
//! }
//!
//! let mut settings = SessionSettings::new("RTES", "CLIENT");
//! settings.credential_check = CredentialCheck::None;
//! let mut session = Session::new(settings, MemoryStore::new());
//! let now = Now::new(0, 1_700_000_000_000_000_000);
//! session.on_connect(now);
//!
//! let mut encoder = Encoder::with_capacity(256);
//! encoder.begin(b"A");
//! encoder.field_bytes(tags::SENDER_COMP_ID, b"CLIENT");
//! encoder.field_bytes(tags::TARGET_COMP_ID, b"RTES");
//! encoder.field_u64(tags::MSG_SEQ_NUM, 1);
//! encoder.field_timestamp(tags::SENDING_TIME, now.utc_ns);
//! encoder.field_u64(tags::ENCRYPT_METHOD, 0);
//! encoder.field_u64(tags::HEART_BT_INT, 30);
//! let logon = encoder.finish().to_vec();
//!
//! let mut output = Vec::new();
//! assert_eq!(session.on_bytes(&logon, now, &mut output, &mut Echo), logon.len());
//! assert_eq!(session.state(), SessionState::Active);
//! assert!(output.windows(5).any(|window| window == b"35=A\x01"));
//! ```

mod core;
mod events;
mod inbound;
mod logon;
mod outbound;
mod queue;
mod settings;
mod store;
mod text;
mod time;
mod timers;

use crate::fix::codec::{frame, DecodeError, Decoder, Encoder, Frame, Message};

use self::core::{Core, Io};
use self::inbound::Origin;
use self::queue::{GapQueue, Queued};
use self::text::Text;

pub use events::{DisconnectReason, Garble, SessionEvent, SessionState};
pub use outbound::Replier;
pub use settings::{CredentialCheck, ResetPolicy, SessionSettings, SettingsError};
pub use store::{MemoryStore, SessionStore, StoreFailure};
pub use time::Now;

/// What the application provides: it receives application messages (and
/// may answer through the [`Replier`]) and session events (to log).
pub trait SessionHandler<S> {
    /// An in-sequence, validated application message. `message` borrows
    /// the caller's input (or the gap queue): copy what must outlive the
    /// call.
    fn on_application(&mut self, message: &Message<'_>, reply: &mut Replier<'_, S>);

    /// A session event (logon, logout, reject, gap, ...).
    fn on_event(&mut self, event: SessionEvent<'_>);
}

/// One FIX session (acceptor side): see the module docs.
#[derive(Debug)]
pub struct Session<S> {
    decoder: Decoder,
    queue: GapQueue,
    /// A message taken out of the gap queue while it is processed.
    dequeued: Vec<u8>,
    core: Core<S>,
}

impl<S: SessionStore> Session<S> {
    /// A disconnected session; every buffer it will use is allocated here.
    ///
    /// # Panics
    /// If `settings.check()` fails (the config layer reports that first).
    pub fn new(settings: SessionSettings, store: S) -> Session<S> {
        if let Err(error) = settings.check() {
            panic!("invalid FIX session settings: {error}");
        }
        Session {
            // Empty values are kept so that a `tag=` field is answered
            // with Reject 373=4 rather than dropped as garbled.
            decoder: Decoder::new(settings.max_fields).with_empty_values(),
            queue: GapQueue::new(settings.max_queued_bytes),
            dequeued: Vec::with_capacity(settings.max_message_bytes),
            core: Core::new(settings, store),
        }
    }

    /// A TCP connection was accepted and routed to this session: the
    /// logon timeout starts.
    pub fn on_connect(&mut self, now: Now) {
        self.queue.clear();
        self.core.reset_connection(SessionState::AwaitingLogon, now);
    }

    /// The TCP connection closed (for any reason).
    pub fn on_disconnect(&mut self, now: Now) {
        self.queue.clear();
        self.core.reset_connection(SessionState::Disconnected, now);
    }

    /// Consumes as many complete messages from `input` as possible,
    /// appending replies to `output` and calling `handler` for each
    /// in-sequence application message and for events; returns the bytes
    /// consumed (the caller keeps the rest and offers them again with more).
    ///
    /// Reading stops while a Logon waits for the caller's credential check
    /// (call again after [`Session::accept_logon`]) and once the session
    /// wants to disconnect. The caller never needs to hold more than
    /// `max_message_bytes` unconsumed: a longer message is refused as soon
    /// as its header arrives.
    pub fn on_bytes<H: SessionHandler<S>>(
        &mut self,
        input: &[u8],
        now: Now,
        output: &mut Vec<u8>,
        handler: &mut H,
    ) -> usize {
        let mut io = Io {
            now,
            output,
            handler,
        };
        let mut consumed = 0;
        while self.core.accepts_input() && consumed < input.len() {
            let rest = &input[consumed..];
            match frame(rest, self.core.settings.max_message_bytes) {
                Frame::Incomplete => break,
                Frame::Garbled { skip, reason } => {
                    consumed += skip;
                    io.handler.on_event(SessionEvent::Garbled {
                        reason: Garble::Framing(reason),
                    });
                }
                Frame::TooLarge { declared_bytes } => {
                    self.refuse_oversize(declared_bytes, &mut io);
                    consumed = input.len();
                }
                Frame::Complete(length) => {
                    consumed += length;
                    self.on_frame(&rest[..length], &mut io);
                    self.drain_queue(&mut io);
                }
            }
        }
        consumed
    }

    /// One framed message from the socket.
    fn on_frame<H: SessionHandler<S>>(&mut self, bytes: &[u8], io: &mut Io<'_, H>) {
        match self.decoder.decode(bytes) {
            Ok(message) => self
                .core
                .process(&message, Origin::Socket, &mut self.queue, io),
            Err(DecodeError::TooManyFields { limit }) => {
                let text = Text::format(format_args!("Message has more than {limit} fields"));
                self.core
                    .end_session(text.as_str(), DisconnectReason::TooManyFields, io);
            }
            Err(error) => io.handler.on_event(SessionEvent::Garbled {
                reason: Garble::Fields(error),
            }),
        }
    }

    fn refuse_oversize<H: SessionHandler<S>>(&mut self, declared_bytes: usize, io: &mut Io<'_, H>) {
        let text = Text::format(format_args!(
            "Message of {declared_bytes} bytes exceeds the limit of {}",
            self.core.settings.max_message_bytes
        ));
        self.core
            .end_session(text.as_str(), DisconnectReason::MessageTooLarge, io);
    }

    /// Processes queued messages that are now in sequence.
    fn drain_queue<H: SessionHandler<S>>(&mut self, io: &mut Io<'_, H>) {
        while self.core.is_logged_on() && !self.queue.is_empty() {
            let expected = self.core.expected();
            self.queue.drop_below(expected);
            match self.queue.take(expected, &mut self.dequeued) {
                None => break,
                Some(Queued::Skip) => {
                    if let Err(error) = self.core.advance(expected) {
                        self.core.store_failed(error, io.handler);
                    }
                }
                Some(Queued::Process) => match self.decoder.decode(&self.dequeued) {
                    Ok(message) => self
                        .core
                        .process(&message, Origin::Queue, &mut self.queue, io),
                    Err(_) => unreachable!("queued messages were decoded before"),
                },
            }
        }
    }

    /// Runs the timers due at `now`: heartbeat, test request, silence,
    /// logon and logout timeouts. Call it at [`Session::next_deadline_ns`].
    pub fn on_timer<H: SessionHandler<S>>(
        &mut self,
        now: Now,
        output: &mut Vec<u8>,
        handler: &mut H,
    ) {
        self.core.on_timer(&mut Io {
            now,
            output,
            handler,
        });
    }

    /// When [`Session::on_timer`] next has work (monotonic ns); `None`
    /// while disconnected.
    pub fn next_deadline_ns(&self) -> Option<u64> {
        self.core.next_deadline_ns()
    }

    /// Accepts the Logon reported by `SessionEvent::LogonRequest` (its
    /// credentials checked out): replies with Logon, then the caller offers
    /// the bytes it still holds to [`Session::on_bytes`].
    pub fn accept_logon<H: SessionHandler<S>>(
        &mut self,
        now: Now,
        output: &mut Vec<u8>,
        handler: &mut H,
    ) {
        if self.core.state != SessionState::LogonPending {
            return;
        }
        let mut io = Io {
            now,
            output,
            handler,
        };
        if let Err(error) = self.core.accept_logon(&mut self.queue, &mut io) {
            self.core.store_failed(error, io.handler);
        }
    }

    /// Refuses the Logon reported by `SessionEvent::LogonRequest`: Logout
    /// with `text`, then disconnect (`DisconnectReason::LogonRefused`).
    pub fn refuse_logon(&mut self, text: &str, now: Now, output: &mut Vec<u8>) {
        if self.core.state != SessionState::LogonPending {
            return;
        }
        self.core.pending_logon = None;
        // A failed store cannot make this worse: the connection closes.
        let _ = self.core.outbound.logout(text, now, output);
        self.core.state = SessionState::Disconnecting;
        self.core.disconnect_reason = Some(DisconnectReason::LogonRefused);
    }

    /// Sends an application message from outside the handler: writes the
    /// standard header (35, 49, 56, 34, 52), then `body`, stores it, and
    /// appends it to `output` when logged on. When not logged on it is
    /// still stored and sequenced, so the peer's ResendRequest after its
    /// next Logon recovers it (QuickFIX). Returns the MsgSeqNum used. A
    /// store failure also makes the session want to disconnect.
    pub fn send_application(
        &mut self,
        msg_type: &[u8],
        now: Now,
        output: &mut Vec<u8>,
        body: impl FnOnce(&mut Encoder),
    ) -> Result<u64, StoreFailure> {
        let sent = self
            .core
            .outbound
            .send_application(msg_type, now, output, body);
        if sent.is_err() && self.core.state != SessionState::Disconnected {
            self.core.state = SessionState::Disconnecting;
            self.core.disconnect_reason = Some(DisconnectReason::StoreFailure);
        }
        sent
    }

    /// Logs out (operator or shutdown): Logout with `text`, then waits up to
    /// the logout timeout for the answer. Before logon it just disconnects.
    pub fn initiate_logout(&mut self, text: &str, now: Now, output: &mut Vec<u8>) {
        match self.core.state {
            SessionState::Active => {
                if self.core.outbound.logout(text, now, output).is_ok() {
                    self.core.state = SessionState::LogoutSent;
                    self.core.logout_sent_at_ns = now.monotonic_ns;
                } else {
                    self.core.state = SessionState::Disconnecting;
                    self.core.disconnect_reason = Some(DisconnectReason::StoreFailure);
                }
            }
            SessionState::AwaitingLogon | SessionState::LogonPending => {
                self.core.state = SessionState::Disconnecting;
                self.core.disconnect_reason = Some(DisconnectReason::Operator);
            }
            SessionState::LogoutSent | SessionState::Disconnecting | SessionState::Disconnected => {
            }
        }
    }

    /// Where the session is.
    pub fn state(&self) -> SessionState {
        self.core.state
    }

    /// Why the session wants the connection closed, if it does: flush the
    /// output, close, then call [`Session::on_disconnect`].
    pub fn wants_disconnect(&self) -> Option<DisconnectReason> {
        self.core.disconnect_reason
    }

    /// HeartBtInt agreed at logon, seconds (0 before).
    pub fn heart_bt_int_s(&self) -> u32 {
        self.core.heart_bt_int_s
    }

    /// The settings.
    pub fn settings(&self) -> &SessionSettings {
        &self.core.settings
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.core.outbound.store
    }

    /// The store, mutably (e.g. to flush it).
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.core.outbound.store
    }
}
