//! Hand-written scenarios for the reference engine itself: the differential
//! tests are only as good as the model they compare against, so each rule of
//! `docs/engine-semantics.md` that the model implements is pinned here with
//! exact expected events.

mod support;

use rtes_engine::*;
use support::reference::ReferenceEngine;
use support::{Recorded, Recorder};

const ABC: InstrumentId = InstrumentId(0);
const XYZ: InstrumentId = InstrumentId(1);

/// Accounts by STP mode and risk; see `config()`.
const OFF_A: AccountId = AccountId(0);
const OFF_B: AccountId = AccountId(1);
const NEWEST: AccountId = AccountId(2);
const OLDEST: AccountId = AccountId(3);
const BOTH: AccountId = AccountId(4);
const TIGHT: AccountId = AccountId(5);

fn account(name: &str, stp: SelfTradePrevention) -> AccountConfig {
    AccountConfig {
        name: name.into(),
        max_order_qty: Qty(1_000_000),
        max_notional: u128::MAX,
        price_collar_bps: 10_000,
        max_open_orders: 1_000,
        max_position: 1_000_000_000,
        self_trade_prevention: stp,
    }
}

fn instrument(symbol: &str, initial_state: TradingState) -> InstrumentConfig {
    InstrumentConfig {
        symbol: symbol.into(),
        tick_size: 100,
        lot_size: 10,
        min_qty: Qty(10),
        max_qty: Qty(10_000),
        reference_price: Price(1000),
        band_low: Price(500),
        band_high: Price(1500),
        initial_state,
    }
}

fn config() -> EngineConfig {
    EngineConfig {
        instruments: vec![
            instrument("ABC", TradingState::Continuous),
            instrument("XYZ", TradingState::PreOpen),
        ],
        accounts: vec![
            account("OFFA", SelfTradePrevention::Off),
            account("OFFB", SelfTradePrevention::Off),
            account("NEWEST", SelfTradePrevention::CancelNewest),
            account("OLDEST", SelfTradePrevention::CancelOldest),
            account("BOTH", SelfTradePrevention::CancelBoth),
            AccountConfig {
                name: "TIGHT".into(),
                max_order_qty: Qty(500),
                // 1000 ticks × 100 × 300 shares.
                max_notional: 30_000_000,
                // 10% around the reference price of 1000: 900..=1100.
                price_collar_bps: 1_000,
                max_open_orders: 2,
                max_position: 400,
                self_trade_prevention: SelfTradePrevention::Off,
            },
        ],
        max_resting_orders: 6,
        max_owners: 8,
    }
}

/// An event without its seq/ts (checked separately), for compact expectations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ev {
    /// Report: owner, client order id, kind.
    R(u32, u64, ReportKind),
    /// Market event: instrument, kind.
    M(u32, MarketEventKind),
}

struct Harness {
    engine: ReferenceEngine,
    last_seq: u64,
}

impl Harness {
    fn new() -> Harness {
        Harness {
            engine: ReferenceEngine::new(config()),
            last_seq: 0,
        }
    }

    /// Applies a command and returns its events, after checking that every
    /// event carries the command's seq and ts.
    fn run(&mut self, owner: u32, kind: CommandKind) -> Vec<Ev> {
        let ts = TimestampNs(1_000 + self.last_seq);
        let command = Command {
            owner: OwnerId(owner),
            ts,
            kind,
        };
        let mut recorder = Recorder::default();
        let seq = self.engine.apply(&command, &mut recorder);
        self.last_seq += 1;
        assert_eq!(seq, SequenceNumber(self.last_seq));
        recorder
            .events
            .into_iter()
            .map(|event| match event {
                Recorded::Report(report) => {
                    assert_eq!((report.seq, report.ts), (seq, ts));
                    Ev::R(report.owner.0, report.client_order_id.0, report.kind)
                }
                Recorded::Market(market) => {
                    assert_eq!((market.seq, market.ts), (seq, ts));
                    Ev::M(market.instrument.0, market.kind)
                }
            })
            .collect()
    }

    fn new_order(&mut self, owner: u32, order: NewOrder) -> Vec<Ev> {
        self.run(owner, CommandKind::New(order))
    }

    /// Submits an order that must be accepted; returns its reference.
    fn accepted(&mut self, owner: u32, order: NewOrder) -> OrderRef {
        let events = self.new_order(owner, order);
        match events.first() {
            Some(Ev::R(_, _, ReportKind::Accepted { order_ref, .. })) => *order_ref,
            other => panic!("expected Accepted, got {other:?} in {events:?}"),
        }
    }

    /// Refs, leaves and prices of one side in priority order.
    fn book(&self, instrument: InstrumentId, side: Side) -> Vec<(u64, i64, u64)> {
        self.engine
            .resting_orders(instrument, side)
            .iter()
            .map(|order| (order.order_ref.0, order.price.0, order.leaves.0))
            .collect()
    }

    fn reject_reason(&mut self, owner: u32, order: NewOrder) -> RejectReason {
        match self.new_order(owner, order).as_slice() {
            [Ev::R(_, _, ReportKind::Rejected { reason, .. })] => *reason,
            other => panic!("expected one Rejected, got {other:?}"),
        }
    }
}

fn limit(coid: u64, account: AccountId, side: Side, price: i64, qty: u64) -> NewOrder {
    NewOrder {
        client_order_id: ClientOrderId(coid),
        account,
        instrument: ABC,
        side,
        order_type: OrderType::Limit,
        price: Price(price),
        qty: Qty(qty),
        time_in_force: TimeInForce::Day,
        min_qty: Qty(0),
        post_only: false,
        hidden: false,
    }
}

fn on(instrument: InstrumentId, order: NewOrder) -> NewOrder {
    NewOrder {
        instrument,
        ..order
    }
}

