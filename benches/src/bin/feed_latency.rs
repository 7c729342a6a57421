//! Drives the real ITCH feed stage (`rtes_gateway::feed::ItchFeed`, the
//! agent the `rtes` binary runs) alone, without gateway or engine: a paced
//! producer thread pushes engine-like market events into the market ring at
//! a fixed rate, stamping each with the clock as the engine does, and the
//! feed agent runs on its own runner thread under the chosen idle strategy.
//! At the end it prints the stage's own histograms (`engine->mdfeed`,
//! `engine->datagram sent`), its counters, and the producer's lag.
//!
//! `--stage counter` runs the counting stand-in instead (the floor: a stage
//! that only pops the ring). `--subscribe` adds a thread that joins the
//! group and drains it, so every `send_to` also delivers to a socket.
//!
//! ```sh
//! cargo run --release -p rtes-benches --bin feed_latency -- \
//!     --rate 100000 --seconds 5 --idle busy-spin --pin-feed 1 --pin-producer 0
//! ```

use rtes_engine::{
    InstrumentId, MarketEvent, MarketEventKind, MatchNumber, OrderRef, Price, Qty, SequenceNumber,
    Side, TimestampNs,
};
use rtes_gateway::config::{self, Overrides, Settings};
use rtes_gateway::feed::ItchFeed;
use rtes_gateway::runtime::{
    ring, Agent, AgentRunner, BackoffParams, BoundPorts, Clock, FeedStage, IdleStrategy,
    MarketDataCounter, MarketRecord, MonotonicClock, RunnerConfig,
};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Market ring slots (the `rtes` default).
const RING_CAPACITY: usize = 65_536;
/// Live orders the generator keeps per instrument before it cancels.
const LIVE_ORDERS_TARGET: usize = 500;
/// Producer sleeps when the next event is further away than this.
const SLEEP_THRESHOLD: Duration = Duration::from_micros(60);

struct Arguments {
    rate: u64,
    seconds: u64,
    idle: IdleStrategy,
    pin_feed: Option<usize>,
    pin_producer: Option<usize>,
    counter: bool,
    subscribe: bool,
    history_bytes: Option<usize>,
}

