//! The FIX 4.4 acceptor: a mio event loop run as an [`Agent`](crate::runtime::Agent),
//! beside the OUCH gateway and into the same engine.
//!
//! Data flow, in the order `run_once` runs it:
//! 1. engine reports → [`OrderEntry::on_report`] → ExecutionReport bodies →
//!    the session (sequenced, stored, sent when logged on);
//! 2. socket readiness → read → the first message routes the connection to
//!    its configured session by CompIDs → the session layer validates and
//!    sequences → application messages → engine commands on the ring;
//! 3. timers: heartbeats, test requests, logon and logout timeouts;
//! 4. each store that was written this round is flushed once.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token as PollToken};
use rtes_engine::{Command, CommandKind, OwnerId, TimestampNs};

use super::application::{ExecIds, Inbound, OrderEntry, Times, Venue};
use super::codec::{frame, tags, Decoder, Frame, Message};
use super::market_data::{
    BatchStatus, EmitResult, MarketDataHub, MarketDataLimits, MarketDataOptions,
};
use super::session::{
    DisconnectReason, Now, Replier, Session, SessionEvent, SessionHandler, SessionSettings,
};
use super::store::{FileMessageStore, StoreOptions};
use crate::config::credentials::Credentials;
use crate::config::{FixResetPolicy, FixSessionSettings, FixSettings};
use crate::runtime::records::{GatewayId, InboundCommand, MarketRecord, OutboundReport};
use crate::runtime::LatencyRecorder;
use crate::server::clock::Clock;
use crate::server::connection::{
    accept_pending, BufferSizes, CloseReason, Connection, LoginState, ReadOutcome,
};
use crate::server::WireInstrument;

const LISTENER: PollToken = PollToken(usize::MAX - 1);
/// Most simultaneous connections (routed or not).
const MAX_CONNECTIONS: usize = 1024;
/// Most reports handled per round, so sockets are not starved.
const REPORT_BATCH: usize = 4096;
/// How often timers are checked.
const TIMER_PERIOD_NS: u64 = 10_000_000;
/// Shortest FIX message (a heartbeat is about 60 bytes; be generous):
/// bounds how many commands one read buffer can produce.
const MESSAGE_BYTES_MIN: usize = 40;

/// Everything the acceptor needs from the configuration.
#[derive(Debug, Clone)]
pub struct AcceptorConfig {
    /// `[fix]`.
    pub fix: FixSettings,
    /// This gateway's ring index.
    pub gateway_id: GatewayId,
    /// Instruments by id.
    pub instruments: Vec<WireInstrument>,
    /// Account names by id (what Account (1) must say).
    pub account_names: Vec<String>,
    /// Logins, for sessions that require a password.
    pub credentials: Credentials,
    /// The engine's instruments (for the market-data books and security list).
    pub instrument_configs: Vec<rtes_engine::InstrumentConfig>,
    /// The engine's resting-order capacity (the market-data books track as many).
    pub max_resting_orders: usize,
}

/// Counters and histograms of the acceptor.
pub struct AcceptorStats {
    /// Socket read → ExecutionReport New queued for the socket.
    pub read_to_queued: LatencyRecorder,
    /// Engine apply → report queued for the socket.
    pub engine_to_queued: LatencyRecorder,
    /// Engine apply → market-data refresh (X/W) queued for a subscriber.
    pub engine_to_market_data: LatencyRecorder,
    /// Market-data messages sent (W, X, h, …).
    pub market_data_out: u64,
    /// Application messages in.
    pub messages_in: u64,
    /// Application messages out.
    pub messages_out: u64,
    /// Connections dropped as slow consumers.
    pub slow_consumers: u64,
    /// Connections refused at logon (unknown CompIDs, session already live).
    pub logons_refused: u64,
}

/// One configured session and what outlives its connections.
struct SessionSlot {
    settings: FixSessionSettings,
    session: Session<FileMessageStore>,
    /// `None` for a reflector.
    entry: Option<OrderEntry>,
    connection: Option<usize>,
    store_dirty: bool,
}

/// The FIX acceptor agent.
pub struct FixAcceptor {
    config: AcceptorConfig,
    poll: Poll,
    events: Events,
    listener: TcpListener,
    connections: Vec<Option<Connection>>,
    free_connections: Vec<usize>,
    sessions: Vec<SessionSlot>,
    session_by_comp_id: HashMap<Vec<u8>, usize>,
    first_owner: u32,
    venue: Venue,
    exec_ids: ExecIds,
    commands: rtrb::Producer<InboundCommand>,
    reports: rtrb::Consumer<OutboundReport>,
    /// Every engine market event, when this acceptor serves market data.
    market: Option<rtrb::Consumer<MarketRecord>>,
    hub: Option<MarketDataHub>,
    /// Engine times of the market events in the current batch.
    market_stamps: Vec<u64>,
    /// Commands that must not be lost (cancel-on-disconnect) waiting for ring space.
    deferred: VecDeque<InboundCommand>,
    dirty: Vec<usize>,
    paused: Vec<usize>,
    decoder: Decoder,
    body: Vec<u8>,
    /// Output of sessions with no connection (stored, not sent).
    discard: Vec<u8>,
    clock: Clock,
    next_timer_ns: u64,
    read_capacity: usize,
    stats: AcceptorStats,
}