fn accepted(order_ref: u64, order: NewOrder) -> ReportKind {
    ReportKind::Accepted {
        order_ref: OrderRef(order_ref),
        order,
    }
}

#[allow(clippy::too_many_arguments)]
fn executed(
    order_ref: u64,
    side: Side,
    qty: u64,
    price: i64,
    leaves: u64,
    match_number: u64,
    liquidity: Liquidity,
) -> ReportKind {
    ReportKind::Executed {
        order_ref: OrderRef(order_ref),
        instrument: ABC,
        side,
        qty: Qty(qty),
        price: Price(price),
        leaves: Qty(leaves),
        match_number: MatchNumber(match_number),
        liquidity,
    }
}

fn canceled(order_ref: u64, qty: u64, leaves: u64, reason: CancelReason) -> ReportKind {
    ReportKind::Canceled {
        order_ref: OrderRef(order_ref),
        instrument: ABC,
        qty: Qty(qty),
        leaves: Qty(leaves),
        reason,
    }
}

fn execute(order_ref: u64, qty: u64, match_number: u64) -> MarketEventKind {
    MarketEventKind::Execute {
        order_ref: OrderRef(order_ref),
        qty: Qty(qty),
        match_number: MatchNumber(match_number),
    }
}

fn add(order_ref: u64, side: Side, price: i64, qty: u64) -> MarketEventKind {
    MarketEventKind::Add {
        order_ref: OrderRef(order_ref),
        side,
        price: Price(price),
        qty: Qty(qty),
    }
}

fn delete(order_ref: u64) -> MarketEventKind {
    MarketEventKind::Delete {
        order_ref: OrderRef(order_ref),
    }
}

use Liquidity::{Added, Removed};
use Side::{Buy, Sell};

#[test]
fn incoming_order_walks_levels_numbering_each_fill() {
    let mut h = Harness::new();
    assert_eq!(
        h.new_order(1, limit(11, OFF_A, Sell, 1000, 100)),
        vec![
            Ev::R(1, 11, accepted(1, limit(11, OFF_A, Sell, 1000, 100))),
            Ev::M(0, add(1, Sell, 1000, 100)),
        ]
    );
    h.accepted(1, limit(12, OFF_A, Sell, 1000, 50));
    h.accepted(2, limit(21, OFF_B, Sell, 1001, 100));
    let buy = limit(31, OFF_B, Buy, 1001, 200);
    assert_eq!(
        h.new_order(3, buy),
        vec![
            Ev::R(3, 31, accepted(4, buy)),
            Ev::M(0, execute(1, 100, 1)),
            Ev::R(1, 11, executed(1, Sell, 100, 1000, 0, 1, Added)),
            Ev::R(3, 31, executed(4, Buy, 100, 1000, 100, 1, Removed)),
            Ev::M(0, execute(2, 50, 2)),
            Ev::R(1, 12, executed(2, Sell, 50, 1000, 0, 2, Added)),
            Ev::R(3, 31, executed(4, Buy, 50, 1000, 50, 2, Removed)),
            Ev::M(0, execute(3, 50, 3)),
            Ev::R(2, 21, executed(3, Sell, 50, 1001, 50, 3, Added)),
            Ev::R(3, 31, executed(4, Buy, 50, 1001, 0, 3, Removed)),
        ]
    );
    assert_eq!(h.book(ABC, Sell), vec![(3, 1001, 50)]);
    assert!(h.book(ABC, Buy).is_empty());
    assert_eq!(h.engine.position(OFF_A, ABC), -150);
    assert_eq!(h.engine.position(OFF_B, ABC), 150);
}

#[test]
fn day_remainder_rests_and_ioc_and_market_remainders_are_cancelled() {
    let mut h = Harness::new();
    h.accepted(1, limit(1, OFF_A, Sell, 1000, 30));
    let day = limit(2, OFF_B, Buy, 1000, 50);
    let events = h.new_order(2, day);
    assert_eq!(events[events.len() - 1], Ev::M(0, add(2, Buy, 1000, 20)));
    assert_eq!(h.book(ABC, Buy), vec![(2, 1000, 20)]);

    let ioc = NewOrder {
        time_in_force: TimeInForce::Ioc,
        ..limit(3, OFF_A, Sell, 999, 50)
    };
    assert_eq!(
        h.new_order(1, ioc),
        vec![
            Ev::R(1, 3, accepted(3, ioc)),
            Ev::M(0, execute(2, 20, 2)),
            Ev::R(2, 2, executed(2, Buy, 20, 1000, 0, 2, Added)),
            Ev::R(1, 3, executed(3, Sell, 20, 1000, 30, 2, Removed)),
            Ev::R(1, 3, canceled(3, 30, 0, CancelReason::ImmediateOrCancel)),
        ]
    );
    // A market order with Day time in force is still IOC.
    let market = NewOrder {
        order_type: OrderType::Market,
        price: Price(0),
        ..limit(4, OFF_A, Buy, 0, 40)
    };
    assert_eq!(
        h.new_order(1, market),
        vec![
            Ev::R(1, 4, accepted(4, market)),
            Ev::R(1, 4, canceled(4, 40, 0, CancelReason::ImmediateOrCancel)),
        ]
    );
    assert!(h.book(ABC, Buy).is_empty() && h.book(ABC, Sell).is_empty());
}

