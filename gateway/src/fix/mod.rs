//! FIX 4.4 acceptor: tag=value codec, session layer, message store and the
//! mapping of application messages onto engine commands.

pub mod application;
pub mod codec;
pub mod market_data;
pub mod orders;
pub mod redact;
