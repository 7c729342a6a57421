//! Late join: ITCH replay over SoupBinTCP 4.00.
//!
//! A client connects to `feed.replay_listen` and logs in with a requested
//! sequence number; it then receives every ITCH message from that number
//! on as Sequenced Data (`S`, one message each, numbered like the MoldUDP64
//! stream), first from the history and then live as the feed publishes.
//!
//! - No authentication: the feed is public market data, so any username and
//!   password are accepted (documented in `docs/market-data.md`).
//! - Requested session: blank or the feed's session, else Login Rejected `S`.
//! - Requested sequence 0 = live only (from the next message); a number past
//!   the end starts at the next message; a number older than the history
//!   holds is rejected with `S` (no snapshot yet).
//! - A client that falls behind the history is sent End of Session `Z` and
//!   disconnected. Heartbeats `H` after the feed's heartbeat interval of
//!   silence; a client silent for [`CLIENT_SILENCE_MAX`] is disconnected.
//!
//! Sessions are allocated at accept (not on the publish hot path); there
//! are at most [`REPLAY_SESSIONS_MAX`].

use crate::soupbin::wire::{LoginAcceptedRecord, LoginRejectedRecord};
use crate::soupbin::{
    write_header, FrameDecoder, FrameDecoderConfig, LoginRejectReason, Packet, HEADER_LEN,
};
use rtes_mdfeed::history::History;
use rtes_mdfeed::moldudp::SESSION_LEN;
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

struct Session {
    stream: TcpStream,
    decoder: FrameDecoder,
    /// Next sequence number to send; `None` until logged in.
    next: Option<u64>,
    out: Vec<u8>,
    out_start: usize,
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
            last_write_ns: now_ns,
            last_read_ns: now_ns,
            closing: false,
            closed: false,
        }
    }

    fn room(&self) -> usize {
        OUT_BUFFER_BYTES - self.out.len()
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
        }
    }

    /// Sessions accepted so far.
    pub fn sessions_accepted(&self) -> u64 {
        self.accepted
    }

    /// The listener's descriptor, for readiness polling.
    pub fn listener_fd(&self) -> RawFd {
        self.listener.as_raw_fd()
    }

    /// Reads logins and streams to every session; returns a work count.
    /// Call [`ReplayServer::accept`] first when the listener is readable.
    pub fn serve(&mut self, history: &History, next_sequence: u64, now_ns: u64) -> usize {
        if self.sessions.is_empty() {
            return 0;
        }
        let mut work = 0;
        for index in 0..self.sessions.len() {
            work += self.serve_session(index, history, next_sequence, now_ns);
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

    fn serve_session(
        &mut self,
        index: usize,
        history: &History,
        next_sequence: u64,
        now_ns: u64,
    ) -> usize {
        let session_name = self.session_name;
        let heartbeat_ns = self.heartbeat_interval_ns;
        let session = &mut self.sessions[index];
        session.read(now_ns);
        let mut work = 0;
        loop {
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
                    let requested_session = login.requested_session();
                    let requested = login.requested_sequence_number().unwrap_or(u64::MAX);
                    let start = login_start(requested, history, next_sequence);
                    let session_ok =
                        requested_session.is_empty() || requested_session == trim(&session_name);
                    match (session_ok, start) {
                        (true, Some(start)) => {
                            let record = LoginAcceptedRecord::new(&session_name, start)
                                .expect("session name and number fit");
                            let accepted = Packet::LoginAccepted(&record);
                            session.queue_packet(&accepted);
                            session.next = Some(start);
                        }
                        _ => {
                            let record =
                                LoginRejectedRecord::new(LoginRejectReason::SessionNotAvailable);
                            session.queue_packet(&Packet::LoginRejected(&record));
                            session.closing = true;
                        }
                    }
                }
                Packet::LogoutRequest => session.closing = true,
                _ => {} // heartbeats, debug; anything else is ignored
            }
        }
        if now_ns.saturating_sub(session.last_read_ns) >= CLIENT_SILENCE_MAX.as_nanos() as u64 {
            session.closed = true;
            return work + 1;
        }
        if let (Some(next), false) = (session.next, session.closing) {
            work += stream_history(session, next, history, next_sequence);
        }
        if session.out.is_empty() && now_ns.saturating_sub(session.last_write_ns) >= heartbeat_ns {
            session.queue_packet(&Packet::ServerHeartbeat);
        }
        if session.flush(now_ns) {
            work += 1;
        }
        work
    }

    /// Shutdown: sends what the history still has and End of Session to
    /// every logged-in client (best effort, non-blocking).
    pub fn close(&mut self, history: &History, next_sequence: u64) {
        for session in &mut self.sessions {
            if let Some(next) = session.next {
                stream_history(session, next, history, next_sequence);
                session.queue_packet(&Packet::EndOfSession);
            }
            session.flush(0);
        }
        self.sessions.clear();
    }
}

/// First sequence number to send for a requested one, or `None` (reject).
fn login_start(requested: u64, history: &History, next_sequence: u64) -> Option<u64> {
    if requested == 0 || requested >= next_sequence {
        return Some(next_sequence);
    }
    match history.first() {
        Some(first) if requested >= first => Some(requested),
        _ => None,
    }
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