#[test]
fn stp_cancel_newest_fills_others_first_then_cancels_the_incoming_remainder() {
    let mut h = Harness::new();
    h.accepted(1, limit(1, OFF_A, Sell, 1000, 30));
    h.accepted(2, limit(1, NEWEST, Sell, 1000, 40));
    h.accepted(1, limit(2, OFF_A, Sell, 1000, 50));
    let buy = limit(7, NEWEST, Buy, 1000, 100);
    assert_eq!(
        h.new_order(3, buy),
        vec![
            Ev::R(3, 7, accepted(4, buy)),
            Ev::M(0, execute(1, 30, 1)),
            Ev::R(1, 1, executed(1, Sell, 30, 1000, 0, 1, Added)),
            Ev::R(3, 7, executed(4, Buy, 30, 1000, 70, 1, Removed)),
            Ev::R(3, 7, canceled(4, 70, 0, CancelReason::SelfTradeNewest)),
        ]
    );
    assert_eq!(h.book(ABC, Sell), vec![(2, 1000, 40), (3, 1000, 50)]);
}

#[test]
fn stp_cancel_oldest_cancels_resting_orders_and_keeps_matching() {
    let mut h = Harness::new();
    h.accepted(2, limit(1, OLDEST, Sell, 1000, 40));
    h.accepted(1, limit(1, OFF_A, Sell, 1001, 50));
    let buy = limit(9, OLDEST, Buy, 1001, 100);
    assert_eq!(
        h.new_order(3, buy),
        vec![
            Ev::R(3, 9, accepted(3, buy)),
            Ev::M(0, delete(1)),
            Ev::R(2, 1, canceled(1, 40, 0, CancelReason::SelfTradeOldest)),
            Ev::M(0, execute(2, 50, 1)),
            Ev::R(1, 1, executed(2, Sell, 50, 1001, 0, 1, Added)),
            Ev::R(3, 9, executed(3, Buy, 50, 1001, 50, 1, Removed)),
            Ev::M(0, add(3, Buy, 1001, 50)),
        ]
    );
}

#[test]
fn stp_cancel_both_cancels_resting_then_incoming() {
    let mut h = Harness::new();
    let hidden = NewOrder {
        hidden: true,
        ..limit(1, BOTH, Sell, 1000, 40)
    };
    h.accepted(2, hidden);
    h.accepted(1, limit(1, OFF_A, Sell, 1000, 50));
    let buy = limit(9, BOTH, Buy, 1000, 100);
    // The displayed order has priority over the hidden one at one price.
    assert_eq!(
        h.new_order(3, buy),
        vec![
            Ev::R(3, 9, accepted(3, buy)),
            Ev::M(0, execute(2, 50, 1)),
            Ev::R(1, 1, executed(2, Sell, 50, 1000, 0, 1, Added)),
            Ev::R(3, 9, executed(3, Buy, 50, 1000, 50, 1, Removed)),
            // Hidden: no Delete on the feed.
            Ev::R(2, 1, canceled(1, 40, 0, CancelReason::SelfTradeBoth)),
            Ev::R(3, 9, canceled(3, 50, 0, CancelReason::SelfTradeBoth)),
        ]
    );
    assert!(h.book(ABC, Sell).is_empty() && h.book(ABC, Buy).is_empty());
}

#[test]
fn stp_off_trades_with_itself_and_nets_position() {
    let mut h = Harness::new();
    h.accepted(1, limit(1, OFF_A, Sell, 1000, 40));
    let events = h.new_order(2, limit(1, OFF_A, Buy, 1000, 40));
    assert_eq!(events[1], Ev::M(0, execute(1, 40, 1)));
    assert_eq!(h.engine.position(OFF_A, ABC), 0);
}

#[test]
fn fok_fills_fully_or_does_nothing() {
    let mut h = Harness::new();
    h.accepted(1, limit(1, OFF_A, Sell, 1000, 40));
    h.accepted(1, limit(2, OFF_A, Sell, 1001, 40));
    let fok = NewOrder {
        time_in_force: TimeInForce::Fok,
        ..limit(5, OFF_B, Buy, 1001, 90)
    };
    assert_eq!(
        h.new_order(2, fok),
        vec![
            Ev::R(2, 5, accepted(3, fok)),
            Ev::R(2, 5, canceled(3, 90, 0, CancelReason::FillConditionNotMet)),
        ]
    );
    assert_eq!(h.book(ABC, Sell).len(), 2);
    let fok = NewOrder {
        client_order_id: ClientOrderId(6),
        qty: Qty(80),
        ..fok
    };
    let events = h.new_order(2, fok);
    assert_eq!(
        events.len(),
        7,
        "accepted and two fills, nothing else: {events:?}"
    );
    assert!(h.book(ABC, Sell).is_empty());
}

#[test]
fn fill_condition_walk_follows_stp_modes() {
    // CancelNewest: the walk stops at the own order even with liquidity behind it.
    let mut h = Harness::new();
    h.accepted(1, limit(1, NEWEST, Sell, 1000, 40));
    h.accepted(2, limit(1, OFF_A, Sell, 1000, 60));
    let fok = NewOrder {
        time_in_force: TimeInForce::Fok,
        ..limit(2, NEWEST, Buy, 1000, 60)
    };
    let events = h.new_order(1, fok);
    assert_eq!(
        events[1],
        Ev::R(1, 2, canceled(3, 60, 0, CancelReason::FillConditionNotMet))
    );
    assert_eq!(events.len(), 2);

    // CancelOldest: the own order is skipped (not counted), then cancelled
    // by the match loop.
    let mut h = Harness::new();
    h.accepted(1, limit(1, OLDEST, Sell, 1000, 40));
    h.accepted(2, limit(1, OFF_A, Sell, 1000, 60));
    let fok = NewOrder {
        time_in_force: TimeInForce::Fok,
        ..limit(2, OLDEST, Buy, 1000, 70)
    };
    let events = h.new_order(1, fok);
    assert_eq!(
        events[1],
        Ev::R(1, 2, canceled(3, 70, 0, CancelReason::FillConditionNotMet))
    );
    let fok = NewOrder {
        client_order_id: ClientOrderId(3),
        qty: Qty(60),
        ..fok
    };
    assert_eq!(
        h.new_order(1, fok),
        vec![
            Ev::R(1, 3, accepted(4, fok)),
            Ev::M(0, delete(1)),
            Ev::R(1, 1, canceled(1, 40, 0, CancelReason::SelfTradeOldest)),
            Ev::M(0, execute(2, 60, 1)),
            Ev::R(2, 1, executed(2, Sell, 60, 1000, 0, 1, Added)),
            Ev::R(1, 3, executed(4, Buy, 60, 1000, 0, 1, Removed)),
        ]
    );
}

