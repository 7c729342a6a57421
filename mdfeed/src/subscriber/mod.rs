//! The subscriber side: sequence tracking with gap recovery
//! ([`SequenceTracker`]), order-by-order books ([`Books`], [`OrderBook`]),
//! and a socket client that puts them together ([`Subscriber`]).
//!
//! Unlike the publisher this is not a hot path: it allocates (pending
//! out-of-order messages, book maps) and is meant for tools and tests.

mod book;
mod client;
mod tracker;

pub use book::{Books, Instrument, Level, OrderBook, RestingOrder};
pub use client::{Subscriber, SubscriberConfig, SubscriberStats};
pub use tracker::{SequenceTracker, TrackerStats};
