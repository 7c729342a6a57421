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

fn get<'a>(pairs: &'a [(u32, String)], tag: u32) -> Option<&'a str> {
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
        assert!(!has_levels || rpt_seq >= previous_seq, "RptSeq never goes back");
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
            let position: usize = get(entry, 290).expect("290 at limited depth").parse().unwrap();
            assert!(position >= 1 && position <= self.params.depth);
            match action {
                "0" => {
                    assert!(position <= levels.len() + 1, "new at {position} of {}", levels.len());
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
            assert!(better(side, pair[0].price, pair[1].price), "levels stay sorted");
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
    let mut limits = MarketDataLimits::for_instruments(&config_with(4_000).instruments, sessions, 4_000);
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
            MarketDataOptions::default(),
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
                    let shown = &expected[..expected.len().min(if id.ends_with("d1") { 1 } else { expected.len() })];
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
            MarketEventKind::Add { order_ref, price, .. } => {
                self.order_prices.insert(order_ref.0, price.0);
            }
            MarketEventKind::Replace {
                new_order_ref,
                price,
                ..
            } => {
                self.order_prices.insert(new_order_ref.0, price.0);
            }
            MarketEventKind::Execute { order_ref, qty, .. } => trade(self.order_prices[&order_ref.0], qty),
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
                let expected: Vec<(i64, u64)> = self.batch_trades[stream.trades_from_batch.min(self.batch_trades.len())..]
                    .iter()
                    .flatten()
                    .filter(|trade| trade.0 == instrument)
                    .map(|trade| (trade.1, trade.2))
                    .collect();
                assert_eq!(stream.trades, expected, "session {session} {id} {symbol} trades");
            }
        }
        for (instrument, symbol) in SYMBOLS.iter().enumerate() {
            let state = self.engine.trading_state(InstrumentId(instrument as u32));
            assert_eq!(client.states.get(*symbol), Some(&status_of(state)), "h for {symbol}");
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
    let mut harness = Harness::new(0x5eed_0f_f1c5);
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
    assert!(metrics.status_messages_sent > SESSIONS as u64 * 2, "{metrics:?}");
    assert!(harness.batch_trades.iter().flatten().count() > 100);
    eprintln!("{metrics:?}");
}