#[test]
fn min_qty_day_order_needs_min_qty_now_then_rests() {
    let mut h = Harness::new();
    h.accepted(1, limit(1, OFF_A, Sell, 1000, 50));
    let order = NewOrder {
        min_qty: Qty(60),
        ..limit(2, OFF_B, Buy, 1000, 100)
    };
    assert_eq!(
        h.new_order(2, order)[1],
        Ev::R(2, 2, canceled(2, 100, 0, CancelReason::FillConditionNotMet))
    );
    h.accepted(1, limit(3, OFF_A, Sell, 1000, 10));
    let order = NewOrder {
        client_order_id: ClientOrderId(4),
        ..order
    };
    let events = h.new_order(2, order);
    assert_eq!(events.last(), Some(&Ev::M(0, add(4, Buy, 1000, 40))));
    assert_eq!(h.book(ABC, Buy), vec![(4, 1000, 40)]);
}

#[test]
fn hidden_orders_queue_behind_displayed_and_trade_as_hidden_trades() {
    let mut h = Harness::new();
    let hidden = NewOrder {
        hidden: true,
        ..limit(1, OFF_A, Sell, 1000, 30)
    };
    assert_eq!(
        h.new_order(1, hidden),
        vec![Ev::R(1, 1, accepted(1, hidden))]
    );
    h.accepted(1, limit(2, OFF_A, Sell, 1000, 30));
    h.accepted(1, limit(3, OFF_A, Sell, 999, 30).with_hidden());
    assert_eq!(
        h.book(ABC, Sell),
        vec![(3, 999, 30), (2, 1000, 30), (1, 1000, 30)]
    );
    let buy = limit(4, OFF_B, Buy, 1000, 80);
    assert_eq!(
        h.new_order(2, buy),
        vec![
            Ev::R(2, 4, accepted(4, buy)),
            Ev::M(
                0,
                MarketEventKind::HiddenTrade {
                    side: Sell,
                    price: Price(999),
                    qty: Qty(30),
                    match_number: MatchNumber(1)
                }
            ),
            Ev::R(1, 3, executed(3, Sell, 30, 999, 0, 1, Added)),
            Ev::R(2, 4, executed(4, Buy, 30, 999, 50, 1, Removed)),
            Ev::M(0, execute(2, 30, 2)),
            Ev::R(1, 2, executed(2, Sell, 30, 1000, 0, 2, Added)),
            Ev::R(2, 4, executed(4, Buy, 30, 1000, 20, 2, Removed)),
            Ev::M(
                0,
                MarketEventKind::HiddenTrade {
                    side: Sell,
                    price: Price(1000),
                    qty: Qty(20),
                    match_number: MatchNumber(3)
                }
            ),
            Ev::R(1, 1, executed(1, Sell, 20, 1000, 10, 3, Added)),
            Ev::R(2, 4, executed(4, Buy, 20, 1000, 0, 3, Removed)),
        ]
    );
}

trait WithHidden {
    fn with_hidden(self) -> Self;
}

impl WithHidden for NewOrder {
    fn with_hidden(self) -> Self {
        NewOrder {
            hidden: true,
            ..self
        }
    }
}

fn replace(coid: u64, new_coid: u64, price: i64, qty: u64) -> CommandKind {
    CommandKind::Replace(ReplaceOrder {
        client_order_id: ClientOrderId(coid),
        new_client_order_id: ClientOrderId(new_coid),
        price: Price(price),
        qty: Qty(qty),
    })
}

fn replaced(
    prev_coid: u64,
    prev_ref: u64,
    new_ref: u64,
    side: Side,
    price: i64,
    qty: u64,
) -> ReportKind {
    ReportKind::Replaced {
        previous_client_order_id: ClientOrderId(prev_coid),
        previous_order_ref: OrderRef(prev_ref),
        order_ref: OrderRef(new_ref),
        instrument: ABC,
        side,
        price: Price(price),
        qty: Qty(qty),
    }
}

#[test]
fn replace_down_at_same_price_keeps_priority() {
    let mut h = Harness::new();
    h.accepted(1, limit(1, OFF_A, Buy, 1000, 50));
    h.accepted(2, limit(1, OFF_B, Buy, 1000, 50));
    assert_eq!(
        h.run(1, replace(1, 7, 1000, 30)),
        vec![
            Ev::M(
                0,
                MarketEventKind::Reduce {
                    order_ref: OrderRef(1),
                    qty: Qty(20)
                }
            ),
            Ev::R(1, 7, replaced(1, 1, 1, Buy, 1000, 30)),
        ]
    );
    // Same quantity, new id only: no market event.
    assert_eq!(
        h.run(1, replace(7, 8, 1000, 30)),
        vec![Ev::R(1, 8, replaced(7, 1, 1, Buy, 1000, 30))]
    );
    assert_eq!(h.book(ABC, Buy), vec![(1, 1000, 30), (2, 1000, 50)]);
    // The old id is dead now.
    assert_eq!(
        h.run(1, replace(1, 9, 1000, 10)),
        vec![Ev::R(
            1,
            1,
            ReportKind::CancelRejected {
                reason: RejectReason::UnknownOrder
            }
        )]
    );
}

