//! The subscriber side: sequence tracking with gap recovery
//! ([`SequenceTracker`]), order-by-order books ([`Books`], [`OrderBook`]),
//! a snapshot client for gaps the re-request server cannot fill
//! ([`fetch_snapshot`]), the sans-I/O path from datagram to books
//! ([`Pipeline`]), and a socket client that puts them together
//! ([`Subscriber`]).
//!
//! Unlike the publisher this is not a hot path: it allocates (pending
//! out-of-order messages, book maps) and is meant for tools and tests.

mod book;
mod client;
mod pending;
mod pipeline;
mod snapshot;
mod tracker;

pub use book::{Books, Instrument, Level, OrderBook, RestingOrder};
pub use client::{Subscriber, SubscriberConfig, SubscriberError, SubscriberStats};
pub use pipeline::Pipeline;
pub use snapshot::{fetch_snapshot, Snapshot, SnapshotFetchError, SNAPSHOT_SESSION};
pub use tracker::{SequenceTracker, TrackerStats};
