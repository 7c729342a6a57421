//! Quick engine throughput check on a seeded synthetic mixed flow:
//! ~5,000 resting orders over ~250 levels per side near the touch;
//! 82% replace (mostly moving near the touch), 9% new limit, 3% IOC
//! crossing a few levels, 6% cancel.
//!
//! The flow is generated once with feedback from a scratch engine (so every
//! replace and cancel names a live order), then replayed on fresh engines:
//! one untimed warm-up of the initial book, then the timed commands.
//!
//! ```sh
//! cargo run -p rtes-engine --release --example throughput -- [commands] [resting] [slab capacity] [keep-ids]
//! ```

use std::collections::HashMap;
use std::time::Instant;

use rtes_engine::*;

const REFERENCE: i64 = 100_000;
const LEVELS_PER_SIDE: u64 = 250;
const LOT: u64 = 100;
const OWNERS: u32 = 16;

fn config(max_resting_orders: u32) -> EngineConfig {
    EngineConfig {
        instruments: vec![InstrumentConfig {
            symbol: "BENCH".into(),
            tick_size: 1,
            lot_size: LOT,
            min_qty: Qty(LOT),
            max_qty: Qty(1_000_000),
            reference_price: Price(REFERENCE),
            band_low: Price(REFERENCE - 50_000),
            band_high: Price(REFERENCE + 50_000),
            initial_state: TradingState::Continuous,
        }],
        accounts: (0..OWNERS)
            .map(|i| AccountConfig {
                name: format!("ACCT{i}"),
                max_order_qty: Qty(1_000_000),
                max_notional: u128::MAX,
                price_collar_bps: 10_000,
                max_open_orders: 1_000_000,
                max_position: u64::MAX,
                self_trade_prevention: SelfTradePrevention::Off,
            })
            .collect(),
        max_resting_orders,
        max_owners: OWNERS,
    }
}

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// Collects the keys of orders that died, for the generator.
#[derive(Default)]
struct Feedback {
    dead: Vec<(u32, u64)>,
}

impl EventSink for Feedback {
    fn report(&mut self, report: &Report) {
        let dead = match report.kind {
            ReportKind::Executed { leaves, .. } | ReportKind::Canceled { leaves, .. } => {
                leaves.0 == 0
            }
            _ => false,
        };
        if dead {
            self.dead.push((report.owner.0, report.client_order_id.0));
        }
    }
    fn market(&mut self, _event: &MarketEvent) {}
}

/// Counts events; cheap enough not to dominate the measurement.
#[derive(Default)]
struct CountingSink {
    reports: u64,
    market: u64,
}

impl EventSink for CountingSink {
    #[inline]
    fn report(&mut self, report: &Report) {
        self.reports = self.reports.wrapping_add(1 + (report.seq.0 & 1));
    }
    #[inline]
    fn market(&mut self, event: &MarketEvent) {
        self.market = self.market.wrapping_add(1 + (event.seq.0 & 1));
    }
}

/// The generator's view of live orders.
struct Live {
    keys: Vec<(u32, u64, Side)>,
    position: HashMap<(u32, u64), usize>,
}

impl Live {
    fn insert(&mut self, owner: u32, coid: u64, side: Side) {
        self.position.insert((owner, coid), self.keys.len());
        self.keys.push((owner, coid, side));
    }
    fn remove(&mut self, key: (u32, u64)) -> bool {
        let Some(index) = self.position.remove(&key) else {
            return false;
        };
        self.keys.swap_remove(index);
        if index < self.keys.len() {
            let moved = self.keys[index];
            self.position.insert((moved.0, moved.1), index);
        }
        true
    }
}

struct Generator {
    rng: Rng,
    engine: Engine,
    live: Live,
    next_coid: u64,
    ts: u64,
    target_resting: usize,
    /// Replaces keep the client order id instead of taking a fresh one.
    keep_ids: bool,
}

impl Generator {
    /// Distance from the touch, skewed towards it, within the 250 levels.
    fn depth(&mut self) -> i64 {
        (self.rng.below(LEVELS_PER_SIDE) * self.rng.below(LEVELS_PER_SIDE) / LEVELS_PER_SIDE) as i64
    }