#[test]
fn replace_up_or_to_a_new_price_loses_priority() {
    let mut h = Harness::new();
    h.accepted(1, limit(1, OFF_A, Buy, 1000, 50));
    h.accepted(2, limit(1, OFF_B, Buy, 1000, 50));
    assert_eq!(
        h.run(1, replace(1, 1, 1000, 60)),
        vec![
            Ev::M(
                0,
                MarketEventKind::Replace {
                    old_order_ref: OrderRef(1),
                    new_order_ref: OrderRef(3),
                    price: Price(1000),
                    qty: Qty(60)
                }
            ),
            Ev::R(1, 1, replaced(1, 1, 3, Buy, 1000, 60)),
        ]
    );
    assert_eq!(h.book(ABC, Buy), vec![(2, 1000, 50), (3, 1000, 60)]);
    // A lower price with less quantity also loses priority.
    h.run(2, replace(1, 1, 999, 10));
    assert_eq!(h.book(ABC, Buy), vec![(3, 1000, 60), (4, 999, 10)]);
}

#[test]
fn marketable_replace_deletes_then_matches_with_the_new_ref() {
    let mut h = Harness::new();
    h.accepted(1, limit(1, OFF_A, Sell, 1001, 30));
    h.accepted(2, limit(1, OFF_B, Buy, 1000, 50));
    assert_eq!(
        h.run(2, replace(1, 2, 1001, 50)),
        vec![
            Ev::M(0, delete(2)),
            Ev::R(2, 2, replaced(1, 2, 3, Buy, 1001, 50)),
            Ev::M(0, execute(1, 30, 1)),
            Ev::R(1, 1, executed(1, Sell, 30, 1001, 0, 1, Added)),
            Ev::R(2, 2, executed(3, Buy, 30, 1001, 20, 1, Removed)),
            Ev::M(0, add(3, Buy, 1001, 20)),
        ]
    );
}

#[test]
fn replace_checks_and_zero_quantity_cancel() {
    let mut h = Harness::new();
    h.accepted(1, limit(1, OFF_A, Buy, 1000, 50));
    h.accepted(1, limit(2, OFF_A, Buy, 999, 50));
    let rejected = |reason| vec![Ev::R(1, 1, ReportKind::CancelRejected { reason })];
    assert_eq!(
        h.run(1, replace(1, 2, 1000, 40)),
        rejected(RejectReason::DuplicateClientOrderId)
    );
    assert_eq!(
        h.run(1, replace(1, 3, 1000, 45)),
        rejected(RejectReason::InvalidQuantity)
    );
    assert_eq!(
        h.run(1, replace(1, 3, 1501, 40)),
        rejected(RejectReason::PriceOutsideBand)
    );
    // The duplicate check comes before the quantity-zero cancel.
    assert_eq!(
        h.run(1, replace(1, 2, 1000, 0)),
        rejected(RejectReason::DuplicateClientOrderId)
    );
    // Qty 0 cancels, reported with the old id.
    assert_eq!(
        h.run(1, replace(1, 3, 1000, 0)),
        vec![
            Ev::M(0, delete(1)),
            Ev::R(1, 1, canceled(1, 50, 0, CancelReason::User)),
        ]
    );
}

#[test]
fn post_only_rejects_when_marketable_hidden_included() {
    let mut h = Harness::new();
    h.accepted(1, limit(1, OFF_A, Sell, 1001, 30).with_hidden());
    let post = NewOrder {
        post_only: true,
        ..limit(2, OFF_B, Buy, 1001, 10)
    };
    assert_eq!(h.reject_reason(2, post), RejectReason::PostOnlyWouldTake);
    let post = NewOrder {
        price: Price(1000),
        ..post
    };
    h.accepted(2, post);
    assert_eq!(
        h.run(2, replace(2, 2, 1001, 10)),
        vec![Ev::R(
            2,
            2,
            ReportKind::CancelRejected {
                reason: RejectReason::PostOnlyWouldTake
            }
        )]
    );
    let ioc_post = NewOrder {
        time_in_force: TimeInForce::Ioc,
        ..post
    };
    assert_eq!(
        h.reject_reason(
            2,
            NewOrder {
                client_order_id: ClientOrderId(3),
                ..ioc_post
            }
        ),
        RejectReason::InvalidOrderAttributes
    );
}

#[test]
fn new_order_checks_in_contract_order() {
    let mut h = Harness::new();
    let base = limit(1, OFF_A, Buy, 1000, 50);
    let unknown_instrument = on(InstrumentId(9), base);
    assert_eq!(
        h.reject_reason(1, unknown_instrument),
        RejectReason::UnknownInstrument
    );
    assert_eq!(h.reject_reason(8, base), RejectReason::UnknownAccount);
    let bad_account = NewOrder {
        account: AccountId(6),
        ..base
    };
    assert_eq!(
        h.reject_reason(1, bad_account),
        RejectReason::UnknownAccount
    );
    h.accepted(1, base);
    // Duplicate is checked before the quantity.
    let duplicate = NewOrder {
        qty: Qty(0),
        ..base
    };
    assert_eq!(
        h.reject_reason(1, duplicate),
        RejectReason::DuplicateClientOrderId
    );
    // Another owner may use the same client order id.
    h.accepted(2, base);
    let ioc = NewOrder {
        time_in_force: TimeInForce::Ioc,
        ..limit(3, OFF_A, Buy, 1000, 50)
    };
    assert_eq!(
        h.reject_reason(1, on(XYZ, ioc)),
        RejectReason::NotAllowedInState
    );
    let min_qty = NewOrder {
        min_qty: Qty(10),
        ..limit(3, OFF_A, Buy, 1000, 50)
    };
    assert_eq!(
        h.reject_reason(1, on(XYZ, min_qty)),
        RejectReason::NotAllowedInState
    );
    let cases = [
        (Qty(0), RejectReason::InvalidQuantity),
        (Qty(15), RejectReason::InvalidQuantity),
        (Qty(10_010), RejectReason::QuantityAboveMaximum),
    ];
    for (qty, reason) in cases {
        let order = NewOrder {
            qty,
            ..limit(3, OFF_A, Buy, 1000, 0)
        };
        assert_eq!(h.reject_reason(1, order), reason);
    }
    let min_too_big = NewOrder {
        min_qty: Qty(60),
        ..limit(3, OFF_A, Buy, 1000, 50)
    };
    assert_eq!(h.reject_reason(1, min_too_big), RejectReason::InvalidMinQty);
    assert_eq!(
        h.reject_reason(1, limit(3, OFF_A, Buy, 499, 50)),
        RejectReason::PriceOutsideBand
    );
    // Market orders skip the band check (their price is ignored).
    let market = NewOrder {
        order_type: OrderType::Market,
        ..limit(3, OFF_A, Buy, 0, 50)
    };
    h.accepted(1, market);
}

