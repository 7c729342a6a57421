//! The engine stage: commands in from every gateway ring, reports out to the
//! right gateway ring, market events out to the feed ring.
//!
//! Back-pressure without loss: one command can emit many events (a sweep,
//! a mass cancel, an uncross), more than any fixed free-slot check could
//! guarantee. So outputs go straight into their ring while it has room and,
//! when one is full, into a staging queue (allocated once with
//! `engine_staging` slots). While anything is staged the agent takes no new
//! command: each round first flushes the staging queue and only then pops
//! input. Staging therefore holds the overflow of at most one command; it
//! only grows past its preallocated size (an allocation, counted in
//! `staging_grew`) if a single command overflows by more than that.
//! Input rings then fill, and the gateways stop reading their sockets.

use super::clock::{Clock, MonotonicClock};
use super::latency::{AgentStats, LatencyRecorder};
use super::records::{GatewayId, InboundCommand, MarketRecord, OutboundReport};
use super::rings::{EngineRings, PushError};
use super::Agent;
use rtes_engine::{Command, Engine, EventSink, MarketEvent, Report, SequenceNumber};
use rtrb::{Consumer, Producer};
use std::collections::VecDeque;

/// What the engine stage drives: [`Engine`], or a test double.
pub trait StateMachine {
    /// Applies one command, writing its events into `sink`.
    fn apply(&mut self, command: &Command, sink: &mut impl EventSink) -> SequenceNumber;
}

impl StateMachine for Engine {
    fn apply(&mut self, command: &Command, sink: &mut impl EventSink) -> SequenceNumber {
        Engine::apply(self, command, sink)
    }
}

/// Sizes of the engine stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineAgentOptions {
    /// Most commands applied per `do_work` (keeps rounds short in shared mode).
    pub batch_commands: usize,
    /// Preallocated slots of the staging queue.
    pub staging_capacity: usize,
    /// Number of owners (`OwnerId(0..max_owners)`), for report routing.
    pub max_owners: usize,
}

/// The engine stage agent.
pub struct EngineAgent<M: StateMachine = Engine, C: Clock = MonotonicClock> {
    machine: M,
    commands: Vec<Consumer<InboundCommand>>,
    outputs: Outputs,
    batch_commands: usize,
    next_input: usize,
    clock: C,
    queue_latency: LatencyRecorder,
    apply_latency: LatencyRecorder,
    commands_applied: u64,
}

impl<M: StateMachine> EngineAgent<M, MonotonicClock> {
    /// An engine stage over `rings`, timed by the monotonic clock.
    pub fn new(machine: M, rings: EngineRings, options: EngineAgentOptions) -> Self {
        EngineAgent::with_clock(machine, rings, options, MonotonicClock)
    }
}

impl<M: StateMachine, C: Clock> EngineAgent<M, C> {
    /// An engine stage with an explicit clock.
    pub fn with_clock(
        machine: M,
        rings: EngineRings,
        options: EngineAgentOptions,
        clock: C,
    ) -> Self {
        assert!(
            options.batch_commands > 0,
            "batch_commands must be positive"
        );
        assert_eq!(
            rings.commands.len(),
            rings.reports.len(),
            "one report ring per command ring"
        );
        let outputs = Outputs {
            reports: rings.reports,
            market: rings.market,
            market_copy: rings.market_copy,
            staged: VecDeque::with_capacity(options.staging_capacity),
            owner_gateway: vec![GatewayId(0); options.max_owners],
            ingress_ns: 0,
            engine_ns: 0,
            counters: OutputCounters::default(),
        };
        EngineAgent {
            machine,
            commands: rings.commands,
            outputs,
            batch_commands: options.batch_commands,
            next_input: 0,
            clock,
            queue_latency: LatencyRecorder::new("gateway->engine"),
            apply_latency: LatencyRecorder::new("engine.apply"),
            commands_applied: 0,
        }
    }

    /// The state machine (for inspection after the thread ended).
    pub fn machine(&self) -> &M {
        &self.machine
    }

    /// Outputs waiting for room in their ring.
    pub fn staged_len(&self) -> usize {
        self.outputs.staged.len()
    }

    /// Commands applied so far.
    pub fn commands_applied(&self) -> u64 {
        self.commands_applied
    }

    fn pop_next(&mut self) -> Option<InboundCommand> {
        // Round-robin over gateways so one busy gateway cannot starve others.
        let count = self.commands.len();
        for offset in 0..count {
            let index = (self.next_input + offset) % count;
            if let Ok(inbound) = self.commands[index].pop() {
                self.next_input = (index + 1) % count;
                return Some(inbound);
            }
        }
        None
    }

    fn apply(&mut self, inbound: InboundCommand) {
        let start_ns = self.clock.now_ns();
        self.queue_latency
            .record_ns(start_ns.saturating_sub(inbound.ingress_ns));
        let owner = inbound.command.owner.0 as usize;
        if let Some(slot) = self.outputs.owner_gateway.get_mut(owner) {
            // Reports (including later passive fills) follow the owner to
            // the gateway thread of its latest command.
            *slot = inbound.gateway_id;
        }
        self.outputs.ingress_ns = inbound.ingress_ns;
        self.outputs.engine_ns = start_ns;
        self.machine.apply(&inbound.command, &mut self.outputs);
        self.apply_latency
            .record_ns(self.clock.now_ns().saturating_sub(start_ns));
        self.commands_applied += 1;
    }
}

