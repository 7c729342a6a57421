//! Late join: ITCH replay over SoupBinTCP 4.00.
//!
//! A client connects to `feed.replay_listen` and logs in with a requested
//! sequence number; it then receives every ITCH message from that number
//! on as Sequenced Data (`S`, one message each, numbered like the MoldUDP64
//! stream), first from the history and then live as the feed publishes.
//!
//! - No authentication: the feed is public market data, so any username and
//!   password are accepted (documented in `docs/market-data.md`).
//! - Requested session: blank or the feed's session, or [`SNAPSHOT_SESSION`];
//!   anything else is Login Rejected `S`.
//! - Requested sequence 0 = live only (from the next message); a number past
//!   the end starts at the next message; a number the history still holds
//!   replays from there.
//! - **Snapshot**: a number older than the history holds, or the session
//!   name [`SNAPSHOT_SESSION`], gets a GLIMPSE-style snapshot instead: the
//!   last System Event, every instrument's Stock Directory and Trading
//!   Action, every resting displayed order as an Add Order in price-time
//!   priority, and End of Snapshot `G` carrying `S`, the sequence number of
//!   the first live message after it; then the live stream from `S`. The
//!   `K` snapshot messages are numbered `S − K … S − 1` (Login Accepted
//!   says `S − K`), so the SoupBinTCP stream has no gap and every message
//!   from `S` on carries its MoldUDP64 number. The snapshot numbers are not
//!   ITCH numbers: reconnect with a number ≥ `S`.
//! - A client that falls behind the history is sent End of Session `Z` and
//!   disconnected. Heartbeats `H` after the feed's heartbeat interval of
//!   silence; a client silent for [`CLIENT_SILENCE_MAX`] is disconnected.
//!
//! Sessions are allocated at accept (not on the publish hot path); there
//! are at most [`REPLAY_SESSIONS_MAX`]. A snapshot is written when the
//! login arrives, on the feed thread (it sorts each book side: for a few
//! thousand resting orders well under a millisecond), into a buffer of its
//! own; at most [`SNAPSHOT_SESSIONS_MAX`] are in flight, further snapshot
//! logins are rejected `S` until one has been sent.

use crate::soupbin::wire::{LoginAcceptedRecord, LoginRejectedRecord};
use crate::soupbin::{
    write_header, FrameDecoder, FrameDecoderConfig, LoginRejectReason, Packet, HEADER_LEN,
};
use rtes_mdfeed::history::History;
use rtes_mdfeed::itch::Message;
use rtes_mdfeed::moldudp::SESSION_LEN;
use rtes_mdfeed::publisher::Publisher;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

/// Most replay clients at once; more are refused (connection closed).
pub const REPLAY_SESSIONS_MAX: usize = 32;
/// A client silent this long is disconnected.
pub const CLIENT_SILENCE_MAX: Duration = Duration::from_secs(15);
/// Unsent bytes buffered per client.
const OUT_BUFFER_BYTES: usize = 64 * 1024;
/// Longest SoupBinTCP packet accepted from a client (login with timeout).
const CLIENT_PACKET_LEN_MAX: u16 = 64;
/// Requested session name that asks for a snapshot whatever the number.
pub const SNAPSHOT_SESSION: &[u8] = rtes_mdfeed::subscriber::SNAPSHOT_SESSION.as_bytes();
/// Most snapshots being sent at once (each holds its own buffer, about 40
/// bytes per resting order).
pub const SNAPSHOT_SESSIONS_MAX: usize = 4;

struct Session {
    stream: TcpStream,
    decoder: FrameDecoder,
    /// Next sequence number to send; `None` until logged in.
    next: Option<u64>,
    out: Vec<u8>,
    out_start: usize,
    /// Snapshot frames not yet moved to `out`, from `snapshot_start`.
    snapshot: Vec<u8>,
    snapshot_start: usize,
    last_write_ns: u64,
    last_read_ns: u64,
    closing: bool,
    closed: bool,
}