fn utc_now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64)
}

impl FixAcceptor {
    /// Opens every session's store and prepares the tables around a bound listener.
    pub fn new(
        config: AcceptorConfig,
        mut listener: TcpListener,
        commands: rtrb::Producer<InboundCommand>,
        reports: rtrb::Consumer<OutboundReport>,
        market: Option<rtrb::Consumer<MarketRecord>>,
    ) -> Result<FixAcceptor, String> {
        let poll = Poll::new().map_err(|error| format!("fix: cannot create poll: {error}"))?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)
            .map_err(|error| format!("fix: cannot register listener: {error}"))?;
        let fix = &config.fix;
        std::fs::create_dir_all(&fix.store_dir).map_err(|error| {
            format!(
                "fix.store_dir: cannot create {}: {error}",
                fix.store_dir.display()
            )
        })?;
        let mut sessions = Vec::with_capacity(fix.sessions.len());
        for settings in &fix.sessions {
            sessions.push(open_session(&config, settings)?);
        }
        let session_by_comp_id = fix
            .sessions
            .iter()
            .enumerate()
            .map(|(index, session)| (session.target_comp_id.as_bytes().to_vec(), index))
            .collect();
        let first_owner = fix.sessions.first().map_or(0, |session| session.owner.0);
        let read_capacity = (fix.max_message_bytes * 2).max(16 * 1024);
        let hub = match (&market, fix.market_data) {
            (Some(_), true) => Some(market_data_hub(&config)?),
            _ => None,
        };
        Ok(FixAcceptor {
            poll,
            events: Events::with_capacity(1024),
            listener,
            connections: (0..MAX_CONNECTIONS).map(|_| None).collect(),
            free_connections: (0..MAX_CONNECTIONS).rev().collect(),
            sessions,
            session_by_comp_id,
            first_owner,
            venue: Venue::new(config.instruments.clone()),
            exec_ids: ExecIds::new(utc_now_ns()),
            commands,
            reports,
            market,
            hub,
            market_stamps: Vec::with_capacity(REPORT_BATCH),
            deferred: VecDeque::with_capacity(64),
            dirty: Vec::with_capacity(MAX_CONNECTIONS),
            paused: Vec::with_capacity(MAX_CONNECTIONS),
            decoder: Decoder::new(fix.max_fields),
            body: Vec::with_capacity(1024),
            discard: Vec::with_capacity(4096),
            clock: Clock::new(),
            next_timer_ns: 0,
            read_capacity,
            stats: AcceptorStats {
                read_to_queued: LatencyRecorder::new("fix read->execution report queued"),
                engine_to_queued: LatencyRecorder::new("engine apply->fix report queued"),
                engine_to_market_data: LatencyRecorder::new("engine apply->fix market data queued"),
                market_data_out: 0,
                messages_in: 0,
                messages_out: 0,
                slow_consumers: 0,
                logons_refused: 0,
            },
            config,
        })
    }

    /// The event loop's epoll descriptor.
    pub fn poll_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.poll.as_raw_fd()
    }

    /// The market-data hub's counters, when it serves market data.
    pub fn market_data_metrics(&self) -> Option<&super::market_data::MarketDataMetrics> {
        self.hub.as_ref().map(MarketDataHub::metrics)
    }

    /// Latency histograms and counters.
    pub fn stats(&self) -> &AcceptorStats {
        &self.stats
    }

    fn now(&self) -> Now {
        Now {
            monotonic_ns: self.clock.now_ns(),
            utc_ns: utc_now_ns(),
        }
    }

    /// One round of work; `poll_timeout` bounds how long it may block.
    pub fn run_once(&mut self, poll_timeout: Option<Duration>) -> usize {
        let mut work = self.drain_reports();
        work += self.drain_market();
        work += self.retry_deferred();
        work += self.resume_paused();
        work += self.flush_dirty();
        let timeout = if work > 0 {
            Some(Duration::ZERO)
        } else {
            poll_timeout
        };
        work += self.poll_sockets(timeout);
        let now = self.clock.now_ns();
        if now >= self.next_timer_ns {
            self.next_timer_ns = now + TIMER_PERIOD_NS;
            work += self.check_timers();
        }
        // Flushes the stores too (before the sockets).
        work += self.flush_dirty();
        work
    }

    /// Logs every session out, flushes what it can, closes every connection.
    pub fn shutdown(&mut self) {
        let _ = self.poll.registry().deregister(&mut self.listener);
        self.drain_reports();
        let now = self.now();
        for index in 0..self.sessions.len() {
            let Some(connection_index) = self.sessions[index].connection else {
                continue;
            };
            if let Some(connection) = self.connections[connection_index].as_mut() {
                self.sessions[index].session.initiate_logout(
                    "venue shutting down",
                    now,
                    &mut connection.write_buffer,
                );
                let _ = connection.flush();
            }
            self.close(connection_index, CloseReason::Shutdown);
        }
        self.flush_stores();
    }

    fn drain_reports(&mut self) -> usize {
        let mut handled = 0;
        let mut now: Option<Now> = None;
        while handled < REPORT_BATCH {
            let Ok(outbound) = self.reports.pop() else {
                break;
            };
            handled += 1;
            let now = *now.get_or_insert_with(|| Now {
                monotonic_ns: self.clock.now_ns(),
                utc_ns: utc_now_ns(),
            });
            let owner = outbound.report.owner.0;
            let Some(index) = owner
                .checked_sub(self.first_owner)
                .map(|index| index as usize)
                .filter(|index| *index < self.sessions.len())
            else {
                tracing::error!(owner, "fix: report for an owner that is not a FIX session");
                continue;
            };
            let slot = &mut self.sessions[index];
            let Some(entry) = slot.entry.as_mut() else {
                continue;
            };
            let Some(msg_type) = entry.on_report(
                &outbound.report,
                &self.venue,
                &mut self.exec_ids,
                now.utc_ns,
                &mut self.body,
            ) else {
                continue;
            };
            let output = match slot.connection {
                Some(connection) => match self.connections[connection].as_mut() {
                    Some(connection) => &mut connection.write_buffer,
                    None => &mut self.discard,
                },
                None => &mut self.discard,
            };
            let body = &self.body;
            let before = output.len();
            let sent = slot
                .session
                .send_application(msg_type, now, &mut *output, |encoder| {
                    encoder.raw_fields(body)
                });
            if tracing::enabled!(tracing::Level::DEBUG) {
                log_messages(
                    "out",
                    &slot.settings.target_comp_id,
                    &output[before.min(output.len())..],
                );
            }
            if let Err(error) = sent {
                tracing::error!(session = %slot.settings.target_comp_id, %error,
                    "fix: message store failed; disconnecting the session");
                if let Some(connection) = slot.connection {
                    self.close(connection, CloseReason::IoError);
                }
                continue;
            }
            self.discard.clear();
            slot.store_dirty = true;
            self.stats.messages_out += 1;
            if matches!(
                outbound.report.kind,
                rtes_engine::ReportKind::Accepted { .. } | rtes_engine::ReportKind::Rejected { .. }
            ) {
                self.stats
                    .read_to_queued
                    .record_ns(now.monotonic_ns.saturating_sub(outbound.ingress_ns));
            }
            self.stats
                .engine_to_queued
                .record_ns(now.monotonic_ns.saturating_sub(outbound.engine_ns));
            if let Some(connection) = slot.connection {
                self.mark_dirty(connection);
            }
        }
        handled
    }

    /// Engine market events into the market-data books; at the end of the
    /// batch (ring empty) every subscribed session gets its refreshes.
    fn drain_market(&mut self) -> usize {
        let (Some(market), Some(hub)) = (self.market.as_mut(), self.hub.as_mut()) else {
            return 0;
        };
        let now = Now {
            monotonic_ns: self.clock.now_ns(),
            utc_ns: utc_now_ns(),
        };
        let backlog_bytes = self.config.fix.market_data_backlog_bytes;
        let mut outlet = MarketDataOutlet {
            sessions: &mut self.sessions,
            connections: &mut self.connections,
            discard: &mut self.discard,
            dirty: &mut self.dirty,
            backlog_bytes,
            now,
            emitted: 0,
        };
        let mut handled = 0;
        while handled < REPORT_BATCH {
            let Ok(record) = market.pop() else {
                break;
            };
            handled += 1;
            self.market_stamps.push(record.engine_ns);
            if hub.on_event(&record.event) == BatchStatus::Full {
                hub.end_of_batch(&mut |session, msg_type, body| {
                    outlet.emit(session, msg_type, body)
                });
            }
        }
        // Every round, even without events: a session that has caught up
        // is owed its conflated changes here.
        hub.end_of_batch(&mut |session, msg_type, body| outlet.emit(session, msg_type, body));
        if outlet.emitted > 0 {
            let queued_ns = self.clock.now_ns();
            for stamp in &self.market_stamps {
                self.stats
                    .engine_to_market_data
                    .record_ns(queued_ns.saturating_sub(*stamp));
            }
            self.stats.market_data_out += outlet.emitted;
        }
        self.market_stamps.clear();
        handled
    }

    fn retry_deferred(&mut self) -> usize {
        let mut pushed = 0;
        while let Some(command) = self.deferred.front().copied() {
            if self.commands.push(command).is_err() {
                break;
            }
            self.deferred.pop_front();
            pushed += 1;
        }
        pushed
    }

    fn resume_paused(&mut self) -> usize {
        if self.paused.is_empty() || self.commands.slots() < self.ring_reserve() {
            return 0;
        }
        let paused = std::mem::take(&mut self.paused);
        let count = paused.len();
        for index in &paused {
            if let Some(connection) = self.connections[*index].as_mut() {
                connection.input_paused = false;
            }
        }
        for index in paused {
            self.read_connection(index);
        }
        count
    }

    fn ring_reserve(&self) -> usize {
        self.read_capacity / MESSAGE_BYTES_MIN
    }

    fn mark_dirty(&mut self, index: usize) {
        if !self.dirty.contains(&index) {
            self.dirty.push(index);
        }
    }

    fn flush_dirty(&mut self) -> usize {
        // What a peer sees must be on its way to disk first: a crash must
        // never make the store forget a MsgSeqNum the peer already has.
        self.flush_stores();
        let mut flushed = 0;
        while let Some(index) = self.dirty.pop() {
            flushed += 1;
            self.flush_connection(index);
        }
        flushed
    }

    fn flush_connection(&mut self, index: usize) {
        let Some(connection) = self.connections[index].as_mut() else {
            return;
        };
        match connection.flush() {
            Ok(true) => {
                if connection.waiting_writable {
                    connection.waiting_writable = false;
                    let _ = self.poll.registry().reregister(
                        &mut connection.stream,
                        PollToken(index),
                        Interest::READABLE,
                    );
                }
                if let (Some(hub), LoginState::LoggedIn(session)) =
                    (self.hub.as_mut(), connection.login)
                {
                    hub.set_backlogged(session, false);
                }
                if let Some(reason) = connection.closing {
                    self.close(index, reason);
                }
            }
            Ok(false) => {
                if connection.pending_write() > self.config.fix.outbound_buffer_bytes {
                    self.stats.slow_consumers += 1;
                    tracing::warn!(peer = %connection.peer, pending = connection.pending_write(),
                        "fix: slow consumer: output over the bound, disconnecting");
                    self.close(index, CloseReason::SlowConsumer);
                    return;
                }
                if !connection.waiting_writable {
                    connection.waiting_writable = true;
                    let _ = self.poll.registry().reregister(
                        &mut connection.stream,
                        PollToken(index),
                        Interest::READABLE | Interest::WRITABLE,
                    );
                }
            }
            Err(error) => {
                tracing::info!(peer = %connection.peer, %error, "fix: write failed");
                self.close(index, CloseReason::IoError);
            }
        }
    }

    fn poll_sockets(&mut self, timeout: Option<Duration>) -> usize {
        if let Err(error) = self.poll.poll(&mut self.events, timeout) {
            if error.kind() != io::ErrorKind::Interrupted {
                tracing::error!(%error, "fix: poll failed");
            }
            return 0;
        }
        let mut ready: [(usize, bool, bool); 1024] = [(0, false, false); 1024];
        let mut count = 0;
        for event in self.events.iter() {
            ready[count] = (
                event.token().0,
                event.is_readable() || event.is_read_closed(),
                event.is_writable() || event.is_error(),
            );
            count += 1;
        }
        for &(token, readable, writable) in &ready[..count] {
            if token == LISTENER.0 {
                self.accept_all();
                continue;
            }
            if writable {
                self.mark_dirty(token);
            }
            if readable {
                self.read_connection(token);
            }
        }
        count
    }

    fn accept_all(&mut self) {
        let buffers = BufferSizes {
            read: self.read_capacity,
            write: 64 * 1024,
        };
        accept_pending(
            &self.listener,
            self.poll.registry(),
            &mut self.connections,
            &mut self.free_connections,
            buffers,
            self.clock.now_ns(),
            "fix",
        );
    }

    /// Reads one buffer's worth and hands it to the session.
    fn read_connection(&mut self, index: usize) {
        if self.commands.slots() < self.ring_reserve() {
            self.pause_input(index);
            return;
        }
        let Some(connection) = self.connections[index].as_mut() else {
            return;
        };
        if connection.closing.is_some() || connection.input_paused {
            return;
        }
        match connection.read_round() {
            ReadOutcome::Closed => self.close(index, CloseReason::PeerClosed),
            ReadOutcome::Read { filled } => {
                let now = self.clock.now_ns();
                connection.last_receive_ns = now;
                self.process_input(index, now);
                if filled {
                    self.pause_input(index);
                }
            }
            ReadOutcome::Nothing => {}
            ReadOutcome::Failed(error) => {
                tracing::info!(peer = %connection.peer, %error, "fix: read failed");
                self.close(index, CloseReason::IoError);
            }
        }
    }

    fn pause_input(&mut self, index: usize) {
        if let Some(connection) = self.connections[index].as_mut() {
            if !connection.input_paused {
                connection.input_paused = true;
                self.paused.push(index);
            }
        }
    }

    /// Routes an unrouted connection by its first message, then feeds the
    /// session everything buffered.
    fn process_input(&mut self, index: usize, ingress_ns: u64) {
        let routed = match self.connections[index].as_ref().map(|c| c.login) {
            None => return,
            Some(LoginState::LoggedIn(session)) => session,
            Some(LoginState::AwaitingLogin) => match self.route(index) {
                Some(session) => session,
                None => return,
            },
        };
        let now = Now {
            monotonic_ns: ingress_ns,
            utc_ns: utc_now_ns(),
        };
        let Some(connection) = self.connections[index].as_mut() else {
            return;
        };
        let slot = &mut self.sessions[routed];
        let mut handler = Handler {
            entry: slot.entry.as_mut(),
            venue: &self.venue,
            exec_ids: &mut self.exec_ids,
            body: &mut self.body,
            commands: &mut self.commands,
            deferred: &mut self.deferred,
            credentials: &self.config.credentials,
            settings: &slot.settings,
            gateway_id: self.config.gateway_id,
            now,
            logon: None,
            logged_on: false,
            messages_in: 0,
            hub: self.hub.as_mut(),
            session_index: routed,
        };
        if tracing::enabled!(tracing::Level::DEBUG) {
            let input = &connection.read_buffer[..connection.read_len];
            log_messages("in", &slot.settings.target_comp_id, input);
        }
        let written_before = connection.write_buffer.len();
        loop {
            let input = &connection.read_buffer[..connection.read_len];
            let consumed =
                slot.session
                    .on_bytes(input, now, &mut connection.write_buffer, &mut handler);
            connection.consume_input(consumed);
            // A Logon with credentials stops the session reading until we
            // decide; then it is offered the rest of the buffer.
            match handler.logon.take() {
                Some(true) => {
                    slot.session
                        .accept_logon(now, &mut connection.write_buffer, &mut handler);
                    if connection.read_len == 0 {
                        break;
                    }
                }
                Some(false) => {
                    slot.session.refuse_logon(
                        "invalid Username or Password",
                        now,
                        &mut connection.write_buffer,
                    );
                    break;
                }
                None => break,
            }
        }
        self.stats.messages_in += handler.messages_in;
        let logged_on = handler.logged_on;
        if let (true, Some(hub)) = (logged_on, self.hub.as_mut()) {
            // Market data starts with one TradingSessionStatus per instrument.
            let _ = hub.on_logged_on(routed, &mut |_, msg_type, body| {
                let _ = slot.session.send_application(
                    msg_type,
                    now,
                    &mut connection.write_buffer,
                    |encoder| encoder.raw_fields(body),
                );
                EmitResult::Sent
            });
        }
        if tracing::enabled!(tracing::Level::DEBUG) {
            let written =
                &connection.write_buffer[written_before.min(connection.write_buffer.len())..];
            log_messages("out", &slot.settings.target_comp_id, written);
        }
        slot.store_dirty = true;
        self.mark_dirty(index);
        self.check_disconnect(routed);
    }

    /// Finds the session of a new connection from its first message.
    /// Returns `None` (and closes or waits) when it cannot yet or at all.
    fn route(&mut self, index: usize) -> Option<usize> {
        let connection = self.connections[index].as_mut()?;
        let input = &connection.read_buffer[..connection.read_len];
        let length = match frame(input, self.config.fix.max_message_bytes) {
            Frame::Incomplete => return None,
            Frame::Complete(length) => length,
            Frame::Garbled { reason, .. } => {
                tracing::warn!(peer = %connection.peer, reason = reason.as_str(),
                    "fix: first message garbled; disconnecting");
                self.close(index, CloseReason::ProtocolError);
                return None;
            }
            Frame::TooLarge { declared_bytes } => {
                tracing::warn!(peer = %connection.peer, declared_bytes,
                    "fix: first message over fix.max_message_bytes; disconnecting");
                self.close(index, CloseReason::ProtocolError);
                return None;
            }
        };
        let peer = connection.peer;
        let decoded = self.decoder.decode(&input[..length]);
        let target = match decoded {
            Ok(message) => route_target(&message, &self.config.fix.sender_comp_id),
            Err(error) => Err(error.to_string()),
        };
        let session = target.and_then(|comp_id| {
            self.session_by_comp_id
                .get(comp_id.as_slice())
                .copied()
                .ok_or_else(|| {
                    format!(
                        "no session for SenderCompID {}",
                        String::from_utf8_lossy(&comp_id)
                    )
                })
        });
        let session = match session {
            Ok(session) if self.sessions[session].connection.is_some() => Err(format!(
                "session {} is already logged on from another connection",
                self.sessions[session].settings.target_comp_id
            )),
            other => other,
        };
        match session {
            Ok(session) => {
                let now = self.now();
                let slot = &mut self.sessions[session];
                slot.connection = Some(index);
                slot.session.on_connect(now);
                if let Some(connection) = self.connections[index].as_mut() {
                    connection.login = LoginState::LoggedIn(session);
                }
                tracing::info!(%peer, session = %slot.settings.target_comp_id, "fix: connection routed");
                Some(session)
            }
            Err(reason) => {
                self.stats.logons_refused += 1;
                tracing::warn!(%peer, %reason, "fix: logon refused; disconnecting");
                self.close(index, CloseReason::LoginRejected);
                None
            }
        }
    }

    fn check_disconnect(&mut self, session: usize) {
        let slot = &self.sessions[session];
        let (Some(reason), Some(connection)) = (slot.session.wants_disconnect(), slot.connection)
        else {
            return;
        };
        let close_reason = match reason {
            DisconnectReason::LogoutCompleted => CloseReason::Logout,
            DisconnectReason::LogonTimeout => CloseReason::LoginTimeout,
            DisconnectReason::HeartbeatTimeout => CloseReason::IdleTimeout,
            DisconnectReason::LogonRefused => CloseReason::LoginRejected,
            _ => CloseReason::ProtocolError,
        };
        if let Some(connection) = self.connections[connection].as_mut() {
            // Flush the Logout first; close once it is written.
            connection.closing = Some(close_reason);
        }
        self.mark_dirty(connection);
    }

    fn check_timers(&mut self) -> usize {
        let now = self.now();
        let mut work = 0;
        for session in 0..self.sessions.len() {
            let Some(index) = self.sessions[session].connection else {
                continue;
            };
            let Some(connection) = self.connections[index].as_mut() else {
                continue;
            };
            let slot = &mut self.sessions[session];
            let due = slot
                .session
                .next_deadline_ns()
                .is_some_and(|deadline| deadline <= now.monotonic_ns);
            if !due {
                continue;
            }
            work += 1;
            let before = connection.write_buffer.len();
            let mut handler = Handler {
                entry: slot.entry.as_mut(),
                venue: &self.venue,
                exec_ids: &mut self.exec_ids,
                body: &mut self.body,
                commands: &mut self.commands,
                deferred: &mut self.deferred,
                credentials: &self.config.credentials,
                settings: &slot.settings,
                gateway_id: self.config.gateway_id,
                now,
                logon: None,
                logged_on: false,
                messages_in: 0,
                hub: self.hub.as_mut(),
                session_index: session,
            };
            slot.session
                .on_timer(now, &mut connection.write_buffer, &mut handler);
            if connection.write_buffer.len() != before {
                slot.store_dirty = true;
                self.mark_dirty(index);
            }
            self.check_disconnect(session);
        }
        // Connections that never sent a routable Logon.
        let logon_timeout_ns = self.config.fix.logon_timeout.as_nanos() as u64;
        for index in 0..self.connections.len() {
            let expired = self.connections[index].as_ref().is_some_and(|connection| {
                connection.login == LoginState::AwaitingLogin
                    && now.monotonic_ns.saturating_sub(connection.connected_ns) > logon_timeout_ns
            });
            if expired {
                tracing::info!(connection = index, "fix: no Logon in time; disconnecting");
                self.close(index, CloseReason::LoginTimeout);
                work += 1;
            }
        }
        work
    }

    fn flush_stores(&mut self) {
        for slot in &mut self.sessions {
            if !slot.store_dirty {
                continue;
            }
            slot.store_dirty = false;
            if let Err(error) = slot.session.store_mut().flush() {
                tracing::error!(session = %slot.settings.target_comp_id, %error,
                    "fix: message store flush failed");
            }
        }
    }

    fn close(&mut self, index: usize, reason: CloseReason) {
        let Some(mut connection) = self.connections[index].take() else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut connection.stream);
        self.free_connections.push(index);
        self.dirty.retain(|dirty| *dirty != index);
        tracing::info!(peer = %connection.peer, ?reason, "fix: disconnected");
        let LoginState::LoggedIn(session) = connection.login else {
            return;
        };
        let now = self.now();
        if let Some(hub) = self.hub.as_mut() {
            hub.on_session_closed(session);
        }
        let slot = &mut self.sessions[session];
        slot.connection = None;
        slot.session.on_disconnect(now);
        slot.store_dirty = true;
        if slot.settings.cancel_on_disconnect && slot.entry.is_some() {
            let command = InboundCommand {
                command: Command {
                    owner: slot.settings.owner,
                    ts: TimestampNs(now.utc_ns),
                    kind: CommandKind::CancelOwnerOrders,
                },
                gateway_id: self.config.gateway_id,
                ingress_ns: now.monotonic_ns,
            };
            if let Err(rtrb::PushError::Full(command)) = self.commands.push(command) {
                self.deferred.push_back(command);
            }
        }
    }
}

