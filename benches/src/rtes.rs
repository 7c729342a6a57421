//! RTES behind the flow: configuration, translation of [`FlowCommand`]s
//! into engine commands, and sinks that count or record.

use rtes_engine::{
    AccountConfig, AccountId, CancelOrder, ClientOrderId, Command, CommandKind, Engine,
    EngineConfig, EventSink, InstrumentConfig, InstrumentId, Liquidity, MarketEvent, NewOrder,
    OrderType, OwnerId, Price, Qty, ReplaceOrder, Report, ReportKind, SelfTradePrevention, Side,
    TimeInForce, TimestampNs, TradingState,
};

use crate::flow::FlowCommand;
use crate::outcome::{aggregate_levels, Fill, Levels, Outcome};
use crate::workload::{LOT, REFERENCE_PRICE};

/// Owners (and accounts: owner `i` trades on account `i`) orders spread over.
pub const OWNERS: u32 = 16;
/// Distance of the price band from the reference price, in ticks.
pub const BAND_TICKS: i64 = 50_000;
/// Slab capacity: far above the ~5,000 orders a flow keeps live.
pub const MAX_RESTING_ORDERS: u32 = 1 << 17;

/// One instrument, `OWNERS` accounts without risk limits that bite and
/// with self-trade prevention off (no peer has it).
pub fn engine_config() -> EngineConfig {
    EngineConfig {
        instruments: vec![InstrumentConfig {
            symbol: "BENCH".into(),
            tick_size: 1,
            lot_size: LOT,
            min_qty: Qty(LOT),
            max_qty: Qty(10_000_000),
            reference_price: Price(REFERENCE_PRICE),
            band_low: Price(REFERENCE_PRICE - BAND_TICKS),
            band_high: Price(REFERENCE_PRICE + BAND_TICKS),
            initial_state: TradingState::Continuous,
        }],
        accounts: (0..OWNERS)
            .map(|index| AccountConfig {
                name: format!("ACCT{index}"),
                max_order_qty: Qty(10_000_000),
                max_notional: u128::MAX,
                price_collar_bps: 10_000,
                max_open_orders: u32::MAX,
                max_position: u64::MAX,
                self_trade_prevention: SelfTradePrevention::Off,
            })
            .collect(),
        max_resting_orders: MAX_RESTING_ORDERS,
        max_owners: OWNERS,
    }
}

/// A fresh engine with [`engine_config`].
pub fn new_engine() -> Engine {
    Engine::new(engine_config()).expect("the benchmark configuration is valid")
}

/// The owner of a flow order (orders are spread over owners by id).
pub fn owner_of(id: u64) -> OwnerId {
    OwnerId((id % u64::from(OWNERS)) as u32)
}

/// Translates one flow command; `ts` is the command's timestamp.
pub fn to_command(command: &FlowCommand, ts: u64) -> Command {
    let (id, kind) = match *command {
        FlowCommand::New {
            id,
            side,
            price,
            qty,
        } => (id, new_order(id, side, price, qty, TimeInForce::Day)),
        FlowCommand::Ioc {
            id,
            side,
            price,
            qty,
        } => (id, new_order(id, side, price, qty, TimeInForce::Ioc)),
        FlowCommand::Cancel { id } => (
            id,
            CommandKind::Cancel(CancelOrder {
                client_order_id: ClientOrderId(id),
                leave_qty: Qty(0),
            }),
        ),
        FlowCommand::Move { id, price, qty, .. } | FlowCommand::Reduce { id, price, qty, .. } => (
            id,
            CommandKind::Replace(ReplaceOrder {
                client_order_id: ClientOrderId(id),
                new_client_order_id: ClientOrderId(id),
                price: Price(price),
                qty: Qty(qty),
            }),
        ),
    };
    Command {
        owner: owner_of(id),
        ts: TimestampNs(ts),
        kind,
    }
}

fn new_order(id: u64, side: Side, price: i64, qty: u64, time_in_force: TimeInForce) -> CommandKind {
    CommandKind::New(NewOrder {
        client_order_id: ClientOrderId(id),
        account: AccountId(owner_of(id).0),
        instrument: InstrumentId(0),
        side,
        order_type: OrderType::Limit,
        price: Price(price),
        qty: Qty(qty),
        time_in_force,
        min_qty: Qty(0),
        post_only: false,
        hidden: false,
    })
}

/// Translates a whole list (timestamps 1, 2, 3, … after `first_ts`).
pub fn to_commands(commands: &[FlowCommand], first_ts: u64) -> Vec<Command> {
    commands
        .iter()
        .enumerate()
        .map(|(index, command)| to_command(command, first_ts + index as u64))
        .collect()
}

/// Counts events and folds them into a checksum, so the optimiser cannot
/// drop them; cheap next to the engine's own work.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingSink {
    /// Reports seen.
    pub reports: u64,
    /// Market events seen.
    pub market_events: u64,
    /// Reports that signal a command the engine refused (should stay 0).
    pub refusals: u64,
}

impl EventSink for CountingSink {
    #[inline]
    fn report(&mut self, report: &Report) {
        self.reports += 1;
        if matches!(
            report.kind,
            ReportKind::Rejected { .. } | ReportKind::CancelRejected { .. }
        ) {
            self.refusals += 1;
        }
    }

    #[inline]
    fn market(&mut self, _event: &MarketEvent) {
        self.market_events += 1;
    }
}

/// Records fills (from the maker's `Executed` report) and refusals.
#[derive(Debug, Default)]
pub struct RecordingSink {
    /// Fills in execution order.
    pub fills: Vec<Fill>,
    /// Refused commands (rejects and cancel rejects), with their report.
    pub refusals: Vec<Report>,
}

impl EventSink for RecordingSink {
    fn report(&mut self, report: &Report) {
        match report.kind {
            ReportKind::Executed {
                qty,
                price,
                liquidity: Liquidity::Added,
                ..
            } => self.fills.push(Fill {
                maker: report.client_order_id.0,
                price: price.0,
                qty: qty.0,
            }),
            ReportKind::Rejected { .. } | ReportKind::CancelRejected { .. } => {
                self.refusals.push(*report)
            }
            _ => {}
        }
    }

    fn market(&mut self, _event: &MarketEvent) {}
}

/// Builds an engine with `warmup` applied.
pub fn warmed_engine(warmup: &[Command]) -> Engine {
    let mut engine = new_engine();
    let mut sink = CountingSink::default();
    for command in warmup {
        engine.apply(command, &mut sink);
    }
    assert_eq!(sink.refusals, 0, "the warm-up is accepted in full");
    engine
}

/// The final book of instrument 0 as levels.
pub fn book_levels(engine: &Engine) -> (Levels, Levels) {
    let side = |side: Side| {
        engine
            .resting_orders(InstrumentId(0), side)
            .into_iter()
            .map(|order| (order.price.0, order.leaves.0))
    };
    (
        aggregate_levels(side(Side::Buy), true),
        aggregate_levels(side(Side::Sell), false),
    )
}

/// Runs `warmup` then `commands` and records the outcome of `commands`
/// plus the refused commands.
pub fn run_recorded(warmup: &[Command], commands: &[Command]) -> (Outcome, Vec<Report>) {
    let mut engine = warmed_engine(warmup);
    let mut sink = RecordingSink::default();
    for command in commands {
        engine.apply(command, &mut sink);
    }
    let (bids, asks) = book_levels(&engine);
    (
        Outcome {
            fills: sink.fills,
            bids,
            asks,
        },
        sink.refusals,
    )
}
