//! FIX 4.4 acceptor: tag=value codec, session layer, message store and the
//! mapping of application messages onto engine commands.

pub mod acceptor;
pub mod application;
pub mod codec;
pub mod dictionary;
pub mod frontend;
pub mod orders;
mod persistence;
pub mod redact;
pub mod session;
pub mod store;
