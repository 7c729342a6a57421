//! FIX 4.4 acceptor: tag=value codec, session layer, message store, the
//! mapping of application messages onto engine commands, and market data.

pub mod acceptor;
pub mod application;
pub mod codec;
pub mod dictionary;
pub mod frontend;
pub mod market_data;
pub mod orders;
mod persistence;
pub mod redact;
pub mod session;
pub mod store;
