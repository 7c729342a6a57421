//! Drives the real ITCH feed stage (`rtes_gateway::feed::ItchFeed`, the
//! agent the `rtes` binary runs) alone, without gateway or engine: a paced
//! producer thread pushes engine-like market events into the market ring at
//! a fixed rate, stamping each with the clock as the engine does, and the
//! feed agent runs on its own runner thread under the chosen idle strategy.
//! At the end it prints the stage's own histograms (`engine->mdfeed`,
//! `engine->datagram sent`), its counters, and the producer's lag.
//!
//! `--stage counter` runs the counting stand-in instead (the floor: a stage
//! that only pops the ring). `--subscribe` adds the real subscriber
//! (`rtes_mdfeed::subscriber::Subscriber`, re-request and snapshot recovery
//! on) on its own thread and reports the messages/s it delivered, gaps and
//! recoveries: every `send_to` then also delivers to its socket.
//!
//! `--drop-per-million N` has the feed drop that many multicast packets in
//! a million (its fault-injection knob), so the subscriber must recover
//! them by re-request; `--history-bytes` shrinks the history.
//!
//! ```sh
//! cargo run --release -p rtes-benches --bin feed_latency -- \
//!     --rate 100000 --seconds 5 --idle busy-spin --pin-feed 1 --pin-producer 0
//! cargo run --release -p rtes-benches --bin feed_latency -- \
//!     --rate 1500000 --seconds 3 --idle backoff --subscribe --drop-per-million 10000
//! ```

use rtes_benches::market::MarketFlow;
use rtes_gateway::config::{self, Overrides, Settings};
use rtes_gateway::feed::ItchFeed;
use rtes_gateway::runtime::{
    ring, Agent, AgentRunner, BackoffParams, BoundPorts, Clock, FeedStage, IdleStrategy,
    MarketDataCounter, MarketRecord, MonotonicClock, RunnerConfig,
};
use rtes_mdfeed::subscriber::{Subscriber, SubscriberConfig, SubscriberStats};
use std::net::SocketAddr;
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
    drop_per_million: u32,
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
        drop_per_million: 0,
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
            "--drop-per-million" => {
                parsed.drop_per_million = number(args.next(), "--drop-per-million")? as u32
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if parsed.rate == 0 {
        return Err("--rate must be positive".into());
    }
    Ok(parsed)
}

/// The default configuration with every feed socket on an ephemeral port.
fn settings(arguments: &Arguments) -> Result<Settings, String> {
    let overrides = Overrides {
        feed_enabled: Some(true),
        feed_port: Some(0),
        ouch_port: Some(0),
        ..Overrides::default()
    };
    let path = config::default_config_path();
    let mut settings = config::load(&path, &overrides).map_err(|error| error.to_string())?;
    if let Some(bytes) = arguments.history_bytes {
        settings.feed.history_bytes = bytes;
    }
    settings.feed.drop_per_million = arguments.drop_per_million;
    Ok(settings)
}

