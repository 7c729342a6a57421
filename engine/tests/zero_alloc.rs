//! Proves the hot path does not allocate: a counting global allocator
//! watches this thread while a long random mixed stream (new, cancel,
//! replace, IOC, hidden, mass cancels, state changes with uncrosses) runs
//! through a warmed-up engine.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use rtes_engine::*;

struct CountingAllocator;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Only this test thread's allocations count (libtest's own threads may allocate).
    static WATCHING: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: forwards every call unchanged to the system allocator; the
// counting has no effect on the memory handed out.
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

/// Counts events without storing them.
#[derive(Default)]
struct CountingSink {
    reports: u64,
    market: u64,
}

impl EventSink for CountingSink {
    fn report(&mut self, _report: &Report) {
        self.reports += 1;
    }
    fn market(&mut self, _event: &MarketEvent) {
        self.market += 1;
    }
}

/// xorshift64*: a seeded generator with no dependencies.
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

const OWNERS: u64 = 4;
const CLIENT_IDS: u64 = 3_000;
const INSTRUMENTS: u32 = 2;

fn config() -> EngineConfig {
    let instrument = |symbol: &str| InstrumentConfig {
        symbol: symbol.into(),
        tick_size: 100,
        lot_size: 10,
        min_qty: Qty(10),
        max_qty: Qty(10_000),
        reference_price: Price(1_000),
        band_low: Price(900),
        band_high: Price(1_100),
        initial_state: TradingState::Continuous,
    };
    let account = |stp| AccountConfig {
        name: "A".into(),
        max_order_qty: Qty(5_000),
        max_notional: 1_000_000_000_000,
        price_collar_bps: 900,
        max_open_orders: 2_000,
        max_position: 200_000,
        self_trade_prevention: stp,
    };
    EngineConfig {
        instruments: vec![instrument("AAA"), instrument("BBB")],
        accounts: vec![
            account(SelfTradePrevention::Off),
            account(SelfTradePrevention::CancelNewest),
            account(SelfTradePrevention::CancelOldest),
            account(SelfTradePrevention::CancelBoth),
        ],
        max_resting_orders: 4_000,
        max_owners: OWNERS as u32,
    }
}

fn random_command(rng: &mut Rng, ts: u64) -> Command {
    let owner = OwnerId(rng.below(OWNERS) as u32);
    let instrument = InstrumentId(rng.below(u64::from(INSTRUMENTS)) as u32);
    let client_order_id = ClientOrderId(rng.below(CLIENT_IDS));
    let price = Price(980 + rng.below(41) as i64);
    let qty = Qty(10 * (1 + rng.below(20)));
    let roll = rng.below(1_000);
    let kind = if roll < 400 {
        let time_in_force = match rng.below(10) {
            0 => TimeInForce::Ioc,
            1 => TimeInForce::Fok,
            _ => TimeInForce::Day,
        };
        CommandKind::New(NewOrder {
            client_order_id,
            account: AccountId(rng.below(4) as u32),
            instrument,
            side: if rng.below(2) == 0 {
                Side::Buy
            } else {
                Side::Sell
            },
            order_type: if rng.below(30) == 0 {
                OrderType::Market
            } else {
                OrderType::Limit
            },
            price,
            qty,
            time_in_force,
            min_qty: Qty(if rng.below(10) == 0 { 10 } else { 0 }),
            post_only: rng.below(20) == 0,
            hidden: rng.below(8) == 0,
        })
    } else if roll < 750 {
        CommandKind::Replace(ReplaceOrder {
            client_order_id,
            new_client_order_id: if rng.below(2) == 0 {
                client_order_id
            } else {
                ClientOrderId(rng.below(CLIENT_IDS))
            },
            price,
            qty: if rng.below(20) == 0 { Qty(0) } else { qty },
        })
    } else if roll < 990 {
        CommandKind::Cancel(CancelOrder {
            client_order_id,
            leave_qty: Qty(10 * rng.below(3)),
        })
    } else if roll < 993 {
        CommandKind::MassCancel(MassCancel {
            account: AccountId(rng.below(5) as u32),
            instrument: if rng.below(2) == 0 {
                None
            } else {
                Some(instrument)
            },
        })
    } else if roll < 994 {
        CommandKind::CancelOwnerOrders
    } else {
        let state = match rng.below(6) {
            0 => TradingState::PreOpen,
            1 => TradingState::Halted,
            2 => TradingState::Closed,
            _ => TradingState::Continuous,
        };
        CommandKind::SetTradingState { instrument, state }
    };
    Command {
        owner,
        ts: TimestampNs(ts),
        kind,
    }
}

#[test]
fn no_allocation_per_command_after_warm_up() {
    const WARM_UP: usize = 50_000;
    const MEASURED: usize = 400_000;
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let commands: Vec<Command> = (0..WARM_UP + MEASURED)
        .map(|i| random_command(&mut rng, i as u64))
        .collect();
    let mut engine = Engine::new(config()).expect("valid config");
    let mut sink = CountingSink::default();
    for command in &commands[..WARM_UP] {
        engine.apply(command, &mut sink);
    }
    engine.validate();
    // The counter itself works: one deliberate allocation is seen.
    WATCHING.with(|watching| watching.set(true));
    let probe_before = ALLOCATIONS.load(Ordering::Relaxed);
    drop(std::hint::black_box(Vec::<u8>::with_capacity(16)));
    assert_eq!(
        ALLOCATIONS.load(Ordering::Relaxed) - probe_before,
        1,
        "allocation counter is blind"
    );
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for command in &commands[WARM_UP..] {
        engine.apply(command, &mut sink);
    }
    WATCHING.with(|watching| watching.set(false));
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    engine.validate();
    assert!(
        sink.market > 100_000 && sink.reports > 100_000,
        "the stream did real work: {} market, {} reports",
        sink.market,
        sink.reports
    );
    assert_eq!(
        allocations, 0,
        "{allocations} allocations over {MEASURED} commands"
    );
}