fn arguments() -> Result<Arguments, String> {
    let mut parsed = Arguments {
        rate: 100_000,
        seconds: 5,
        idle: IdleStrategy::BusySpin,
        pin_feed: None,
        pin_producer: None,
        counter: false,
        subscribe: false,
        history_bytes: None,
    };
    let mut args = std::env::args().skip(1);
    let number = |value: Option<String>, name: &str| -> Result<u64, String> {
        value
            .ok_or(format!("{name} needs a value"))?
            .replace('_', "")
            .parse()
            .map_err(|error| format!("{name}: {error}"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rate" => parsed.rate = number(args.next(), "--rate")?,
            "--seconds" => parsed.seconds = number(args.next(), "--seconds")?,
            "--pin-feed" => parsed.pin_feed = Some(number(args.next(), "--pin-feed")? as usize),
            "--pin-producer" => {
                parsed.pin_producer = Some(number(args.next(), "--pin-producer")? as usize)
            }
            "--history-bytes" => {
                parsed.history_bytes = Some(number(args.next(), "--history-bytes")? as usize)
            }
            "--idle" => {
                let name = args.next().ok_or("--idle needs a strategy")?;
                parsed.idle = IdleStrategy::from_name(&name, BackoffParams::default())
                    .ok_or(format!("--idle {name}: one of {:?}", IdleStrategy::NAMES))?;
            }
            "--stage" => match args.next().as_deref() {
                Some("itch") => parsed.counter = false,
                Some("counter") => parsed.counter = true,
                other => return Err(format!("--stage {other:?}: itch or counter")),
            },
            "--subscribe" => parsed.subscribe = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if parsed.rate == 0 {
        return Err("--rate must be positive".into());
    }
    Ok(parsed)
}

/// The default configuration with every feed socket on an ephemeral port.
fn settings(history_bytes: Option<usize>) -> Result<Settings, String> {
    let overrides = Overrides {
        feed_enabled: Some(true),
        feed_port: Some(0),
        ouch_port: Some(0),
        ..Overrides::default()
    };
    let path = config::default_config_path();
    let mut settings = config::load(&path, &overrides).map_err(|error| error.to_string())?;
    if let Some(bytes) = history_bytes {
        settings.feed.history_bytes = bytes;
    }
    Ok(settings)
}

/// A seeded, engine-like stream: adds near the touch, then cancels,
/// replaces and executions of live orders.
struct EventStream {
    state: u64,
    next_ref: u64,
    live: Vec<(u64, Side, i64, u64)>,
    sequence: u64,
    instruments: u32,
}

impl EventStream {
    fn random(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    fn next(&mut self) -> MarketEvent {
        self.sequence += 1;
        let instrument = (self.sequence % u64::from(self.instruments)) as u32;
        let roll = self.random() % 100;
        let kind = if self.live.len() < LIVE_ORDERS_TARGET || roll < 45 {
            self.add()
        } else {
            let index = (self.random() % self.live.len() as u64) as usize;
            let (order_ref, side, price, qty) = self.live.swap_remove(index);
            match roll {
                45..=79 => MarketEventKind::Delete {
                    order_ref: OrderRef(order_ref),
                },
                80..=94 => {
                    self.next_ref += 1;
                    let price = price + 1;
                    self.live.push((self.next_ref, side, price, qty));
                    MarketEventKind::Replace {
                        old_order_ref: OrderRef(order_ref),
                        new_order_ref: OrderRef(self.next_ref),
                        price: Price(price),
                        qty: Qty(qty),
                    }
                }
                _ => MarketEventKind::Execute {
                    order_ref: OrderRef(order_ref),
                    qty: Qty(qty),
                    match_number: MatchNumber(self.sequence),
                },
            }
        };
        MarketEvent {
            seq: SequenceNumber(self.sequence),
            ts: TimestampNs(self.sequence * 1_000),
            instrument: InstrumentId(instrument),
            kind,
        }
    }

    fn add(&mut self) -> MarketEventKind {
        self.next_ref += 1;
        let side = if self.random().is_multiple_of(2) {
            Side::Buy
        } else {
            Side::Sell
        };
        let offset = (self.random() % 20) as i64;
        let price = match side {
            Side::Buy => 18_990 - offset,
            Side::Sell => 19_010 + offset,
        };
        let qty = 100 * (1 + self.random() % 10);
        self.live.push((self.next_ref, side, price, qty));
        MarketEventKind::Add {
            order_ref: OrderRef(self.next_ref),
            side,
            price: Price(price),
            qty: Qty(qty),
        }
    }
}

/// Pushes `rate` events/s for `seconds`; returns the worst push lag (ns
/// behind schedule) and the events pushed.
fn produce(
    mut producer: rtrb::Producer<MarketRecord>,
    rate: u64,
    seconds: u64,
    instruments: u32,
) -> (u64, u64) {
    let mut stream = EventStream {
        state: 0x2545_F491_4F6C_DD1D,
        next_ref: 0,
        live: Vec::with_capacity(4 * LIVE_ORDERS_TARGET),
        sequence: 0,
        instruments,
    };
    let total = rate * seconds;
    let interval_ns = 1_000_000_000 / rate;
    let start = Instant::now();
    let clock = MonotonicClock;
    let mut lag_max_ns = 0;
    let mut index = 0;
    while index < total {
        let due = Duration::from_nanos(index * interval_ns);
        let elapsed = start.elapsed();
        if elapsed < due {
            let wait = due - elapsed;
            if wait > SLEEP_THRESHOLD {
                std::thread::sleep(wait - SLEEP_THRESHOLD / 2);
            } else {
                std::hint::spin_loop();
            }
            continue;
        }
        lag_max_ns = lag_max_ns.max((elapsed - due).as_nanos() as u64);
        let mut record = MarketRecord {
            event: stream.next(),
            engine_ns: clock.now_ns(),
        };
        loop {
            match producer.push(record) {
                Ok(()) => break,
                Err(rtrb::PushError::Full(back)) => {
                    record = back;
                    std::thread::yield_now();
                }
            }
        }
        index += 1;
    }
    (lag_max_ns, index)
}

/// Joins the group and drains it until `stop`; returns datagrams received.
fn subscribe(group: SocketAddr, stop: Arc<AtomicBool>, received: Arc<AtomicU64>) {
    let SocketAddr::V4(group) = group else {
        return;
    };
    let socket = rtes_mdfeed::net::multicast_receiver(group, Ipv4Addr::LOCALHOST)
        .expect("join the feed group");
    let mut buffer = vec![0u8; 65_536];
    while !stop.load(Ordering::Acquire) {
        match socket.recv_from(&mut buffer) {
            Ok(_) => {
                received.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => std::thread::sleep(Duration::from_micros(50)),
        }
    }
}

fn run<A: Agent + Send + 'static>(
    agent: A,
    arguments: &Arguments,
    instruments: u32,
    producer: rtrb::Producer<MarketRecord>,
) -> Result<(), String> {
    let stop = Arc::new(AtomicBool::new(false));
    let runner = AgentRunner::start(
        RunnerConfig {
            name: "feed-under-test".to_string(),
            idle: arguments.idle,
            core: arguments.pin_feed,
        },
        agent,
        Arc::clone(&stop),
    )
    .map_err(|error| error.to_string())?;
    let pin_producer = arguments.pin_producer;
    let (rate, seconds) = (arguments.rate, arguments.seconds);
    let producer = std::thread::spawn(move || {
        if let Some(core) = pin_producer {
            let cores = core_affinity::get_core_ids().unwrap_or_default();
            if let Some(id) = cores.into_iter().find(|id| id.id == core) {
                core_affinity::set_for_current(id);
            }
        }
        produce(producer, rate, seconds, instruments)
    });
    let (lag_max_ns, pushed) = producer.join().map_err(|_| "producer panicked")?;
    // Let the last packet's flush timer fire before stopping.
    std::thread::sleep(Duration::from_millis(5));
    let mut agent = runner.stop_and_join().map_err(|error| error.to_string())?;
    println!(
        "producer pushed={pushed} rate={rate}/s lag_max={lag_max_ns}ns idle={}",
        arguments.idle.name()
    );
    for stats in agent.stats() {
        for latency in &stats.latencies {
            println!("latency {}", latency.summary());
        }
        for (name, value) in &stats.counters {
            println!("counter {}.{name} = {value}", stats.agent);
        }
    }
    Ok(())
}

fn main() -> Result<(), String> {
    let arguments = arguments()?;
    let settings = settings(arguments.history_bytes)?;
    let instruments = settings.engine.instruments.len() as u32;
    let (producer, consumer) = ring::<MarketRecord>(RING_CAPACITY);
    if arguments.counter {
        return run(
            MarketDataCounter::new(consumer),
            &arguments,
            instruments,
            producer,
        );
    }
    let mut feed = ItchFeed::default();
    let mut ports = BoundPorts::default();
    feed.bind(&settings, &mut ports)
        .map_err(|error| error.to_string())?;
    let agent = feed
        .feed_agent(consumer)
        .map_err(|error| error.to_string())?;
    let group = ports.get("feed_multicast").ok_or("no multicast address")?;
    let stop = Arc::new(AtomicBool::new(false));
    let received = Arc::new(AtomicU64::new(0));
    let subscriber = arguments.subscribe.then(|| {
        let (stop, received) = (Arc::clone(&stop), Arc::clone(&received));
        std::thread::spawn(move || subscribe(group, stop, received))
    });
    let result = run(agent, &arguments, instruments, producer);
    stop.store(true, Ordering::Release);
    if let Some(subscriber) = subscriber {
        let _ = subscriber.join();
        println!("subscriber datagrams={}", received.load(Ordering::Relaxed));
    }
    result
}
