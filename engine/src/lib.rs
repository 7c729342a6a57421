//! # rtes-engine
//!
//! The deterministic heart of RTES: per-instrument price-time order books,
//! pre-trade risk and trading states behind one state machine,
//! [`Engine::apply`]. No sockets, no clock, no randomness: the same command
//! stream always produces the same events, which is what makes the journal
//! replayable. The exact semantics are in `docs/engine-semantics.md`.
#![deny(missing_docs)]

pub mod config;
pub mod engine;
pub mod types;

pub use config::{AccountConfig, ConfigError, EngineConfig, InstrumentConfig};
pub use engine::{Engine, RestingOrder};
pub use types::*;
