//! What differs between the order-entry protocols the blaster speaks, behind
//! one small interface so the sender, the receiver and the login are
//! written once:
//! - outbound, a [`SessionEncoder`] per session appends a new order, a
//!   cancel, a replace, a heartbeat or a logout to the session's output
//!   buffer (sequence numbers and timestamps are its business);
//! - inbound, a [`SessionReader`] per session owns the receive buffer,
//!   splits it into messages and turns each into an [`Event`]: a [`Reply`]
//!   about one of the run's orders (keyed by its 14-byte token, which is the
//!   OUCH Order Token or the FIX ClOrdID), or a session matter (a FIX
//!   TestRequest to answer, a reason to stop using the session).
//!
//! The receiver resolves every [`Reply`] the same way, whatever the wire.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use rtes_gateway::ouch::Side;
use rtes_gateway::soupbin::FrameDecoder;
use serde::{Deserialize, Serialize};

use super::fix::{FixOutbound, FixReader};
use super::ouch;

/// The order-entry protocol of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// SoupBinTCP 4.00 / OUCH 4.2 (RTES's native order entry).
    #[default]
    Ouch,
    /// FIX 4.4 (RTES's FIX acceptor).
    Fix,
}

impl fmt::Display for Protocol {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Protocol::Ouch => "ouch",
            Protocol::Fix => "fix",
        })
    }
}

impl FromStr for Protocol {
    type Err = anyhow::Error;

    /// Parses `ouch` or `fix`.
    fn from_str(text: &str) -> Result<Protocol> {
        match text.trim().to_ascii_lowercase().as_str() {
            "ouch" => Ok(Protocol::Ouch),
            "fix" => Ok(Protocol::Fix),
            other => anyhow::bail!("unknown protocol {other:?} (ouch or fix)"),
        }
    }
}

/// A new limit order, as the flow chose it.
#[derive(Debug, Clone, Copy)]
pub struct EnterRequest<'a> {
    /// Order token (OUCH) or ClOrdID (FIX).
    pub token: &'a [u8; 14],
    /// Symbol, space padded (OUCH's Stock field).
    pub stock: &'a [u8; 8],
    /// Side.
    pub side: Side,
    /// Limit price, 4 implied decimals.
    pub price: u32,
    /// Shares.
    pub shares: u32,
    /// Immediate-or-cancel (else a day order).
    pub ioc: bool,
}

/// A cancel of a whole order.
#[derive(Debug, Clone, Copy)]
pub struct CancelRequest<'a> {
    /// The order's current token.
    pub token: &'a [u8; 14],
    /// Its symbol, space padded (FIX repeats it on a cancel).
    pub stock: &'a [u8; 8],
    /// Its side (FIX repeats it on a cancel).
    pub side: Side,
}

/// A cancel/replace to a new price and size.
#[derive(Debug, Clone, Copy)]
pub struct ReplaceRequest<'a> {
    /// The order's current token.
    pub existing: &'a [u8; 14],
    /// The replacement's token.
    pub replacement: &'a [u8; 14],
    /// Symbol, space padded.
    pub stock: &'a [u8; 8],
    /// Side.
    pub side: Side,
    /// New limit price, 4 implied decimals.
    pub price: u32,
    /// New size (OUCH Shares; FIX OrderQty, the new total).
    pub shares: u32,
}

/// A reply about one order, keyed by token; what the receiver resolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply<'a> {
    /// The order is on the book with `open_shares` (an order the server
    /// accepted already dead says `dead`).
    Accepted {
        /// The order's token.
        token: &'a [u8],
        /// Shares open.
        open_shares: u32,
        /// Accepted but already out of the book.
        dead: bool,
    },
    /// Part or all of the order traded.
    Executed {
        /// The order's token.
        token: &'a [u8],
        /// Shares traded in this execution.
        shares: u32,
    },
    /// The order is gone: our cancel, an IOC remainder, self-trade prevention.
    Canceled {
        /// The order's token (not a FIX cancel request's own ClOrdID).
        token: &'a [u8],
    },
    /// `previous` was replaced by `token`.
    Replaced {
        /// The replacement's token.
        token: &'a [u8],
        /// The replaced order's token.
        previous: &'a [u8],
        /// Shares open on the replacement.
        open_shares: u32,
    },
    /// A new order or a replacement was refused.
    Rejected {
        /// The refused order's (or replacement's) token.
        token: &'a [u8],
    },
    /// A cancel was refused (the order had gone meanwhile).
    CancelRejected {
        /// The order's token.
        token: &'a [u8],
    },
}

