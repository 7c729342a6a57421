//! Runners and the pipeline: dedicated and shared modes run their agents
//! and stop on the flag; a bad core fails cleanly before anything starts.
//! Tests wait for progress, never for a time.

use rtes_engine::{
    ClientOrderId, Command, CommandKind, EventSink, InstrumentId, MarketEvent, MarketEventKind,
    OrderRef, OwnerId, Report, ReportKind, SequenceNumber, TimestampNs,
};
use rtes_gateway::config::{self, Overrides, Settings};
use rtes_gateway::runtime::{
    run_pipeline, Agent, AgentRunner, BoundPorts, CountingFeed, Frontend, GatewayRings,
    IdleStrategy, InboundCommand, RunnerConfig, RuntimeError, StageError, StateMachine,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Does one unit of work per call while it has a backlog.
struct Backlog {
    pending: u64,
    rounds: Arc<AtomicU64>,
    closed: bool,
}

impl Agent for Backlog {
    fn name(&self) -> &str {
        "backlog"
    }
    fn do_work(&mut self) -> usize {
        self.rounds.fetch_add(1, Ordering::Relaxed);
        if self.pending == 0 {
            return 0;
        }
        self.pending -= 1;
        1
    }
    fn on_close(&mut self) {
        self.closed = true;
    }
}

fn backlog(pending: u64) -> (Backlog, Arc<AtomicU64>) {
    let rounds = Arc::new(AtomicU64::new(0));
    let agent = Backlog {
        pending,
        rounds: Arc::clone(&rounds),
        closed: false,
    };
    (agent, rounds)
}

fn config(core: Option<usize>) -> RunnerConfig {
    RunnerConfig {
        name: "test-agent".to_string(),
        idle: IdleStrategy::Yielding,
        core,
    }
}

fn wait_until(condition: impl Fn() -> bool) {
    while !condition() {
        std::thread::yield_now();
    }
}

#[test]
fn runner_runs_until_stopped_then_closes() {
    let (agent, rounds) = backlog(10);
    let runner = AgentRunner::start(config(None), agent, Arc::new(AtomicBool::new(false))).unwrap();
    wait_until(|| rounds.load(Ordering::Relaxed) > 100);
    let agent = runner.stop_and_join().unwrap();
    assert_eq!(agent.pending, 0);
    assert!(agent.closed);
}

#[test]
fn runner_drains_after_stop() {
    let (agent, _) = backlog(1_000);
    let stop = Arc::new(AtomicBool::new(true));
    let runner = AgentRunner::start(config(None), agent, stop).unwrap();
    let agent = runner.stop_and_join().unwrap();
    assert_eq!(agent.pending, 0, "work left at stop is drained");
    assert!(agent.closed);
}

#[test]
fn pinning_to_an_invalid_core_fails_before_starting() {
    let (agent, rounds) = backlog(0);
    let error = AgentRunner::start(
        config(Some(100_000)),
        agent,
        Arc::new(AtomicBool::new(false)),
    )
    .err()
    .expect("core 100000 does not exist");
    assert!(matches!(
        error,
        RuntimeError::InvalidCore { core: 100_000, .. }
    ));
    assert!(error.to_string().contains("test-agent"));
    assert_eq!(rounds.load(Ordering::Relaxed), 0, "the agent never ran");
}

#[test]
fn pinning_to_an_available_core_works() {
    let cores = core_ids();
    let Some(&core) = cores.first() else {
        return; // no affinity support here; nothing to check
    };
    let (agent, rounds) = backlog(5);
    let runner =
        AgentRunner::start(config(Some(core)), agent, Arc::new(AtomicBool::new(false))).unwrap();
    wait_until(|| rounds.load(Ordering::Relaxed) > 10);
    assert!(runner.stop_and_join().unwrap().closed);
}

fn core_ids() -> Vec<usize> {
    let error = rtes_gateway::runtime::check_core("probe", usize::MAX).unwrap_err();
    match error {
        RuntimeError::InvalidCore { available, .. } => available,
        other => panic!("unexpected {other}"),
    }
}

// ---- the whole pipeline with a stand-in engine and gateway ----

/// One report and one market event per command.
struct Echo {
    seq: u64,
}

impl StateMachine for Echo {
    fn apply(&mut self, command: &Command, sink: &mut impl EventSink) -> SequenceNumber {
        self.seq += 1;
        let seq = SequenceNumber(self.seq);
        sink.report(&Report {
            seq,
            ts: command.ts,
            owner: command.owner,
            client_order_id: ClientOrderId(self.seq),
            kind: ReportKind::MassCanceled { count: 0 },
        });
        sink.market(&MarketEvent {
            seq,
            ts: command.ts,
            instrument: InstrumentId(0),
            kind: MarketEventKind::Delete {
                order_ref: OrderRef(self.seq),
            },
        });
        seq
    }
}

/// Sends `to_send` commands (owner = gateway index) and counts reports.
struct TestGateway {
    rings: GatewayRings,
    to_send: u64,
    received: Arc<AtomicU64>,
}

impl Agent for TestGateway {
    fn name(&self) -> &str {
        "test-gateway"
    }
    fn do_work(&mut self) -> usize {
        let mut work = 0;
        if self.to_send > 0 {
            let inbound = InboundCommand {
                command: Command {
                    owner: OwnerId(u32::from(self.rings.gateway_id.0)),
                    ts: TimestampNs(0),
                    kind: CommandKind::CancelOwnerOrders,
                },
                gateway_id: self.rings.gateway_id,
                ingress_ns: 0,
            };
            // Full ring: keep the command and try again next round.
            if self.rings.commands.push(inbound).is_ok() {
                self.to_send -= 1;
                work += 1;
            }
        }
        while let Ok(record) = self.rings.reports.pop() {
            assert_eq!(record.report.owner.0, u32::from(self.rings.gateway_id.0));
            self.received.fetch_add(1, Ordering::Relaxed);
            work += 1;
        }
        work
    }
}

struct TestFrontend {
    gateways: usize,
    per_gateway: u64,
    received: Vec<Arc<AtomicU64>>,
    bound: bool,
}

impl TestFrontend {
    fn new(gateways: usize, per_gateway: u64) -> TestFrontend {
        TestFrontend {
            gateways,
            per_gateway,
            received: (0..gateways).map(|_| Arc::new(AtomicU64::new(0))).collect(),
            bound: false,
        }
    }
}

impl Frontend for &mut TestFrontend {
    type Agent = TestGateway;

    fn gateway_threads(&self, _settings: &Settings) -> usize {
        self.gateways
    }

    fn bind(&mut self, _settings: &Settings, ports: &mut BoundPorts) -> Result<(), StageError> {
        self.bound = true;
        ports.add("test", "127.0.0.1:1".parse().unwrap());
        Ok(())
    }

    fn gateway_agent(&mut self, rings: GatewayRings) -> Result<TestGateway, StageError> {
        let received = Arc::clone(&self.received[usize::from(rings.gateway_id.0)]);
        Ok(TestGateway {
            rings,
            to_send: self.per_gateway,
            received,
        })
    }
}

fn settings(overrides: Overrides) -> Settings {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../config/default.toml");
    let overrides = Overrides {
        ouch_port: Some(0),
        ..overrides
    };
    let mut settings = config::load(&path, &overrides).unwrap();
    // Small rings so back-pressure is exercised on the way.
    settings.runtime.rings.command = 8;
    settings.runtime.rings.report = 8;
    settings.runtime.rings.market = 8;
    settings
}

fn run_mode(threads: &str) {
    const PER_GATEWAY: u64 = 2_000;
    let settings = settings(Overrides {
        threads: Some(threads.to_string()),
        idle: vec![("shared".to_string(), "yielding".to_string())],
        ..Overrides::default()
    });
    let mut frontend = TestFrontend::new(2, PER_GATEWAY);
    let received = frontend.received.clone();
    let shutdown = AtomicBool::new(false);
    let mut bound_ports = None;
    let report = std::thread::scope(|scope| {
        let running = scope.spawn(|| {
            run_pipeline(
                &settings,
                Echo { seq: 0 },
                &mut frontend,
                CountingFeed,
                &shutdown,
                |ports| bound_ports = Some(ports.to_json_line()),
            )
        });
        wait_until(|| {
            received
                .iter()
                .all(|count| count.load(Ordering::Relaxed) == PER_GATEWAY)
                || running.is_finished()
        });
        shutdown.store(true, Ordering::Release);
        running.join().unwrap()
    })
    .unwrap();
    assert_eq!(bound_ports.as_deref(), Some(r#"{"test":"127.0.0.1:1"}"#));
    assert!(frontend.bound);
    assert_eq!(report.counter("commands"), 2 * PER_GATEWAY);
    assert_eq!(report.counter("events"), 2 * PER_GATEWAY);
    let apply = report
        .latency_summaries()
        .into_iter()
        .find(|summary| summary.stage == "engine.apply")
        .unwrap();
    assert_eq!(apply.count, 2 * PER_GATEWAY);
    assert!(report.render().contains("engine->mdfeed"));
}

#[test]
fn dedicated_mode_runs_every_stage_and_stops() {
    run_mode("dedicated");
}

#[test]
fn shared_mode_runs_every_stage_and_stops() {
    run_mode("shared");
}

#[test]
fn pipeline_with_a_bad_core_fails_before_binding() {
    let settings = settings(Overrides {
        threads: Some("dedicated".to_string()),
        pins: vec![("engine".to_string(), 100_000)],
        ..Overrides::default()
    });
    let mut frontend = TestFrontend::new(1, 0);
    let shutdown = AtomicBool::new(false);
    let error = run_pipeline(
        &settings,
        Echo { seq: 0 },
        &mut frontend,
        CountingFeed,
        &shutdown,
        |_| panic!("nothing may be reported as bound"),
    )
    .expect_err("core 100000 does not exist");
    assert!(error.to_string().contains("rtes-engine"), "{error}");
    assert!(!frontend.bound);
}