impl<M: StateMachine, C: Clock> Agent for EngineAgent<M, C> {
    fn name(&self) -> &str {
        "engine"
    }

    fn do_work(&mut self) -> usize {
        let mut work = self.outputs.flush();
        if !self.outputs.staged.is_empty() {
            return work;
        }
        for _ in 0..self.batch_commands {
            let Some(inbound) = self.pop_next() else {
                break;
            };
            self.apply(inbound);
            work += 1;
            if !self.outputs.staged.is_empty() {
                break;
            }
        }
        work
    }

    fn is_drained(&self) -> bool {
        self.outputs.staged.is_empty()
    }

    fn stats(&mut self) -> Vec<AgentStats> {
        let counters = &self.outputs.counters;
        vec![AgentStats {
            agent: "engine".to_string(),
            latencies: vec![self.queue_latency.clone(), self.apply_latency.clone()],
            counters: vec![
                ("commands", self.commands_applied),
                ("outputs_staged", counters.staged),
                ("staging_grew", counters.staging_grew),
                ("reports_dropped_gateway_gone", counters.reports_dropped),
                ("market_dropped_feed_gone", counters.market_dropped),
                ("still_staged", self.outputs.staged.len() as u64),
            ],
        }]
    }
}

#[derive(Debug, Clone, Copy)]
enum Staged {
    Report(GatewayId, OutboundReport),
    Market(MarketRecord),
    /// The same event for the gateway that serves market data.
    MarketCopy(MarketRecord),
}

#[derive(Debug, Default)]
struct OutputCounters {
    staged: u64,
    staging_grew: u64,
    reports_dropped: u64,
    market_dropped: u64,
}

enum Pushed {
    Done,
    Full(Staged),
}

/// The engine's output side; it is the `EventSink` the engine writes into.
struct Outputs {
    reports: Vec<Producer<OutboundReport>>,
    market: Producer<MarketRecord>,
    market_copy: Option<Producer<MarketRecord>>,
    staged: VecDeque<Staged>,
    owner_gateway: Vec<GatewayId>,
    ingress_ns: u64,
    engine_ns: u64,
    counters: OutputCounters,
}

impl Outputs {
    fn emit(&mut self, record: Staged) {
        // Keep the order of events: once anything is staged, everything
        // behind it is staged too.
        if self.staged.is_empty() {
            if let Pushed::Full(record) = self.push(record) {
                self.stage(record);
            }
        } else {
            self.stage(record);
        }
    }

    fn stage(&mut self, record: Staged) {
        if self.staged.len() == self.staged.capacity() {
            self.counters.staging_grew += 1;
        }
        self.counters.staged += 1;
        self.staged.push_back(record);
    }

    /// Pushes staged records in order until a ring is full; returns how many.
    fn flush(&mut self) -> usize {
        let mut flushed = 0;
        while let Some(record) = self.staged.front().copied() {
            match self.push(record) {
                Pushed::Done => {
                    self.staged.pop_front();
                    flushed += 1;
                }
                Pushed::Full(_) => break,
            }
        }
        flushed
    }

    fn push(&mut self, record: Staged) -> Pushed {
        match record {
            Staged::Report(gateway, report) => {
                let Some(producer) = self.reports.get_mut(usize::from(gateway.0)) else {
                    // No gateway thread at all (engine-only run).
                    self.counters.reports_dropped += 1;
                    return Pushed::Done;
                };
                match producer.push(report) {
                    Ok(()) => Pushed::Done,
                    // A gateway thread that has ended will never read:
                    // dropping is the only option (shutdown only).
                    Err(PushError::Full(_)) if producer.is_abandoned() => {
                        self.counters.reports_dropped += 1;
                        Pushed::Done
                    }
                    Err(PushError::Full(report)) => Pushed::Full(Staged::Report(gateway, report)),
                }
            }
            Staged::Market(event) => match self.market.push(event) {
                Ok(()) => Pushed::Done,
                Err(PushError::Full(_)) if self.market.is_abandoned() => {
                    self.counters.market_dropped += 1;
                    Pushed::Done
                }
                Err(PushError::Full(event)) => Pushed::Full(Staged::Market(event)),
            },
            Staged::MarketCopy(event) => {
                let Some(copy) = self.market_copy.as_mut() else {
                    return Pushed::Done;
                };
                match copy.push(event) {
                    Ok(()) => Pushed::Done,
                    Err(PushError::Full(_)) if copy.is_abandoned() => {
                        self.counters.market_dropped += 1;
                        Pushed::Done
                    }
                    Err(PushError::Full(event)) => Pushed::Full(Staged::MarketCopy(event)),
                }
            }
        }
    }
}

impl EventSink for Outputs {
    fn report(&mut self, report: &Report) {
        let gateway = self
            .owner_gateway
            .get(report.owner.0 as usize)
            .copied()
            .unwrap_or(GatewayId(0));
        let record = OutboundReport {
            report: *report,
            ingress_ns: self.ingress_ns,
            engine_ns: self.engine_ns,
        };
        self.emit(Staged::Report(gateway, record));
    }

    fn market(&mut self, event: &MarketEvent) {
        let record = MarketRecord {
            event: *event,
            engine_ns: self.engine_ns,
        };
        self.emit(Staged::Market(record));
        if self.market_copy.is_some() {
            self.emit(Staged::MarketCopy(record));
        }
    }
}
