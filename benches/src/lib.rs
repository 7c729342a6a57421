//! Shared workload generators and adapters for the RTES benchmarks.
//!
//! - [`workload`]: the seeded exchange-core-like mixed flow, generated once
//!   as a neutral [`flow::FlowCommand`] list against a [`shadow::ShadowBook`].
//! - [`shadow`]: the simple reference book that also checks the peers.
//! - [`rtes`]: RTES configuration and translation of flows into commands.
//! - [`micro`]: small command generators for the criterion micro-benches.
//! - [`outcome`]: trades and final books, and how two of them compare.
//! - [`market`]: a seeded engine-like market-data event stream (feed and
//!   subscriber benchmarks).
//!
//! ```
//! use rtes_benches::{shadow, workload};
//! let flow = workload::generate(&workload::FlowSpec::exchange_core_like(1_000));
//! let (outcome, _) = shadow::replay(&flow.warmup, &flow.commands, true);
//! assert_eq!(flow.commands.len(), 1_000);
//! assert!(!outcome.bids.is_empty() && !outcome.asks.is_empty());
//! ```
#![deny(missing_docs)]

pub mod flow;
pub mod market;
pub mod micro;
pub mod outcome;
pub mod rng;
pub mod rtes;
pub mod shadow;
pub mod workload;