/// One debug line per complete message in `bytes`, secrets redacted.
fn log_messages(direction: &str, session: &str, bytes: &[u8]) {
    let mut rest = bytes;
    while let Frame::Complete(length) = frame(rest, usize::MAX) {
        tracing::debug!(session, direction, message = %super::redact::redacted(&rest[..length]), "fix: message");
        rest = &rest[length..];
    }
}

/// The client's CompID from a first message that must be a Logon addressed to us.
fn route_target(message: &Message<'_>, our_comp_id: &str) -> Result<Vec<u8>, String> {
    if message.msg_type() != b"A" {
        return Err("first message is not a Logon".to_string());
    }
    if message.get(tags::TARGET_COMP_ID) != Some(our_comp_id.as_bytes()) {
        return Err(format!(
            "TargetCompID is not {our_comp_id}: {}",
            String::from_utf8_lossy(message.get(tags::TARGET_COMP_ID).unwrap_or_default())
        ));
    }
    message
        .get(tags::SENDER_COMP_ID)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| "Logon without SenderCompID".to_string())
}

fn open_session(
    config: &AcceptorConfig,
    settings: &FixSessionSettings,
) -> Result<SessionSlot, String> {
    let fix = &config.fix;
    let key = format!("{}-{}", fix.sender_comp_id, settings.target_comp_id);
    let options = StoreOptions {
        fsync: fix.store_fsync,
        // Outbound messages are RTES's own; far below this.
        max_message_bytes: fix.max_message_bytes.max(16 * 1024),
        ..StoreOptions::default()
    };
    let (store, recovery) = FileMessageStore::open(&fix.store_dir, &key, options)
        .map_err(|error| format!("fix.store_dir: session {key}: {error}"))?;
    tracing::info!(session = %key, next_sender_seq = recovery.next_sender_seq,
        next_target_seq = recovery.next_target_seq, records = recovery.records,
        truncated_bytes = recovery.truncated_bytes, "fix: session store opened");
    let session_settings = SessionSettings {
        sender_comp_id: fix.sender_comp_id.clone(),
        target_comp_id: settings.target_comp_id.clone(),
        heartbeat_min_s: fix.heartbeat_range_s.0,
        heartbeat_max_s: fix.heartbeat_range_s.1,
        reset_policy: match settings.reset_policy {
            FixResetPolicy::Honour => super::session::ResetPolicy::HonourRequest,
            FixResetPolicy::Always => super::session::ResetPolicy::Always,
            FixResetPolicy::Never => super::session::ResetPolicy::Never,
        },
        sending_time_tolerance_ns: fix.sending_time_tolerance.as_nanos() as u64,
        logon_timeout_ns: fix.logon_timeout.as_nanos() as u64,
        logout_timeout_ns: fix.logout_timeout.as_nanos() as u64,
        max_message_bytes: fix.max_message_bytes,
        max_fields: fix.max_fields,
        max_queued_bytes: fix.max_message_bytes * 64,
        username: settings.username.clone(),
        credential_check: if settings.username.is_some() {
            super::session::CredentialCheck::Caller
        } else {
            super::session::CredentialCheck::None
        },
    };
    let account_name = config
        .account_names
        .get(settings.account.0 as usize)
        .cloned()
        .unwrap_or_default();
    let entry = (!settings.reflector).then(|| {
        OrderEntry::new(
            settings.account,
            &account_name,
            fix.max_orders_per_session,
            fix.throttle_msgs_per_sec,
        )
    });
    Ok(SessionSlot {
        settings: settings.clone(),
        session: Session::new(session_settings, store),
        entry,
        connection: None,
        store_dirty: false,
    })
}

