//! The whole pipeline wired in one place (exchange-core style):
//!
//! 1. gateway thread(s): sockets → `InboundCommand` ring (one per gateway)
//! 2. engine: command rings → `Engine::apply` → `OutboundReport` ring per
//!    gateway + `MarketRecord` ring
//! 3. market data: `MarketRecord` ring → feed (`crate::feed::ItchFeed`, the
//!    ITCH/MoldUDP64 publisher; [`MarketDataCounter`] when the feed is off)
//!
//! The network front end plugs in through [`Frontend`]: it binds its
//! listeners (`Frontend::bind`) and builds one [`Agent`] per gateway thread
//! around that thread's [`GatewayRings`]. The feed plugs in the same way
//! through [`FeedStage`].

use super::engine_agent::{EngineAgent, EngineAgentOptions, StateMachine};
use super::latency::ShutdownReport;
use super::md_counter::MarketDataCounter;
use super::records::MarketRecord;
use super::rings::{pipeline_rings_with_market_copy, GatewayRings};
use super::runner::{check_core, AgentRunner, RunnerConfig, RuntimeError};
use super::{Agent, CompositeAgent};
use crate::config::{Settings, ThreadSettings, ThreadingMode};
use rtes_engine::Engine;
use rtrb::Consumer;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Error type of the plug-in stages.
pub type StageError = Box<dyn std::error::Error + Send + Sync>;

/// How often the main thread checks the shutdown flag and thread health.
const SUPERVISE_INTERVAL: Duration = Duration::from_millis(20);

/// Addresses actually bound (port 0 in the config resolves here).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoundPorts {
    listeners: Vec<(&'static str, SocketAddr)>,
}

impl BoundPorts {
    /// Records a bound listener, e.g. `("ouch", 127.0.0.1:40123)`.
    pub fn add(&mut self, name: &'static str, address: SocketAddr) {
        self.listeners.push((name, address));
    }

    /// The address bound under `name`.
    pub fn get(&self, name: &str) -> Option<SocketAddr> {
        self.listeners
            .iter()
            .find(|(listener, _)| *listener == name)
            .map(|(_, address)| *address)
    }

    /// One JSON object on one line, e.g. `{"ouch":"127.0.0.1:40123"}`.
    ///
    /// ```
    /// let mut ports = rtes_gateway::runtime::BoundPorts::default();
    /// ports.add("ouch", "127.0.0.1:15000".parse().unwrap());
    /// assert_eq!(ports.to_json_line(), r#"{"ouch":"127.0.0.1:15000"}"#);
    /// ```
    pub fn to_json_line(&self) -> String {
        // Names are static identifiers and addresses contain no quotes or
        // backslashes, so no escaping is needed.
        let fields: Vec<String> = self
            .listeners
            .iter()
            .map(|(name, address)| format!("\"{name}\":\"{address}\""))
            .collect();
        format!("{{{}}}", fields.join(","))
    }
}

/// The network front end (OUCH/FIX gateway): binds listeners, then builds
/// one agent per gateway thread.
pub trait Frontend {
    /// The gateway thread's agent.
    type Agent: Agent + Send + 'static;

    /// Number of gateway threads to run (default: `runtime.gateway_threads`).
    fn gateway_threads(&self, settings: &Settings) -> usize {
        settings.runtime.gateway_threads
    }

    /// The gateway thread (index) that also consumes every market event
    /// (it serves market data itself), if any. It must drain
    /// `GatewayRings::market`, or the engine stalls once that ring is full.
    fn market_data_gateway(&self, _settings: &Settings) -> Option<usize> {
        None
    }

    /// Binds every listener before any thread starts, recording what was
    /// bound in `ports`. This is the hook for binding all configured
    /// listeners up-front, so a port in use fails start-up cleanly.
    fn bind(&mut self, settings: &Settings, ports: &mut BoundPorts) -> Result<(), StageError>;

    /// Builds gateway thread `rings.gateway_id`'s agent around its rings.
    fn gateway_agent(&mut self, rings: GatewayRings) -> Result<Self::Agent, StageError>;
}