    /// A passive price on `side` near the touch (never crossing).
    fn passive_price(&mut self, side: Side) -> i64 {
        let (bid, ask) = self.engine.best_prices(InstrumentId(0));
        let (bid, ask) = (bid.map(|p| p.0), ask.map(|p| p.0));
        let depth = self.depth();
        match side {
            Side::Buy => {
                let touch = bid.or(ask.map(|a| a - 1)).unwrap_or(REFERENCE - 1);
                let limit = ask.map_or(i64::MAX, |a| a - 1);
                (touch + 1 - depth).min(limit)
            }
            Side::Sell => {
                let touch = ask.or(bid.map(|b| b + 1)).unwrap_or(REFERENCE + 1);
                let limit = bid.map_or(i64::MIN, |b| b + 1);
                (touch - 1 + depth).max(limit)
            }
        }
    }

    fn qty(&mut self) -> Qty {
        Qty(LOT * (1 + self.rng.below(10)))
    }

    fn side(&mut self) -> Side {
        if self.rng.below(2) == 0 {
            Side::Buy
        } else {
            Side::Sell
        }
    }

    fn new_limit(&mut self, side: Side, tif: TimeInForce, price: i64) -> (u32, CommandKind) {
        let owner = self.rng.below(u64::from(OWNERS)) as u32;
        self.next_coid += 1;
        let order = NewOrder {
            client_order_id: ClientOrderId(self.next_coid),
            account: AccountId(owner),
            instrument: InstrumentId(0),
            side,
            order_type: OrderType::Limit,
            price: Price(price),
            qty: self.qty(),
            time_in_force: tif,
            min_qty: Qty(0),
            post_only: false,
            hidden: false,
        };
        (owner, CommandKind::New(order))
    }

    fn next_command(&mut self, initial: bool) -> Command {
        let roll = if initial {
            850
        } else {
            self.rng.below(100) * 10
        };
        let (owner, kind) = if roll < 820 && !self.live.keys.is_empty() {
            let (owner, coid, side) =
                self.live.keys[self.rng.below(self.live.keys.len() as u64) as usize];
            let new_coid = if self.keep_ids {
                coid
            } else {
                self.next_coid += 1;
                self.next_coid
            };
            let price = self.passive_price(side);
            let replace = ReplaceOrder {
                client_order_id: ClientOrderId(coid),
                new_client_order_id: ClientOrderId(new_coid),
                price: Price(price),
                qty: self.qty(),
            };
            self.live.remove((owner, coid));
            self.live.insert(owner, new_coid, side);
            (owner, CommandKind::Replace(replace))
        } else if roll < 910
            || (roll >= 940 && self.live.keys.len() < self.target_resting)
            || initial
        {
            let side = self.side();
            let price = self.passive_price(side);
            self.new_limit(side, TimeInForce::Day, price)
        } else if roll < 940 {
            let side = self.side();
            let (bid, ask) = self.engine.best_prices(InstrumentId(0));
            let price = match side {
                Side::Buy => ask.map_or(REFERENCE, |a| a.0 + 3),
                Side::Sell => bid.map_or(REFERENCE, |b| b.0 - 3),
            };
            self.new_limit(side, TimeInForce::Ioc, price)
        } else {
            let (owner, coid, _) =
                self.live.keys[self.rng.below(self.live.keys.len() as u64) as usize];
            (
                owner,
                CommandKind::Cancel(CancelOrder {
                    client_order_id: ClientOrderId(coid),
                    leave_qty: Qty(0),
                }),
            )
        };
        self.ts += 1;
        let command = Command {
            owner: OwnerId(owner),
            ts: TimestampNs(self.ts),
            kind,
        };
        let mut feedback = Feedback::default();
        self.engine.apply(&command, &mut feedback);
        if let CommandKind::New(order) = kind {
            if order.time_in_force == TimeInForce::Day {
                self.live.insert(owner, order.client_order_id.0, order.side);
            }
        }
        for key in feedback.dead {
            self.live.remove(key);
        }
        command
    }
}

