//! Differential tests: long swarm-style random command streams go to both
//! the fast `rtes_engine::Engine` and the naive reference model; every
//! command's events must be identical (so a failure names the first
//! divergent command), the fast engine's invariants must hold after every
//! command, and the final books and trading states must be equal.
//!
//! `PROPTEST_CASES=n` runs more cases (default: `DEFAULT_CASES`).

mod support;

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{RngAlgorithm, TestCaseError, TestRng, TestRunner};
use rtes_engine::{
    AccountId, CancelOrder, CancelReason, ClientOrderId, Command, CommandKind, Engine,
    EngineConfig, InstrumentId, MassCancel, NewOrder, OrderType, OwnerId, Price, Qty, RejectReason,
    ReplaceOrder, ReportKind, Side, TimeInForce, TimestampNs, TradingState,
};
use support::reference::ReferenceEngine;
use support::stream::{case_strategy, Case, Generator, Setup, MID};
use support::{Recorded, Recorder};

/// Cases per run when `PROPTEST_CASES` is not set; sized so the file runs
/// in well under a minute in the dev profile.
const DEFAULT_CASES: u32 = 64;

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        // Shrinking long streams is slow; bound it so a failing CI run ends.
        max_shrink_time: 300_000,
        ..ProptestConfig::default()
    }
}

/// Feeds the case to both engines, comparing command by command.
fn run_case(case: &Case) -> Result<(), TestCaseError> {
    let mut generator = Generator::new(&case.setup);
    let mut recipes = case.recipes.iter();
    compare(case.setup.config(), |reference| {
        recipes
            .next()
            .map(|recipe| generator.command(recipe, reference))
    })
}

/// Applies commands from `next` (which may look at the reference's state)
/// to both engines until it returns `None`: per-command events must be
/// identical, the fast engine must validate after each, and the final books
/// and trading states must be equal.
fn compare(
    config: EngineConfig,
    mut next: impl FnMut(&ReferenceEngine) -> Option<Command>,
) -> Result<(), TestCaseError> {
    let instruments = config.instruments.len() as u32;
    let mut engine = Engine::new(config.clone()).expect("test configurations are valid");
    let mut reference = ReferenceEngine::new(config);
    let (mut fast_sink, mut reference_sink) = (Recorder::default(), Recorder::default());
    let mut index = 0;
    while let Some(command) = next(&reference) {
        let fast_seq = engine.apply(&command, &mut fast_sink);
        engine.validate();
        let reference_seq = reference.apply(&command, &mut reference_sink);
        prop_assert_eq!(fast_seq, reference_seq);
        let (fast, expected) = (fast_sink.take(), reference_sink.take());
        prop_assert_eq!(
            &fast,
            &expected,
            "command #{} diverged: {:?}\nfast (left) vs reference (right)",
            index,
            command
        );
        index += 1;
    }
    for instrument in (0..instruments).map(InstrumentId) {
        prop_assert_eq!(
            engine.trading_state(instrument),
            reference.trading_state(instrument)
        );
        for side in [Side::Buy, Side::Sell] {
            prop_assert_eq!(
                engine.resting_orders(instrument, side),
                reference.resting_orders(instrument, side),
                "book {:?} {:?}",
                instrument,
                side
            );
        }
    }
    Ok(())
}

/// Runs a fixed list of commands through both engines.
fn compare_commands(config: EngineConfig, commands: &[Command]) {
    let mut commands = commands.iter();
    if let Err(failure) = compare(config, |_| commands.next().copied()) {
        panic!("{failure}");
    }
}

proptest! {
    #![proptest_config(config(DEFAULT_CASES))]

    /// Streams of a few hundred to 1,500 commands.
    #[test]
    fn fast_engine_matches_reference(case in case_strategy(200, 1_500)) {
        run_case(&case)?;
    }
}

proptest! {
    #![proptest_config(config(2))]

    /// A few long streams: deep books, many state cycles.
    #[test]
    fn fast_engine_matches_reference_long(case in case_strategy(3_000, 4_000)) {
        run_case(&case)?;
    }
}