/// No network front end: zero gateway threads (engine and feed only).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFrontend;

/// Agent type of [`NoFrontend`]; never constructed.
pub enum NoGateway {}

impl Agent for NoGateway {
    fn name(&self) -> &str {
        match *self {}
    }
    fn do_work(&mut self) -> usize {
        match *self {}
    }
}

impl Frontend for NoFrontend {
    type Agent = NoGateway;

    fn gateway_threads(&self, _settings: &Settings) -> usize {
        0
    }

    fn bind(&mut self, _settings: &Settings, _ports: &mut BoundPorts) -> Result<(), StageError> {
        Ok(())
    }

    fn gateway_agent(&mut self, _rings: GatewayRings) -> Result<NoGateway, StageError> {
        Err("NoFrontend has no gateway threads".into())
    }
}

/// The market-data stage: binds its sockets, builds its agent.
pub trait FeedStage {
    /// The feed thread's agent.
    type Agent: Agent + Send + 'static;

    /// Binds the feed's sockets (multicast, replay, re-request).
    fn bind(&mut self, settings: &Settings, ports: &mut BoundPorts) -> Result<(), StageError>;

    /// Builds the agent around the market ring's consumer end.
    fn feed_agent(&mut self, market: Consumer<MarketRecord>) -> Result<Self::Agent, StageError>;
}

/// Feed stage that only counts events ([`MarketDataCounter`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingFeed;

impl FeedStage for CountingFeed {
    type Agent = MarketDataCounter;

    fn bind(&mut self, _settings: &Settings, _ports: &mut BoundPorts) -> Result<(), StageError> {
        Ok(())
    }

    fn feed_agent(
        &mut self,
        market: Consumer<MarketRecord>,
    ) -> Result<MarketDataCounter, StageError> {
        Ok(MarketDataCounter::new(market))
    }
}

/// Builds the engine from `settings` and runs the pipeline until `shutdown`
/// is set; see [`run_pipeline`].
pub fn run_server<F: Frontend, D: FeedStage>(
    settings: &Settings,
    frontend: F,
    feed: D,
    shutdown: &AtomicBool,
    on_bound: impl FnOnce(&BoundPorts),
) -> Result<ShutdownReport, RuntimeError> {
    // Pins first: a bad core must fail before the engine allocates its tables.
    check_pins(&thread_plan(settings, frontend.gateway_threads(settings)))?;
    let engine = Engine::new(settings.engine.clone())
        .map_err(|error| RuntimeError::Engine(error.to_string()))?;
    run_pipeline(settings, engine, frontend, feed, shutdown, on_bound)
}

/// Binds, starts every stage in the configured threading mode, calls
/// `on_bound` with the bound addresses once all threads run, waits for
/// `shutdown`, then stops the stages in pipeline order (gateways, engine,
/// feed), each draining what it can, and returns their histograms.
pub fn run_pipeline<M, F, D>(
    settings: &Settings,
    machine: M,
    mut frontend: F,
    mut feed: D,
    shutdown: &AtomicBool,
    on_bound: impl FnOnce(&BoundPorts),
) -> Result<ShutdownReport, RuntimeError>
where
    M: StateMachine + Send + 'static,
    F: Frontend,
    D: FeedStage,
{
    let gateway_count = frontend.gateway_threads(settings);
    let threads = thread_plan(settings, gateway_count);
    check_pins(&threads)?;
    let stage_error = |error: StageError| RuntimeError::Frontend(error.to_string());
    let mut ports = BoundPorts::default();
    frontend.bind(settings, &mut ports).map_err(stage_error)?;
    feed.bind(settings, &mut ports).map_err(stage_error)?;

    let rings = pipeline_rings_with_market_copy(
        gateway_count,
        &settings.runtime.rings,
        frontend.market_data_gateway(settings),
    );
    let mut agents: Vec<Box<dyn Agent + Send>> = Vec::with_capacity(gateway_count + 2);
    for gateway_rings in rings.gateways {
        agents.push(Box::new(
            frontend.gateway_agent(gateway_rings).map_err(stage_error)?,
        ));
    }
    let options = EngineAgentOptions {
        batch_commands: settings.runtime.engine_batch_commands,
        staging_capacity: settings.runtime.rings.engine_staging,
        max_owners: settings.engine.max_owners as usize,
    };
    agents.push(Box::new(EngineAgent::new(machine, rings.engine, options)));
    agents.push(Box::new(
        feed.feed_agent(rings.market).map_err(stage_error)?,
    ));

    let runners = start_runners(settings.runtime.threading, threads, agents)?;
    on_bound(&ports);
    supervise(&runners, shutdown);
    stop_in_order(runners)
}