/// Pushes `rate` events/s for `seconds`; returns the worst push lag (ns
/// behind schedule) and the events pushed.
fn produce(
    mut producer: rtrb::Producer<MarketRecord>,
    rate: u64,
    seconds: u64,
    instruments: u32,
) -> (u64, u64) {
    let mut stream = MarketFlow::new(instruments, LIVE_ORDERS_TARGET, 1);
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
            event: stream.next_event(),
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

/// What the subscriber thread saw.
struct Received {
    delivered: u64,
    /// Seconds from its first delivered message to its last.
    span_s: f64,
    stats: SubscriberStats,
    unknown_orders: u64,
}

/// Runs the real subscriber (re-request and snapshot recovery on) until
/// the feed's End of Session with nothing missing, or `stop` plus 10 s.
fn subscribe(mut subscriber: Subscriber, stop: Arc<AtomicBool>, next: Arc<AtomicU64>) -> Received {
    let mut delivered = 0u64;
    let mut first: Option<Instant> = None;
    let mut last = Instant::now();
    let mut stopped_at: Option<Instant> = None;
    loop {
        let count = subscriber
            .poll(Duration::from_millis(20), |_, _| {})
            .expect("subscriber poll");
        if count > 0 {
            let now = Instant::now();
            first.get_or_insert(now);
            last = now;
            delivered += count;
        }
        next.store(subscriber.next_sequence(), Ordering::Release);
        let stats = subscriber.stats();
        if stats.tracker.end_of_session > 0 && !subscriber.in_gap() {
            break;
        }
        if stop.load(Ordering::Acquire) {
            let since = *stopped_at.get_or_insert_with(Instant::now);
            if since.elapsed() > Duration::from_secs(10) {
                break;
            }
        }
    }
    Received {
        delivered,
        span_s: first.map_or(0.0, |first| (last - first).as_secs_f64()),
        stats: subscriber.stats(),
        unknown_orders: subscriber.books().unknown_orders(),
    }
}

fn run<A: Agent + Send + 'static>(
    agent: A,
    arguments: &Arguments,
    instruments: u32,
    producer: rtrb::Producer<MarketRecord>,
    before_stop: impl FnOnce(u64),
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
    before_stop(pushed);
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
    let settings = settings(&arguments)?;
    let instruments = settings.engine.instruments.len() as u32;
    let (producer, consumer) = ring::<MarketRecord>(RING_CAPACITY);
    if arguments.counter {
        return run(
            MarketDataCounter::new(consumer),
            &arguments,
            instruments,
            producer,
            |_| {},
        );
    }
    let mut feed = ItchFeed::default();
    let mut ports = BoundPorts::default();
    feed.bind(&settings, &mut ports)
        .map_err(|error| error.to_string())?;
    let agent = feed
        .feed_agent(consumer)
        .map_err(|error| error.to_string())?;
    let subscriber = if arguments.subscribe {
        let Some(SocketAddr::V4(group)) = ports.get("feed_multicast") else {
            return Err("no multicast address".into());
        };
        let mut config = SubscriberConfig::new(group, ports.get("feed_rerequest"));
        config.replay = ports.get("feed_replay");
        Some(Subscriber::join(config).map_err(|error| error.to_string())?)
    } else {
        None
    };
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicU64::new(0));
    let subscribed = subscriber.is_some();
    let subscriber = subscriber.map(|subscriber| {
        let (stop, next) = (Arc::clone(&stop), Arc::clone(&next));
        std::thread::spawn(move || subscribe(subscriber, stop, next))
    });
    // The feed (and its re-request and snapshot service) stays up until
    // the subscriber has every message: start of day (3 System Events, a
    // directory and a trading action per instrument) plus one per event.
    let wait_for_subscriber = |pushed: u64| {
        let published = 3 + 2 * u64::from(instruments) + pushed;
        let deadline = Instant::now() + Duration::from_secs(30);
        while subscribed && next.load(Ordering::Acquire) <= published && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    let result = run(
        agent,
        &arguments,
        instruments,
        producer,
        wait_for_subscriber,
    );
    stop.store(true, Ordering::Release);
    if let Some(subscriber) = subscriber {
        let received = subscriber.join().map_err(|_| "subscriber panicked")?;
        let stats = received.stats;
        println!(
            "subscriber delivered={} in {:.3}s = {:.0} msgs/s; packets={} retransmission_packets={} \
             gaps_detected={} gaps_recovered={} requests={} duplicates={} pending_overflow={} \
             snapshots={} unknown_orders={} malformed={} end_of_session={}",
            received.delivered,
            received.span_s,
            received.delivered as f64 / received.span_s.max(1e-9),
            stats.packets,
            stats.retransmission_packets,
            stats.tracker.gaps_detected,
            stats.tracker.gaps_recovered,
            stats.tracker.requests,
            stats.tracker.duplicates,
            stats.tracker.pending_overflow,
            stats.snapshots,
            received.unknown_orders,
            stats.malformed,
            stats.tracker.end_of_session,
        );
    }
    result
}
