//! Logging a FIX session on: Logon with ResetSeqNumFlag (141=Y), wait for
//! the venue's Logon (its MsgSeqNum 1), hand over the session's state.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::{FixOutbound, FixReader};
use crate::blaster::config::FixSession;
use crate::blaster::protocol::{utc_now_ns, Event};

/// Logs `session` on over a connected `stream` within `timeout`: we are
/// `session.sender_comp_id`, the venue is `target_comp_id`. Returns the
/// outbound side (next MsgSeqNum 2) and the reader, holding whatever
/// arrived after the venue's Logon.
pub fn login(
    stream: &mut TcpStream,
    session: &FixSession,
    target_comp_id: &str,
    heartbeat_s: u32,
    receive_buffer_bytes: usize,
    timeout: Duration,
) -> Result<(FixOutbound, FixReader)> {
    let name = &session.sender_comp_id;
    let mut outbound = FixOutbound::new(name, target_comp_id, heartbeat_s);
    let mut logon = Vec::new();
    outbound.logon(&mut logon, session.credentials(), utc_now_ns());
    stream
        .write_all(&logon)
        .with_context(|| format!("sending the Logon of {name}"))?;
    let mut reader = FixReader::new(receive_buffer_bytes);
    let deadline = Instant::now() + timeout;
    loop {
        loop {
            match reader.next_event() {
                Event::Pending => break,
                Event::Close(why) => bail!("logon of {name} refused: {why}"),
                // Nothing else is expected before the Logon; nothing
                // else can concern this run yet either.
                _ => {}
            }
            if reader.logon_seen() {
                return Ok((outbound, reader));
            }
        }
        if Instant::now() > deadline {
            bail!("no Logon answer for {name} within {timeout:?}");
        }
        let read = stream
            .read(reader.spare_capacity())
            .with_context(|| format!("waiting for the Logon answer of {name}"))?;
        if read == 0 {
            bail!(
                "the venue closed the connection during the logon of {name} (RTES does that \
                 without a reply for an unknown SenderCompID or TargetCompID, or a session \
                 already logged on)"
            );
        }
        reader.commit(read);
    }
}
