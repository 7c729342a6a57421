//! # rtes-engine
//!
//! The deterministic heart of RTES: per-instrument price-time order books,
//! pre-trade risk and trading states behind one state machine,
//! [`Engine::apply`]. No sockets, no clock, no randomness: the same command
//! stream always produces the same events, which is what makes the journal
//! replayable. The exact semantics are in `docs/engine-semantics.md`; the
//! data-structure choices in `docs/decisions/engine-book-structures.md`.
//!
//! Inside (private): `book` (dense price ladder, FIFO queues), `bitmap`
//! (next non-empty level), `slab` (order storage and free list), `index`
//! (`(owner, client id) → slot`), `lists` (orders per account and owner),
//! `risk`, `matching` (fill condition, match loop, STP), `replace`,
//! `mass_cancel`, `uncross`, `state_hash`, `invariants` (`validate`),
//! `config_check`. Nothing allocates after [`Engine::new`].
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
