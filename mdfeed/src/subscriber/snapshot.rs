//! Fetching a GLIMPSE-style snapshot from the feed's SoupBinTCP replay
//! server: log in to the session [`SNAPSHOT_SESSION`], read Sequenced Data
//! until End of Snapshot `G`, log out.
//!
//! This is the subscriber's fallback when the re-request server can no
//! longer fill a gap (the history moved on): the snapshot is the book as of
//! ITCH message `live_from`, and the live stream continues from there.

use crate::itch::{Body, Message};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The requested session name that asks the replay server for a snapshot.
pub const SNAPSHOT_SESSION: &str = "SNAPSHOT";
/// Largest SoupBinTCP packet the server sends (a Sequenced Data frame of
/// the longest ITCH message is far below this).
const PACKET_LEN_MAX: usize = 1_024;

/// Why a snapshot could not be fetched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotFetchError {
    /// Connecting, reading or writing failed.
    #[error("snapshot server {server}: {source}")]
    Io {
        /// The replay server.
        server: SocketAddr,
        /// Cause.
        source: io::Error,
    },
    /// The server answered Login Rejected.
    #[error("snapshot server {server} rejected the login (reason {reason:?})")]
    Rejected {
        /// The replay server.
        server: SocketAddr,
        /// Reject reason byte.
        reason: char,
    },
    /// The server ended the session or sent something unexpected before
    /// End of Snapshot.
    #[error("snapshot server {server}: {what}")]
    Protocol {
        /// The replay server.
        server: SocketAddr,
        /// What went wrong.
        what: String,
    },
    /// End of Snapshot did not arrive in time.
    #[error("snapshot server {server}: no End of Snapshot within {timeout:?}")]
    Timeout {
        /// The replay server.
        server: SocketAddr,
        /// The time allowed.
        timeout: Duration,
    },
}

/// A snapshot: the book as of ITCH message `live_from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// MoldUDP64 session (from Login Accepted).
    pub session: [u8; 10],
    /// Sequence number of the first live message after the snapshot.
    pub live_from: u64,
    /// System Event, Stock Directories, Trading Actions and Add Orders, in
    /// the order sent (End of Snapshot not included).
    pub messages: Vec<Message>,
}

/// Fetches a snapshot from the replay server at `server`, waiting at most
/// `timeout` in all. Blocking.
pub fn fetch_snapshot(
    server: SocketAddr,
    timeout: Duration,
) -> Result<Snapshot, SnapshotFetchError> {
    let deadline = Instant::now() + timeout;
    let io_error = |source| SnapshotFetchError::Io { server, source };
    let mut stream = TcpStream::connect_timeout(&server, timeout).map_err(io_error)?;
    let _ = stream.set_nodelay(true);
    stream.write_all(&login_request()).map_err(io_error)?;
    let mut reader = FrameReader {
        stream,
        server,
        deadline,
        timeout,
    };
    let (kind, payload) = reader.next()?;
    let session = match kind {
        b'A' if payload.len() == 30 => {
            let mut session = [0u8; 10];
            session.copy_from_slice(&payload[..10]);
            session
        }
        b'J' => {
            return Err(SnapshotFetchError::Rejected {
                server,
                reason: payload.first().map_or('?', |&byte| byte as char),
            })
        }
        other => return Err(reader.protocol(format!("packet {:?} before login", other as char))),
    };
    let mut messages = Vec::new();
    loop {
        let (kind, payload) = reader.next()?;
        match kind {
            b'S' => {
                let message = Message::decode(&payload)
                    .map_err(|error| reader.protocol(format!("snapshot message: {error}")))?;
                if let Body::EndOfSnapshot { sequence } = message.body {
                    // Done: the live part of the stream is not wanted here.
                    let _ = reader.stream.write_all(&[0, 1, b'O']);
                    return Ok(Snapshot {
                        session,
                        live_from: sequence,
                        messages,
                    });
                }
                messages.push(message);
            }
            b'H' | b'+' => {}
            b'Z' => return Err(reader.protocol("End of Session before End of Snapshot".into())),
            other => return Err(reader.protocol(format!("unexpected packet {:?}", other as char))),
        }
    }
}

/// SoupBinTCP 4.00 Login Request: blank username and password (the feed is
/// public), requested session `SNAPSHOT`, requested sequence 0.
fn login_request() -> Vec<u8> {
    let mut frame = vec![0, 47, b'L'];
    frame.extend_from_slice(&[b' '; 6]);
    frame.extend_from_slice(&[b' '; 10]);
    frame.extend_from_slice(format!("{SNAPSHOT_SESSION:<10}").as_bytes());
    frame.extend_from_slice(format!("{:>20}", 0).as_bytes());
    debug_assert_eq!(frame.len(), 49);
    frame
}

struct FrameReader {
    stream: TcpStream,
    server: SocketAddr,
    deadline: Instant,
    timeout: Duration,
}

impl FrameReader {
    fn protocol(&self, what: String) -> SnapshotFetchError {
        SnapshotFetchError::Protocol {
            server: self.server,
            what,
        }
    }

    /// The next packet: (type, payload).
    fn next(&mut self) -> Result<(u8, Vec<u8>), SnapshotFetchError> {
        let mut length = [0u8; 2];
        self.read_exact(&mut length)?;
        let length = usize::from(u16::from_be_bytes(length));
        if length == 0 || length > PACKET_LEN_MAX {
            return Err(self.protocol(format!("packet length {length}")));
        }
        let mut packet = vec![0u8; length];
        self.read_exact(&mut packet)?;
        let payload = packet.split_off(1);
        Ok((packet[0], payload))
    }

    fn read_exact(&mut self, mut buffer: &mut [u8]) -> Result<(), SnapshotFetchError> {
        while !buffer.is_empty() {
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(SnapshotFetchError::Timeout {
                    server: self.server,
                    timeout: self.timeout,
                });
            }
            self.stream
                .set_read_timeout(Some(left))
                .map_err(|source| SnapshotFetchError::Io {
                    server: self.server,
                    source,
                })?;
            match self.stream.read(buffer) {
                Ok(0) => return Err(self.protocol("connection closed".into())),
                Ok(count) => buffer = &mut buffer[count..],
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(source) => {
                    return Err(SnapshotFetchError::Io {
                        server: self.server,
                        source,
                    })
                }
            }
        }
        Ok(())
    }
}
