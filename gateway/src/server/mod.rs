//! The SoupBinTCP/OUCH 4.2 order-entry server: a mio event loop run as an
//! [`Agent`](crate::runtime::Agent).
//!
//! Data flow, in the order `do_work` runs it:
//! 1. engine reports → OUCH messages → each user's sequenced store → the
//!    connection's write buffer (replay and live share one path: a connection
//!    copies from the store from its `send_cursor` while it has room);
//! 2. socket readiness → read until `WouldBlock` → decode every complete
//!    SoupBinTCP frame → OUCH → engine commands, pushed to the command ring
//!    (when the ring is nearly full the connection stops reading: back-pressure);
//! 3. timers: heartbeats after 1 s quiet, idle and login timeouts.

pub mod clock;
pub mod connection;
pub mod frontend;
pub mod order_entry;
pub mod session;
pub mod store;
pub mod throttle;

mod ouch_bridge;
mod wire_out;

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token as PollToken};
use rtes_engine::{Command, InstrumentId};

use crate::config::credentials::Login;
use crate::runtime::records::{GatewayId, InboundCommand, OutboundReport};
use crate::runtime::LatencyRecorder;
use crate::soupbin;
use clock::Clock;
use connection::{CloseReason, Connection, LoginState, ReadOutcome};
use session::UserSession;
use throttle::Throttle;

const LISTENER: PollToken = PollToken(usize::MAX - 1);

/// An instrument as the gateway needs it: symbol and tick for the wire.
#[derive(Debug, Clone)]
pub struct WireInstrument {
    /// Symbol, ITCH style.
    pub symbol: String,
    /// Tick size in wire-price units (1/10,000).
    pub tick_size: i64,
}

/// Settings of the OUCH gateway.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Id of this gateway (index of its rings in the engine stage).
    pub gateway_id: GatewayId,
    /// SoupBinTCP session name announced at login (≤ 10 characters).
    pub session_name: String,
    /// Send a server heartbeat after this long without other output.
    pub heartbeat_interval: Duration,
    /// Drop a client silent for this long.
    pub idle_timeout: Duration,
    /// Drop a connection that has not logged in after this long.
    pub login_timeout: Duration,
    /// Largest accepted SoupBinTCP packet (length field value).
    pub max_frame_len: u16,
    /// A connection whose unwritten output exceeds this is a slow consumer and is dropped.
    pub max_outbound_bytes: usize,
    /// Most simultaneous connections.
    pub max_connections: usize,
    /// Orders and replaces per second per session (0 = unlimited).
    pub throttle_per_second: u32,
    /// Burst allowance of the throttle.
    pub throttle_burst: u32,
    /// Throttle rejects within one heartbeat interval that get the session logged out.
    pub throttle_disconnect_after: u32,
    /// Users that may log in; `OwnerId(i)` is `users[i]`'s owner.
    pub users: Vec<Login>,
    /// Instruments indexed by `InstrumentId`.
    pub instruments: Vec<WireInstrument>,
}

/// Latency histograms kept by the gateway thread (values in ns).
pub struct GatewayStats {
    /// Socket read → ack encoded and queued for the socket (before the write syscall).
    pub read_to_queued: LatencyRecorder,
    /// Socket read → ack written to the socket (after the write syscall).
    pub read_to_write: LatencyRecorder,
    /// Engine apply → ack queued for writing.
    pub engine_to_write: LatencyRecorder,
    /// Inbound application messages decoded.
    pub messages_in: u64,
    /// Outbound sequenced messages.
    pub messages_out: u64,
    /// Connections dropped as slow consumers.
    pub slow_consumers: u64,
    /// Frames that broke the protocol.
    pub protocol_errors: u64,
}

impl GatewayStats {
    fn new() -> GatewayStats {
        GatewayStats {
            read_to_queued: LatencyRecorder::new("gateway read->ack queued"),
            read_to_write: LatencyRecorder::new("gateway read->ack written"),
            engine_to_write: LatencyRecorder::new("engine apply->ack write"),
            messages_in: 0,
            messages_out: 0,
            slow_consumers: 0,
            protocol_errors: 0,
        }
    }
}

