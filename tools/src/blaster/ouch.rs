//! SoupBinTCP 4.00 / OUCH 4.2: the login, the messages the sender appends,
//! and what each reply means for the receiver.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rtes_gateway::ouch::{
    decode_outbound, encode_framed, CancelOrder, Capacity, CrossType, CustomerType, Display,
    EnterOrder, IntermarketSweep, OuchMessage, OutboundMessage, ReplaceOrder,
};
use rtes_gateway::soupbin::ascii::Alpha;
use rtes_gateway::soupbin::wire::LoginRequestRecord;
use rtes_gateway::soupbin::{
    FrameDecoder, FrameDecoderConfig, Packet, SoupError, DEFAULT_PACKET_LENGTH_MAX,
};

use super::config::User;
use super::protocol::{CancelRequest, EnterRequest, Event, ReplaceRequest, Reply};

/// OUCH time in force of a resting order: system hours (a day order).
const TIME_IN_FORCE_DAY: u32 = 99_999;
/// OUCH time in force 0: immediate or cancel.
const TIME_IN_FORCE_IOC: u32 = 0;
/// Largest framed OUCH message the blaster sends (Enter Order: 51 bytes).
const FRAME_BYTES_MAX: usize = 128;

/// Logs `user` in on a connected `stream` (current session, from the most
/// recent message) within `timeout`; returns the decoder holding whatever
/// arrived after Login Accepted.
pub fn login(
    stream: &mut TcpStream,
    user: &User,
    receive_buffer_bytes: usize,
    timeout: Duration,
) -> Result<FrameDecoder> {
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
        buffer_capacity: receive_buffer_bytes,
    });
    let deadline = Instant::now() + timeout;
    loop {
        match decoder.next_frame()? {
            Some(Packet::LoginAccepted(_)) => return Ok(decoder),
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

/// Appends `message` as a SoupBinTCP Unsequenced Data packet.
fn append<M: OuchMessage>(out: &mut Vec<u8>, message: &M) -> Result<()> {
    let mut frame = [0u8; FRAME_BYTES_MAX];
    let written = encode_framed(b'U', message, &mut frame)
        .map_err(|error| anyhow::anyhow!("encoding: {error}"))?;
    out.extend_from_slice(&frame[..written]);
    Ok(())
}

/// Appends an Enter Order.
pub fn encode_enter(out: &mut Vec<u8>, request: &EnterRequest<'_>) -> Result<()> {
    append(
        out,
        &EnterOrder {
            order_token: Alpha(*request.token),
            side: request.side,
            shares: request.shares,
            stock: Alpha(*request.stock),
            price: request.price,
            time_in_force: if request.ioc {
                TIME_IN_FORCE_IOC
            } else {
                TIME_IN_FORCE_DAY
            },
            firm: Alpha(*b"RTES"),
            display: Display::Anonymous,
            capacity: Capacity::Agency,
            intermarket_sweep: IntermarketSweep::NotEligible,
            minimum_quantity: 0,
            cross_type: CrossType::NoCross,
            customer_type: CustomerType::PortDefault,
        },
    )
}

/// Appends a Cancel Order of every open share.
pub fn encode_cancel(out: &mut Vec<u8>, request: &CancelRequest<'_>) -> Result<()> {
    append(
        out,
        &CancelOrder {
            order_token: Alpha(*request.token),
            shares: 0,
        },
    )
}

/// Appends a Replace Order (a day order at the new price and size).
pub fn encode_replace(out: &mut Vec<u8>, request: &ReplaceRequest<'_>) -> Result<()> {
    append(
        out,
        &ReplaceOrder {
            existing_order_token: Alpha(*request.existing),
            replacement_order_token: Alpha(*request.replacement),
            shares: request.shares,
            price: request.price,
            time_in_force: TIME_IN_FORCE_DAY,
            display: Display::Anonymous,
            intermarket_sweep: IntermarketSweep::NotEligible,
            minimum_quantity: 0,
        },
    )
}

/// Appends a Client Heartbeat packet.
pub fn encode_heartbeat(out: &mut Vec<u8>) -> Result<()> {
    let mut packet = [0u8; 3];
    let written = Packet::ClientHeartbeat.encode_into(&mut packet)?;
    out.extend_from_slice(&packet[..written]);
    Ok(())
}

/// Appends a Logout Request packet.
pub fn encode_logout(out: &mut Vec<u8>) -> Result<()> {
    let mut packet = [0u8; 3];
    let written = Packet::LogoutRequest.encode_into(&mut packet)?;
    out.extend_from_slice(&packet[..written]);
    Ok(())
}

/// The next buffered frame's meaning.
pub fn next_event(decoder: &mut FrameDecoder) -> Event<'_> {
    match decoder.next_frame() {
        Ok(None) => Event::Pending,
        Ok(Some(Packet::SequencedData(message))) => event_of(message),
        Ok(Some(Packet::EndOfSession)) => Event::Close("End of Session".to_string()),
        Ok(Some(_)) => Event::Ignored,
        Err(SoupError::ZeroLength | SoupError::TooLong { .. }) => {
            Event::Close("unframeable SoupBinTCP stream".to_string())
        }
        Err(_) => Event::Malformed,
    }
}

/// What one OUCH outbound message means.
pub fn event_of(message: &[u8]) -> Event<'_> {
    let Ok(decoded) = decode_outbound(message) else {
        return Event::Malformed;
    };
    Event::Reply(match decoded {
        OutboundMessage::Accepted(record) => Reply::Accepted {
            token: &record.order_token,
            open_shares: record.shares.get(),
            dead: record.order_state == b'D',
        },
        OutboundMessage::Executed(record) => Reply::Executed {
            token: &record.order_token,
            shares: record.executed_shares.get(),
        },
        OutboundMessage::Canceled(record) => Reply::Canceled {
            token: &record.order_token,
        },
        OutboundMessage::Replaced(record) => Reply::Replaced {
            token: &record.replacement_order_token,
            previous: &record.previous_order_token,
            open_shares: record.shares.get(),
        },
        OutboundMessage::Rejected(record) => Reply::Rejected {
            token: &record.order_token,
        },
        OutboundMessage::CancelReject(record) => Reply::CancelRejected {
            token: &record.order_token,
        },
        OutboundMessage::SystemEvent(_)
        | OutboundMessage::BrokenTrade(_)
        | OutboundMessage::PriceCorrection(_) => return Event::Ignored,
    })
}
