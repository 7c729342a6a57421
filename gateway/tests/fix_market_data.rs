//! FIX market data without sockets: the real engine runs random command
//! streams, its market events feed the hub, and reference clients written
//! here from the FIX 4.4 market-data rules (deliberately independent of the
//! hub's code) rebuild each subscription's book from W and X. After every
//! batch each in-sync client's book must equal the engine's displayed book
//! (aggregated per price level, limited to the subscribed depth), and each
//! client must have seen every trade since its last snapshot. Then targeted
//! tests: every reject reason, slow subscribers, security list, trading
//! status, quotes, and a counting allocator proving the per-event path and
//! the end of batch do not allocate.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use rtes_engine::*;
use rtes_gateway::fix::codec::{Decoder, Encoder};
use rtes_gateway::fix::market_data::*;

#[path = "../../engine/tests/random/mod.rs"]
mod random;
use random::{config_with, random_command, Rng};

// ---------------------------------------------------------------------------
// Counting allocator (only the watching thread counts).

struct CountingAllocator;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static WATCHING: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: forwards every call unchanged to the system allocator; counting
// has no effect on the memory handed out.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if WATCHING.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if WATCHING.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

// ---------------------------------------------------------------------------
// Wire helpers written from the spec.

const SYMBOLS: [&str; 2] = ["AAA", "BBB"];
const TICK: i64 = 100;
const NOW_NS: u64 = 1_795_425_600_000_000_000;

/// Splits `tag=value<SOH>...` into pairs.
fn fields(body: &[u8]) -> Vec<(u32, String)> {
    assert_eq!(body.last(), Some(&1), "body ends with SOH");
    body[..body.len() - 1]
        .split(|byte| *byte == 1)
        .map(|field| {
            let text = std::str::from_utf8(field).expect("ASCII");
            let (tag, value) = text.split_once('=').expect("tag=value");
            assert!(!value.is_empty(), "tag {tag} has an empty value");
            (tag.parse().expect("numeric tag"), value.to_string())
        })
        .collect()
}

fn get(pairs: &[(u32, String)], tag: u32) -> Option<&str> {
    pairs
        .iter()
        .find(|(t, _)| *t == tag)
        .map(|(_, v)| v.as_str())
}

/// A decimal price to 1/10,000 units (exact; panics on more precision).
fn units(text: &str) -> i64 {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    assert!(fraction.len() <= 4, "price {text} has more than 4 decimals");
    let padded = format!("{fraction:0<4}");
    whole.parse::<i64>().unwrap() * 10_000 + padded.parse::<i64>().unwrap()
}