/// Thread names and settings, in pipeline order, for the threading mode.
fn thread_plan(settings: &Settings, gateway_count: usize) -> Vec<(String, ThreadSettings)> {
    let runtime = &settings.runtime;
    if runtime.threading == ThreadingMode::Shared {
        return vec![("rtes-shared".to_string(), runtime.shared)];
    }
    let mut plan = Vec::with_capacity(gateway_count + 2);
    for index in 0..gateway_count {
        let core = runtime.gateway.core.map(|core| core + index);
        let thread = ThreadSettings {
            core,
            ..runtime.gateway
        };
        plan.push((format!("rtes-gateway-{index}"), thread));
    }
    plan.push(("rtes-engine".to_string(), runtime.engine));
    plan.push(("rtes-mdfeed".to_string(), runtime.mdfeed));
    plan
}

fn check_pins(threads: &[(String, ThreadSettings)]) -> Result<(), RuntimeError> {
    for (name, thread) in threads {
        if let Some(core) = thread.core {
            check_core(name, core)?;
        }
    }
    Ok(())
}

type Runner = AgentRunner<Box<dyn Agent + Send>>;

fn start_runners(
    threading: ThreadingMode,
    threads: Vec<(String, ThreadSettings)>,
    agents: Vec<Box<dyn Agent + Send>>,
) -> Result<Vec<Runner>, RuntimeError> {
    let units: Vec<Box<dyn Agent + Send>> = match threading {
        ThreadingMode::Shared => vec![Box::new(CompositeAgent::new("shared", agents))],
        ThreadingMode::Dedicated => agents,
    };
    assert_eq!(units.len(), threads.len(), "one thread per agent");
    // Start downstream first (reverse pipeline order) so no stage produces
    // into a ring nobody drains yet.
    let mut runners: Vec<Runner> = Vec::with_capacity(units.len());
    for ((name, thread), agent) in threads.into_iter().zip(units).rev() {
        let config = RunnerConfig {
            name,
            idle: thread.idle,
            core: thread.core,
        };
        match AgentRunner::start(config, agent, Arc::new(AtomicBool::new(false))) {
            Ok(runner) => runners.push(runner),
            Err(error) => {
                for runner in runners {
                    let _ = runner.stop_and_join();
                }
                return Err(error);
            }
        }
    }
    runners.reverse();
    Ok(runners)
}

/// Waits for the shutdown flag; a thread that ends on its own (a panic)
/// also ends the wait.
fn supervise(runners: &[Runner], shutdown: &AtomicBool) {
    while !shutdown.load(Ordering::Acquire) {
        if runners.iter().any(Runner::is_finished) {
            tracing::error!("a stage thread ended unexpectedly; shutting down");
            return;
        }
        std::thread::sleep(SUPERVISE_INTERVAL);
    }
}

/// Stops gateways first, then the engine (it drains what they left), then
/// the feed; collects every agent's statistics.
fn stop_in_order(runners: Vec<Runner>) -> Result<ShutdownReport, RuntimeError> {
    let mut report = ShutdownReport::default();
    let mut first_error = None;
    for runner in runners {
        let name = runner.name().to_string();
        match runner.stop_and_join() {
            Ok(mut agent) => report.agents.extend(agent.stats()),
            Err(error) => {
                tracing::error!(thread = %name, %error, "stage failed");
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(report),
    }
}