/// What the session calls back into while it processes input.
struct Handler<'a> {
    entry: Option<&'a mut OrderEntry>,
    venue: &'a Venue,
    exec_ids: &'a mut ExecIds,
    body: &'a mut Vec<u8>,
    commands: &'a mut rtrb::Producer<InboundCommand>,
    deferred: &'a mut VecDeque<InboundCommand>,
    credentials: &'a Credentials,
    settings: &'a FixSessionSettings,
    gateway_id: GatewayId,
    now: Now,
    /// A Logon with credentials was checked: accepted or not.
    logon: Option<bool>,
    /// The session logged on during this call (market data starts for it).
    logged_on: bool,
    messages_in: u64,
    /// The market-data hub, when this acceptor serves market data.
    hub: Option<&'a mut MarketDataHub>,
    /// This session's index (the hub's session number).
    session_index: usize,
}

impl Handler<'_> {
    fn owner(&self) -> OwnerId {
        self.settings.owner
    }

    fn push(&mut self, kind: CommandKind) {
        let command = InboundCommand {
            command: Command {
                owner: self.owner(),
                ts: TimestampNs(self.now.utc_ns),
                kind,
            },
            gateway_id: self.gateway_id,
            ingress_ns: self.now.monotonic_ns,
        };
        // Reading pauses while the ring has less than a read buffer's worth
        // of room, so this only defers in the rare overrun.
        if let Err(rtrb::PushError::Full(command)) = self.commands.push(command) {
            self.deferred.push_back(command);
        }
    }

    /// Header fields are the session's; a reflector echoes only the body.
    fn reflect(&mut self, message: &Message<'_>) {
        self.body.clear();
        for field in message.fields() {
            if !is_header_or_trailer(field.tag) {
                super::codec::FieldWriter(self.body).bytes(field.tag, message.value(field));
            }
        }
    }
}