/// The order-entry gateway agent.
pub struct GatewayAgent {
    config: GatewayConfig,
    poll: Poll,
    events: Events,
    listener: TcpListener,
    connections: Vec<Option<Connection>>,
    free_connections: Vec<usize>,
    users: Vec<UserSession>,
    user_by_name: HashMap<Vec<u8>, usize>,
    /// `OwnerId` → index in `users` (owners are small dense integers).
    user_by_owner: Vec<Option<usize>>,
    symbols: HashMap<[u8; 8], InstrumentId>,
    commands: rtrb::Producer<InboundCommand>,
    reports: rtrb::Consumer<OutboundReport>,
    /// Engine commands that must not be lost (cancel-on-disconnect) waiting for ring space.
    deferred_commands: Vec<Command>,
    /// Connections with output to flush after this round.
    dirty: Vec<usize>,
    /// Connections that stopped reading because the command ring was full.
    paused: Vec<usize>,
    /// Spare list swapped with `paused` while resuming.
    paused_spare: Vec<usize>,
    /// (ingress, engine apply) times of the acks queued this round.
    ack_stamps: Vec<(u64, u64)>,
    clock: Clock,
    next_timer_ns: u64,
    stats: GatewayStats,
    scratch: Vec<u8>,
    frame_copy: Box<[u8]>,
}

/// Free slots the command ring must have before a connection reads more:
/// one read buffer can hold at most this many frames (the shortest frame is
/// a 3-byte header).
fn ring_reserve(read_capacity: usize) -> usize {
    read_capacity / soupbin::HEADER_LEN
}

/// Read buffer per connection.
const READ_CAPACITY: usize = 16 * 1024;
/// How often the timers are checked.
const TIMER_PERIOD_NS: u64 = 20_000_000;
/// Most reports handled per `do_work` call, so sockets are not starved.
const REPORT_BATCH: usize = 4096;

impl GatewayAgent {
    /// Binds `config.listen` and prepares every table.
    pub fn bind(
        config: GatewayConfig,
        commands: rtrb::Producer<InboundCommand>,
        reports: rtrb::Consumer<OutboundReport>,
    ) -> io::Result<GatewayAgent> {
        let listener = TcpListener::bind(config.listen)?;
        GatewayAgent::with_listener(config, listener, commands, reports)
    }

    /// Prepares every table around an already bound listener.
    pub fn with_listener(
        config: GatewayConfig,
        mut listener: TcpListener,
        commands: rtrb::Producer<InboundCommand>,
        reports: rtrb::Consumer<OutboundReport>,
    ) -> io::Result<GatewayAgent> {
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let throttle = Throttle::new(config.throttle_per_second, config.throttle_burst);
        let users: Vec<UserSession> = config
            .users
            .iter()
            .map(|user| UserSession::new(user.clone(), throttle.clone()))
            .collect();
        let user_by_name = users
            .iter()
            .enumerate()
            .map(|(index, user)| (user.config.username.as_bytes().to_vec(), index))
            .collect();
        let owners = users
            .iter()
            .map(|user| user.config.owner.0 as usize + 1)
            .max()
            .unwrap_or(0);
        let mut user_by_owner = vec![None; owners];
        for (index, user) in users.iter().enumerate() {
            user_by_owner[user.config.owner.0 as usize] = Some(index);
        }
        let symbols = config
            .instruments
            .iter()
            .enumerate()
            .map(|(index, instrument)| {
                let mut symbol = [b' '; 8];
                symbol[..instrument.symbol.len()].copy_from_slice(instrument.symbol.as_bytes());
                (symbol, InstrumentId(index as u32))
            })
            .collect();
        let max_connections = config.max_connections;
        Ok(GatewayAgent {
            poll,
            events: Events::with_capacity(1024),
            listener,
            connections: (0..max_connections).map(|_| None).collect(),
            free_connections: (0..max_connections).rev().collect(),
            users,
            user_by_name,
            user_by_owner,
            symbols,
            commands,
            reports,
            deferred_commands: Vec::with_capacity(64),
            dirty: Vec::with_capacity(max_connections),
            paused: Vec::with_capacity(max_connections),
            paused_spare: Vec::with_capacity(max_connections),
            ack_stamps: Vec::with_capacity(REPORT_BATCH),
            clock: Clock::new(),
            next_timer_ns: 0,
            stats: GatewayStats::new(),
            scratch: Vec::with_capacity(256),
            frame_copy: vec![0u8; 2 + usize::from(config.max_frame_len)].into_boxed_slice(),
            config,
        })
    }