impl Session {
    fn new(stream: TcpStream, now_ns: u64) -> Session {
        Session {
            stream,
            decoder: FrameDecoder::new(FrameDecoderConfig {
                packet_length_max: CLIENT_PACKET_LEN_MAX,
                buffer_capacity: 1_024,
            }),
            next: None,
            out: Vec::with_capacity(OUT_BUFFER_BYTES),
            out_start: 0,
            snapshot: Vec::new(),
            snapshot_start: 0,
            last_write_ns: now_ns,
            last_read_ns: now_ns,
            closing: false,
            closed: false,
        }
    }

    fn room(&self) -> usize {
        OUT_BUFFER_BYTES - self.out.len()
    }

    /// True while snapshot bytes wait to be queued.
    fn snapshot_pending(&self) -> bool {
        self.snapshot_start < self.snapshot.len()
    }

    /// Moves as much of the snapshot into `out` as fits (frames may be cut:
    /// `out` is a byte stream and nothing else is queued until the snapshot
    /// is through). Returns the bytes moved.
    fn queue_snapshot(&mut self) -> usize {
        let count = self.room().min(self.snapshot.len() - self.snapshot_start);
        let end = self.snapshot_start + count;
        self.out
            .extend_from_slice(&self.snapshot[self.snapshot_start..end]);
        self.snapshot_start = end;
        if !self.snapshot_pending() {
            // Sent: give the memory back.
            self.snapshot = Vec::new();
            self.snapshot_start = 0;
        }
        count
    }

    fn queue_packet(&mut self, packet: &Packet<'_>) {
        let start = self.out.len();
        self.out.resize(start + packet.encoded_len(), 0);
        let written = packet
            .encode_into(&mut self.out[start..])
            .expect("sized above");
        self.out.truncate(start + written);
    }

    fn queue_message(&mut self, message: &[u8]) {
        let start = self.out.len();
        self.out.resize(start + HEADER_LEN + message.len(), 0);
        write_header(&mut self.out[start..], b'S', message.len()).expect("sized above");
        self.out[start + HEADER_LEN..].copy_from_slice(message);
    }

    fn read(&mut self, now_ns: u64) {
        loop {
            let spare = self.decoder.spare_capacity();
            if spare.is_empty() {
                self.closed = true; // a client flooding us with junk
                return;
            }
            match self.stream.read(spare) {
                Ok(0) => {
                    self.closed = true;
                    return;
                }
                Ok(count) => {
                    self.decoder.commit(count);
                    self.last_read_ns = now_ns;
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.closed = true;
                    return;
                }
            }
        }
    }

    fn flush(&mut self, now_ns: u64) -> bool {
        let mut wrote = false;
        while self.out_start < self.out.len() {
            match self.stream.write(&self.out[self.out_start..]) {
                Ok(0) => {
                    self.closed = true;
                    break;
                }
                Ok(count) => {
                    self.out_start += count;
                    self.last_write_ns = now_ns;
                    wrote = true;
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.closed = true;
                    break;
                }
            }
        }
        if self.out_start == self.out.len() {
            self.out.clear();
            self.out_start = 0;
            if self.closing {
                self.closed = true;
            }
        }
        wrote
    }
}

/// The replay listener and its sessions.
pub struct ReplayServer {
    listener: TcpListener,
    session_name: [u8; SESSION_LEN],
    heartbeat_interval_ns: u64,
    sessions: Vec<Session>,
    accepted: u64,
    snapshots_sent: u64,
}

impl ReplayServer {
    /// A server over a bound, non-blocking listener.
    pub fn new(
        listener: TcpListener,
        session_name: [u8; SESSION_LEN],
        heartbeat_interval: Duration,
    ) -> ReplayServer {
        ReplayServer {
            listener,
            session_name,
            heartbeat_interval_ns: heartbeat_interval.as_nanos() as u64,
            sessions: Vec::with_capacity(REPLAY_SESSIONS_MAX),
            accepted: 0,
            snapshots_sent: 0,
        }
    }

    /// Sessions accepted so far.
    pub fn sessions_accepted(&self) -> u64 {
        self.accepted
    }

    /// Snapshots started so far.
    pub fn snapshots_sent(&self) -> u64 {
        self.snapshots_sent
    }

