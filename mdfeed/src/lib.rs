//! # rtes-mdfeed
//!
//! Market data for RTES: ITCH 5.0 messages in MoldUDP64 packets, the
//! publisher core with its retransmission history, and the subscriber side
//! (gap detection and recovery, order-by-order books).
//!
//! - [`itch`]: ITCH 5.0 codec (zerocopy records);
//! - [`moldudp`]: MoldUDP64 packets and requests;
//! - [`history`]: bounded message history;
//! - [`publisher`]: sans-I/O publisher (engine events → packets);
//! - [`snapshot`]: the publisher's order-by-order books for late joiners;
//! - [`net`]: loopback multicast and re-request sockets (socket2);
//! - [`subscriber`]: sequence tracking, recovery, book building.
//!
//! This crate knows nothing of the gateway: the `rtes` binary plugs the
//! publisher into its runtime in `rtes-gateway`'s `feed` module.
#![deny(missing_docs)]

pub mod history;
pub mod itch;
pub mod moldudp;
pub mod net;
pub mod publisher;
pub mod snapshot;
pub mod subscriber;