/// A name for each kind of outcome an event shows (which reject reason,
/// which cancel reason, which liquidity, keep or lose priority, ...).
fn feature(event: &Recorded) -> String {
    match event {
        Recorded::Report(report) => match report.kind {
            ReportKind::Accepted { .. } => "Accepted".into(),
            ReportKind::Rejected { reason, .. } => format!("Rejected {reason:?}"),
            ReportKind::Executed { liquidity, .. } => format!("Executed {liquidity:?}"),
            ReportKind::Canceled { reason, .. } => format!("Canceled {reason:?}"),
            ReportKind::Replaced {
                previous_order_ref,
                order_ref,
                ..
            } => if previous_order_ref == order_ref {
                "Replaced keeping priority"
            } else {
                "Replaced losing priority"
            }
            .into(),
            ReportKind::CancelRejected { reason } => format!("CancelRejected {reason:?}"),
            ReportKind::MassCanceled { count } => {
                format!("MassCanceled {}", if count == 0 { "none" } else { "some" })
            }
        },
        Recorded::Market(market) => {
            let name = format!("{:?}", market.kind);
            name[..name.find([' ', '{']).unwrap_or(name.len())].to_string()
        }
    }
}

/// The generated streams are only evidence if they reach every path: run
/// fixed-seed cases through the reference model and check that every reject
/// reason, cancel reason, liquidity role, replace outcome and market event
/// kind (plus marketable replaces, uncrosses and the self-trade paths) occurs.
#[test]
fn generated_streams_reach_every_outcome() {
    let mut runner = TestRunner::new_with_rng(
        ProptestConfig::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[42; 32]),
    );
    let strategy = case_strategy(200, 1_500);
    let mut seen = BTreeSet::new();
    let mut commands = 0usize;
    for _ in 0..96 {
        let case = strategy.new_tree(&mut runner).expect("generates").current();
        let mut reference = ReferenceEngine::new(case.setup.config());
        let mut generator = Generator::new(&case.setup);
        let mut sink = Recorder::default();
        for recipe in &case.recipes {
            let command = generator.command(recipe, &reference);
            reference.apply(&command, &mut sink);
            commands += 1;
            let events = sink.take();
            seen.extend(events.iter().map(feature));
            // A replace that loses priority and then trades.
            if events
                .iter()
                .any(|e| feature(e) == "Replaced losing priority")
                && events.iter().any(|e| feature(e) == "Executed Removed")
            {
                seen.insert("marketable replace".into());
            }
        }
    }
    use RejectReason::*;
    let rejects = [
        UnknownInstrument,
        InvalidQuantity,
        QuantityBelowMinimum,
        QuantityAboveMaximum,
        PriceOutsideBand,
        InvalidMinQty,
        InvalidOrderAttributes,
        DuplicateClientOrderId,
        PostOnlyWouldTake,
        InstrumentClosed,
        InstrumentHalted,
        NotAllowedInState,
        RiskMaxOrderQty,
        RiskMaxNotional,
        RiskPriceCollar,
        RiskMaxOpenOrders,
        RiskMaxPosition,
        UnknownAccount,
        BookFull,
    ];
    let cancel_rejects = [
        UnknownOrder,
        InvalidQuantity,
        InstrumentClosed,
        InstrumentHalted,
        DuplicateClientOrderId,
        QuantityBelowMinimum,
        QuantityAboveMaximum,
        PriceOutsideBand,
        PostOnlyWouldTake,
        RiskMaxOrderQty,
        RiskMaxNotional,
        RiskPriceCollar,
        RiskMaxPosition,
        UnknownAccount,
    ];
    use CancelReason::*;
    // Supervisory is never emitted by the engine (operator tooling only).
    let cancels = [
        User,
        ImmediateOrCancel,
        FillConditionNotMet,
        SelfTradeNewest,
        SelfTradeOldest,
        SelfTradeBoth,
        MassCancel,
        Disconnect,
    ];
    let mut expected: Vec<String> = rejects.iter().map(|r| format!("Rejected {r:?}")).collect();
    expected.extend(
        cancel_rejects
            .iter()
            .map(|r| format!("CancelRejected {r:?}")),
    );
    expected.extend(cancels.iter().map(|r| format!("Canceled {r:?}")));
    expected.extend(
        [
            "Accepted",
            "Executed Added",
            "Executed Removed",
            "Executed Cross",
            "Replaced keeping priority",
            "Replaced losing priority",
            "marketable replace",
            "MassCanceled none",
            "MassCanceled some",
            "Add",
            "Execute",
            "ExecuteAtPrice",
            "Reduce",
            "Delete",
            "Replace",
            "HiddenTrade",
            "CrossTrade",
            "TradingState",
        ]
        .map(String::from),
    );
    assert!(commands >= 96 * 200, "{commands} commands generated");
    let missing: Vec<&String> = expected.iter().filter(|e| !seen.contains(*e)).collect();
    assert!(
        missing.is_empty(),
        "never generated: {missing:?}\nseen: {seen:?}"
    );
}

