//! The thread runtime: agents, idle strategies, runners, rings, the engine
//! and market-data stage agents, latency accounting, and the pipeline
//! wiring ([`run_server`]).
//!
//! Every thread runs an [`Agent`] under an [`IdleStrategy`] (Agrona style).
//! In dedicated mode each stage has its own thread (optionally pinned); in
//! shared mode one [`CompositeAgent`] runs them all in turn, so the same
//! code runs on 2 cores or 16.

pub mod agent;
pub mod clock;
pub mod engine_agent;
pub mod idle;
pub mod latency;
pub mod md_counter;
pub mod records;
pub mod rings;
pub mod runner;
pub mod server;
pub mod wait_set;

pub use agent::{Agent, CompositeAgent};
pub use clock::{Clock, MonotonicClock};
pub use engine_agent::{EngineAgent, EngineAgentOptions, StateMachine};
pub use idle::{BackoffParams, IdleAction, IdleStrategy, Idler};
pub use latency::{AgentStats, LatencyRecorder, LatencySummary, ShutdownReport};
pub use md_counter::MarketDataCounter;
pub use records::{GatewayId, InboundCommand, MarketRecord, OutboundReport};
pub use rings::{
    pipeline_rings, pipeline_rings_with_market_copy, ring, EngineRings, GatewayRings,
    PipelineRings, RingCapacities,
};
pub use runner::{check_core, run_agent, AgentRunner, RunnerConfig, RuntimeError};
pub use server::{
    run_pipeline, run_server, BoundPorts, CountingFeed, FeedStage, Frontend, NoFrontend, NoGateway,
    StageError,
};
