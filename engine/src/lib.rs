//! # rtes-engine
//!
//! The deterministic heart of RTES: per-instrument price-time order books,
//! pre-trade risk and trading states behind one state machine,
//! [`Engine::apply`]. No sockets, no clock, no randomness: the same command
//! stream always produces the same events, which is what makes the journal
//! replayable. The exact semantics are in `docs/engine-semantics.md`.
#![deny(missing_docs)]

mod bitmap;
mod book;
pub mod config;
mod config_check;
pub mod engine;
mod index;
mod invariants;
mod lists;
mod mass_cancel;
mod matching;
mod replace;
mod risk;
mod slab;
mod state_hash;
pub mod types;
mod uncross;

pub use config::{AccountConfig, ConfigError, EngineConfig, InstrumentConfig};
pub use config_check::MAX_LEVELS_PER_INSTRUMENT;
pub use engine::{Engine, RestingOrder};
pub use types::*;
