//! The hot path does not allocate: engine agent (including back-pressure
//! within its staging capacity), market-data counter, latency recording and
//! the ITCH feed agent with its sockets, checked with a counting global
//! allocator.

use rtes_engine::{
    ClientOrderId, Command, CommandKind, EventSink, InstrumentId, MarketEvent, MarketEventKind,
    OrderRef, OwnerId, Report, ReportKind, SequenceNumber, TimestampNs,
};
use rtes_gateway::runtime::{
    pipeline_rings, Agent, EngineAgent, EngineAgentOptions, GatewayId, InboundCommand,
    LatencyRecorder, MarketDataCounter, RingCapacities, StateMachine,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    // Only the measuring thread counts, so other tests' threads don't.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn note_allocation() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call forwards to the system allocator with the same
// arguments; the counter has no effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(pointer, layout) }
    }
    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(pointer, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(work: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    COUNTING.with(|counting| counting.set(true));
    work();
    COUNTING.with(|counting| counting.set(false));
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

struct Burst {
    seq: u64,
}

impl StateMachine for Burst {
    fn apply(&mut self, command: &Command, sink: &mut impl EventSink) -> SequenceNumber {
        self.seq += 1;
        let seq = SequenceNumber(self.seq);
        for index in 0..3 {
            sink.report(&Report {
                seq,
                ts: command.ts,
                owner: command.owner,
                client_order_id: ClientOrderId(index),
                kind: ReportKind::MassCanceled { count: 0 },
            });
            sink.market(&MarketEvent {
                seq,
                ts: command.ts,
                instrument: InstrumentId(0),
                kind: MarketEventKind::Delete {
                    order_ref: OrderRef(index),
                },
            });
        }
        seq
    }
}

#[test]
fn engine_and_market_agents_do_not_allocate() {
    const COMMANDS: u64 = 500;
    // One-slot output rings force staging on every command.
    let capacities = RingCapacities {
        command: 1_024,
        report: 1,
        market: 1,
        engine_staging: 64,
    };
    let rings = pipeline_rings(1, &capacities);
    let mut gateway = rings.gateways.into_iter().next().unwrap();
    let options = EngineAgentOptions {
        batch_commands: 32,
        staging_capacity: 64,
        max_owners: 1,
    };
    let mut engine = EngineAgent::new(Burst { seq: 0 }, rings.engine, options);
    let mut feed = MarketDataCounter::new(rings.market);
    let mut latency = LatencyRecorder::new("test");
    for _ in 0..COMMANDS {
        let inbound = InboundCommand {
            command: Command {
                owner: OwnerId(0),
                ts: TimestampNs(1),
                kind: CommandKind::CancelOwnerOrders,
            },
            gateway_id: GatewayId(0),
            ingress_ns: 1,
        };
        gateway.commands.push(inbound).unwrap();
    }
    let mut reports = 0u64;
    let allocations = allocations_during(|| {
        while engine.commands_applied() < COMMANDS || engine.staged_len() > 0 {
            engine.do_work();
            feed.do_work();
            while gateway.reports.pop().is_ok() {
                reports += 1;
            }
            latency.record_ns(reports);
        }
        engine.do_work();
        feed.do_work();
        while gateway.reports.pop().is_ok() {
            reports += 1;
        }
    });
    assert_eq!(allocations, 0);
    assert_eq!(reports, 3 * COMMANDS);
    assert_eq!(feed.events(), 3 * COMMANDS);
}

/// The ITCH feed agent, sockets and all: start of day, events published
/// and multicast, a re-request answered, timers, socket polls.
#[test]
fn itch_feed_agent_does_not_allocate() {
    use rtes_engine::{Price, Qty, Side};
    use rtes_gateway::config::Overrides;
    use rtes_gateway::feed::ItchFeed;
    use rtes_gateway::runtime::{ring, BoundPorts, FeedStage, MarketRecord};
    use std::time::{Duration, Instant};

    let overrides = Overrides {
        feed_enabled: Some(true),
        feed_port: Some(0),
        ouch_port: Some(0),
        ..Overrides::default()
    };
    let path =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test.toml");
    let settings = rtes_gateway::config::load(&path, &overrides).unwrap();
    let mut feed = ItchFeed::default();
    let mut ports = BoundPorts::default();
    feed.bind(&settings, &mut ports).unwrap();
    let (mut producer, consumer) = ring::<MarketRecord>(4_096);
    let mut agent = feed.feed_agent(consumer).unwrap();
    let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_nonblocking(true).unwrap();
    let rerequest = ports.get("feed_rerequest").unwrap();
    let record = |index: u64| MarketRecord {
        event: MarketEvent {
            seq: SequenceNumber(index),
            ts: TimestampNs(index),
            instrument: InstrumentId((index % 3) as u32),
            kind: if index.is_multiple_of(2) {
                MarketEventKind::Add {
                    order_ref: OrderRef(index),
                    side: Side::Buy,
                    price: Price(10_000 - (index % 50) as i64),
                    qty: Qty(100),
                }
            } else {
                MarketEventKind::Delete {
                    order_ref: OrderRef(index - 1),
                }
            },
        },
        engine_ns: 1,
    };
    // Start of day (and the first socket poll) outside the count.
    agent.do_work();
    let allocations = allocations_during(|| {
        for index in 2..3_002u64 {
            producer.push(record(index)).unwrap();
            if index.is_multiple_of(10) {
                agent.do_work();
            }
        }
        // Long enough for flush timers and two socket polls.
        let until = Instant::now() + Duration::from_millis(2);
        while Instant::now() < until {
            agent.do_work();
        }
    });
    assert_eq!(allocations, 0);
    // A re-request for the start of day is answered without allocating.
    let session = agent.publisher().session();
    let request = rtes_mdfeed::moldudp::header_packet(session, 1, 5);
    client.send_to(&request, rerequest).unwrap();
    let allocations = allocations_during(|| {
        let until = Instant::now() + Duration::from_millis(20);
        while Instant::now() < until {
            agent.do_work();
        }
    });
    assert_eq!(allocations, 0);
    let mut answer = [0u8; 2_048];
    let deadline = Instant::now() + Duration::from_secs(5);
    let len = loop {
        if let Ok((len, _)) = client.recv_from(&mut answer) {
            break len;
        }
        assert!(Instant::now() < deadline, "no answer to the re-request");
        std::thread::sleep(Duration::from_millis(1));
    };
    let answer = rtes_mdfeed::moldudp::Packet::decode(&answer[..len]).unwrap();
    assert_eq!((answer.sequence_number, answer.message_count), (1, 5));
}