#[test]
fn every_risk_check_fires_in_order() {
    let mut h = Harness::new();
    let order = |coid, side, price, qty| limit(coid, TIGHT, side, price, qty);
    assert_eq!(
        h.reject_reason(1, order(1, Buy, 1000, 510)),
        RejectReason::RiskMaxOrderQty
    );
    // 1000 × 100 × 310 > 30,000,000.
    assert_eq!(
        h.reject_reason(1, order(1, Buy, 1000, 310)),
        RejectReason::RiskMaxNotional
    );
    // A market order uses the reference price (1000) for its notional.
    let market = NewOrder {
        order_type: OrderType::Market,
        ..order(1, Buy, 600, 310)
    };
    assert_eq!(h.reject_reason(1, market), RejectReason::RiskMaxNotional);
    assert_eq!(
        h.reject_reason(1, order(1, Buy, 899, 10)),
        RejectReason::RiskPriceCollar
    );
    assert_eq!(
        h.reject_reason(1, order(1, Sell, 1101, 10)),
        RejectReason::RiskPriceCollar
    );
    h.accepted(1, order(1, Buy, 900, 200));
    h.accepted(1, order(2, Buy, 1100, 100));
    assert_eq!(
        h.reject_reason(1, order(3, Sell, 1100, 10)),
        RejectReason::RiskMaxOpenOrders
    );
    // IOC orders are not counted against open orders, but the position check
    // counts open buys: 300 open + 110 > 400.
    let ioc = NewOrder {
        time_in_force: TimeInForce::Ioc,
        ..order(3, Buy, 1000, 110)
    };
    assert_eq!(h.reject_reason(1, ioc), RejectReason::RiskMaxPosition);
    let ioc = NewOrder {
        qty: Qty(100),
        ..ioc
    };
    h.accepted(1, ioc);
    // Replace: the position check excludes the order's own leaves
    // (300 − 100 + 200 = 400 ≤ 400), and open-order count is not checked.
    assert_eq!(
        h.run(1, replace(2, 2, 1100, 200)),
        vec![
            Ev::M(
                0,
                MarketEventKind::Replace {
                    old_order_ref: OrderRef(2),
                    new_order_ref: OrderRef(4),
                    price: Price(1100),
                    qty: Qty(200)
                }
            ),
            Ev::R(1, 2, replaced(2, 2, 4, Buy, 1100, 200)),
        ]
    );
    assert_eq!(
        h.run(1, replace(2, 2, 1100, 210)),
        vec![Ev::R(
            1,
            2,
            ReportKind::CancelRejected {
                reason: RejectReason::RiskMaxPosition
            }
        )]
    );
    // Executed quantity counts as position: fill 200 of the buys.
    h.accepted(2, limit(1, OFF_A, Sell, 1100, 200));
    assert_eq!(h.engine.position(TIGHT, ABC), 200);
    h.run(1, CommandKind::CancelOwnerOrders);
    // Buy: 200 + 0 open + 210 > 400.
    let buy_ioc = NewOrder {
        time_in_force: TimeInForce::Ioc,
        ..order(5, Buy, 1000, 210)
    };
    assert_eq!(h.reject_reason(1, buy_ioc), RejectReason::RiskMaxPosition);
    // Sell: −200 + 0 open + 300 = 100 ≤ 400 (no liquidity: cancelled).
    let sell_ioc = NewOrder {
        side: Sell,
        qty: Qty(300),
        ..buy_ioc
    };
    h.accepted(1, sell_ioc);
}

#[test]
fn book_full_rejects_day_limit_orders_only() {
    let mut h = Harness::new();
    for coid in 0..6 {
        h.accepted(1, limit(coid, OFF_A, Buy, 900 + coid as i64, 10));
    }
    assert_eq!(
        h.reject_reason(1, limit(6, OFF_A, Buy, 900, 10)),
        RejectReason::BookFull
    );
    // A Day limit order that would fill completely still needs a slot.
    assert_eq!(
        h.reject_reason(2, limit(6, OFF_B, Sell, 900, 10)),
        RejectReason::BookFull
    );
    let ioc = NewOrder {
        time_in_force: TimeInForce::Ioc,
        ..limit(6, OFF_B, Sell, 900, 10)
    };
    h.accepted(2, ioc);
    assert_eq!(h.engine.resting_order_count(), 5);
    h.accepted(2, limit(7, OFF_B, Sell, 1200, 10));
}

