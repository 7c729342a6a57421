//! Records that travel through the rings: the engine's `Command`, `Report`
//! and `MarketEvent` wrapped with routing and measurement fields.
//!
//! All are `Copy` and fixed-size; their sizes are pinned at compile time so
//! a change that bloats a ring slot (and so the cache lines moved per
//! message) is a deliberate edit here.

use rtes_engine::{Command, MarketEvent, Report};

/// Index of a gateway thread; selects its pair of rings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct GatewayId(pub u16);

/// Gateway → engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboundCommand {
    /// The engine input. `command.ts` is venue time (it may be a simulated
    /// clock in managed mode); the fields below are measurement time.
    pub command: Command,
    /// Gateway thread that read it; the owner's reports go back there.
    pub gateway_id: GatewayId,
    /// [`super::Clock`] time when the gateway read the bytes.
    pub ingress_ns: u64,
}

/// Engine → gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboundReport {
    /// The report.
    pub report: Report,
    /// Ingress time of the command that caused it (end-to-end latency).
    pub ingress_ns: u64,
    /// [`super::Clock`] time when the engine started applying that command.
    pub engine_ns: u64,
}

/// Engine → market data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketRecord {
    /// The public event.
    pub event: MarketEvent,
    /// [`super::Clock`] time when the engine started applying its command.
    pub engine_ns: u64,
}

/// Size of one ring slot of each record, in bytes.
pub const INBOUND_COMMAND_SIZE: usize = 80;
/// See [`INBOUND_COMMAND_SIZE`].
pub const OUTBOUND_REPORT_SIZE: usize = 104;
/// See [`INBOUND_COMMAND_SIZE`].
pub const MARKET_RECORD_SIZE: usize = 72;

const _: () = assert!(std::mem::size_of::<InboundCommand>() == INBOUND_COMMAND_SIZE);
const _: () = assert!(std::mem::size_of::<OutboundReport>() == OUTBOUND_REPORT_SIZE);
const _: () = assert!(std::mem::size_of::<MarketRecord>() == MARKET_RECORD_SIZE);
