//! SPSC rings between stages (`rtrb`): fixed capacity, allocated once.
//!
//! Back-pressure, never loss: [`rtrb::Producer::push`] hands the record back
//! when the ring is full and the producer decides. The gateway stops reading
//! its sockets while its command ring is full (TCP then pushes back on the
//! client); the engine stops taking commands while its outputs are full
//! (see [`super::EngineAgent`]).

use super::records::{GatewayId, InboundCommand, MarketRecord, OutboundReport};
pub use rtrb::{Consumer, Producer, PushError};

/// Capacities of every ring, in records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingCapacities {
    /// Gateway → engine, per gateway thread.
    pub command: usize,
    /// Engine → gateway, per gateway thread.
    pub report: usize,
    /// Engine → market data.
    pub market: usize,
    /// Engine staging buffer for outputs that did not fit their ring.
    pub engine_staging: usize,
}

impl Default for RingCapacities {
    fn default() -> Self {
        RingCapacities {
            command: 16_384,
            report: 65_536,
            market: 65_536,
            engine_staging: 65_536,
        }
    }
}

/// A new SPSC ring of `capacity` records.
///
/// ```
/// let (mut producer, mut consumer) = rtes_gateway::runtime::ring::<u64>(1);
/// assert!(producer.push(1).is_ok());
/// // Full: the record comes back to the caller.
/// assert!(matches!(producer.push(2), Err(rtrb::PushError::Full(2))));
/// assert_eq!(consumer.pop(), Ok(1));
/// ```
pub fn ring<T>(capacity: usize) -> (Producer<T>, Consumer<T>) {
    assert!(capacity > 0, "a ring needs at least one slot");
    rtrb::RingBuffer::new(capacity)
}

/// The two ends one gateway thread owns.
///
/// Contract for the gateway agent:
/// - when `commands` is full, keep the command (push hands it back), stop
///   reading sockets, and retry next round: never drop, never block;
/// - always drain `reports`, even while `commands` is full; otherwise the
///   gateway waits on the engine and the engine on the gateway;
/// - stamp `InboundCommand::ingress_ns` with [`super::MonotonicClock`] when
///   the bytes are read, and record `engine->gateway` (now − `engine_ns`)
///   and `end-to-end` (now − `ingress_ns`) at egress with a
///   [`super::LatencyRecorder`], returned from [`super::Agent::stats`].
pub struct GatewayRings {
    /// This gateway thread's index.
    pub gateway_id: GatewayId,
    /// Commands to the engine. If full, stop reading sockets.
    pub commands: Producer<InboundCommand>,
    /// Reports from the engine for owners whose last command came from here.
    pub reports: Consumer<OutboundReport>,
    /// A copy of every market event, for the one gateway that serves market
    /// data itself (FIX market data); `None` for the others.
    pub market: Option<Consumer<MarketRecord>>,
}

/// The ends the engine owns.
pub struct EngineRings {
    /// One command ring per gateway thread, indexed by `GatewayId`.
    pub commands: Vec<Consumer<InboundCommand>>,
    /// One report ring per gateway thread, indexed by `GatewayId`.
    pub reports: Vec<Producer<OutboundReport>>,
    /// Market events to the feed.
    pub market: Producer<MarketRecord>,
    /// The same events to the gateway that serves market data, if any.
    pub market_copy: Option<Producer<MarketRecord>>,
}

/// Every ring of a pipeline with `gateways` gateway threads.
pub struct PipelineRings {
    /// One per gateway thread.
    pub gateways: Vec<GatewayRings>,
    /// The engine's ends.
    pub engine: EngineRings,
    /// The market-data stage's end.
    pub market: Consumer<MarketRecord>,
}

/// Allocates every ring of the pipeline.
pub fn pipeline_rings(gateways: usize, capacities: &RingCapacities) -> PipelineRings {
    pipeline_rings_with_market_copy(gateways, capacities, None)
}

/// Allocates every ring of the pipeline; gateway `market_copy_to` (if any)
/// also gets every market event on a ring of its own.
pub fn pipeline_rings_with_market_copy(
    gateways: usize,
    capacities: &RingCapacities,
    market_copy_to: Option<usize>,
) -> PipelineRings {
    assert!(
        market_copy_to.is_none_or(|gateway| gateway < gateways),
        "market copy for a gateway that does not exist"
    );
    assert!(
        gateways <= usize::from(u16::MAX),
        "too many gateway threads"
    );
    let mut gateway_ends = Vec::with_capacity(gateways);
    let mut engine_commands = Vec::with_capacity(gateways);
    let mut engine_reports = Vec::with_capacity(gateways);
    for index in 0..gateways {
        let (command_producer, command_consumer) = ring(capacities.command);
        let (report_producer, report_consumer) = ring(capacities.report);
        gateway_ends.push(GatewayRings {
            gateway_id: GatewayId(index as u16),
            commands: command_producer,
            reports: report_consumer,
            market: None,
        });
        engine_commands.push(command_consumer);
        engine_reports.push(report_producer);
    }
    let (market_producer, market_consumer) = ring(capacities.market);
    let market_copy = market_copy_to.map(|gateway| {
        let (producer, consumer) = ring(capacities.market);
        gateway_ends[gateway].market = Some(consumer);
        producer
    });
    PipelineRings {
        gateways: gateway_ends,
        engine: EngineRings {
            commands: engine_commands,
            reports: engine_reports,
            market: market_producer,
            market_copy,
        },
        market: market_consumer,
    }
}
