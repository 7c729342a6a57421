//! Opening one SoupBinTCP session: connect, log in, hand the socket over.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rtes_gateway::soupbin::wire::LoginRequestRecord;
use rtes_gateway::soupbin::{FrameDecoder, FrameDecoderConfig, Packet, DEFAULT_PACKET_LENGTH_MAX};

use super::config::User;

/// Receive buffer per session: big, so one `read` takes a whole burst.
pub const RECEIVE_BUFFER_BYTES: usize = 1 << 20;

/// A logged-in session, socket still blocking.
#[derive(Debug)]
pub struct LoggedIn {
    /// The connection (TCP_NODELAY set).
    pub stream: TcpStream,
    /// Decoder holding whatever arrived after Login Accepted.
    pub decoder: FrameDecoder,
    /// Session name the server gave.
    pub session: String,
    /// Next sequence number the server will send.
    pub next_sequence: u64,
}

/// Connects to `host:port` and logs `user` in (current session, from the
/// most recent message), within `timeout`.
pub fn login(host: &str, port: u16, user: &User, timeout: Duration) -> Result<LoggedIn> {
    let address = (host, port)
        .to_socket_addrs()
        .with_context(|| format!("resolving {host}:{port}"))?
        .next()
        .with_context(|| format!("{host}:{port} resolves to nothing"))?;
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .with_context(|| format!("connecting to {address}"))?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(timeout))?;
    let record =
        LoginRequestRecord::new(user.username.as_bytes(), user.password.as_bytes(), b"", 0)
            .map_err(|error| anyhow::anyhow!("login fields of {}: {error}", user.username))?;
    let mut packet = [0u8; 64];
    let written = Packet::LoginRequest {
        login: &record,
        heartbeat_timeout: None,
    }
    .encode_into(&mut packet)?;
    stream.write_all(&packet[..written])?;
    let mut decoder = FrameDecoder::new(FrameDecoderConfig {
        packet_length_max: DEFAULT_PACKET_LENGTH_MAX,
        buffer_capacity: RECEIVE_BUFFER_BYTES,
    });
    let deadline = Instant::now() + timeout;
    loop {
        match decoder.next_frame()? {
            Some(Packet::LoginAccepted(accepted)) => {
                let session = String::from_utf8_lossy(accepted.session()).into_owned();
                let next_sequence = accepted.sequence_number().unwrap_or(0);
                stream.set_read_timeout(None)?;
                return Ok(LoggedIn {
                    stream,
                    decoder,
                    session,
                    next_sequence,
                });
            }
            Some(Packet::LoginRejected(rejected)) => bail!(
                "login of {} rejected: {:?}",
                user.username,
                rejected.reason()
            ),
            Some(_) => continue,
            None => {}
        }
        if Instant::now() > deadline {
            bail!("no login answer for {} within {timeout:?}", user.username);
        }
        let read = stream
            .read(decoder.spare_capacity())
            .with_context(|| format!("waiting for the login answer of {}", user.username))?;
        if read == 0 {
            bail!(
                "server closed the connection during the login of {}",
                user.username
            );
        }
        decoder.commit(read);
    }
}