/// Corners the contract pins down but random streams reach rarely, run
/// through both engines.
#[test]
fn rare_corners_agree() {
    let setup = Setup {
        weights: [1; 14],
        tick_choice: true,
        lot_size: 10,
        small_slab: None,
        tight: (5, 5, 50, 2, 8),
        tight_stp: 1,
        // Instrument 0 pre-open, instrument 1 continuous.
        initial_states: [0, 3],
    };
    let at = |ts: u64, owner: u32, kind: CommandKind| Command {
        owner: OwnerId(owner),
        ts: TimestampNs(ts),
        kind,
    };
    let order = |coid: u64, instrument: u32, side: Side, price: i64, qty: u64| NewOrder {
        client_order_id: ClientOrderId(coid),
        account: AccountId(coid as u32 % 5),
        instrument: InstrumentId(instrument),
        side,
        order_type: OrderType::Limit,
        price: Price(MID + price),
        qty: Qty(qty),
        time_in_force: TimeInForce::Day,
        min_qty: Qty(0),
        post_only: false,
        hidden: false,
    };
    let state = |instrument: u32, state: TradingState| CommandKind::SetTradingState {
        instrument: InstrumentId(instrument),
        state,
    };
    let new = CommandKind::New;
    let commands = [
        // A crossed pre-open book, closed and then opened without an uncross.
        at(1, 1, new(order(1, 0, Side::Buy, 2, 30))),
        at(2, 2, new(order(2, 0, Side::Sell, -2, 20))),
        at(3, 0, state(0, TradingState::Closed)),
        at(4, 0, state(0, TradingState::Continuous)),
        // An order arriving at a crossed continuous book.
        at(5, 3, new(order(3, 0, Side::Sell, 0, 10))),
        at(6, 3, new(order(4, 0, Side::Buy, 1, 10))),
        // Pre-open replace to a crossing price rests; a halt and resume uncrosses.
        at(7, 0, state(0, TradingState::PreOpen)),
        at(8, 1, new(order(5, 0, Side::Buy, -3, 20))),
        at(
            9,
            2,
            CommandKind::Replace(ReplaceOrder {
                client_order_id: ClientOrderId(2),
                new_client_order_id: ClientOrderId(6),
                price: Price(MID - 4),
                qty: Qty(40),
            }),
        ),
        at(10, 0, state(0, TradingState::Halted)),
        at(11, 0, state(0, TradingState::Continuous)),
        // An uncross with nothing crossing.
        at(12, 0, state(0, TradingState::PreOpen)),
        at(13, 0, state(0, TradingState::Continuous)),
        // Mass cancel naming an unknown instrument; unknown owners.
        at(
            14,
            0,
            CommandKind::MassCancel(MassCancel {
                account: AccountId(1),
                instrument: Some(InstrumentId(2)),
            }),
        ),
        at(15, 6, CommandKind::CancelOwnerOrders),
        at(16, 6, new(order(7, 1, Side::Buy, 0, 10))),
        at(
            17,
            6,
            CommandKind::Cancel(CancelOrder {
                client_order_id: ClientOrderId(1),
                leave_qty: Qty(0),
            }),
        ),
        // Cancel down to a quantity off the lot size, then trade through it.
        at(18, 1, new(order(8, 1, Side::Buy, 0, 30))),
        at(
            19,
            1,
            CommandKind::Cancel(CancelOrder {
                client_order_id: ClientOrderId(8),
                leave_qty: Qty(15),
            }),
        ),
        at(20, 2, new(order(9, 1, Side::Sell, 0, 20))),
        // Market FOK with a minimum quantity; market orders in pre-open.
        at(
            21,
            2,
            new(NewOrder {
                order_type: OrderType::Market,
                time_in_force: TimeInForce::Fok,
                min_qty: Qty(10),
                ..order(10, 1, Side::Buy, 0, 20)
            }),
        ),
        at(22, 0, state(0, TradingState::PreOpen)),
        at(
            23,
            2,
            new(NewOrder {
                order_type: OrderType::Market,
                ..order(11, 0, Side::Buy, 0, 20)
            }),
        ),
        // The same state again: nothing happens.
        at(24, 0, state(0, TradingState::PreOpen)),
        at(25, 0, state(2, TradingState::PreOpen)),
    ];
    compare_commands(setup.config(), &commands);
}
