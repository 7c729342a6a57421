//! The neutral command list every engine is fed: no engine's types, no
//! engine's feedback. Each adapter translates it into its own API.

use rtes_engine::Side;

/// Identifier of an order in a flow: unique per new order, kept across
/// replaces (every engine under test can keep an id across an amend, or
/// re-use it after a cancel).
pub type FlowOrderId = u64;

/// One command of a generated flow. Prices are in ticks (always positive),
/// quantities in shares (multiples of [`crate::workload::LOT`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowCommand {
    /// A Day limit order; it may be marketable (then the remainder rests).
    New {
        /// Order id.
        id: FlowOrderId,
        /// Side.
        side: Side,
        /// Limit price in ticks.
        price: i64,
        /// Shares.
        qty: u64,
    },
    /// An immediate-or-cancel limit order. The generator caps `qty` to what
    /// fills within `price`, so it never has a remainder on an engine that
    /// agrees with the shadow book.
    Ioc {
        /// Order id.
        id: FlowOrderId,
        /// Side.
        side: Side,
        /// Limit price in ticks.
        price: i64,
        /// Shares.
        qty: u64,
    },
    /// Cancel a live order fully.
    Cancel {
        /// Order id.
        id: FlowOrderId,
    },
    /// Move a live order to another (never marketable) price, keeping its
    /// open quantity; it loses time priority.
    Move {
        /// Order id (kept).
        id: FlowOrderId,
        /// Side of the order (so adapters need no lookup).
        side: Side,
        /// New price in ticks.
        price: i64,
        /// The order's open quantity (unchanged by the move).
        qty: u64,
    },
    /// Reduce a live order's open quantity at the same price; it keeps its
    /// time priority.
    Reduce {
        /// Order id.
        id: FlowOrderId,
        /// Side of the order.
        side: Side,
        /// Unchanged price in ticks.
        price: i64,
        /// New open quantity (smaller than the current one, not zero).
        qty: u64,
    },
}

/// How many of each kind a flow holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlowMix {
    /// Day limit orders.
    pub new: u64,
    /// IOC orders.
    pub ioc: u64,
    /// Cancels.
    pub cancel: u64,
    /// Price moves.
    pub moves: u64,
    /// Same-price reductions.
    pub reduce: u64,
}

impl FlowMix {
    /// Counts the kinds in `commands`.
    pub fn of(commands: &[FlowCommand]) -> FlowMix {
        let mut mix = FlowMix::default();
        for command in commands {
            match command {
                FlowCommand::New { .. } => mix.new += 1,
                FlowCommand::Ioc { .. } => mix.ioc += 1,
                FlowCommand::Cancel { .. } => mix.cancel += 1,
                FlowCommand::Move { .. } => mix.moves += 1,
                FlowCommand::Reduce { .. } => mix.reduce += 1,
            }
        }
        mix
    }
}