fn is_header_or_trailer(tag: u32) -> bool {
    matches!(
        tag,
        tags::BEGIN_STRING
            | tags::BODY_LENGTH
            | tags::MSG_TYPE
            | tags::SENDER_COMP_ID
            | tags::TARGET_COMP_ID
            | tags::MSG_SEQ_NUM
            | tags::SENDING_TIME
            | tags::POSS_DUP_FLAG
            | tags::POSS_RESEND
            | tags::ORIG_SENDING_TIME
            | tags::SENDER_SUB_ID
            | tags::TARGET_SUB_ID
            | tags::ON_BEHALF_OF_COMP_ID
            | tags::DELIVER_TO_COMP_ID
            | tags::SENDER_LOCATION_ID
            | tags::TARGET_LOCATION_ID
            | tags::LAST_MSG_SEQ_NUM_PROCESSED
            | tags::CHECK_SUM
    )
}

impl SessionHandler<FileMessageStore> for Handler<'_> {
    fn on_application(&mut self, message: &Message<'_>, reply: &mut Replier<'_, FileMessageStore>) {
        self.messages_in += 1;
        let Some(entry) = self.entry.as_deref_mut() else {
            self.reflect(message);
            let body = &*self.body;
            let _ = reply.send_application(message.msg_type(), |encoder| encoder.raw_fields(body));
            return;
        };
        if let (Some(hub), true) = (
            self.hub.as_deref_mut(),
            MarketDataHub::handles(message.msg_type()),
        ) {
            let answered = hub.on_request(
                self.session_index,
                message,
                self.now.utc_ns,
                &mut |_, msg_type, body| {
                    let _ = reply.send_application(msg_type, |encoder| encoder.raw_fields(body));
                    EmitResult::Sent
                },
            );
            if let Err(error) = answered {
                let _ = reply.business_reject(message, 3, &error.to_string());
            }
            return;
        }
        let times = Times {
            monotonic_ns: self.now.monotonic_ns,
            utc_ns: self.now.utc_ns,
        };
        match entry.on_message(message, self.venue, self.exec_ids, times, self.body) {
            Inbound::Command(kind) => self.push(kind),
            Inbound::Reply(msg_type) => {
                let body = &*self.body;
                let _ = reply.send_application(msg_type, |encoder| encoder.raw_fields(body));
            }
        }
    }

    fn on_event(&mut self, event: SessionEvent<'_>) {
        let session = self.settings.target_comp_id.as_str();
        match event {
            SessionEvent::LogonRequest {
                username, password, ..
            } => {
                let accepted = match (&self.settings.username, username, password) {
                    (None, _, _) => true,
                    (Some(expected), Some(username), Some(password)) => {
                        username == expected.as_bytes()
                            && self
                                .credentials
                                .authenticate(expected, &String::from_utf8_lossy(password))
                                .is_some()
                    }
                    _ => false,
                };
                self.logon = Some(accepted);
            }
            other => {
                if matches!(other, SessionEvent::LoggedOn { .. }) {
                    self.logged_on = true;
                }
                tracing::info!(session, event = ?other, "fix: session event")
            }
        }
    }
}