    /// The listener's descriptor, for readiness polling.
    pub fn listener_fd(&self) -> RawFd {
        self.listener.as_raw_fd()
    }

    /// Reads logins and streams to every session; returns a work count.
    /// Call [`ReplayServer::accept`] first when the listener is readable.
    pub fn serve(&mut self, publisher: &Publisher, now_ns: u64) -> usize {
        if self.sessions.is_empty() {
            return 0;
        }
        let mut work = 0;
        for index in 0..self.sessions.len() {
            work += self.serve_session(index, publisher, now_ns);
        }
        self.sessions.retain(|session| !session.closed);
        work
    }

    /// Accepts every waiting connection (until `WouldBlock`); returns how
    /// many. A non-blocking `accept` that finds nothing still costs a socket
    /// allocation in the kernel, so call it only when the listener polled
    /// readable.
    pub fn accept(&mut self, now_ns: u64) -> usize {
        let mut accepted = 0;
        while let Ok((stream, _)) = self.listener.accept() {
            accepted += 1;
            if self.sessions.len() >= REPLAY_SESSIONS_MAX {
                continue; // dropped: closes the connection
            }
            if stream.set_nonblocking(true).is_err() {
                continue;
            }
            let _ = stream.set_nodelay(true);
            self.sessions.push(Session::new(stream, now_ns));
            self.accepted += 1;
        }
        accepted
    }

    fn serve_session(&mut self, index: usize, publisher: &Publisher, now_ns: u64) -> usize {
        let heartbeat_ns = self.heartbeat_interval_ns;
        self.sessions[index].read(now_ns);
        let mut work = 0;
        loop {
            let session = &mut self.sessions[index];
            let packet = match session.decoder.next_frame() {
                Ok(Some(packet)) => packet,
                Ok(None) => break,
                Err(_) => {
                    session.closed = true;
                    return 1;
                }
            };
            work += 1;
            match packet {
                Packet::LoginRequest { login, .. } if session.next.is_none() => {
                    let requested_session = trim(login.requested_session()).to_vec();
                    let requested = login.requested_sequence_number().unwrap_or(u64::MAX);
                    self.login(index, &requested_session, requested, publisher);
                }
                Packet::LogoutRequest => session.closing = true,
                _ => {} // heartbeats, debug; anything else is ignored
            }
        }
        let session = &mut self.sessions[index];
        if now_ns.saturating_sub(session.last_read_ns) >= CLIENT_SILENCE_MAX.as_nanos() as u64 {
            session.closed = true;
            return work + 1;
        }
        if session.snapshot_pending() {
            work += usize::from(session.queue_snapshot() > 0);
        }
        if let (Some(next), false, false) =
            (session.next, session.closing, session.snapshot_pending())
        {
            work += stream_history(
                session,
                next,
                publisher.history(),
                publisher.next_sequence(),
            );
        }
        if session.out.is_empty()
            && !session.snapshot_pending()
            && now_ns.saturating_sub(session.last_write_ns) >= heartbeat_ns
        {
            session.queue_packet(&Packet::ServerHeartbeat);
        }
        if session.flush(now_ns) {
            work += 1;
        }
        work
    }

    /// Answers a Login Request: replay, snapshot, or reject.
    fn login(
        &mut self,
        index: usize,
        requested_session: &[u8],
        requested: u64,
        publisher: &Publisher,
    ) {
        let snapshots_in_flight = self
            .sessions
            .iter()
            .filter(|session| session.snapshot_pending())
            .count();
        let start = login_start(
            requested_session,
            requested,
            &self.session_name,
            publisher.history(),
            publisher.next_sequence(),
        );
        let session = &mut self.sessions[index];
        let accepted = match start {
            Some(Start::From(start)) => {
                session.next = Some(start);
                Some(start)
            }
            Some(Start::Snapshot) if snapshots_in_flight < SNAPSHOT_SESSIONS_MAX => {
                let first = write_snapshot(session, publisher);
                self.snapshots_sent += u64::from(first.is_some());
                first
            }
            _ => None,
        };
        match accepted {
            Some(first) => {
                let record = LoginAcceptedRecord::new(&self.session_name, first)
                    .expect("session name and number fit");
                session.queue_packet(&Packet::LoginAccepted(&record));
            }
            None => {
                let record = LoginRejectedRecord::new(LoginRejectReason::SessionNotAvailable);
                session.queue_packet(&Packet::LoginRejected(&record));
                session.closing = true;
            }
        }
    }

