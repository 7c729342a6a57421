//! # rtes-gateway
//!
//! The network front door of RTES: order-entry protocol codecs and sessions,
//! the mio event loop, the thread runtime, and the `rtes` binary.
#![deny(missing_docs)]

pub mod config;
pub mod feed;
pub mod fix;
pub mod ouch;
pub mod runtime;
pub mod server;
pub mod soupbin;