/// Where the market-data hub's messages go: the session's sequenced output
/// on its connection (or, with no connection, only into its store).
struct MarketDataOutlet<'a> {
    sessions: &'a mut [SessionSlot],
    connections: &'a mut [Option<Connection>],
    discard: &'a mut Vec<u8>,
    dirty: &'a mut Vec<usize>,
    backlog_bytes: usize,
    now: Now,
    /// Messages emitted so far.
    emitted: u64,
}

impl MarketDataOutlet<'_> {
    fn emit(&mut self, session: usize, msg_type: &'static [u8], body: &[u8]) -> EmitResult {
        let slot = &mut self.sessions[session];
        let connection = slot
            .connection
            .and_then(|index| self.connections[index].as_mut().map(|c| (index, c)));
        let (output, index) = match connection {
            Some((index, connection)) => (&mut connection.write_buffer, Some(index)),
            None => (&mut *self.discard, None),
        };
        let sent = slot
            .session
            .send_application(msg_type, self.now, output, |encoder| {
                encoder.raw_fields(body)
            });
        if sent.is_err() {
            tracing::error!(session = %slot.settings.target_comp_id,
                "fix: message store failed while sending market data");
        }
        slot.store_dirty = true;
        self.discard.clear();
        self.emitted += 1;
        let Some(index) = index else {
            return EmitResult::Sent;
        };
        if !self.dirty.contains(&index) {
            self.dirty.push(index);
        }
        let pending = self.connections[index]
            .as_ref()
            .map_or(0, Connection::pending_write);
        if pending > self.backlog_bytes {
            EmitResult::Backlogged
        } else {
            EmitResult::Sent
        }
    }
}

/// The market-data hub sized from the configuration.
fn market_data_hub(config: &AcceptorConfig) -> Result<MarketDataHub, String> {
    let fix = &config.fix;
    let mut limits = MarketDataLimits::for_instruments(
        &config.instrument_configs,
        fix.sessions.len().max(1),
        config.max_resting_orders,
    );
    limits.max_subscriptions_per_session = fix.max_subscriptions_per_session;
    limits.max_pending_updates_per_session = fix.max_pending_updates_per_session;
    let options = MarketDataOptions {
        extension_fields: fix.market_data_extension_fields,
        start_utc_ns: utc_now_ns(),
        ..MarketDataOptions::default()
    };
    MarketDataHub::new(&config.instrument_configs, limits, options)
        .map_err(|error| format!("fix market data: {error}"))
}
