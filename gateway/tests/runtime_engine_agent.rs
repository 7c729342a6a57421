//! The engine stage under back-pressure: with output rings of one slot no
//! event is lost or reordered, and no command is taken while outputs wait.

use rtes_engine::{
    ClientOrderId, Command, CommandKind, EventSink, InstrumentId, MarketEvent, MarketEventKind,
    OrderRef, OwnerId, Report, ReportKind, SequenceNumber, TimestampNs,
};
use rtes_gateway::runtime::{
    pipeline_rings, Agent, EngineAgent, EngineAgentOptions, GatewayId, InboundCommand,
    RingCapacities, StateMachine,
};

/// Emits `reports` reports to the command's owner and `market` market
/// events per command; the record index goes in `client_order_id` /
/// `order_ref` so order can be checked.
struct Burst {
    seq: u64,
    reports: u64,
    market: u64,
}

impl StateMachine for Burst {
    fn apply(&mut self, command: &Command, sink: &mut impl EventSink) -> SequenceNumber {
        self.seq += 1;
        let seq = SequenceNumber(self.seq);
        for index in 0..self.reports.max(self.market) {
            if index < self.reports {
                sink.report(&Report {
                    seq,
                    ts: command.ts,
                    owner: command.owner,
                    client_order_id: ClientOrderId(index),
                    kind: ReportKind::MassCanceled { count: 0 },
                });
            }
            if index < self.market {
                sink.market(&MarketEvent {
                    seq,
                    ts: command.ts,
                    instrument: InstrumentId(0),
                    kind: MarketEventKind::Delete {
                        order_ref: OrderRef(index),
                    },
                });
            }
        }
        seq
    }
}

fn command(owner: u32, gateway: u16) -> InboundCommand {
    InboundCommand {
        command: Command {
            owner: OwnerId(owner),
            ts: TimestampNs(0),
            kind: CommandKind::CancelOwnerOrders,
        },
        gateway_id: GatewayId(gateway),
        ingress_ns: 0,
    }
}

fn capacities(report: usize, market: usize) -> RingCapacities {
    RingCapacities {
        command: 64,
        report,
        market,
        engine_staging: 4,
    }
}

fn options() -> EngineAgentOptions {
    EngineAgentOptions {
        batch_commands: 16,
        staging_capacity: 4,
        max_owners: 4,
    }
}

#[test]
fn tiny_output_rings_lose_nothing() {
    const COMMANDS: u64 = 20;
    const PER_COMMAND: u64 = 25;
    let rings = pipeline_rings(1, &capacities(1, 1));
    let mut gateway = rings.gateways.into_iter().next().unwrap();
    let mut market = rings.market;
    let machine = Burst {
        seq: 0,
        reports: PER_COMMAND,
        market: PER_COMMAND,
    };
    let mut agent = EngineAgent::new(machine, rings.engine, options());
    for _ in 0..COMMANDS {
        gateway.commands.push(command(0, 0)).unwrap();
    }

    agent.do_work();
    assert_eq!(
        agent.commands_applied(),
        1,
        "stops taking input while output waits"
    );
    assert!(agent.staged_len() > 0);
    assert_eq!(gateway.commands.slots(), 64 - (COMMANDS as usize - 1));

    let mut reports = Vec::new();
    let mut events = Vec::new();
    let mut rounds = 0;
    while reports.len() < (COMMANDS * PER_COMMAND) as usize
        || events.len() < (COMMANDS * PER_COMMAND) as usize
    {
        rounds += 1;
        assert!(rounds < 100_000, "no progress");
        agent.do_work();
        if let Ok(record) = gateway.reports.pop() {
            reports.push(record.report);
        }
        if let Ok(record) = market.pop() {
            events.push(record.event);
        }
    }
    agent.do_work();
    assert_eq!(agent.staged_len(), 0);
    assert!(gateway.reports.pop().is_err());
    assert!(market.pop().is_err());
    assert_eq!(agent.commands_applied(), COMMANDS);

    for (position, report) in reports.iter().enumerate() {
        let position = position as u64;
        assert_eq!(report.seq, SequenceNumber(position / PER_COMMAND + 1));
        assert_eq!(
            report.client_order_id,
            ClientOrderId(position % PER_COMMAND)
        );
    }
    for (position, event) in events.iter().enumerate() {
        let position = position as u64;
        assert_eq!(event.seq, SequenceNumber(position / PER_COMMAND + 1));
        let MarketEventKind::Delete { order_ref } = event.kind else {
            panic!("unexpected event {event:?}");
        };
        assert_eq!(order_ref, OrderRef(position % PER_COMMAND));
    }
    let stats = agent.stats();
    let counter = |name: &str| {
        stats[0]
            .counters
            .iter()
            .find(|(counter, _)| *counter == name)
            .map(|(_, value)| *value)
            .unwrap()
    };
    assert!(counter("outputs_staged") > 0);
    assert!(
        counter("staging_grew") > 0,
        "25 events overflow 4 staging slots"
    );
    assert_eq!(counter("reports_dropped_gateway_gone"), 0);
}

#[test]
fn reports_follow_the_owner_to_its_gateway() {
    let rings = pipeline_rings(2, &capacities(64, 64));
    let mut gateways = rings.gateways;
    let machine = Burst {
        seq: 0,
        reports: 1,
        market: 0,
    };
    let mut agent = EngineAgent::new(machine, rings.engine, options());
    gateways[0].commands.push(command(0, 0)).unwrap();
    gateways[1].commands.push(command(1, 1)).unwrap();
    gateways[1].commands.push(command(3, 1)).unwrap();
    while agent.do_work() > 0 {}
    let owners = |index: usize, gateways: &mut Vec<rtes_gateway::runtime::GatewayRings>| {
        let mut owners = Vec::new();
        while let Ok(record) = gateways[index].reports.pop() {
            owners.push(record.report.owner.0);
        }
        owners
    };
    assert_eq!(owners(0, &mut gateways), [0]);
    assert_eq!(owners(1, &mut gateways), [1, 3]);
}

#[test]
fn a_gone_gateway_does_not_stall_the_engine() {
    let rings = pipeline_rings(1, &capacities(1, 64));
    let mut gateway = rings.gateways.into_iter().next().unwrap();
    let machine = Burst {
        seq: 0,
        reports: 3,
        market: 1,
    };
    let mut agent = EngineAgent::new(machine, rings.engine, options());
    gateway.commands.push(command(0, 0)).unwrap();
    gateway.commands.push(command(0, 0)).unwrap();
    drop(gateway.reports);
    while agent.do_work() > 0 {}
    assert_eq!(agent.commands_applied(), 2);
    assert_eq!(agent.staged_len(), 0);
    let stats = agent.stats();
    let dropped = stats[0]
        .counters
        .iter()
        .find(|(name, _)| *name == "reports_dropped_gateway_gone")
        .unwrap()
        .1;
    assert_eq!(dropped, 5, "one report fits the ring, five are dropped");
}