/// Nanoseconds this thread has spent on a CPU (Linux schedstat), so a busy
/// shared machine does not count other processes' time against the engine.
fn on_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn percentile(sorted: &[u32], fraction: f64) -> u32 {
    sorted[((sorted.len() as f64 * fraction) as usize).min(sorted.len() - 1)]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let commands: usize = args
        .next()
        .map_or(4_000_000, |a| a.parse().expect("commands"));
    let resting: usize = args.next().map_or(5_000, |a| a.parse().expect("resting"));
    let capacity: u32 = args
        .next()
        .map_or(1 << 16, |a| a.parse().expect("slab capacity"));
    let keep_ids = args.next().is_some_and(|a| a == "keep-ids");
    let mut generator = Generator {
        rng: Rng(0x0123_4567_89ab_cdef),
        engine: Engine::new(config(capacity)).expect("config"),
        live: Live {
            keys: Vec::new(),
            position: HashMap::new(),
        },
        next_coid: 0,
        ts: 0,
        target_resting: resting,
        keep_ids,
    };
    let warm_up: Vec<Command> = (0..resting).map(|_| generator.next_command(true)).collect();
    let flow: Vec<Command> = (0..commands)
        .map(|_| generator.next_command(false))
        .collect();
    let mut kinds = [0usize; 4];
    for command in &flow {
        match command.kind {
            CommandKind::Replace(_) => kinds[0] += 1,
            CommandKind::New(order) if order.time_in_force == TimeInForce::Day => kinds[1] += 1,
            CommandKind::New(_) => kinds[2] += 1,
            _ => kinds[3] += 1,
        }
    }
    let percent = |n: usize| 100.0 * n as f64 / flow.len() as f64;
    println!(
        "flow: {} commands (slab capacity {capacity}, replaces keep ids: {keep_ids}): replace {:.1}%, new {:.1}%, ioc {:.1}%, cancel {:.1}%; resting at end {}",
        flow.len(),
        percent(kinds[0]),
        percent(kinds[1]),
        percent(kinds[2]),
        percent(kinds[3]),
        generator.engine.resting_order_count()
    );

    let fresh = |sink: &mut CountingSink| {
        let mut engine = Engine::new(config(capacity)).expect("config");
        for command in &warm_up {
            engine.apply(command, sink);
        }
        engine
    };
    let mut rates = Vec::new();
    let mut cpu_rates = Vec::new();
    for _ in 0..5 {
        let mut sink = CountingSink::default();
        let mut engine = fresh(&mut sink);
        let cpu_start = on_cpu_ns();
        let start = Instant::now();
        for command in &flow {
            engine.apply(command, &mut sink);
        }
        let elapsed = start.elapsed();
        if let (Some(before), Some(after)) = (cpu_start, on_cpu_ns()) {
            cpu_rates.push(flow.len() as f64 / ((after - before) as f64 / 1e9));
        }
        assert_eq!(
            engine.state_hash(),
            generator.engine.state_hash(),
            "replay diverged from generation"
        );
        std::hint::black_box((sink.reports, sink.market));
        rates.push(flow.len() as f64 / elapsed.as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    cpu_rates.sort_by(f64::total_cmp);
    println!(
        "throughput: best {:.2} M commands/s, median {:.2} M commands/s ({} runs, wall clock)",
        rates[rates.len() - 1] / 1e6,
        rates[rates.len() / 2] / 1e6,
        rates.len()
    );
    if !cpu_rates.is_empty() {
        println!(
            "throughput on CPU: best {:.2} M commands/s, median {:.2} M commands/s (thread CPU time)",
            cpu_rates[cpu_rates.len() - 1] / 1e6,
            cpu_rates[cpu_rates.len() / 2] / 1e6,
        );
    }

    // Per-command latency, Instant around each apply (includes ~Instant overhead).
    let mut sink = CountingSink::default();
    let mut engine = fresh(&mut sink);
    let mut samples: Vec<u32> = Vec::with_capacity(flow.len());
    let mut overhead: Vec<u32> = Vec::with_capacity(100_000);
    for _ in 0..100_000 {
        let start = Instant::now();
        overhead.push(start.elapsed().as_nanos() as u32);
    }
    let mut by_kind: [Vec<u32>; 4] = Default::default();
    for command in &flow {
        let start = Instant::now();
        engine.apply(command, &mut sink);
        let nanos = start.elapsed().as_nanos() as u32;
        samples.push(nanos);
        let kind = match command.kind {
            CommandKind::Replace(_) => 0,
            CommandKind::New(order) if order.time_in_force == TimeInForce::Day => 1,
            CommandKind::New(_) => 2,
            _ => 3,
        };
        by_kind[kind].push(nanos);
    }
    for (name, kind_samples) in ["replace", "new", "ioc", "cancel"]
        .iter()
        .zip(by_kind.iter_mut())
    {
        kind_samples.sort_unstable();
        println!(
            "  {name:>7}: p50 {} p99 {} ns (timer included)",
            percentile(kind_samples, 0.5),
            percentile(kind_samples, 0.99)
        );
    }
    samples.sort_unstable();
    overhead.sort_unstable();
    println!(
        "latency per command (ns, timer included): p50 {} p90 {} p99 {} p99.9 {} max {}; timer alone p50 {}",
        percentile(&samples, 0.50),
        percentile(&samples, 0.90),
        percentile(&samples, 0.99),
        percentile(&samples, 0.999),
        samples[samples.len() - 1],
        percentile(&overhead, 0.50),
    );
}