#[test]
fn cancel_reduces_or_removes_and_rejects_bad_requests() {
    let mut h = Harness::new();
    h.accepted(1, limit(1, OFF_A, Buy, 1000, 50));
    h.accepted(2, limit(1, OFF_B, Buy, 1000, 50));
    let cancel = |coid, leave| {
        CommandKind::Cancel(CancelOrder {
            client_order_id: ClientOrderId(coid),
            leave_qty: Qty(leave),
        })
    };
    assert_eq!(
        h.run(1, cancel(1, 20)),
        vec![
            Ev::M(
                0,
                MarketEventKind::Reduce {
                    order_ref: OrderRef(1),
                    qty: Qty(30)
                }
            ),
            Ev::R(1, 1, canceled(1, 30, 20, CancelReason::User)),
        ]
    );
    assert_eq!(h.book(ABC, Buy), vec![(1, 1000, 20), (2, 1000, 50)]);
    let rejected = |coid, reason| vec![Ev::R(1, coid, ReportKind::CancelRejected { reason })];
    assert_eq!(
        h.run(1, cancel(1, 20)),
        rejected(1, RejectReason::InvalidQuantity)
    );
    assert_eq!(
        h.run(1, cancel(5, 0)),
        rejected(5, RejectReason::UnknownOrder)
    );
    assert_eq!(
        h.run(1, cancel(1, 0)),
        vec![
            Ev::M(0, delete(1)),
            Ev::R(1, 1, canceled(1, 20, 0, CancelReason::User)),
        ]
    );
    // Dead ids may be reused.
    h.accepted(1, limit(1, OFF_A, Buy, 1000, 50));
}

#[test]
fn mass_cancel_goes_in_order_ref_order_and_reports_a_count() {
    let mut h = Harness::new();
    h.accepted(1, limit(1, OFF_A, Buy, 999, 10));
    h.accepted(2, limit(1, OFF_A, Sell, 1001, 20).with_hidden());
    h.accepted(1, limit(2, OFF_B, Buy, 1000, 30));
    h.accepted(1, limit(3, OFF_A, Buy, 1000, 40));
    let mass = |account, instrument| {
        CommandKind::MassCancel(MassCancel {
            account,
            instrument,
        })
    };
    assert_eq!(
        h.run(3, mass(OFF_A, Some(ABC))),
        vec![
            Ev::M(0, delete(1)),
            Ev::R(1, 1, canceled(1, 10, 0, CancelReason::MassCancel)),
            Ev::R(2, 1, canceled(2, 20, 0, CancelReason::MassCancel)),
            Ev::M(0, delete(4)),
            Ev::R(1, 3, canceled(4, 40, 0, CancelReason::MassCancel)),
            Ev::R(3, 0, ReportKind::MassCanceled { count: 3 }),
        ]
    );
    assert_eq!(
        h.run(3, mass(AccountId(6), None)),
        vec![Ev::R(
            3,
            0,
            ReportKind::CancelRejected {
                reason: RejectReason::UnknownAccount
            }
        )]
    );
    assert_eq!(
        h.run(1, CommandKind::CancelOwnerOrders),
        vec![
            Ev::M(0, delete(3)),
            Ev::R(1, 2, canceled(3, 30, 0, CancelReason::Disconnect)),
            Ev::R(1, 0, ReportKind::MassCanceled { count: 1 }),
        ]
    );
    assert_eq!(
        h.run(1, CommandKind::CancelOwnerOrders),
        vec![Ev::R(1, 0, ReportKind::MassCanceled { count: 0 })]
    );
}

fn set_state(instrument: InstrumentId, state: TradingState) -> CommandKind {
    CommandKind::SetTradingState { instrument, state }
}

#[test]
fn trading_states_gate_orders_and_report_changes() {
    let mut h = Harness::new();
    assert_eq!(h.run(0, set_state(ABC, TradingState::Continuous)), vec![]);
    assert_eq!(
        h.run(0, set_state(InstrumentId(2), TradingState::Halted)),
        vec![Ev::R(
            0,
            0,
            ReportKind::Rejected {
                instrument: InstrumentId(2),
                reason: RejectReason::UnknownInstrument
            }
        )]
    );
    h.accepted(1, limit(1, OFF_A, Buy, 1000, 10));
    assert_eq!(
        h.run(0, set_state(ABC, TradingState::Halted)),
        vec![Ev::M(
            0,
            MarketEventKind::TradingState {
                state: TradingState::Halted
            }
        )]
    );
    assert_eq!(
        h.reject_reason(1, limit(2, OFF_A, Buy, 1000, 10)),
        RejectReason::InstrumentHalted
    );
    assert_eq!(
        h.run(1, replace(1, 1, 1000, 10)),
        vec![Ev::R(
            1,
            1,
            ReportKind::CancelRejected {
                reason: RejectReason::InstrumentHalted
            }
        )]
    );
    h.run(0, set_state(ABC, TradingState::Closed));
    assert_eq!(
        h.reject_reason(1, limit(2, OFF_A, Buy, 1000, 10)),
        RejectReason::InstrumentClosed
    );
    // Cancels work in every state; orders stay on the book.
    assert_eq!(h.book(ABC, Buy).len(), 1);
    let events = h.run(
        1,
        CommandKind::Cancel(CancelOrder {
            client_order_id: ClientOrderId(1),
            leave_qty: Qty(0),
        }),
    );
    assert_eq!(events.len(), 2);
    assert_eq!(h.engine.trading_state(ABC), TradingState::Closed);
}

fn on_xyz(coid: u64, account: AccountId, side: Side, price: i64, qty: u64) -> NewOrder {
    on(XYZ, limit(coid, account, side, price, qty))
}

