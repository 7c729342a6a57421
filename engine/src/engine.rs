//! The engine state machine: instruments, books, risk and sequencing.

use crate::config::{ConfigError, EngineConfig, InstrumentConfig};
use crate::types::*;

/// A resting order as seen from outside the engine (tests, snapshots).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestingOrder {
    /// Exchange reference.
    pub order_ref: OrderRef,
    /// Owner.
    pub owner: OwnerId,
    /// Owner's handle.
    pub client_order_id: ClientOrderId,
    /// Account.
    pub account: AccountId,
    /// Side.
    pub side: Side,
    /// Limit price.
    pub price: Price,
    /// Open quantity.
    pub leaves: Qty,
    /// Non-displayed.
    pub hidden: bool,
}

/// The matching engine. See `docs/engine-semantics.md`.
pub struct Engine {}

impl Engine {
    /// Builds an engine, allocating every table it will use.
    pub fn new(config: EngineConfig) -> Result<Engine, ConfigError> {
        let _ = config;
        unimplemented!("engine under construction")
    }

    /// Applies one command, writing its events into `sink`; returns the
    /// sequence number it was given (1 for the first command).
    pub fn apply(&mut self, command: &Command, sink: &mut impl EventSink) -> SequenceNumber {
        let _ = (command, sink);
        unimplemented!("engine under construction")
    }

    /// A hash of all state that affects future outputs (books, risk, counters).
    pub fn state_hash(&self) -> u64 {
        unimplemented!("engine under construction")
    }

    /// Resting orders of one side in priority order (best price first;
    /// at one price displayed before hidden, then time).
    pub fn resting_orders(&self, instrument: InstrumentId, side: Side) -> Vec<RestingOrder> {
        let _ = (instrument, side);
        unimplemented!("engine under construction")
    }

    /// Current trading state of an instrument.
    pub fn trading_state(&self, instrument: InstrumentId) -> TradingState {
        let _ = instrument;
        unimplemented!("engine under construction")
    }

    /// The instruments, indexed by `InstrumentId`.
    pub fn instruments(&self) -> &[InstrumentConfig] {
        unimplemented!("engine under construction")
    }

    /// Checks every book invariant (O(n)); panics with a description on the
    /// first violation. Tests call it after every command.
    pub fn validate(&self) {
        unimplemented!("engine under construction")
    }
}
