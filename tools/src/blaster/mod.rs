//! `order-blaster`: an open-loop load generator for RTES's order entry,
//! SoupBinTCP/OUCH 4.2 or FIX 4.4 (`protocol`).
//!
//! Every message has a scheduled send time (`start + i / rate`). A sender
//! thread sends whatever is due (catching up in a burst when late) and a
//! receiver thread reads every session's replies with one `mio` poll.
//! Latency is measured from the SCHEDULED time to the reply, so a stall in
//! the server (or in the blaster) shows up in the numbers instead of
//! silently slowing the load down (coordinated omission corrected).
//!
//! Stages, in the order [`run::run`] wires them:
//! 1. [`session`]: connect and log in every session (blocking);
//! 2. [`sender`]: [`schedule`] + [`flow`] → messages on the sockets;
//! 3. [`receiver`]: replies → [`slots`] (per-token state) → [`stats`];
//! 4. drain: wait up to the drain timeout for outstanding replies;
//! 5. [`report`]: summary table, JSON and `.hgrm` files; optionally
//!    [`baseline`], a raw TCP ping-pong measured the same way.
//!
//! Everything protocol-specific sits behind [`protocol`]: [`ouch`] and
//! [`fix`] each provide a login, an encoder per session (new order, cancel,
//! replace, heartbeat, logout) and a reader that turns replies into the
//! same events (accepted, executed, canceled, replaced, rejected,
//! cancel-rejected, keyed by order token), so the sender, the receiver and
//! the measurement are one code path for both.

pub mod baseline;
pub mod config;
pub mod fix;
pub mod flow;
pub mod ouch;
pub mod progress;
pub mod protocol;
pub mod random;
pub mod receiver;
pub mod report;
pub mod run;
pub mod schedule;
pub mod sender;
pub mod session;
pub mod slots;
pub mod stats;
pub mod token;