    /// The event loop's epoll descriptor (readable while sockets have events).
    pub fn poll_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.poll.as_raw_fd()
    }

    /// The address actually bound (port 0 resolved).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Latency histograms and counters.
    pub fn stats(&self) -> &GatewayStats {
        &self.stats
    }

    /// One round of work; `poll_timeout` bounds how long it may block waiting
    /// for sockets when there is nothing else to do (zero = never block).
    pub fn run_once(&mut self, poll_timeout: Option<Duration>) -> usize {
        // Outbound first: acks for what the engine did since the last round
        // go out before we read more, so a new command's trip to the engine
        // never waits behind a write syscall (in shared mode the engine runs
        // right after this returns).
        let mut work = self.drain_reports();
        work += self.flush_dirty();
        let now = self.clock.now_ns();
        self.record_ack_latencies(now);
        work += self.retry_deferred();
        work += self.resume_paused();
        let timeout = if work > 0 {
            Some(Duration::ZERO)
        } else {
            poll_timeout
        };
        work += self.poll_sockets(timeout);
        // Replies the gateway made itself while reading (logins, rejects).
        work += self.flush_dirty();
        let now = self.clock.now_ns();
        if now >= self.next_timer_ns {
            self.next_timer_ns = now + TIMER_PERIOD_NS;
            work += self.check_timers(now);
            work += self.flush_dirty();
        }
        work
    }

    /// Stops accepting, sends End of Session to everyone, flushes what it can
    /// and closes every connection.
    pub fn shutdown(&mut self) {
        let _ = self.poll.registry().deregister(&mut self.listener);
        self.drain_reports();
        for index in 0..self.connections.len() {
            if let Some(connection) = self.connections[index].as_mut() {
                wire_out::end_of_session(&mut connection.write_buffer);
                let _ = connection.flush();
                self.close(index, CloseReason::Shutdown);
            }
        }
    }

    fn drain_reports(&mut self) -> usize {
        let mut handled = 0;
        let now = self.clock.now_ns();
        while handled < REPORT_BATCH {
            let Ok(outbound) = self.reports.pop() else {
                break;
            };
            handled += 1;
            let owner = outbound.report.owner.0 as usize;
            let Some(&Some(user_index)) = self.user_by_owner.get(owner) else {
                tracing::error!(owner = outbound.report.owner.0, "report for unknown owner");
                continue;
            };
            let instruments = &self.config.instruments;
            let user = &mut self.users[user_index];
            self.scratch.clear();
            if !ouch_bridge::encode_report(&outbound.report, user, instruments, &mut self.scratch) {
                continue;
            }
            if ouch_bridge::is_ack(&outbound.report) {
                self.ack_stamps
                    .push((outbound.ingress_ns, outbound.engine_ns));
                let queued = now.saturating_sub(outbound.ingress_ns);
                self.stats.read_to_queued.record_ns(queued);
            }
            self.append_sequenced(user_index, now);
        }
        handled
    }

    /// Records read→write and engine→write latency of the acks queued this
    /// round, now that `flush_dirty` has written them to their sockets.
    fn record_ack_latencies(&mut self, written_ns: u64) {
        for &(ingress_ns, engine_ns) in &self.ack_stamps {
            self.stats
                .read_to_write
                .record_ns(written_ns.saturating_sub(ingress_ns));
            self.stats
                .engine_to_write
                .record_ns(written_ns.saturating_sub(engine_ns));
        }
        self.ack_stamps.clear();
    }

    /// Stores `self.scratch` as the user's next sequenced message and queues
    /// it to the user's connection if it is caught up.
    fn append_sequenced(&mut self, user_index: usize, now: u64) {
        let user = &mut self.users[user_index];
        let sequence = user.store.append(&self.scratch);
        self.stats.messages_out += 1;
        let Some(connection_index) = user.connection else {
            return;
        };
        let Some(connection) = self.connections[connection_index].as_mut() else {
            return;
        };
        if connection.send_cursor != sequence {
            // Still replaying older messages; the replay fill will reach this one.
            return;
        }
        wire_out::sequenced(&mut connection.write_buffer, &self.scratch);
        connection.send_cursor = sequence + 1;
        connection.last_send_ns = now;
        self.mark_dirty(connection_index);
    }

    fn mark_dirty(&mut self, connection_index: usize) {
        if !self.dirty.contains(&connection_index) {
            self.dirty.push(connection_index);
        }
    }

    fn flush_dirty(&mut self) -> usize {
        let mut flushed = 0;
        while let Some(index) = self.dirty.pop() {
            flushed += 1;
            self.flush_connection(index);
        }
        flushed
    }

    /// Tops up a connection's output from its user's store (replay), writes,
    /// and enforces the slow-consumer bound.
    fn flush_connection(&mut self, index: usize) {
        let Some(connection) = self.connections[index].as_mut() else {
            return;
        };
        if let LoginState::LoggedIn(user_index) = connection.login {
            let store = &self.users[user_index].store;
            while connection.send_cursor <= store.len()
                && connection.pending_write() < self.config.max_outbound_bytes / 2
            {
                let message = store
                    .get(connection.send_cursor)
                    .expect("cursor within store");
                wire_out::sequenced(&mut connection.write_buffer, message);
                connection.send_cursor += 1;
            }
        }
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
                if let Some(reason) = connection.closing {
                    self.close(index, reason);
                } else if let LoginState::LoggedIn(user_index) = connection.login {
                    if connection.send_cursor <= self.users[user_index].store.len() {
                        self.mark_dirty(index);
                    }
                }
            }
            Ok(false) => {
                if connection.pending_write() > self.config.max_outbound_bytes {
                    self.stats.slow_consumers += 1;
                    tracing::warn!(peer = %connection.peer, pending = connection.pending_write(),
                        "slow consumer: output over the bound, disconnecting");
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
                tracing::info!(peer = %connection.peer, %error, "write failed");
                self.close(index, CloseReason::IoError);
            }
        }
    }

    fn poll_sockets(&mut self, timeout: Option<Duration>) -> usize {
        if let Err(error) = self.poll.poll(&mut self.events, timeout) {
            if error.kind() != io::ErrorKind::Interrupted {
                tracing::error!(%error, "poll failed");
            }
            return 0;
        }
        let mut work = 0;
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
            work += 1;
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
        work
    }

    fn accept_all(&mut self) {
        let buffers = connection::BufferSizes {
            read: READ_CAPACITY,
            write: self.config.max_outbound_bytes.min(1 << 20),
        };
        connection::accept_pending(
            &self.listener,
            self.poll.registry(),
            &mut self.connections,
            &mut self.free_connections,
            buffers,
            self.clock.now_ns(),
            "ouch",
        );
    }

    /// Reads one buffer's worth and decodes it. A read that did not fill the
    /// buffer took everything the socket had (later data raises a new
    /// edge-triggered event); a full read may have left more, so the
    /// connection is queued to continue next round. One buffer per round
    /// keeps a bursting client from queueing thousands of commands ahead of
    /// the engine (and of other clients) in shared mode.
    fn read_connection(&mut self, index: usize) {
        if self.commands.slots() < ring_reserve(READ_CAPACITY) {
            self.pause_input(index);
            return;
        }
        let Some(connection) = self.connections[index].as_mut() else {
            return;
        };
        if connection.closing.is_some() {
            return;
        }
        match connection.read_round() {
            ReadOutcome::Closed => self.close(index, CloseReason::PeerClosed),
            ReadOutcome::Read { filled } => {
                let now = self.clock.now_ns();
                connection.last_receive_ns = now;
                self.decode_input(index, now);
                if filled {
                    self.pause_input(index);
                }
            }
            ReadOutcome::Nothing => {}
            ReadOutcome::Failed(error) => {
                tracing::info!(peer = %connection.peer, %error, "read failed");
                self.close(index, CloseReason::IoError);
            }
        }
    }

    /// Queues a connection whose socket may still hold input for the next round.
    fn pause_input(&mut self, index: usize) {
        if let Some(connection) = self.connections[index].as_mut() {
            if !connection.input_paused {
                connection.input_paused = true;
                self.paused.push(index);
            }
        }
    }

    fn resume_paused(&mut self) -> usize {
        if self.paused.is_empty() || self.commands.slots() < ring_reserve(READ_CAPACITY) {
            return 0;
        }
        // Swap with a preallocated spare: reading may pause connections again.
        std::mem::swap(&mut self.paused, &mut self.paused_spare);
        let resumed = self.paused_spare.len();
        for position in 0..resumed {
            let index = self.paused_spare[position];
            if let Some(connection) = self.connections[index].as_mut() {
                connection.input_paused = false;
                let now = self.clock.now_ns();
                self.decode_input(index, now);
            }
            self.read_connection(index);
        }
        self.paused_spare.clear();
        resumed
    }

    /// Decodes every complete frame in the connection's read buffer.
    fn decode_input(&mut self, index: usize, now: u64) {
        let mut consumed = 0;
        loop {
            let Some(connection) = self.connections[index].as_mut() else {
                return;
            };
            if connection.closing.is_some() {
                return;
            }
            let input = &connection.read_buffer[consumed..connection.read_len];
            match soupbin::decode_frame(input, self.config.max_frame_len) {
                Ok(None) => break,
                Ok(Some((_, frame_len))) => {
                    // Copy the frame out so the handlers may borrow `self`;
                    // frames are bounded by max_frame_len.
                    let mut copy = std::mem::take(&mut self.frame_copy);
                    copy[..frame_len].copy_from_slice(&input[..frame_len]);
                    consumed += frame_len;
                    self.handle_frame(index, &copy[..frame_len], now);
                    self.frame_copy = copy;
                }
                Err(error) => {
                    self.stats.protocol_errors += 1;
                    tracing::warn!(peer = %connection.peer, %error, "bad SoupBinTCP frame, disconnecting");
                    self.close(index, CloseReason::ProtocolError);
                    return;
                }
            }
        }
        if let Some(connection) = self.connections[index].as_mut() {
            connection.consume_input(consumed);
        }
    }

    fn handle_frame(&mut self, index: usize, frame: &[u8], now: u64) {
        let packet = match soupbin::decode_frame(frame, self.config.max_frame_len) {
            Ok(Some((packet, _))) => packet,
            Ok(None) => unreachable!("handle_frame is given whole frames"),
            Err(error) => {
                self.protocol_error(index, &error.to_string());
                return;
            }
        };
        let login = match self.connections[index].as_ref() {
            Some(connection) => connection.login,
            None => return,
        };
        match (login, packet) {
            (LoginState::AwaitingLogin, soupbin::Packet::LoginRequest { login, .. }) => {
                self.handle_login(index, login, now);
            }
            (LoginState::AwaitingLogin, _) => {
                self.protocol_error(index, "packet before Login Request");
            }
            (LoginState::LoggedIn(user_index), soupbin::Packet::UnsequencedData(message)) => {
                self.stats.messages_in += 1;
                self.handle_ouch(index, user_index, message, now);
            }
            (LoginState::LoggedIn(_), soupbin::Packet::ClientHeartbeat) => {}
            (LoginState::LoggedIn(_), soupbin::Packet::Debug(_)) => {}
            (LoginState::LoggedIn(_), soupbin::Packet::LogoutRequest) => {
                self.close(index, CloseReason::Logout);
            }
            (LoginState::LoggedIn(_), other) => {
                let what = format!(
                    "unexpected packet type {:?} after login",
                    other.packet_type() as char
                );
                self.protocol_error(index, &what);
            }
        }
    }

    fn protocol_error(&mut self, index: usize, why: &str) {
        self.stats.protocol_errors += 1;
        if let Some(connection) = self.connections[index].as_ref() {
            tracing::warn!(peer = %connection.peer, why, "protocol error, disconnecting");
        }
        self.close(index, CloseReason::ProtocolError);
    }

    fn handle_login(&mut self, index: usize, login: &soupbin::wire::LoginRequestRecord, now: u64) {
        let reject = |agent: &mut GatewayAgent, reason: soupbin::LoginRejectReason, why: &str| {
            if let Some(connection) = agent.connections[index].as_mut() {
                tracing::info!(peer = %connection.peer, why, "login rejected");
                wire_out::login_rejected(&mut connection.write_buffer, reason);
                connection.closing = Some(CloseReason::LoginRejected);
            }
            agent.mark_dirty(index);
        };
        let Some(&user_index) = self.user_by_name.get(login.username()) else {
            reject(
                self,
                soupbin::LoginRejectReason::NotAuthorized,
                "unknown user",
            );
            return;
        };
        if !self.users[user_index].check_password(login.password()) {
            reject(
                self,
                soupbin::LoginRejectReason::NotAuthorized,
                "bad password",
            );
            return;
        }
        let session = login.requested_session();
        if !session.is_empty() && session != self.config.session_name.as_bytes() {
            reject(
                self,
                soupbin::LoginRejectReason::SessionNotAvailable,
                "unknown session",
            );
            return;
        }
        if self.users[user_index].connection.is_some() {
            reject(
                self,
                soupbin::LoginRejectReason::SessionNotAvailable,
                "user already logged in",
            );
            return;
        }
        let Ok(requested) = login.requested_sequence_number() else {
            reject(
                self,
                soupbin::LoginRejectReason::NotAuthorized,
                "bad requested sequence number",
            );
            return;
        };
        let user = &mut self.users[user_index];
        let next = user.store.next_sequence();
        // 0 = start from the most recent; past the end = live only.
        let start = if requested == 0 || requested > next {
            next
        } else {
            requested
        };
        user.connection = Some(index);
        let username = user.config.username.clone();
        let Some(connection) = self.connections[index].as_mut() else {
            return;
        };
        connection.login = LoginState::LoggedIn(user_index);
        connection.send_cursor = start;
        connection.last_send_ns = now;
        wire_out::login_accepted(
            &mut connection.write_buffer,
            self.config.session_name.as_bytes(),
            start,
        );
        tracing::info!(peer = %connection.peer, user = %username, start, "login accepted");
        self.mark_dirty(index);
    }

    fn handle_ouch(&mut self, index: usize, user_index: usize, message: &[u8], now: u64) {
        let outcome = ouch_bridge::decode_inbound(
            message,
            &mut self.users[user_index],
            &self.symbols,
            &self.config.instruments,
            now,
            self.clock.venue_ns(now),
            &mut self.scratch,
        );
        match outcome {
            ouch_bridge::Inbound::Command(kind) => {
                let user = &self.users[user_index];
                let command = Command {
                    owner: user.config.owner,
                    ts: rtes_engine::TimestampNs(self.clock.venue_ns(now)),
                    kind,
                };
                let record = self.inbound(command, now);
                // The reserve check before reading guarantees room.
                if self.commands.push(record).is_err() {
                    tracing::error!("command ring full despite reserve; deferring");
                    self.deferred_commands.push(command);
                }
            }
            ouch_bridge::Inbound::Reply => {
                // A gateway-level reject: already encoded into scratch.
                self.append_sequenced(user_index, now);
            }
            ouch_bridge::Inbound::Throttled => {
                self.append_sequenced(user_index, now);
                let limit = self.config.throttle_disconnect_after;
                if let Some(connection) = self.connections[index].as_mut() {
                    connection.throttled_in_window += 1;
                    if limit > 0 && connection.throttled_in_window > limit {
                        tracing::warn!(peer = %connection.peer, "sustained excess message rate, disconnecting");
                        connection.closing = Some(CloseReason::Throttled);
                        self.mark_dirty(index);
                    }
                }
            }
            ouch_bridge::Inbound::Malformed(why) => {
                self.protocol_error(index, why);
            }
        }
    }

    fn inbound(&self, command: Command, ingress_ns: u64) -> InboundCommand {
        InboundCommand {
            command,
            gateway_id: self.config.gateway_id,
            ingress_ns,
        }
    }

    fn retry_deferred(&mut self) -> usize {
        let mut pushed = 0;
        while let Some(&command) = self.deferred_commands.first() {
            let record = self.inbound(command, self.clock.now_ns());
            if self.commands.push(record).is_err() {
                break;
            }
            self.deferred_commands.remove(0);
            pushed += 1;
        }
        pushed
    }

    fn check_timers(&mut self, now: u64) -> usize {
        let heartbeat = self.config.heartbeat_interval.as_nanos() as u64;
        let idle = self.config.idle_timeout.as_nanos() as u64;
        let login = self.config.login_timeout.as_nanos() as u64;
        let mut work = 0;
        for index in 0..self.connections.len() {
            let Some(connection) = self.connections[index].as_mut() else {
                continue;
            };
            match connection.login {
                LoginState::AwaitingLogin => {
                    if now.saturating_sub(connection.connected_ns) > login {
                        tracing::info!(peer = %connection.peer, "no login in time, disconnecting");
                        self.close(index, CloseReason::LoginTimeout);
                        work += 1;
                    }
                }
                LoginState::LoggedIn(_) => {
                    if now.saturating_sub(connection.last_receive_ns) > idle {
                        tracing::info!(peer = %connection.peer, "client silent too long, disconnecting");
                        self.close(index, CloseReason::IdleTimeout);
                        work += 1;
                        continue;
                    }
                    if now.saturating_sub(connection.last_send_ns) >= heartbeat {
                        connection.throttled_in_window = 0;
                        wire_out::server_heartbeat(&mut connection.write_buffer);
                        connection.last_send_ns = now;
                        self.mark_dirty(index);
                        work += 1;
                    }
                }
            }
        }
        work
    }

    /// Closes a connection; a logged-in user with cancel-on-disconnect gets
    /// its orders cancelled.
    fn close(&mut self, index: usize, reason: CloseReason) {
        let Some(mut connection) = self.connections[index].take() else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut connection.stream);
        if connection.closing.is_none() || connection.closing == Some(reason) {
            tracing::info!(peer = %connection.peer, ?reason, "connection closed");
        }
        if let LoginState::LoggedIn(user_index) = connection.login {
            let user = &mut self.users[user_index];
            user.connection = None;
            if user.config.cancel_on_disconnect && reason != CloseReason::Shutdown {
                let command = Command {
                    owner: user.config.owner,
                    ts: rtes_engine::TimestampNs(self.clock.venue_ns(self.clock.now_ns())),
                    kind: rtes_engine::CommandKind::CancelOwnerOrders,
                };
                self.deferred_commands.push(command);
                self.retry_deferred();
            }
        }
        self.dirty.retain(|&dirty| dirty != index);
        self.paused.retain(|&paused| paused != index);
        self.paused_spare.retain(|&paused| paused != index);
        self.free_connections.push(index);
    }
}
