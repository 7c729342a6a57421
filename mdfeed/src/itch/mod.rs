//! TotalView-ITCH 5.0: the messages RTES publishes.
//!
//! - [`wire`]: zerocopy records with compile-time size assertions;
//! - [`Message`]: typed message, [`Message::encode`] / [`Message::decode`].

mod message;
pub mod wire;

pub use message::{encoded_len, stock_field, Body, Header, ItchError, Message, StockDirectory};