/// What one inbound message meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// No complete message buffered.
    Pending,
    /// A reply about an order.
    Reply(Reply<'a>),
    /// Nothing to do (heartbeats, system events, status messages).
    Ignored,
    /// A message that does not decode (counted, then skipped).
    Malformed,
    /// A FIX TestRequest: the sender must answer with a Heartbeat carrying
    /// this TestReqID.
    TestRequest(&'a [u8]),
    /// The session is over or unusable, and why (a cold path: the text is
    /// built only when a session ends).
    Close(String),
}

/// The receiving side of one session: buffer, framing and decoding.
#[derive(Debug)]
pub enum SessionReader {
    /// SoupBinTCP frames holding OUCH messages.
    Ouch(FrameDecoder),
    /// FIX messages.
    Fix(FixReader),
}

impl SessionReader {
    /// Where the next `read` may write.
    pub fn spare_capacity(&mut self) -> &mut [u8] {
        match self {
            SessionReader::Ouch(decoder) => decoder.spare_capacity(),
            SessionReader::Fix(reader) => reader.spare_capacity(),
        }
    }

    /// Declares `count` bytes written into the spare capacity.
    pub fn commit(&mut self, count: usize) {
        match self {
            SessionReader::Ouch(decoder) => decoder.commit(count),
            SessionReader::Fix(reader) => reader.commit(count),
        }
    }

    /// The next buffered message's meaning ([`Event::Pending`] when none).
    pub fn next_event(&mut self) -> Event<'_> {
        match self {
            SessionReader::Ouch(decoder) => ouch::next_event(decoder),
            SessionReader::Fix(reader) => reader.next_event(),
        }
    }
}

/// The sending side of one session: appends encoded messages to a buffer
/// the sender owns and flushes.
#[derive(Debug)]
pub enum SessionEncoder {
    /// SoupBinTCP Unsequenced Data packets holding OUCH messages.
    Ouch,
    /// FIX messages (header, sequence number, SendingTime).
    Fix(FixOutbound),
}

impl SessionEncoder {
    /// Appends a new order.
    pub fn enter(&mut self, out: &mut Vec<u8>, request: &EnterRequest<'_>) -> Result<()> {
        match self {
            SessionEncoder::Ouch => ouch::encode_enter(out, request),
            SessionEncoder::Fix(fix) => {
                fix.new_order(out, request, utc_now_ns());
                Ok(())
            }
        }
    }

    /// Appends a cancel.
    pub fn cancel(&mut self, out: &mut Vec<u8>, request: &CancelRequest<'_>) -> Result<()> {
        match self {
            SessionEncoder::Ouch => ouch::encode_cancel(out, request),
            SessionEncoder::Fix(fix) => {
                fix.cancel(out, request, utc_now_ns());
                Ok(())
            }
        }
    }

    /// Appends a replace.
    pub fn replace(&mut self, out: &mut Vec<u8>, request: &ReplaceRequest<'_>) -> Result<()> {
        match self {
            SessionEncoder::Ouch => ouch::encode_replace(out, request),
            SessionEncoder::Fix(fix) => {
                fix.replace(out, request, utc_now_ns());
                Ok(())
            }
        }
    }

    /// Appends a heartbeat; `test_request_id` is the FIX TestReqID it
    /// answers (empty when it answers none).
    pub fn heartbeat(&mut self, out: &mut Vec<u8>, test_request_id: &[u8]) -> Result<()> {
        match self {
            SessionEncoder::Ouch => ouch::encode_heartbeat(out),
            SessionEncoder::Fix(fix) => {
                fix.heartbeat(out, test_request_id, utc_now_ns());
                Ok(())
            }
        }
    }

    /// Appends a logout.
    pub fn logout(&mut self, out: &mut Vec<u8>) -> Result<()> {
        match self {
            SessionEncoder::Ouch => ouch::encode_logout(out),
            SessionEncoder::Fix(fix) => {
                fix.logout(out, utc_now_ns());
                Ok(())
            }
        }
    }

    /// How long the session may stay silent before a heartbeat is due.
    pub fn heartbeat_interval(&self) -> Duration {
        match self {
            // SoupBinTCP servers expect a client heartbeat every second.
            SessionEncoder::Ouch => Duration::from_secs(1),
            SessionEncoder::Fix(fix) => fix.heartbeat_interval(),
        }
    }
}

/// Wall-clock time, ns since the Unix epoch (FIX SendingTime and
/// TransactTime; a vDSO call, no allocation).
pub fn utc_now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_names_round_trip() {
        for protocol in [Protocol::Ouch, Protocol::Fix] {
            assert_eq!(protocol.to_string().parse::<Protocol>().unwrap(), protocol);
        }
        assert_eq!(" FIX".parse::<Protocol>().unwrap(), Protocol::Fix);
        assert!("itch".parse::<Protocol>().is_err());
    }
}