    /// Shutdown: sends what the history still has and End of Session to
    /// every logged-in client (best effort, non-blocking). A client still
    /// receiving its snapshot is just disconnected.
    pub fn close(&mut self, publisher: &Publisher) {
        for session in &mut self.sessions {
            if let (Some(next), false) = (session.next, session.snapshot_pending()) {
                stream_history(
                    session,
                    next,
                    publisher.history(),
                    publisher.next_sequence(),
                );
                session.queue_packet(&Packet::EndOfSession);
            }
            session.flush(0);
        }
        self.sessions.clear();
    }
}

/// Where a logged-in client starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// Replay (or live) from this sequence number.
    From(u64),
    /// Snapshot, then live.
    Snapshot,
}

/// Where to start for a requested (trimmed) session and number, or `None`
/// (reject).
fn login_start(
    requested_session: &[u8],
    requested: u64,
    session_name: &[u8; SESSION_LEN],
    history: &History,
    next_sequence: u64,
) -> Option<Start> {
    if requested_session == SNAPSHOT_SESSION {
        return Some(Start::Snapshot);
    }
    if !requested_session.is_empty() && requested_session != trim(session_name) {
        return None;
    }
    if requested == 0 || requested >= next_sequence {
        return Some(Start::From(next_sequence));
    }
    match history.first() {
        Some(first) if requested >= first => Some(Start::From(requested)),
        _ => Some(Start::Snapshot),
    }
}

/// Writes the publisher's snapshot into the session as Sequenced Data
/// frames and sets it to go live after it; returns the SoupBinTCP number of
/// the first snapshot message, or `None` if no snapshot can be written.
fn write_snapshot(session: &mut Session, publisher: &Publisher) -> Option<u64> {
    let mut frames = Vec::new();
    let mut count = 0u64;
    let live_from = publisher
        .snapshot(unix_now_ns(), |message| {
            count += 1;
            append_frame(&mut frames, message);
        })
        .ok()?;
    // Every snapshot message stands for at least one message published
    // before `live_from` (the three System Events, the directory and trading
    // action of each instrument, each order's Add or Replace) plus the `G`,
    // so `live_from − count` is at least 1 once start of day is out (it is
    // before any socket is served). Refuse rather than number from 0.
    debug_assert!(
        count < live_from,
        "snapshot longer than the stream it sums up"
    );
    if count >= live_from {
        return None;
    }
    session.snapshot = frames;
    session.snapshot_start = 0;
    session.next = Some(live_from);
    Some(live_from - count)
}

/// Appends one message as a Sequenced Data frame.
fn append_frame(frames: &mut Vec<u8>, message: &Message) {
    let mut bytes = [0u8; 64];
    let len = message
        .encode(&mut bytes)
        .expect("every ITCH message fits 64 bytes");
    let start = frames.len();
    frames.resize(start + HEADER_LEN + len, 0);
    write_header(&mut frames[start..], b'S', len).expect("sized above");
    frames[start + HEADER_LEN..].copy_from_slice(&bytes[..len]);
}

fn unix_now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_nanos() as u64)
        .unwrap_or(0)
}

fn trim(field: &[u8]) -> &[u8] {
    crate::soupbin::ascii::trim_spaces(field)
}

/// Queues messages from `next` while there is room; returns how many.
fn stream_history(session: &mut Session, next: u64, history: &History, end: u64) -> usize {
    let mut sequence = next;
    while sequence < end && session.room() >= HEADER_LEN + 64 {
        match history.get(sequence) {
            Some(message) => session.queue_message(message),
            None => {
                // Fell behind the history: nothing more can be sent in order.
                session.queue_packet(&Packet::EndOfSession);
                session.closing = true;
                break;
            }
        }
        sequence += 1;
    }
    session.next = Some(sequence);
    (sequence - next) as usize
}