/// Builds and decodes an inbound message, then hands it to `handle`.
fn with_message<R>(
    msg_type: &str,
    body: &[(u32, &str)],
    handle: impl FnOnce(&rtes_gateway::fix::codec::Message<'_>) -> R,
) -> R {
    let mut encoder = Encoder::with_capacity(1024);
    encoder.begin(msg_type.as_bytes());
    encoder.field_u64(34, 2);
    encoder.field_bytes(49, b"CLIENT");
    encoder.field_bytes(56, b"RTES");
    for (tag, value) in body {
        encoder.field_bytes(*tag, value.as_bytes());
    }
    let bytes = encoder.finish().to_vec();
    let mut decoder = Decoder::new(256);
    let message = decoder.decode(&bytes).expect("well-formed");
    handle(&message)
}

type Sent = Vec<(usize, String, Vec<(u32, String)>)>;

/// Sends one request to the hub; returns what it emitted.
fn request(hub: &mut MarketDataHub, session: usize, msg_type: &str, body: &[(u32, &str)]) -> Sent {
    let mut sent = Vec::new();
    with_message(msg_type, body, |message| {
        hub.on_request(session, message, NOW_NS, &mut |s, t, b: &[u8]| {
            sent.push((s, String::from_utf8(t.to_vec()).unwrap(), fields(b)));
            EmitResult::Sent
        })
        .expect("handled");
    });
    sent
}

fn end_batch(hub: &mut MarketDataHub) -> Sent {
    let mut sent = Vec::new();
    hub.end_of_batch(&mut |s, t, b: &[u8]| {
        sent.push((s, String::from_utf8(t.to_vec()).unwrap(), fields(b)));
        EmitResult::Sent
    });
    sent
}

/// A MarketDataRequest body.
struct Subscription {
    id: String,
    kind: char,
    depth: usize,
    full_refresh: bool,
    types: Vec<char>,
    symbols: Vec<&'static str>,
}

impl Subscription {
    fn body(&self) -> Vec<(u32, String)> {
        let mut body = vec![
            (262, self.id.clone()),
            (263, self.kind.to_string()),
            (264, self.depth.to_string()),
            (265, if self.full_refresh { "0" } else { "1" }.to_string()),
            (267, self.types.len().to_string()),
        ];
        body.extend(self.types.iter().map(|t| (269, t.to_string())));
        body.push((146, self.symbols.len().to_string()));
        body.extend(self.symbols.iter().map(|s| (55, s.to_string())));
        body
    }
}

fn as_refs(body: &[(u32, String)]) -> Vec<(u32, &str)> {
    body.iter().map(|(t, v)| (*t, v.as_str())).collect()
}

// ---------------------------------------------------------------------------
// The reference client.

#[derive(Debug, Clone, PartialEq, Eq)]
struct Level {
    price: i64,
    size: u64,
    orders: u64,
}

#[derive(Debug, Clone)]
struct Params {
    depth: usize,
    full_refresh: bool,
    bids: bool,
    offers: bool,
    trades: bool,
}

#[derive(Debug, Clone)]
struct ClientStream {
    params: Params,
    /// Best first.
    sides: [Vec<Level>; 2],
    /// Trades from X since the last W.
    trades: Vec<(i64, u64)>,
    /// Last trade of the latest W.
    snapshot_trade: Option<(i64, u64)>,
    /// Index of the first engine batch whose trades the X must carry.
    trades_from_batch: usize,
    level_rpt_seq: u64,
    trade_rpt_seq: u64,
}

/// One session's view, rebuilt from what the hub sent it.
#[derive(Debug, Default)]
struct Client {
    /// MDReqID → what was asked.
    requests: HashMap<String, Params>,
    /// (MDReqID, symbol) → book.
    streams: BTreeMap<(String, String), ClientStream>,
    /// Symbol → TradSesStatus.
    states: HashMap<String, u64>,
    /// Rejects received: (MDReqID, MDReqRejReason).
    rejects: Vec<(String, Option<String>)>,
    /// Snapshot-only answers (MDReqID, symbol, sides, trade).
    one_off: Vec<(String, String, [Vec<Level>; 2])>,
}

fn side_of(entry_type: &str) -> usize {
    match entry_type {
        "0" => 0,
        "1" => 1,
        other => panic!("not a book side: {other}"),
    }
}

fn better(side: usize, a: i64, b: i64) -> bool {
    if side == 0 {
        a > b
    } else {
        a < b
    }
}

impl Client {
    /// `batch`: index of the first batch a W received now does not reflect.
    fn receive(&mut self, msg_type: &str, pairs: &[(u32, String)], batch: usize) {
        match msg_type {
            "W" => self.snapshot(pairs, batch),
            "X" => self.incremental(pairs),
            "Y" => {
                let id = get(pairs, 262).unwrap().to_string();
                self.requests.remove(&id);
                self.rejects.push((id, get(pairs, 281).map(str::to_string)));
            }
            "h" => {
                let symbol = get(pairs, 336).unwrap().to_string();
                let status = get(pairs, 340).unwrap().parse().unwrap();
                self.states.insert(symbol, status);
            }
            other => panic!("unexpected MsgType {other}"),
        }
    }

    fn snapshot(&mut self, pairs: &[(u32, String)], batch: usize) {
        let id = get(pairs, 262).unwrap().to_string();
        let symbol = get(pairs, 55).unwrap().to_string();
        let count: usize = get(pairs, 268).unwrap().parse().unwrap();
        let mut sides: [Vec<Level>; 2] = [Vec::new(), Vec::new()];
        let mut trade = None;
        let start = pairs.iter().position(|(t, _)| *t == 268).unwrap() + 1;
        let entries = split_entries(&pairs[start..], 269);
        assert_eq!(entries.len(), count, "NoMDEntries counts the entries");
        let mut rpt_seq = 0;
        let mut trade_seq = 0;
        for entry in &entries {
            let entry_type = get(entry, 269).unwrap();
            let price = units(get(entry, 270).unwrap());
            let size: u64 = get(entry, 271).unwrap().parse().unwrap();
            if entry_type == "2" {
                trade = Some((price, size));
                trade_seq = get(entry, 83).map_or(0, |s| s.parse().unwrap());
                continue;
            }
            let side = side_of(entry_type);
            let position: usize = get(entry, 290).unwrap().parse().unwrap();
            assert_eq!(position, sides[side].len() + 1, "positions count from 1");
            if let Some(last) = sides[side].last() {
                assert!(better(side, last.price, price), "W levels best first");
            }
            if let Some(seq) = get(entry, 83) {
                rpt_seq = seq.parse().unwrap();
            }
            sides[side].push(Level {
                price,
                size,
                orders: get(entry, 346).unwrap().parse().unwrap(),
            });
        }
        let Some(params) = self.requests.get(&id).cloned() else {
            self.one_off.push((id, symbol, sides));
            return;
        };
        if params.depth > 0 {
            assert!(sides.iter().all(|side| side.len() <= params.depth));
        }
        assert!(params.bids || sides[0].is_empty());
        assert!(params.offers || sides[1].is_empty());
        let key = (id, symbol);
        let previous_seq = self.streams.get(&key).map_or(0, |s| s.level_rpt_seq);
        let has_levels = !sides[0].is_empty() || !sides[1].is_empty();
        assert!(
            !has_levels || rpt_seq >= previous_seq,
            "RptSeq never goes back"
        );
        let rpt_seq = rpt_seq.max(previous_seq);
        self.streams.insert(
            key,
            ClientStream {
                params,
                sides,
                trades: Vec::new(),
                snapshot_trade: trade,
                trades_from_batch: batch,
                level_rpt_seq: rpt_seq,
                trade_rpt_seq: trade_seq,
            },
        );
    }

    fn incremental(&mut self, pairs: &[(u32, String)]) {
        let id = get(pairs, 262).unwrap().to_string();
        let count: usize = get(pairs, 268).unwrap().parse().unwrap();
        let start = pairs.iter().position(|(t, _)| *t == 268).unwrap() + 1;
        let entries = split_entries(&pairs[start..], 279);
        assert_eq!(entries.len(), count, "NoMDEntries counts the entries");
        assert!(count > 0, "no empty X");
        for entry in &entries {
            let symbol = get(entry, 55).expect("every X entry names its symbol");
            let key = (id.clone(), symbol.to_string());
            let stream = self
                .streams
                .get_mut(&key)
                .unwrap_or_else(|| panic!("X for {key:?}, which has no snapshot"));
            stream.apply(entry);
        }
        for ((stream_id, _), stream) in &self.streams {
            if *stream_id == id && stream.params.depth > 0 {
                for side in &stream.sides {
                    assert!(side.len() <= stream.params.depth, "depth-N view holds N");
                }
            }
        }
    }
}

/// Group instances: each starts at `delimiter`.
fn split_entries(pairs: &[(u32, String)], delimiter: u32) -> Vec<Vec<(u32, String)>> {
    let mut entries: Vec<Vec<(u32, String)>> = Vec::new();
    for pair in pairs {
        if pair.0 == delimiter {
            entries.push(Vec::new());
        }
        entries
            .last_mut()
            .expect("group starts with its delimiter")
            .push(pair.clone());
    }
    entries
}

impl ClientStream {
    fn apply(&mut self, entry: &[(u32, String)]) {
        let action = get(entry, 279).unwrap();
        let entry_type = get(entry, 269).unwrap();
        let price = units(get(entry, 270).unwrap());
        let seq: u64 = get(entry, 83).map_or(0, |s| s.parse().unwrap());
        if entry_type == "2" {
            assert_eq!(action, "0", "trades are new entries");
            assert!(self.params.trades, "trade sent to a stream without trades");
            assert!(seq >= self.trade_rpt_seq, "trade RptSeq never goes back");
            self.trade_rpt_seq = seq;
            self.trades
                .push((price, get(entry, 271).unwrap().parse().unwrap()));
            return;
        }
        assert!(seq >= self.level_rpt_seq, "level RptSeq never goes back");
        self.level_rpt_seq = seq;
        let side = side_of(entry_type);
        assert!(
            [self.params.bids, self.params.offers][side],
            "side not subscribed"
        );
        let level = || Level {
            price,
            size: get(entry, 271).unwrap().parse().unwrap(),
            orders: get(entry, 346).unwrap().parse().unwrap(),
        };
        let levels = &mut self.sides[side];
        if self.params.depth > 0 {
            // Positional book: MDEntryPositionNo shifts levels.
            let position: usize = get(entry, 290)
                .expect("290 at limited depth")
                .parse()
                .unwrap();
            assert!(position >= 1 && position <= self.params.depth);
            match action {
                "0" => {
                    assert!(
                        position <= levels.len() + 1,
                        "new at {position} of {}",
                        levels.len()
                    );
                    levels.insert(position - 1, level());
                }
                "1" => {
                    assert_eq!(levels[position - 1].price, price, "change names the level");
                    levels[position - 1] = level();
                }
                "2" => {
                    assert_eq!(levels[position - 1].price, price, "delete names the level");
                    levels.remove(position - 1);
                }
                other => panic!("MDUpdateAction {other}"),
            }
        } else {
            assert!(get(entry, 290).is_none(), "no positions at full depth");
            let at = levels.iter().position(|l| l.price == price);
            match (action, at) {
                ("0", None) => {
                    let index = levels
                        .iter()
                        .position(|l| better(side, price, l.price))
                        .unwrap_or(levels.len());
                    levels.insert(index, level());
                }
                ("1", Some(index)) => levels[index] = level(),
                ("2", Some(index)) => {
                    levels.remove(index);
                }
                (action, at) => panic!("action {action} on level {price} found at {at:?}"),
            }
        }
        for pair in levels.windows(2) {
            assert!(
                better(side, pair[0].price, pair[1].price),
                "levels stay sorted"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Truth from the engine.

fn truth(engine: &Engine, instrument: u32, side: Side) -> Vec<Level> {
    let mut levels: Vec<Level> = Vec::new();
    for order in engine.resting_orders(InstrumentId(instrument), side) {
        if order.hidden {
            continue;
        }
        let price = order.price.0 * TICK;
        match levels.last_mut() {
            Some(level) if level.price == price => {
                level.size += order.leaves.0;
                level.orders += 1;
            }
            _ => levels.push(Level {
                price,
                size: order.leaves.0,
                orders: 1,
            }),
        }
    }
    levels
}

fn hub_levels(hub: &MarketDataHub, instrument: u32, side: Side) -> Vec<Level> {
    hub.levels(InstrumentId(instrument), side)
        .iter()
        .map(|level| Level {
            price: level.price.0 * TICK,
            size: level.qty.0,
            orders: u64::from(level.orders),
        })
        .collect()
}

fn status_of(state: TradingState) -> u64 {
    match state {
        TradingState::Halted => 1,
        TradingState::Continuous => 2,
        TradingState::Closed => 3,
        TradingState::PreOpen => 4,
    }
}

#[derive(Default)]
struct Collect(Vec<MarketEvent>);

impl EventSink for Collect {
    fn report(&mut self, _report: &Report) {}
    fn market(&mut self, event: &MarketEvent) {
        self.0.push(*event);
    }
}

fn limits(sessions: usize) -> MarketDataLimits {
    let mut limits =
        MarketDataLimits::for_instruments(&config_with(4_000).instruments, sessions, 4_000);
    limits.max_subscriptions_per_session = 5;
    limits.max_pending_updates_per_session = 40;
    limits.max_depth = 5;
    limits.max_entries_per_message = 5;
    limits
}

// ---------------------------------------------------------------------------
// Random streams against reference clients.

const SESSIONS: usize = 6;

struct Harness {
    engine: Engine,
    hub: MarketDataHub,
    rng: Rng,
    clients: Vec<Client>,
    /// Whether the hub holds the session backlogged.
    backlogged: Vec<bool>,
    /// Sessions whose emit sometimes answers Backlogged.
    flaky: Vec<bool>,
    order_prices: HashMap<u64, i64>,
    /// Trades per engine batch: (instrument, price units, qty).
    batch_trades: Vec<Vec<(u32, i64, u64)>>,
    last_trade: [Option<(i64, u64)>; 2],
    /// Completed batches.
    batches: usize,
    next_id: u64,
    ts: u64,
}

impl Harness {
    fn new(seed: u64) -> Harness {
        let config = config_with(4_000);
        let hub = MarketDataHub::new(
            &config.instruments,
            limits(SESSIONS),
            MarketDataOptions {
                status_on_logon: true,
                ..MarketDataOptions::default()
            },
        )
        .unwrap();
        let mut harness = Harness {
            engine: Engine::new(config).unwrap(),
            hub,
            rng: Rng(seed | 1),
            clients: (0..SESSIONS).map(|_| Client::default()).collect(),
            backlogged: vec![false; SESSIONS],
            flaky: (0..SESSIONS).map(|s| s >= 4).collect(),
            order_prices: HashMap::new(),
            batch_trades: Vec::new(),
            last_trade: [None, None],
            batches: 0,
            next_id: 1,
            ts: 1,
        };
        for session in 0..SESSIONS {
            let mut sent = Vec::new();
            harness
                .hub
                .on_logged_on(session, &mut |s, t, b: &[u8]| {
                    sent.push((s, String::from_utf8(t.to_vec()).unwrap(), fields(b)));
                    EmitResult::Sent
                })
                .unwrap();
            harness.dispatch(sent, 0);
            harness.subscribe(session);
        }
        harness
    }

    fn dispatch(&mut self, sent: Sent, snapshot_batch: usize) {
        for (session, msg_type, pairs) in sent {
            self.clients[session].receive(&msg_type, &pairs, snapshot_batch);
        }
        for client in &mut self.clients {
            for (id, symbol, sides) in client.one_off.drain(..) {
                let instrument = SYMBOLS.iter().position(|s| *s == symbol).unwrap() as u32;
                for (index, side) in [Side::Buy, Side::Sell].into_iter().enumerate() {
                    let expected = truth(&self.engine, instrument, side);
                    let shown = &expected[..expected.len().min(if id.ends_with("d1") {
                        1
                    } else {
                        expected.len()
                    })];
                    assert_eq!(sides[index], shown, "one-off snapshot {id} {symbol}");
                }
            }
            for (id, reason) in client.rejects.drain(..) {
                assert_eq!(reason.as_deref(), Some("2"), "only capacity rejects: {id}");
            }
        }
    }

    fn random_params(&mut self) -> Subscription {
        let depth = [0, 0, 1, 2, 3, 5][self.rng.below(6) as usize];
        let full_refresh = self.rng.below(4) == 0;
        let mut types: Vec<char> = ['0', '1', '2']
            .into_iter()
            .filter(|_| self.rng.below(3) != 0)
            .collect();
        if types.is_empty() {
            types.push(['0', '1', '2'][self.rng.below(3) as usize]);
        }
        let symbols = match self.rng.below(3) {
            0 => vec!["AAA"],
            1 => vec!["BBB"],
            _ => vec!["BBB", "AAA"],
        };
        let id = format!("r{}", self.next_id);
        self.next_id += 1;
        Subscription {
            id,
            kind: '1',
            depth,
            full_refresh,
            types,
            symbols,
        }
    }

    fn subscribe(&mut self, session: usize) {
        let subscription = self.random_params();
        let types = &subscription.types;
        self.clients[session].requests.insert(
            subscription.id.clone(),
            Params {
                depth: subscription.depth,
                full_refresh: subscription.full_refresh,
                bids: types.contains(&'0'),
                offers: types.contains(&'1'),
                trades: types.contains(&'2'),
            },
        );
        let sent = request(&mut self.hub, session, "V", &as_refs(&subscription.body()));
        self.dispatch(sent, self.batches);
    }

    /// A subscription between two events of a batch: once the hub has seen
    /// an event of the batch, the W waits for the batch end.
    fn subscribe_mid_batch(&mut self, session: usize, batch_open: bool) {
        let subscription = self.random_params();
        let types = &subscription.types;
        self.clients[session].requests.insert(
            subscription.id.clone(),
            Params {
                depth: subscription.depth,
                full_refresh: subscription.full_refresh,
                bids: types.contains(&'0'),
                offers: types.contains(&'1'),
                trades: types.contains(&'2'),
            },
        );
        let sent = request(&mut self.hub, session, "V", &as_refs(&subscription.body()));
        assert!(
            !batch_open || sent.iter().all(|(_, t, _)| t == "Y"),
            "a subscription in an open batch is answered at its end"
        );
        self.dispatch(sent, self.batches);
    }

    fn snapshot_only(&mut self, session: usize) {
        let full = self.rng.below(2) == 0;
        let id = format!("s{}{}", self.next_id, if full { "d0" } else { "d1" });
        self.next_id += 1;
        let body = Subscription {
            id,
            kind: '0',
            depth: usize::from(!full),
            full_refresh: false,
            types: vec!['0', '1'],
            symbols: vec!["AAA", "BBB"],
        }
        .body();
        let sent = request(&mut self.hub, session, "V", &as_refs(&body));
        assert_eq!(sent.len(), 2, "one W per symbol");
        self.dispatch(sent, self.batches);
    }

    fn unsubscribe(&mut self, session: usize) {
        let Some(id) = self.clients[session].requests.keys().min().cloned() else {
            return;
        };
        let body = [(262, id.as_str()), (263, "2"), (264, "0")];
        let sent = request(&mut self.hub, session, "V", &body);
        assert!(sent.is_empty(), "unsubscribing is silent");
        let client = &mut self.clients[session];
        client.requests.remove(&id);
        client.streams.retain(|(stream_id, _), _| *stream_id != id);
    }

    fn between_batches(&mut self) {
        let session = self.rng.below(SESSIONS as u64) as usize;
        match self.rng.below(40) {
            0..=3 => self.subscribe(session),
            4..=6 => self.unsubscribe(session),
            7 => self.snapshot_only(session),
            8..=10 => {
                self.hub.set_backlogged(session, true);
                self.backlogged[session] = true;
            }
            _ => {}
        }
        for session in 0..SESSIONS {
            if self.backlogged[session] && self.rng.below(4) == 0 {
                self.hub.set_backlogged(session, false);
                self.backlogged[session] = false;
            }
        }
    }

    fn record(&mut self, event: &MarketEvent, trades: &mut Vec<(u32, i64, u64)>) {
        let instrument = event.instrument.0;
        let mut trade = |price: i64, qty: Qty| {
            trades.push((instrument, price * TICK, qty.0));
            self.last_trade[instrument as usize] = Some((price * TICK, qty.0));
        };
        match event.kind {
            MarketEventKind::Add {
                order_ref, price, ..
            } => {
                self.order_prices.insert(order_ref.0, price.0);
            }
            MarketEventKind::Replace {
                new_order_ref,
                price,
                ..
            } => {
                self.order_prices.insert(new_order_ref.0, price.0);
            }
            MarketEventKind::Execute { order_ref, qty, .. } => {
                trade(self.order_prices[&order_ref.0], qty)
            }
            MarketEventKind::HiddenTrade { price, qty, .. }
            | MarketEventKind::CrossTrade { price, qty, .. } => trade(price.0, qty),
            _ => {}
        }
    }

    fn step(&mut self) {
        self.between_batches();
        let mut trades = Vec::new();
        let commands = 1 + self.rng.below(25);
        let mut batch_open = false;
        for _ in 0..commands {
            let command = random_command(&mut self.rng, self.ts);
            self.ts += 1;
            let mut sink = Collect::default();
            self.engine.apply(&command, &mut sink);
            for event in &sink.0 {
                self.record(event, &mut trades);
                assert_eq!(self.hub.on_event(event), BatchStatus::Open);
                batch_open = true;
            }
            let session = self.rng.below(SESSIONS as u64) as usize;
            match self.rng.below(60) {
                0 => self.subscribe_mid_batch(session, batch_open),
                1 => self.snapshot_only(session),
                _ => {}
            }
        }
        self.batch_trades.push(trades);
        self.end_batch();
        self.check();
    }

    fn end_batch(&mut self) {
        let mut sent = Vec::new();
        let (flaky, backlogged, rng) = (&self.flaky, &mut self.backlogged, &mut self.rng);
        self.hub.end_of_batch(&mut |s, t, b: &[u8]| {
            sent.push((s, String::from_utf8(t.to_vec()).unwrap(), fields(b)));
            if flaky[s] && !backlogged[s] && rng.below(8) == 0 {
                backlogged[s] = true;
                EmitResult::Backlogged
            } else {
                EmitResult::Sent
            }
        });
        self.dispatch(sent, self.batches + 1);
        self.batches += 1;
    }

    fn check(&self) {
        let metrics = self.hub.metrics();
        assert_eq!(metrics.inconsistent_events, 0);
        assert_eq!(metrics.order_table_full, 0);
        assert_eq!(metrics.trades_dropped, 0);
        for instrument in 0..2 {
            for side in [Side::Buy, Side::Sell] {
                assert_eq!(
                    hub_levels(&self.hub, instrument, side),
                    truth(&self.engine, instrument, side),
                    "hub book {instrument} {side:?}"
                );
            }
        }
        for (session, client) in self.clients.iter().enumerate() {
            if !self.backlogged[session] {
                self.check_client(session, client);
            }
        }
    }

    fn check_client(&self, session: usize, client: &Client) {
        for ((id, symbol), stream) in &client.streams {
            let instrument = SYMBOLS.iter().position(|s| s == symbol).unwrap() as u32;
            let params = &stream.params;
            for (index, side) in [Side::Buy, Side::Sell].into_iter().enumerate() {
                let wanted = [params.bids, params.offers][index];
                let all = truth(&self.engine, instrument, side);
                let shown = if !wanted {
                    &all[..0]
                } else if params.depth == 0 {
                    &all[..]
                } else {
                    &all[..all.len().min(params.depth)]
                };
                assert_eq!(
                    stream.sides[index], shown,
                    "session {session} {id} {symbol} {side:?} after batch {}",
                    self.batches
                );
            }
            if !params.trades {
                continue;
            }
            if params.full_refresh {
                assert_eq!(stream.snapshot_trade, self.last_trade[instrument as usize]);
            } else {
                let expected: Vec<(i64, u64)> = self.batch_trades
                    [stream.trades_from_batch.min(self.batch_trades.len())..]
                    .iter()
                    .flatten()
                    .filter(|trade| trade.0 == instrument)
                    .map(|trade| (trade.1, trade.2))
                    .collect();
                assert_eq!(
                    stream.trades, expected,
                    "session {session} {id} {symbol} trades"
                );
            }
        }
        for (instrument, symbol) in SYMBOLS.iter().enumerate() {
            let state = self.engine.trading_state(InstrumentId(instrument as u32));
            assert_eq!(
                client.states.get(*symbol),
                Some(&status_of(state)),
                "h for {symbol}"
            );
        }
    }

    /// Every session recovers; a batch without events catches them up.
    fn finish(&mut self) {
        for session in 0..SESSIONS {
            if self.backlogged[session] {
                self.hub.set_backlogged(session, false);
                self.backlogged[session] = false;
            }
        }
        self.flaky.fill(false);
        self.batch_trades.push(Vec::new());
        self.end_batch();
        self.check();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn clients_rebuild_the_engine_book_from_w_and_x(seed in any::<u64>(), batches in 20usize..200) {
        let mut harness = Harness::new(seed);
        for _ in 0..batches {
            harness.step();
        }
        harness.finish();
    }
}

#[test]
fn a_long_run_takes_every_path() {
    let mut harness = Harness::new(0x5eed_0ff1_c500);
    for _ in 0..3_000 {
        harness.step();
    }
    harness.finish();
    let metrics = harness.hub.metrics().clone();
    assert!(metrics.conflated_recoveries > 0, "{metrics:?}");
    assert!(metrics.snapshot_recoveries > 0, "{metrics:?}");
    assert!(metrics.pending_overflows > 0, "{metrics:?}");
    assert!(metrics.request_rejects > 0, "capacity rejects: {metrics:?}");
    assert!(metrics.incrementals_sent > 1_000, "{metrics:?}");
    assert!(
        metrics.status_messages_sent > SESSIONS as u64 * 2,
        "{metrics:?}"
    );
    assert!(harness.batch_trades.iter().flatten().count() > 100);
}

// ---------------------------------------------------------------------------
// Targeted scenarios with hand-made events.

struct Feed {
    hub: MarketDataHub,
    seq: u64,
}

fn feed(adjust: impl FnOnce(&mut MarketDataLimits, &mut MarketDataOptions)) -> Feed {
    let instruments = config_with(4_000).instruments;
    let mut limits = limits(4);
    let mut options = MarketDataOptions {
        start_utc_ns: NOW_NS,
        ..MarketDataOptions::default()
    };
    adjust(&mut limits, &mut options);
    Feed {
        hub: MarketDataHub::new(&instruments, limits, options).unwrap(),
        seq: 0,
    }
}

impl Feed {
    fn event(&mut self, instrument: u32, kind: MarketEventKind) -> BatchStatus {
        self.seq += 1;
        self.hub.on_event(&MarketEvent {
            seq: SequenceNumber(self.seq),
            ts: TimestampNs(self.seq),
            instrument: InstrumentId(instrument),
            kind,
        })
    }

    fn add(&mut self, order_ref: u64, side: Side, price: i64, qty: u64) {
        let kind = MarketEventKind::Add {
            order_ref: OrderRef(order_ref),
            side,
            price: Price(price),
            qty: Qty(qty),
        };
        self.event(0, kind);
    }

    fn delete(&mut self, order_ref: u64) {
        self.event(
            0,
            MarketEventKind::Delete {
                order_ref: OrderRef(order_ref),
            },
        );
    }

    fn execute(&mut self, order_ref: u64, qty: u64) {
        let kind = MarketEventKind::Execute {
            order_ref: OrderRef(order_ref),
            qty: Qty(qty),
            match_number: MatchNumber(self.seq),
        };
        self.event(0, kind);
    }

    fn subscribe(
        &mut self,
        session: usize,
        id: &str,
        depth: usize,
        full_refresh: bool,
        types: &[char],
    ) -> Sent {
        let body = Subscription {
            id: id.into(),
            kind: '1',
            depth,
            full_refresh,
            types: types.to_vec(),
            symbols: vec!["AAA"],
        }
        .body();
        request(&mut self.hub, session, "V", &as_refs(&body))
    }

    fn end(&mut self) -> Sent {
        end_batch(&mut self.hub)
    }
}

/// Each group instance of a W or X as `tag=value` words.
fn entries(pairs: &[(u32, String)], delimiter: u32) -> Vec<String> {
    let start = pairs.iter().position(|(t, _)| *t == 268).unwrap() + 1;
    split_entries(&pairs[start..], delimiter)
        .iter()
        .map(|entry| {
            entry
                .iter()
                .map(|(t, v)| format!("{t}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn only(sent: &Sent, msg_type: &str) -> Vec<Vec<(u32, String)>> {
    assert!(
        sent.iter().all(|(_, t, _)| t == msg_type),
        "expected only {msg_type}: {sent:?}"
    );
    sent.iter().map(|(_, _, pairs)| pairs.clone()).collect()
}

/// A request body, the MDReqRejReason it must get and a piece of its Text.
type RejectCase<'a> = (Vec<(u32, &'a str)>, Option<&'a str>, &'a str);

#[test]
fn every_request_reject_reason() {
    let mut feed = feed(|_, _| {});
    let cases: Vec<RejectCase<'_>> = vec![
        (
            vec![
                (262, "a"),
                (263, "1"),
                (264, "0"),
                (265, "1"),
                (267, "1"),
                (269, "0"),
                (146, "1"),
                (55, "ZZZ"),
            ],
            Some("0"),
            "unknown symbol ZZZ",
        ),
        (
            vec![
                (262, "a"),
                (263, "7"),
                (264, "0"),
                (267, "1"),
                (269, "0"),
                (146, "1"),
                (55, "AAA"),
            ],
            Some("4"),
            "SubscriptionRequestType",
        ),
        (
            vec![
                (262, "a"),
                (263, "1"),
                (264, "6"),
                (265, "1"),
                (267, "1"),
                (269, "0"),
                (146, "1"),
                (55, "AAA"),
            ],
            Some("5"),
            "MarketDepth",
        ),
        (
            vec![
                (262, "a"),
                (263, "1"),
                (265, "1"),
                (267, "1"),
                (269, "0"),
                (146, "1"),
                (55, "AAA"),
            ],
            Some("5"),
            "MarketDepth",
        ),
        (
            vec![
                (262, "a"),
                (263, "1"),
                (264, "0"),
                (267, "1"),
                (269, "0"),
                (146, "1"),
                (55, "AAA"),
            ],
            Some("6"),
            "MDUpdateType (265) is required",
        ),
        (
            vec![
                (262, "a"),
                (263, "1"),
                (264, "0"),
                (265, "3"),
                (267, "1"),
                (269, "0"),
                (146, "1"),
                (55, "AAA"),
            ],
            Some("6"),
            "MDUpdateType",
        ),
        (
            vec![
                (262, "a"),
                (263, "1"),
                (264, "0"),
                (265, "1"),
                (266, "N"),
                (267, "1"),
                (269, "0"),
                (146, "1"),
                (55, "AAA"),
            ],
            Some("7"),
            "AggregatedBook",
        ),
        (
            vec![
                (262, "a"),
                (263, "1"),
                (264, "0"),
                (265, "1"),
                (267, "2"),
                (269, "0"),
                (269, "B"),
                (146, "1"),
                (55, "AAA"),
            ],
            Some("8"),
            "unsupported MDEntryType (0 bid, 1 offer, 2 trade are supported): B",
        ),
        (
            vec![
                (262, "a"),
                (263, "1"),
                (264, "0"),
                (265, "1"),
                (146, "1"),
                (55, "AAA"),
            ],
            Some("8"),
            "at least one MDEntryType",
        ),
        (
            vec![
                (262, "a"),
                (263, "0"),
                (264, "0"),
                (267, "1"),
                (269, "0"),
                (146, "0"),
            ],
            Some("0"),
            "at least one Symbol",
        ),
        (
            vec![(262, "nope"), (263, "2"), (264, "0")],
            None,
            "no active subscription",
        ),
        (
            vec![
                (263, "1"),
                (264, "0"),
                (265, "1"),
                (267, "1"),
                (269, "0"),
                (146, "1"),
                (55, "AAA"),
            ],
            None,
            "MDReqID (262) is required",
        ),
    ];
    for (body, reason, text) in cases {
        let sent = request(&mut feed.hub, 0, "V", &body);
        let replies = only(&sent, "Y");
        assert_eq!(replies.len(), 1);
        let reply = &replies[0];
        assert_eq!(
            get(reply, 262),
            Some(
                get(
                    &body
                        .iter()
                        .map(|(t, v)| (*t, v.to_string()))
                        .collect::<Vec<_>>(),
                    262
                )
                .unwrap_or("?")
            )
        );
        assert_eq!(get(reply, 281), reason, "{body:?}");
        assert!(
            get(reply, 58).unwrap().contains(text),
            "{:?} lacks {text}",
            get(reply, 58)
        );
        assert_eq!(feed.hub.subscription_count(0), 0);
    }
    // Duplicate MDReqID, then too many subscriptions (limit 5 symbols).
    assert_eq!(
        only(&feed.subscribe(0, "dup", 0, false, &['0']), "W").len(),
        1
    );
    let replies = only(&feed.subscribe(0, "dup", 0, false, &['1']), "Y");
    assert_eq!(get(&replies[0], 281), Some("1"));
    for id in ["b", "c", "d", "e"] {
        assert_eq!(only(&feed.subscribe(0, id, 1, false, &['0']), "W").len(), 1);
    }
    assert_eq!(feed.hub.subscription_count(0), 5);
    let replies = only(&feed.subscribe(0, "f", 0, false, &['0']), "Y");
    assert_eq!(get(&replies[0], 281), Some("2"));
    assert!(get(&replies[0], 58)
        .unwrap()
        .contains("too many subscriptions"));
    // Another session has its own allowance; unsubscribing frees one.
    assert_eq!(
        only(&feed.subscribe(1, "f", 0, false, &['0']), "W").len(),
        1
    );
    assert!(request(&mut feed.hub, 0, "V", &[(262, "b"), (263, "2"), (264, "0")]).is_empty());
    assert_eq!(
        only(&feed.subscribe(0, "f", 0, false, &['0']), "W").len(),
        1
    );
    assert_eq!(feed.hub.metrics().request_rejects, 14);
}

#[test]
fn snapshot_carries_levels_positions_orders_last_trade_and_rpt_seq() {
    let mut feed = feed(|_, _| {});
    feed.add(1, Side::Buy, 1_000, 10);
    feed.add(2, Side::Buy, 1_000, 20);
    feed.add(3, Side::Buy, 999, 5);
    feed.add(4, Side::Sell, 1_002, 7);
    feed.add(5, Side::Sell, 1_001, 3);
    feed.execute(5, 1);
    feed.end();
    let replies = only(&feed.subscribe(0, "s", 0, false, &['0', '1', '2']), "W");
    assert_eq!(get(&replies[0], 262), Some("s"));
    assert_eq!(get(&replies[0], 55), Some("AAA"));
    assert_eq!(
        entries(&replies[0], 269),
        [
            "269=0 270=10 271=30 346=2 290=1 83=6",
            "269=0 270=9.99 271=5 346=1 290=2 83=6",
            "269=1 270=10.01 271=2 346=1 290=1 83=6",
            "269=1 270=10.02 271=7 346=1 290=2 83=6",
            "269=2 270=10.01 271=1 83=6",
        ]
    );
    // Top of book only; no extension fields when they are off.
    let mut plain = self::feed(|_, options| options.extension_fields = false);
    plain.add(1, Side::Buy, 1_000, 10);
    plain.add(2, Side::Buy, 999, 10);
    plain.end();
    let replies = only(&plain.subscribe(0, "t", 1, false, &['0', '1']), "W");
    assert_eq!(
        entries(&replies[0], 269),
        ["269=0 270=10 271=10 346=1 290=1"]
    );
}

#[test]
fn depth_limited_updates_shift_levels_in_and_out_of_the_top() {
    let mut feed = feed(|_, _| {});
    feed.add(1, Side::Buy, 1_000, 10);
    feed.add(2, Side::Buy, 999, 10);
    feed.add(3, Side::Buy, 998, 10);
    feed.end();
    let replies = only(&feed.subscribe(0, "d2", 2, false, &['0']), "W");
    assert_eq!(entries(&replies[0], 269).len(), 2);
    // A better level pushes 9.99 out of the top two.
    feed.add(4, Side::Buy, 1_001, 5);
    let x = only(&feed.end(), "X");
    assert_eq!(
        entries(&x[0], 279),
        [
            "279=2 269=0 55=AAA 270=9.99 290=2 83=4",
            "279=0 269=0 55=AAA 270=10.01 271=5 346=1 290=1 83=4",
        ]
    );
    // It leaves again: 9.99 comes back at position 2.
    feed.delete(4);
    let x = only(&feed.end(), "X");
    assert_eq!(
        entries(&x[0], 279),
        [
            "279=2 269=0 55=AAA 270=10.01 290=1 83=5",
            "279=0 269=0 55=AAA 270=9.99 271=10 346=1 290=2 83=5",
        ]
    );
    // Below the top two nothing is sent; a size change at the top is a change.
    feed.add(5, Side::Buy, 998, 10);
    assert!(feed.end().is_empty());
    feed.add(6, Side::Buy, 1_000, 1);
    let x = only(&feed.end(), "X");
    assert_eq!(
        entries(&x[0], 279),
        ["279=1 269=0 55=AAA 270=10 271=11 346=2 290=1 83=7"]
    );
}

#[test]
fn full_depth_updates_are_keyed_by_price_and_carry_trades() {
    let mut feed = feed(|_, _| {});
    feed.add(1, Side::Sell, 1_001, 10);
    feed.end();
    only(&feed.subscribe(0, "full", 0, false, &['0', '1', '2']), "W");
    feed.add(2, Side::Sell, 1_003, 4);
    feed.add(3, Side::Buy, 999, 6);
    feed.execute(1, 10);
    let x = only(&feed.end(), "X");
    assert_eq!(get(&x[0], 262), Some("full"));
    assert_eq!(
        entries(&x[0], 279),
        [
            "279=0 269=1 55=AAA 270=10.03 271=4 346=1 83=4",
            "279=0 269=0 55=AAA 270=9.99 271=6 346=1 83=4",
            "279=2 269=1 55=AAA 270=10.01 83=4",
            "279=0 269=2 55=AAA 270=10.01 271=10 83=4",
        ]
    );
    // An order added and deleted within one batch changes nothing.
    feed.add(4, Side::Buy, 990, 6);
    feed.delete(4);
    assert!(feed.end().is_empty());
}

#[test]
fn incremental_refreshes_split_at_the_entry_bound() {
    let mut feed = feed(|limits, _| limits.max_entries_per_message = 2);
    only(&feed.subscribe(0, "split", 0, false, &['0']), "W");
    for order in 0..5 {
        feed.add(order + 1, Side::Buy, 990 + order as i64, 10);
    }
    let x = only(&feed.end(), "X");
    let counts: Vec<&str> = x.iter().map(|pairs| get(pairs, 268).unwrap()).collect();
    assert_eq!(counts, ["2", "2", "1"]);
    assert!(x.iter().all(|pairs| get(pairs, 262) == Some("split")));
}

#[test]
fn full_refresh_subscriptions_get_a_snapshot_when_their_view_changes() {
    let mut feed = feed(|_, _| {});
    feed.add(1, Side::Buy, 1_000, 10);
    feed.add(2, Side::Buy, 999, 10);
    feed.end();
    only(&feed.subscribe(0, "top", 1, true, &['0']), "W");
    feed.add(3, Side::Buy, 999, 10);
    assert!(feed.end().is_empty(), "below the subscribed depth");
    feed.add(4, Side::Buy, 1_000, 5);
    let w = only(&feed.end(), "W");
    assert_eq!(
        entries(&w[0], 269),
        ["269=0 270=10 271=15 346=2 290=1 83=4"]
    );
}

#[test]
fn unsubscribe_stops_updates_and_closing_drops_subscriptions() {
    let mut feed = feed(|_, _| {});
    only(&feed.subscribe(0, "u", 0, false, &['0']), "W");
    only(&feed.subscribe(1, "v", 0, false, &['0']), "W");
    feed.add(1, Side::Buy, 1_000, 10);
    assert_eq!(feed.end().len(), 2);
    assert!(request(&mut feed.hub, 0, "V", &[(262, "u"), (263, "2"), (264, "0")]).is_empty());
    feed.hub.on_session_closed(1);
    assert_eq!(feed.hub.subscription_count(1), 0);
    feed.add(2, Side::Buy, 1_000, 10);
    assert!(feed.end().is_empty());
}

#[test]
fn a_slow_subscriber_is_caught_up_with_one_conflated_refresh() {
    let mut feed = feed(|_, _| {});
    feed.add(1, Side::Buy, 1_000, 10);
    feed.end();
    only(&feed.subscribe(0, "slow", 0, false, &['0', '2']), "W");
    only(&feed.subscribe(1, "fast", 0, false, &['0']), "W");
    feed.hub.set_backlogged(0, true);
    // Three batches touch the same levels; the fast session is never held up.
    for round in 0..3u64 {
        feed.add(10 + round, Side::Buy, 1_000, 1);
        feed.add(20 + round, Side::Buy, 998, 1);
        let sent = feed.end();
        assert!(sent.iter().all(|(session, _, _)| *session == 1), "{sent:?}");
        assert_eq!(sent.len(), 1);
    }
    feed.delete(20);
    feed.delete(21);
    feed.delete(22);
    feed.add(30, Side::Buy, 997, 4);
    feed.execute(1, 10);
    feed.end();
    feed.hub.set_backlogged(0, false);
    let sent = feed.end();
    let x = only(&sent, "X");
    assert_eq!(x.len(), 1, "one conflated refresh");
    assert_eq!(
        entries(&x[0], 279),
        [
            "279=1 269=0 55=AAA 270=10 271=3 346=3 83=12",
            "279=0 269=0 55=AAA 270=9.97 271=4 346=1 83=12",
            "279=0 269=2 55=AAA 270=10 271=10 83=12",
        ],
        "9.98 came and went while the session was slow: nothing to say"
    );
    assert_eq!(feed.hub.metrics().conflated_recoveries, 1);
    assert_eq!(feed.hub.metrics().snapshot_recoveries, 0);
}

#[test]
fn a_slow_subscriber_that_overflows_is_resent_a_snapshot() {
    let mut feed = feed(|limits, _| limits.max_pending_updates_per_session = 3);
    only(&feed.subscribe(0, "slow", 0, false, &['0', '1']), "W");
    only(&feed.subscribe(0, "top", 1, false, &['0']), "W");
    feed.hub.set_backlogged(0, true);
    for order in 0..6u64 {
        feed.add(order + 1, Side::Sell, 1_001 + order as i64, 10);
    }
    feed.add(99, Side::Buy, 1_000, 10);
    assert!(feed.end().is_empty());
    assert_eq!(feed.hub.metrics().pending_overflows, 1);
    feed.hub.set_backlogged(0, false);
    let w = only(&feed.end(), "W");
    assert_eq!(w.len(), 2, "every stream of the session is resent");
    assert_eq!(entries(&w[0], 269).len(), 7);
    assert_eq!(
        entries(&w[1], 269),
        ["269=0 270=10 271=10 346=1 290=1 83=7"]
    );
    assert_eq!(feed.hub.metrics().snapshot_recoveries, 1);
    // Afterwards it is an ordinary in-sync session again.
    feed.add(100, Side::Buy, 1_000, 1);
    assert_eq!(only(&feed.end(), "X").len(), 2);
}

#[test]
fn a_subscription_during_a_batch_is_snapshotted_at_its_end() {
    let mut feed = feed(|_, _| {});
    feed.add(1, Side::Buy, 1_000, 10);
    assert!(feed.subscribe(0, "mid", 0, false, &['0']).is_empty());
    feed.add(2, Side::Buy, 999, 10);
    let w = only(&feed.end(), "W");
    assert_eq!(
        entries(&w[0], 269).len(),
        2,
        "the W reflects the whole batch"
    );
    feed.add(3, Side::Buy, 998, 10);
    assert_eq!(entries(&only(&feed.end(), "X")[0], 279).len(), 1);
}

#[test]
fn a_full_trade_table_asks_for_the_end_of_the_batch() {
    let mut feed = feed(|limits, _| limits.max_trades_per_batch = 2);
    let trade = |qty| MarketEventKind::CrossTrade {
        qty: Qty(qty),
        price: Price(1_000),
        match_number: MatchNumber(qty),
    };
    assert_eq!(feed.event(0, trade(1)), BatchStatus::Open);
    assert_eq!(feed.event(0, trade(2)), BatchStatus::Full);
    assert_eq!(feed.event(0, trade(3)), BatchStatus::Full);
    assert_eq!(feed.hub.metrics().trades_dropped, 1);
    feed.end();
    assert_eq!(feed.event(0, trade(4)), BatchStatus::Open);
    assert_eq!(feed.hub.last_trade(InstrumentId(0)).unwrap().qty, Qty(4));
}

#[test]
fn security_list_describes_every_instrument() {
    let mut feed = feed(|_, _| {});
    feed.event(
        1,
        MarketEventKind::TradingState {
            state: TradingState::Halted,
        },
    );
    feed.end();
    let y = only(
        &request(&mut feed.hub, 0, "x", &[(320, "sl"), (559, "4")]),
        "y",
    );
    assert_eq!(y.len(), 1);
    let list = &y[0];
    assert_eq!(get(list, 320), Some("sl"));
    assert_eq!(
        get(list, 322),
        Some(format!("{}.1", NOW_NS / 1_000_000).as_str())
    );
    assert_eq!(get(list, 560), Some("0"));
    assert_eq!(get(list, 393), Some("2"));
    assert_eq!(get(list, 893), Some("Y"));
    assert_eq!(
        entries_after(list, 146, 55),
        [
            "55=AAA 561=10 562=10 336=AAA 969=0.01 1140=10000 1148=9 1149=11 1150=10 326=17",
            "55=BBB 561=10 562=10 336=BBB 969=0.01 1140=10000 1148=9 1149=11 1150=10 326=2",
        ]
    );
    let one = only(
        &request(
            &mut feed.hub,
            0,
            "x",
            &[(320, "one"), (559, "0"), (55, "BBB")],
        ),
        "y",
    );
    assert_eq!(entries_after(&one[0], 146, 55).len(), 1);
    let unknown = only(
        &request(
            &mut feed.hub,
            0,
            "x",
            &[(320, "u"), (559, "0"), (55, "ZZZ")],
        ),
        "y",
    );
    assert_eq!(get(&unknown[0], 560), Some("2"));
    let unsupported = only(
        &request(&mut feed.hub, 0, "x", &[(320, "t"), (559, "1")]),
        "y",
    );
    assert_eq!(get(&unsupported[0], 560), Some("1"));
    assert_eq!(get(&unsupported[0], 146), None);
    // Fragments, and the stock-dictionary form.
    let mut plain = self::feed(|limits, options| {
        limits.max_entries_per_message = 1;
        options.extension_fields = false;
    });
    let y = only(
        &request(&mut plain.hub, 0, "x", &[(320, "f"), (559, "4")]),
        "y",
    );
    let last: Vec<_> = y.iter().map(|list| get(list, 893).unwrap()).collect();
    assert_eq!(last, ["N", "Y"]);
    assert!(y.iter().all(|list| get(list, 393) == Some("2")));
    assert_eq!(
        get(&y[0], 322),
        get(&y[1], 322),
        "one response id for all fragments"
    );
    assert_eq!(
        entries_after(&y[0], 146, 55),
        ["55=AAA 561=10 562=10 336=AAA 58=MinPriceIncrement=0.01 MaxTradeVol=10000 LowLimitPrice=9 HighLimitPrice=11 TradingReferencePrice=10 SecurityTradingStatus=17"]
    );
}

/// Group instances after the count tag `count`.
fn entries_after(pairs: &[(u32, String)], count: u32, delimiter: u32) -> Vec<String> {
    let start = pairs.iter().position(|(t, _)| *t == count).unwrap() + 1;
    split_entries(&pairs[start..], delimiter)
        .iter()
        .map(|entry| {
            entry
                .iter()
                .map(|(t, v)| format!("{t}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[test]
fn trading_session_status_on_logon_on_change_and_on_request() {
    let mut feed = feed(|_, options| options.status_on_logon = true);
    let mut sent = Vec::new();
    feed.hub
        .on_logged_on(2, &mut |s, t, b: &[u8]| {
            sent.push((s, String::from_utf8(t.to_vec()).unwrap(), fields(b)));
            EmitResult::Sent
        })
        .unwrap();
    let h = only(&sent, "h");
    assert_eq!(h.len(), 2);
    assert_eq!(
        h[0],
        [
            (336, "AAA".to_string()),
            (325, "Y".to_string()),
            (340, "2".to_string())
        ]
    );
    // Changes reach logged-on sessions only (session 3 never logged on).
    feed.event(
        0,
        MarketEventKind::TradingState {
            state: TradingState::Halted,
        },
    );
    let sent = feed.end();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, 2);
    assert_eq!(get(&sent[0].2, 340), Some("1"));
    // g for every instrument, for one, for an unknown one.
    let all = only(
        &request(&mut feed.hub, 2, "g", &[(335, "q1"), (263, "0")]),
        "h",
    );
    let states: Vec<_> = all
        .iter()
        .map(|h| {
            (
                get(h, 335).unwrap(),
                get(h, 336).unwrap(),
                get(h, 340).unwrap(),
            )
        })
        .collect();
    assert_eq!(states, [("q1", "AAA", "1"), ("q1", "BBB", "2")]);
    let one = only(
        &request(
            &mut feed.hub,
            2,
            "g",
            &[(335, "q2"), (336, "BBB"), (263, "1")],
        ),
        "h",
    );
    assert_eq!(one.len(), 1);
    assert_eq!(get(&one[0], 325), None, "solicited");
    let unknown = only(
        &request(
            &mut feed.hub,
            2,
            "g",
            &[(335, "q3"), (336, "ZZZ"), (263, "0")],
        ),
        "h",
    );
    assert_eq!(
        (get(&unknown[0], 340), get(&unknown[0], 567)),
        (Some("6"), Some("1"))
    );
    // 263=2 turns the updates off.
    assert!(request(&mut feed.hub, 2, "g", &[(335, "q4"), (263, "2")]).is_empty());
    feed.event(
        0,
        MarketEventKind::TradingState {
            state: TradingState::Continuous,
        },
    );
    assert!(feed.end().is_empty());
    assert_eq!(
        feed.hub.trading_state(InstrumentId(0)),
        Some(TradingState::Continuous)
    );
}

#[test]
fn quotes_price_the_requested_quantity_against_the_book() {
    let mut feed = feed(|_, _| {});
    feed.add(1, Side::Sell, 1_000, 100);
    feed.add(2, Side::Sell, 1_001, 200);
    feed.add(3, Side::Buy, 999, 50);
    feed.end();
    let quote = |feed: &mut Feed, fields: &[(u32, &str)]| {
        let mut body = vec![(131, "q"), (146, "1")];
        body.extend_from_slice(fields);
        request(&mut feed.hub, 0, "R", &body)
    };
    // Buy 150: 100 at 10.00 and 50 at 10.01 = 1500.50 / 150 = 10.003333…, rounded up.
    let s = only(
        &quote(&mut feed, &[(55, "AAA"), (54, "1"), (38, "150")]),
        "S",
    );
    let s = &s[0];
    assert_eq!(get(s, 131), Some("q"));
    assert_eq!(get(s, 537), Some("0"), "indicative");
    assert_eq!(get(s, 133), Some("10.003334"));
    assert_eq!(get(s, 135), Some("150"));
    assert_eq!(get(s, 132), None);
    assert_eq!(get(s, 62), Some("20261123-09:20:01.000"));
    assert_eq!(get(s, 60), Some("20261123-09:20:00.000"));
    let expected_units: u64 = (100 * 1_000 + 50 * 1_001) * 100 * 100;
    assert_eq!(
        expected_units.div_ceil(150),
        10_003_334,
        "independent arithmetic"
    );
    // Sell 50 fills at the bid; two-sided 100 quotes only the side that fills.
    let s = only(
        &quote(&mut feed, &[(55, "AAA"), (54, "2"), (38, "50")]),
        "S",
    );
    assert_eq!(get(&s[0], 132), Some("9.99"));
    let s = only(&quote(&mut feed, &[(55, "AAA"), (38, "100")]), "S");
    assert_eq!((get(&s[0], 132), get(&s[0], 133)), (None, Some("10")));
    // Several symbols: one answer each.
    let sent = quote(
        &mut feed,
        &[
            (55, "AAA"),
            (54, "1"),
            (38, "10"),
            (55, "BBB"),
            (54, "1"),
            (38, "10"),
        ],
    );
    let kinds: Vec<&str> = sent.iter().map(|(_, t, _)| t.as_str()).collect();
    assert_eq!(kinds, ["S", "AG"]);
    // Rejects.
    let reject = |feed: &mut Feed, fields: &[(u32, &str)]| {
        let ag = only(&quote(feed, fields), "AG");
        assert_eq!(get(&ag[0], 146), Some("1"));
        get(&ag[0], 658).unwrap().to_string()
    };
    assert_eq!(reject(&mut feed, &[(55, "ZZZ"), (38, "1")]), "1");
    assert_eq!(
        reject(&mut feed, &[(55, "AAA"), (54, "2"), (38, "60")]),
        "3"
    );
    assert_eq!(reject(&mut feed, &[(55, "BBB"), (54, "1"), (38, "1")]), "8");
    assert_eq!(reject(&mut feed, &[(55, "AAA"), (54, "1")]), "99");
    assert_eq!(
        reject(&mut feed, &[(55, "AAA"), (54, "7"), (38, "1")]),
        "99"
    );
    feed.event(
        0,
        MarketEventKind::TradingState {
            state: TradingState::Halted,
        },
    );
    assert_eq!(reject(&mut feed, &[(55, "AAA"), (54, "1"), (38, "1")]), "2");
    assert_eq!(feed.hub.metrics().quote_rejects, 7);
}

#[test]
fn requests_outside_the_hub_are_errors() {
    let mut feed = feed(|_, _| {});
    let error = with_message("V", &[(262, "a")], |message| {
        feed.hub
            .on_request(99, message, NOW_NS, &mut |_, _, _| EmitResult::Sent)
    });
    assert_eq!(
        error,
        Err(RequestError::SessionOutOfRange {
            session: 99,
            max_sessions: 4
        })
    );
    let error = with_message("D", &[(11, "a")], |message| {
        feed.hub
            .on_request(0, message, NOW_NS, &mut |_, _, _| EmitResult::Sent)
    });
    assert_eq!(error, Err(RequestError::UnsupportedMessageType));
    assert!(MarketDataHub::handles(b"V") && MarketDataHub::handles(b"R"));
    assert!(!MarketDataHub::handles(b"D"));
}

#[test]
fn limits_are_checked_at_construction() {
    let instruments = config_with(4_000).instruments;
    let mut limits = limits(1);
    limits.max_levels_per_side = 100;
    assert!(matches!(
        MarketDataHub::new(&instruments, limits.clone(), MarketDataOptions::default()),
        Err(MarketDataConfigError::BandWiderThanLevels {
            band_levels: 201,
            ..
        })
    ));
    limits.max_levels_per_side = 201;
    limits.max_depth = 0;
    assert_eq!(
        MarketDataHub::new(&instruments, limits, MarketDataOptions::default()).unwrap_err(),
        MarketDataConfigError::ZeroLimit("max_depth")
    );
}

// ---------------------------------------------------------------------------
// Allocation.

#[test]
fn no_allocation_per_event_or_at_the_end_of_a_batch() {
    const WARM_UP: usize = 500;
    const MEASURED: usize = 3_000;
    let config = config_with(4_000);
    let mut engine = Engine::new(config.clone()).unwrap();
    let mut limits = limits(SESSIONS);
    limits.max_subscriptions_per_session = 8;
    let mut hub =
        MarketDataHub::new(&config.instruments, limits, MarketDataOptions::default()).unwrap();
    let plans: [(&str, usize, bool, &[char]); SESSIONS] = [
        ("full", 0, false, &['0', '1', '2']),
        ("top", 1, false, &['0', '1']),
        ("three", 3, false, &['0', '1', '2']),
        ("refresh", 0, true, &['0', '1', '2']),
        ("refresh2", 2, true, &['1', '2']),
        ("slow", 0, false, &['0', '1', '2']),
    ];
    for (session, (id, depth, full_refresh, types)) in plans.into_iter().enumerate() {
        hub.on_logged_on(session, &mut |_, _, _| EmitResult::Sent)
            .unwrap();
        let body = Subscription {
            id: id.into(),
            kind: '1',
            depth,
            full_refresh,
            types: types.to_vec(),
            symbols: vec!["AAA", "BBB"],
        }
        .body();
        assert_eq!(
            only(&request(&mut hub, session, "V", &as_refs(&body)), "W").len(),
            2
        );
    }
    let slow_two = Subscription {
        id: "slow2".into(),
        kind: '1',
        depth: 2,
        full_refresh: false,
        types: vec!['0', '1', '2'],
        symbols: vec!["AAA", "BBB"],
    };
    request(&mut hub, 5, "V", &as_refs(&slow_two.body()));
    let mut rng = Rng(0xa110_c8ed);
    let mut ts = 1;
    let batches: Vec<Vec<MarketEvent>> = (0..WARM_UP + MEASURED)
        .map(|_| {
            let mut sink = Collect::default();
            for _ in 0..1 + rng.below(30) {
                engine.apply(&random_command(&mut rng, ts), &mut sink);
                ts += 1;
            }
            sink.0
        })
        .collect();
    let (mut messages, mut bytes, mut emitted) = (0u64, 0usize, 0u64);
    let mut run = |hub: &mut MarketDataHub, number: usize, events: &[MarketEvent]| {
        // Session 5 backs up for a while now and then: conflation and
        // snapshot recovery run in the measured part too.
        match number % 23 {
            0 => hub.set_backlogged(5, true),
            7 => hub.set_backlogged(5, false),
            _ => {}
        }
        for event in events {
            assert_eq!(hub.on_event(event), BatchStatus::Open);
        }
        hub.end_of_batch(&mut |session, _, body: &[u8]| {
            messages += 1;
            bytes += body.len();
            emitted += 1;
            if session == 4 && emitted.is_multiple_of(11) {
                EmitResult::Backlogged
            } else {
                EmitResult::Sent
            }
        });
        if number.is_multiple_of(5) {
            hub.set_backlogged(4, false);
        }
    };
    for (number, events) in batches[..WARM_UP].iter().enumerate() {
        run(&mut hub, number, events);
    }
    let before_metrics = hub.metrics().clone();
    WATCHING.with(|watching| watching.set(true));
    let probe = ALLOCATIONS.load(Ordering::Relaxed);
    drop(std::hint::black_box(Vec::<u8>::with_capacity(16)));
    assert_eq!(
        ALLOCATIONS.load(Ordering::Relaxed) - probe,
        1,
        "the counter sees allocations"
    );
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for (number, events) in batches[WARM_UP..].iter().enumerate() {
        run(&mut hub, WARM_UP + number, events);
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    WATCHING.with(|watching| watching.set(false));
    let metrics = hub.metrics();
    assert_eq!(metrics.inconsistent_events, 0);
    assert!(
        metrics.events - before_metrics.events > 10_000,
        "{metrics:?}"
    );
    assert!(
        metrics.incrementals_sent - before_metrics.incrementals_sent > 5_000,
        "{metrics:?}"
    );
    assert!(
        metrics.snapshots_sent > before_metrics.snapshots_sent,
        "{metrics:?}"
    );
    assert!(
        metrics.conflated_recoveries > before_metrics.conflated_recoveries,
        "{metrics:?}"
    );
    assert!(
        metrics.snapshot_recoveries > before_metrics.snapshot_recoveries,
        "{metrics:?}"
    );
    assert!(messages > 0 && bytes > 0);
    assert_eq!(
        allocations, 0,
        "{allocations} allocations over {MEASURED} batches"
    );
}