/// Price and quantity of the uncross run by opening XYZ.
fn open_xyz(h: &mut Harness) -> Option<(i64, u64)> {
    let events = h.run(0, set_state(XYZ, TradingState::Continuous));
    events.iter().find_map(|event| match event {
        Ev::M(1, MarketEventKind::CrossTrade { qty, price, .. }) => Some((price.0, qty.0)),
        _ => None,
    })
}

#[test]
fn uncross_maximises_executed_quantity_and_emits_pairs_then_summary() {
    let mut h = Harness::new();
    h.accepted(1, on_xyz(1, OFF_A, Buy, 1005, 100));
    h.accepted(1, on_xyz(2, OFF_A, Buy, 1000, 100).with_hidden());
    h.accepted(2, on_xyz(1, OFF_A, Sell, 1000, 150));
    let cross = |order_ref, side, qty, leaves, m| ReportKind::Executed {
        order_ref: OrderRef(order_ref),
        instrument: XYZ,
        side,
        qty: Qty(qty),
        price: Price(1000),
        leaves: Qty(leaves),
        match_number: MatchNumber(m),
        liquidity: Liquidity::Cross,
    };
    let at_price = |order_ref, qty, m| MarketEventKind::ExecuteAtPrice {
        order_ref: OrderRef(order_ref),
        qty: Qty(qty),
        match_number: MatchNumber(m),
        price: Price(1000),
    };
    // STP does not apply in the uncross (same account on both sides).
    assert_eq!(
        h.run(0, set_state(XYZ, TradingState::Continuous)),
        vec![
            Ev::M(
                1,
                MarketEventKind::TradingState {
                    state: TradingState::Continuous
                }
            ),
            Ev::M(1, at_price(1, 100, 1)),
            Ev::M(1, at_price(3, 100, 1)),
            Ev::R(1, 1, cross(1, Buy, 100, 0, 1)),
            Ev::R(2, 1, cross(3, Sell, 100, 50, 1)),
            // The hidden bid gets no feed event.
            Ev::M(1, at_price(3, 50, 2)),
            Ev::R(1, 2, cross(2, Buy, 50, 50, 2)),
            Ev::R(2, 1, cross(3, Sell, 50, 0, 2)),
            Ev::M(
                1,
                MarketEventKind::CrossTrade {
                    qty: Qty(150),
                    price: Price(1000),
                    match_number: MatchNumber(3)
                }
            ),
        ]
    );
    assert_eq!(h.book(XYZ, Buy), vec![(2, 1000, 50)]);
}

#[test]
fn uncross_ties_break_on_imbalance_then_reference_distance_then_lower_price() {
    // Equal exec 100 at 1000, 1001, 1002; imbalance 0 only at 1000.
    let mut h = Harness::new();
    h.accepted(1, on_xyz(1, OFF_A, Buy, 1002, 100));
    h.accepted(2, on_xyz(1, OFF_B, Sell, 1000, 100));
    h.accepted(2, on_xyz(2, OFF_B, Sell, 1001, 50));
    assert_eq!(open_xyz(&mut h), Some((1000, 100)));

    // Equal exec and imbalance at 999 and 1003; 999 is nearer the reference.
    let mut h = Harness::new();
    h.accepted(1, on_xyz(1, OFF_A, Buy, 1003, 100));
    h.accepted(2, on_xyz(1, OFF_B, Sell, 999, 100));
    assert_eq!(open_xyz(&mut h), Some((999, 100)));

    // Equal distance (998 and 1002): the lower price.
    let mut h = Harness::new();
    h.accepted(1, on_xyz(1, OFF_A, Buy, 1002, 100));
    h.accepted(2, on_xyz(1, OFF_B, Sell, 998, 100));
    assert_eq!(open_xyz(&mut h), Some((998, 100)));

    // Nothing crosses: no trade, no CrossTrade; the state still changes.
    let mut h = Harness::new();
    h.accepted(1, on_xyz(1, OFF_A, Buy, 999, 100));
    h.accepted(2, on_xyz(1, OFF_B, Sell, 1001, 100));
    assert_eq!(open_xyz(&mut h), None);
    assert_eq!(h.engine.trading_state(XYZ), TradingState::Continuous);
    assert_eq!(h.book(XYZ, Buy).len() + h.book(XYZ, Sell).len(), 2);
}

#[test]
fn halt_then_resume_runs_an_uncross_but_closed_to_continuous_does_not() {
    let mut h = Harness::new();
    h.accepted(1, on_xyz(1, OFF_A, Buy, 1000, 100));
    h.accepted(2, on_xyz(1, OFF_B, Sell, 1000, 100));
    h.run(0, set_state(XYZ, TradingState::Closed));
    let events = h.run(0, set_state(XYZ, TradingState::Continuous));
    assert_eq!(events.len(), 1, "only the state change: {events:?}");
    h.run(0, set_state(XYZ, TradingState::Halted));
    assert_eq!(open_xyz(&mut h), Some((1000, 100)));
}

#[test]
fn pre_open_orders_rest_without_matching() {
    let mut h = Harness::new();
    h.accepted(1, on_xyz(1, OFF_A, Buy, 1001, 100));
    let sell = on_xyz(2, OFF_A, Sell, 1000, 100);
    assert_eq!(
        h.new_order(1, sell),
        vec![
            Ev::R(1, 2, accepted(2, sell)),
            Ev::M(1, add(2, Sell, 1000, 100)),
        ]
    );
    // Post-only rests in pre-open even when the book is crossed.
    let post = NewOrder {
        post_only: true,
        ..on_xyz(3, OFF_A, Buy, 1002, 10)
    };
    h.accepted(1, post);
    // Replaces in pre-open never match.
    let events = h.run(1, replace(2, 2, 999, 100));
    assert_eq!(events.len(), 2, "{events:?}");
}
