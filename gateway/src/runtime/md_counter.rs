//! A stand-in market-data stage: drains the feed ring and counts events.
//!
//! It keeps the engine's market ring flowing and measures engine → feed
//! latency when the ITCH/MoldUDP64 publisher (`crate::feed`) is disabled;
//! both plug in the same way, as an [`Agent`] over the ring's consumer end.

use super::clock::{Clock, MonotonicClock};
use super::latency::{AgentStats, LatencyRecorder};
use super::records::MarketRecord;
use super::Agent;
use rtrb::Consumer;

/// Most events taken per `do_work`.
const BATCH_EVENTS_MAX: usize = 1_024;

/// Drains and counts market events.
pub struct MarketDataCounter<C: Clock = MonotonicClock> {
    market: Consumer<MarketRecord>,
    clock: C,
    latency: LatencyRecorder,
    events: u64,
    last_seq: u64,
}

impl MarketDataCounter<MonotonicClock> {
    /// A counter over the market ring's consumer end.
    pub fn new(market: Consumer<MarketRecord>) -> Self {
        MarketDataCounter::with_clock(market, MonotonicClock)
    }
}

impl<C: Clock> MarketDataCounter<C> {
    /// A counter with an explicit clock.
    pub fn with_clock(market: Consumer<MarketRecord>, clock: C) -> Self {
        MarketDataCounter {
            market,
            clock,
            latency: LatencyRecorder::new("engine->mdfeed"),
            events: 0,
            last_seq: 0,
        }
    }

    /// Events drained so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Sequence number of the last event drained.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }
}

impl<C: Clock> Agent for MarketDataCounter<C> {
    fn name(&self) -> &str {
        "mdfeed"
    }

    fn do_work(&mut self) -> usize {
        let available = self.market.slots().min(BATCH_EVENTS_MAX);
        if available == 0 {
            return 0;
        }
        let now_ns = self.clock.now_ns();
        for _ in 0..available {
            let Ok(record) = self.market.pop() else {
                break;
            };
            assert!(
                record.event.seq.0 >= self.last_seq,
                "market events out of sequence order"
            );
            self.last_seq = record.event.seq.0;
            self.latency
                .record_ns(now_ns.saturating_sub(record.engine_ns));
            self.events += 1;
        }
        available
    }

    fn stats(&mut self) -> Vec<AgentStats> {
        vec![AgentStats {
            agent: "mdfeed".to_string(),
            latencies: vec![self.latency.clone()],
            counters: vec![("events", self.events)],
        }]
    }
}
