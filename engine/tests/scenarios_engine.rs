//! Hand-written scenarios straight from `docs/engine-semantics.md`: each
//! asserts the exact event sequence of a command, and the engine's
//! invariants are checked after every command.

use rtes_engine::*;

/// One event, without the `seq`/`ts` the harness checks separately.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Market(u32, MarketEventKind),
    Report(u32, u64, ReportKind),
}

struct Collect(Vec<Ev>, SequenceNumber, TimestampNs);

impl EventSink for Collect {
    fn report(&mut self, report: &Report) {
        assert_eq!(
            (report.seq, report.ts),
            (self.1, self.2),
            "report carries the command's seq and ts"
        );
        self.0.push(Ev::Report(
            report.owner.0,
            report.client_order_id.0,
            report.kind,
        ));
    }
    fn market(&mut self, event: &MarketEvent) {
        assert_eq!(
            (event.seq, event.ts),
            (self.1, self.2),
            "market event carries the command's seq and ts"
        );
        self.0.push(Ev::Market(event.instrument.0, event.kind));
    }
}

const ACME: u32 = 0;
const PRE: u32 = 1;
const LOTS: u32 = 2;

const OFF_A: u32 = 0;
const OFF_B: u32 = 1;
const NEWEST: u32 = 2;
const OLDEST: u32 = 3;
const BOTH: u32 = 4;
const TIGHT: u32 = 5;

fn instrument(
    symbol: &str,
    lot: u64,
    min: u64,
    max: u64,
    band: (i64, i64),
    state: TradingState,
) -> InstrumentConfig {
    InstrumentConfig {
        symbol: symbol.into(),
        tick_size: 100,
        lot_size: lot,
        min_qty: Qty(min),
        max_qty: Qty(max),
        reference_price: Price(100),
        band_low: Price(band.0),
        band_high: Price(band.1),
        initial_state: state,
    }
}

fn account(name: &str, stp: SelfTradePrevention) -> AccountConfig {
    AccountConfig {
        name: name.into(),
        max_order_qty: Qty(1_000_000_000),
        max_notional: u128::MAX,
        price_collar_bps: 10_000,
        max_open_orders: 1_000,
        max_position: u64::MAX,
        self_trade_prevention: stp,
    }
}

fn config(max_resting_orders: u32) -> EngineConfig {
    EngineConfig {
        instruments: vec![
            instrument("ACME", 5, 5, 100_000, (50, 150), TradingState::Continuous),
            instrument("PRE", 5, 5, 100_000, (50, 150), TradingState::PreOpen),
            instrument("LOTS", 10, 20, 1_000, (90, 110), TradingState::Continuous),
        ],
        accounts: vec![
            account("A", SelfTradePrevention::Off),
            account("B", SelfTradePrevention::Off),
            account("NEWEST", SelfTradePrevention::CancelNewest),
            account("OLDEST", SelfTradePrevention::CancelOldest),
            account("BOTH", SelfTradePrevention::CancelBoth),
            AccountConfig {
                name: "TIGHT".into(),
                max_order_qty: Qty(1_000),
                max_notional: 5_000_000,
                price_collar_bps: 500,
                max_open_orders: 2,
                max_position: 800,
                self_trade_prevention: SelfTradePrevention::Off,
            },
        ],
        max_resting_orders,
        max_owners: 8,
    }
}

struct Harness {
    engine: Engine,
    ts: u64,
}

impl Harness {
    fn new() -> Harness {
        Harness::with_capacity(1_000)
    }

    fn with_capacity(capacity: u32) -> Harness {
        let engine = Engine::new(config(capacity)).expect("valid config");
        engine.validate();
        Harness { engine, ts: 1_000 }
    }

    fn run(&mut self, owner: u32, kind: CommandKind) -> Vec<Ev> {
        self.ts += 7;
        let command = Command {
            owner: OwnerId(owner),
            ts: TimestampNs(self.ts),
            kind,
        };
        let expected_seq = SequenceNumber(self.last_seq() + 1);
        let mut sink = Collect(Vec::new(), expected_seq, TimestampNs(self.ts));
        let seq = self.engine.apply(&command, &mut sink);
        assert_eq!(seq, expected_seq);
        self.engine.validate();
        sink.0
    }

    fn last_seq(&self) -> u64 {
        // The harness counts commands itself to check the engine's numbering.
        (self.ts - 1_000) / 7 - u64::from(self.ts > 1_000)
    }

    fn order(&mut self, owner: u32, order: NewOrder) -> Vec<Ev> {
        self.run(owner, CommandKind::New(order))
    }

    fn cancel(&mut self, owner: u32, client_order_id: u64, leave_qty: u64) -> Vec<Ev> {
        let cancel = CancelOrder {
            client_order_id: ClientOrderId(client_order_id),
            leave_qty: Qty(leave_qty),
        };
        self.run(owner, CommandKind::Cancel(cancel))
    }

    fn replace(&mut self, owner: u32, old: u64, new: u64, price: i64, qty: u64) -> Vec<Ev> {
        let replace = ReplaceOrder {
            client_order_id: ClientOrderId(old),
            new_client_order_id: ClientOrderId(new),
            price: Price(price),
            qty: Qty(qty),
        };
        self.run(owner, CommandKind::Replace(replace))
    }

    fn set_state(&mut self, instrument: u32, state: TradingState) -> Vec<Ev> {
        self.run(
            0,
            CommandKind::SetTradingState {
                instrument: InstrumentId(instrument),
                state,
            },
        )
    }

    fn book(&self, instrument: u32, side: Side) -> Vec<(u64, i64, u64)> {
        self.engine
            .resting_orders(InstrumentId(instrument), side)
            .iter()
            .map(|order| (order.order_ref.0, order.price.0, order.leaves.0))
            .collect()
    }
}

fn limit(client_order_id: u64, account: u32, side: Side, price: i64, qty: u64) -> NewOrder {
    NewOrder {
        client_order_id: ClientOrderId(client_order_id),
        account: AccountId(account),
        instrument: InstrumentId(ACME),
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

fn on(instrument: u32, order: NewOrder) -> NewOrder {
    NewOrder {
        instrument: InstrumentId(instrument),
        ..order
    }
}

fn ioc(order: NewOrder) -> NewOrder {
    NewOrder {
        time_in_force: TimeInForce::Ioc,
        ..order
    }
}

fn fok(order: NewOrder) -> NewOrder {
    NewOrder {
        time_in_force: TimeInForce::Fok,
        ..order
    }
}

fn hidden(order: NewOrder) -> NewOrder {
    NewOrder {
        hidden: true,
        ..order
    }
}

fn market(order: NewOrder) -> NewOrder {
    NewOrder {
        order_type: OrderType::Market,
        ..order
    }
}

fn accepted(owner: u32, order: NewOrder, order_ref: u64) -> Ev {
    Ev::Report(
        owner,
        order.client_order_id.0,
        ReportKind::Accepted {
            order_ref: OrderRef(order_ref),
            order,
        },
    )
}

fn rejected(owner: u32, order: NewOrder, reason: RejectReason) -> Ev {
    Ev::Report(
        owner,
        order.client_order_id.0,
        ReportKind::Rejected {
            instrument: order.instrument,
            reason,
        },
    )
}

fn add(instrument: u32, order_ref: u64, side: Side, price: i64, qty: u64) -> Ev {
    Ev::Market(
        instrument,
        MarketEventKind::Add {
            order_ref: OrderRef(order_ref),
            side,
            price: Price(price),
            qty: Qty(qty),
        },
    )
}

fn execute(order_ref: u64, qty: u64, match_number: u64) -> Ev {
    Ev::Market(
        ACME,
        MarketEventKind::Execute {
            order_ref: OrderRef(order_ref),
            qty: Qty(qty),
            match_number: MatchNumber(match_number),
        },
    )
}

fn delete(instrument: u32, order_ref: u64) -> Ev {
    Ev::Market(
        instrument,
        MarketEventKind::Delete {
            order_ref: OrderRef(order_ref),
        },
    )
}

/// `(owner, client id, ref, side)` of one order, for execution reports.
type Who = (u32, u64, u64, Side);

#[allow(clippy::too_many_arguments)]
fn executed(
    instrument: u32,
    who: Who,
    qty: u64,
    price: i64,
    leaves: u64,
    match_number: u64,
    liquidity: Liquidity,
) -> Ev {
    let (owner, client_order_id, order_ref, side) = who;
    Ev::Report(
        owner,
        client_order_id,
        ReportKind::Executed {
            order_ref: OrderRef(order_ref),
            instrument: InstrumentId(instrument),
            side,
            qty: Qty(qty),
            price: Price(price),
            leaves: Qty(leaves),
            match_number: MatchNumber(match_number),
            liquidity,
        },
    )
}

fn canceled(
    instrument: u32,
    owner: u32,
    client_order_id: u64,
    order_ref: u64,
    qty: u64,
    leaves: u64,
    reason: CancelReason,
) -> Ev {
    Ev::Report(
        owner,
        client_order_id,
        ReportKind::Canceled {
            order_ref: OrderRef(order_ref),
            instrument: InstrumentId(instrument),
            qty: Qty(qty),
            leaves: Qty(leaves),
            reason,
        },
    )
}

fn cancel_rejected(owner: u32, client_order_id: u64, reason: RejectReason) -> Ev {
    Ev::Report(
        owner,
        client_order_id,
        ReportKind::CancelRejected { reason },
    )
}

#[allow(clippy::too_many_arguments)]
fn replaced(owner: u32, old: (u64, u64), new: (u64, u64), side: Side, price: i64, qty: u64) -> Ev {
    Ev::Report(
        owner,
        new.0,
        ReportKind::Replaced {
            previous_client_order_id: ClientOrderId(old.0),
            previous_order_ref: OrderRef(old.1),
            order_ref: OrderRef(new.1),
            instrument: InstrumentId(ACME),
            side,
            price: Price(price),
            qty: Qty(qty),
        },
    )
}

use Side::{Buy, Sell};

#[test]
fn resting_order_then_aggressive_fill() {
    let mut h = Harness::new();
    let sell = limit(1, OFF_A, Sell, 101, 100);
    assert_eq!(
        h.order(1, sell),
        vec![accepted(1, sell, 1), add(ACME, 1, Sell, 101, 100)]
    );
    let buy = limit(7, OFF_B, Buy, 102, 60);
    assert_eq!(
        h.order(2, buy),
        vec![
            accepted(2, buy, 2),
            execute(1, 60, 1),
            executed(ACME, (1, 1, 1, Sell), 60, 101, 40, 1, Liquidity::Added),
            executed(ACME, (2, 7, 2, Buy), 60, 101, 0, 1, Liquidity::Removed),
        ]
    );
    assert_eq!(h.book(ACME, Sell), vec![(1, 101, 40)]);
    assert!(h.book(ACME, Buy).is_empty());
    let buy = limit(8, OFF_B, Buy, 101, 40);
    let events = h.order(2, buy);
    assert_eq!(events[1], execute(1, 40, 2), "match numbers keep counting");
    assert!(
        h.book(ACME, Sell).is_empty(),
        "a fully executed order leaves silently"
    );
}

#[test]
fn partial_fills_across_several_levels_then_rest() {
    let mut h = Harness::new();
    for (coid, price, qty) in [(1, 101, 10), (2, 101, 20), (3, 102, 30), (4, 104, 5)] {
        h.order(1, limit(coid, OFF_A, Sell, price, qty));
    }
    let buy = limit(9, OFF_B, Buy, 103, 70);
    assert_eq!(
        h.order(2, buy),
        vec![
            accepted(2, buy, 5),
            execute(1, 10, 1),
            executed(ACME, (1, 1, 1, Sell), 10, 101, 0, 1, Liquidity::Added),
            executed(ACME, (2, 9, 5, Buy), 10, 101, 60, 1, Liquidity::Removed),
            execute(2, 20, 2),
            executed(ACME, (1, 2, 2, Sell), 20, 101, 0, 2, Liquidity::Added),
            executed(ACME, (2, 9, 5, Buy), 20, 101, 40, 2, Liquidity::Removed),
            execute(3, 30, 3),
            executed(ACME, (1, 3, 3, Sell), 30, 102, 0, 3, Liquidity::Added),
            executed(ACME, (2, 9, 5, Buy), 30, 102, 10, 3, Liquidity::Removed),
            add(ACME, 5, Buy, 103, 10),
        ]
    );
    assert_eq!(h.book(ACME, Buy), vec![(5, 103, 10)]);
    assert_eq!(h.book(ACME, Sell), vec![(4, 104, 5)]);
}

#[test]
fn hidden_orders_trade_after_displayed_at_the_same_price() {
    let mut h = Harness::new();
    let hidden_sell = hidden(limit(1, OFF_A, Sell, 101, 50));
    assert_eq!(
        h.order(1, hidden_sell),
        vec![accepted(1, hidden_sell, 1)],
        "hidden orders are not added to the feed"
    );
    h.order(1, limit(2, OFF_A, Sell, 101, 30));
    assert_eq!(
        h.book(ACME, Sell),
        vec![(2, 101, 30), (1, 101, 50)],
        "displayed before hidden"
    );
    let buy = ioc(limit(3, OFF_B, Buy, 101, 60));
    assert_eq!(
        h.order(2, buy),
        vec![
            accepted(2, buy, 3),
            execute(2, 30, 1),
            executed(ACME, (1, 2, 2, Sell), 30, 101, 0, 1, Liquidity::Added),
            executed(ACME, (2, 3, 3, Buy), 30, 101, 30, 1, Liquidity::Removed),
            Ev::Market(
                ACME,
                MarketEventKind::HiddenTrade {
                    side: Sell,
                    price: Price(101),
                    qty: Qty(30),
                    match_number: MatchNumber(2)
                }
            ),
            executed(ACME, (1, 1, 1, Sell), 30, 101, 20, 2, Liquidity::Added),
            executed(ACME, (2, 3, 3, Buy), 30, 101, 0, 2, Liquidity::Removed),
        ]
    );
    assert_eq!(h.book(ACME, Sell), vec![(1, 101, 20)]);
}

#[test]
fn ioc_and_market_remainders_are_cancelled() {
    let mut h = Harness::new();
    h.order(1, limit(1, OFF_A, Sell, 101, 10));
    let buy = ioc(limit(2, OFF_B, Buy, 101, 25));
    assert_eq!(
        h.order(2, buy),
        vec![
            accepted(2, buy, 2),
            execute(1, 10, 1),
            executed(ACME, (1, 1, 1, Sell), 10, 101, 0, 1, Liquidity::Added),
            executed(ACME, (2, 2, 2, Buy), 10, 101, 15, 1, Liquidity::Removed),
            canceled(ACME, 2, 2, 2, 15, 0, CancelReason::ImmediateOrCancel),
        ]
    );
    let buy = market(limit(3, OFF_B, Buy, 0, 20));
    assert_eq!(
        h.order(2, buy),
        vec![
            accepted(2, buy, 3),
            canceled(ACME, 2, 3, 3, 20, 0, CancelReason::ImmediateOrCancel)
        ],
        "a market order into an empty side, price ignored, Day treated as IOC"
    );
    h.order(1, limit(4, OFF_A, Sell, 150, 10));
    let sell_market = market(limit(5, OFF_B, Buy, 1, 10));
    let events = h.order(2, sell_market);
    assert_eq!(events[1], execute(4, 10, 2), "market orders take any price");
    assert!(h.book(ACME, Buy).is_empty() && h.book(ACME, Sell).is_empty());
}

#[test]
fn fill_or_kill_fails_without_side_effects_and_succeeds_when_fillable() {
    let mut h = Harness::new();
    h.order(1, limit(1, OFF_A, Sell, 101, 10));
    h.order(1, limit(2, OFF_A, Sell, 102, 10));
    let hash = h.engine.state_hash();
    for (coid, price, qty) in [(3, 102, 25), (4, 101, 20)] {
        let buy = fok(limit(coid, OFF_B, Buy, price, qty));
        let order_ref = coid;
        assert_eq!(
            h.order(2, buy),
            vec![
                accepted(2, buy, order_ref),
                canceled(
                    ACME,
                    2,
                    coid,
                    order_ref,
                    qty,
                    0,
                    CancelReason::FillConditionNotMet
                )
            ]
        );
    }
    assert_eq!(h.book(ACME, Sell), vec![(1, 101, 10), (2, 102, 10)]);
    assert_ne!(h.engine.state_hash(), hash, "refs and seq advanced");
    let buy = fok(limit(5, OFF_B, Buy, 102, 20));
    assert_eq!(
        h.order(2, buy),
        vec![
            accepted(2, buy, 5),
            execute(1, 10, 1),
            executed(ACME, (1, 1, 1, Sell), 10, 101, 0, 1, Liquidity::Added),
            executed(ACME, (2, 5, 5, Buy), 10, 101, 10, 1, Liquidity::Removed),
            execute(2, 10, 2),
            executed(ACME, (1, 2, 2, Sell), 10, 102, 0, 2, Liquidity::Added),
            executed(ACME, (2, 5, 5, Buy), 10, 102, 0, 2, Liquidity::Removed),
        ]
    );
}

#[test]
fn minimum_quantity_on_a_day_order() {
    let mut h = Harness::new();
    h.order(1, limit(1, OFF_A, Sell, 101, 10));
    let too_much = NewOrder {
        min_qty: Qty(20),
        ..limit(2, OFF_B, Buy, 101, 30)
    };
    assert_eq!(
        h.order(2, too_much),
        vec![
            accepted(2, too_much, 2),
            canceled(ACME, 2, 2, 2, 30, 0, CancelReason::FillConditionNotMet)
        ]
    );
    let fine = NewOrder {
        min_qty: Qty(10),
        ..limit(3, OFF_B, Buy, 101, 30)
    };
    assert_eq!(
        h.order(2, fine),
        vec![
            accepted(2, fine, 3),
            execute(1, 10, 1),
            executed(ACME, (1, 1, 1, Sell), 10, 101, 0, 1, Liquidity::Added),
            executed(ACME, (2, 3, 3, Buy), 10, 101, 20, 1, Liquidity::Removed),
            add(ACME, 3, Buy, 101, 20),
        ]
    );
}

#[test]
fn post_only_rejected_when_it_would_take_including_hidden() {
    let mut h = Harness::new();
    h.order(1, hidden(limit(1, OFF_A, Sell, 101, 10)));
    let take = NewOrder {
        post_only: true,
        ..limit(2, OFF_B, Buy, 101, 10)
    };
    assert_eq!(
        h.order(2, take),
        vec![rejected(2, take, RejectReason::PostOnlyWouldTake)]
    );
    let make = NewOrder {
        post_only: true,
        ..limit(3, OFF_B, Buy, 100, 10)
    };
    assert_eq!(
        h.order(2, make),
        vec![accepted(2, make, 2), add(ACME, 2, Buy, 100, 10)]
    );
    assert_eq!(
        h.replace(2, 3, 3, 101, 10),
        vec![cancel_rejected(2, 3, RejectReason::PostOnlyWouldTake)],
        "a post-only order keeps the check on replace"
    );
}

#[test]
fn stp_off_trades_with_itself() {
    let mut h = Harness::new();
    h.order(1, limit(1, OFF_A, Sell, 101, 10));
    let events = h.order(1, limit(2, OFF_A, Buy, 101, 10));
    assert_eq!(events[1], execute(1, 10, 1));
}

#[test]
fn stp_cancel_newest_cancels_the_incoming_remainder() {
    let mut h = Harness::new();
    h.order(1, limit(1, OFF_B, Sell, 100, 10));
    h.order(3, limit(2, NEWEST, Sell, 101, 10));
    let buy = limit(3, NEWEST, Buy, 101, 20);
    assert_eq!(
        h.order(3, buy),
        vec![
            accepted(3, buy, 3),
            execute(1, 10, 1),
            executed(ACME, (1, 1, 1, Sell), 10, 100, 0, 1, Liquidity::Added),
            executed(ACME, (3, 3, 3, Buy), 10, 100, 10, 1, Liquidity::Removed),
            canceled(ACME, 3, 3, 3, 10, 0, CancelReason::SelfTradeNewest),
        ]
    );
    assert_eq!(h.book(ACME, Sell), vec![(2, 101, 10)]);
    assert!(h.book(ACME, Buy).is_empty(), "nothing rests");
    // The fill-condition walk stops at the own order.
    let buy = fok(limit(4, NEWEST, Buy, 101, 5));
    assert_eq!(
        h.order(3, buy),
        vec![
            accepted(3, buy, 4),
            canceled(ACME, 3, 4, 4, 5, 0, CancelReason::FillConditionNotMet)
        ]
    );
}

#[test]
fn stp_cancel_oldest_cancels_resting_and_continues() {
    let mut h = Harness::new();
    h.order(4, limit(1, OLDEST, Sell, 101, 10));
    h.order(1, limit(2, OFF_B, Sell, 101, 10));
    // The fill-condition walk skips the own order: 10 available, need 10.
    let buy = NewOrder {
        min_qty: Qty(10),
        ..limit(3, OLDEST, Buy, 101, 15)
    };
    assert_eq!(
        h.order(5, buy),
        vec![
            accepted(5, buy, 3),
            delete(ACME, 1),
            canceled(ACME, 4, 1, 1, 10, 0, CancelReason::SelfTradeOldest),
            execute(2, 10, 1),
            executed(ACME, (1, 2, 2, Sell), 10, 101, 0, 1, Liquidity::Added),
            executed(ACME, (5, 3, 3, Buy), 10, 101, 5, 1, Liquidity::Removed),
            add(ACME, 3, Buy, 101, 5),
        ]
    );
}

#[test]
fn stp_cancel_both_cancels_resting_and_incoming() {
    let mut h = Harness::new();
    h.order(4, hidden(limit(1, BOTH, Sell, 101, 10)));
    let buy = limit(2, BOTH, Buy, 101, 15);
    assert_eq!(
        h.order(4, buy),
        vec![
            accepted(4, buy, 2),
            canceled(ACME, 4, 1, 1, 10, 0, CancelReason::SelfTradeBoth),
            canceled(ACME, 4, 2, 2, 15, 0, CancelReason::SelfTradeBoth),
        ],
        "a hidden resting order gets no Delete"
    );
    assert!(h.book(ACME, Sell).is_empty() && h.book(ACME, Buy).is_empty());
}

#[test]
fn cancel_full_partial_unknown_and_too_big() {
    let mut h = Harness::new();
    h.order(1, limit(1, OFF_A, Buy, 99, 10));
    h.order(1, limit(2, OFF_A, Buy, 99, 10));
    assert_eq!(
        h.cancel(1, 1, 4),
        vec![
            Ev::Market(
                ACME,
                MarketEventKind::Reduce {
                    order_ref: OrderRef(1),
                    qty: Qty(6)
                }
            ),
            canceled(ACME, 1, 1, 1, 6, 4, CancelReason::User),
        ]
    );
    assert_eq!(
        h.book(ACME, Buy),
        vec![(1, 99, 4), (2, 99, 10)],
        "a reduced order keeps its priority"
    );
    assert_eq!(
        h.cancel(1, 1, 4),
        vec![cancel_rejected(1, 1, RejectReason::InvalidQuantity)]
    );
    assert_eq!(
        h.cancel(1, 1, 5),
        vec![cancel_rejected(1, 1, RejectReason::InvalidQuantity)]
    );
    assert_eq!(
        h.cancel(2, 1, 0),
        vec![cancel_rejected(2, 1, RejectReason::UnknownOrder)],
        "another owner's id"
    );
    assert_eq!(
        h.cancel(1, 1, 0),
        vec![
            delete(ACME, 1),
            canceled(ACME, 1, 1, 1, 4, 0, CancelReason::User)
        ]
    );
    assert_eq!(
        h.cancel(1, 1, 0),
        vec![cancel_rejected(1, 1, RejectReason::UnknownOrder)]
    );
    h.order(1, hidden(limit(3, OFF_A, Buy, 98, 10)));
    assert_eq!(
        h.cancel(1, 3, 0),
        vec![canceled(ACME, 1, 3, 3, 10, 0, CancelReason::User)],
        "hidden: no Delete"
    );
    // A dead order's client id may be reused.
    let again = limit(1, OFF_A, Buy, 97, 5);
    assert_eq!(
        h.order(1, again),
        vec![accepted(1, again, 4), add(ACME, 4, Buy, 97, 5)]
    );
}

#[test]
fn replace_keeping_priority() {
    let mut h = Harness::new();
    h.order(1, limit(1, OFF_A, Buy, 99, 20));
    h.order(1, limit(2, OFF_A, Buy, 99, 20));
    assert_eq!(
        h.replace(1, 1, 11, 99, 15),
        vec![
            Ev::Market(
                ACME,
                MarketEventKind::Reduce {
                    order_ref: OrderRef(1),
                    qty: Qty(5)
                }
            ),
            replaced(1, (1, 1), (11, 1), Buy, 99, 15),
        ]
    );
    assert_eq!(h.book(ACME, Buy), vec![(1, 99, 15), (2, 99, 20)]);
    assert_eq!(
        h.replace(1, 11, 11, 99, 15),
        vec![replaced(1, (11, 1), (11, 1), Buy, 99, 15)],
        "no change"
    );
    assert_eq!(
        h.cancel(1, 1, 0),
        vec![cancel_rejected(1, 1, RejectReason::UnknownOrder)],
        "old id is gone"
    );
    assert_eq!(
        h.replace(1, 11, 2, 99, 10),
        vec![cancel_rejected(1, 11, RejectReason::DuplicateClientOrderId)]
    );
}

#[test]
fn replace_losing_priority_not_marketable() {
    let mut h = Harness::new();
    h.order(1, limit(1, OFF_A, Buy, 99, 20));
    h.order(1, limit(2, OFF_A, Buy, 99, 20));
    assert_eq!(
        h.replace(1, 1, 1, 99, 25),
        vec![
            Ev::Market(
                ACME,
                MarketEventKind::Replace {
                    old_order_ref: OrderRef(1),
                    new_order_ref: OrderRef(3),
                    price: Price(99),
                    qty: Qty(25)
                }
            ),
            replaced(1, (1, 1), (1, 3), Buy, 99, 25),
        ],
        "a quantity increase loses priority"
    );
    assert_eq!(h.book(ACME, Buy), vec![(2, 99, 20), (3, 99, 25)]);
    h.replace(1, 2, 2, 98, 20);
    assert_eq!(
        h.book(ACME, Buy),
        vec![(3, 99, 25), (4, 98, 20)],
        "a price change loses priority"
    );
    h.order(1, hidden(limit(3, OFF_A, Buy, 97, 10)));
    assert_eq!(
        h.replace(1, 3, 3, 96, 10),
        vec![replaced(1, (3, 5), (3, 6), Buy, 96, 10)],
        "hidden: no market event"
    );
}

#[test]
fn replace_marketable_matches_then_rests() {
    let mut h = Harness::new();
    h.order(2, limit(1, OFF_B, Sell, 101, 10));
    h.order(1, limit(1, OFF_A, Buy, 99, 30));
    assert_eq!(
        h.replace(1, 1, 5, 101, 30),
        vec![
            delete(ACME, 2),
            replaced(1, (1, 2), (5, 3), Buy, 101, 30),
            execute(1, 10, 1),
            executed(ACME, (2, 1, 1, Sell), 10, 101, 0, 1, Liquidity::Added),
            executed(ACME, (1, 5, 3, Buy), 10, 101, 20, 1, Liquidity::Removed),
            add(ACME, 3, Buy, 101, 20),
        ]
    );
    assert_eq!(h.book(ACME, Buy), vec![(3, 101, 20)]);
    // Fully filled by a replace: it leaves the book.
    h.order(2, limit(2, OFF_B, Sell, 102, 20));
    let events = h.replace(1, 5, 5, 102, 20);
    assert_eq!(events.len(), 5);
    assert!(h.book(ACME, Buy).is_empty());
    assert_eq!(
        h.cancel(1, 5, 0),
        vec![cancel_rejected(1, 5, RejectReason::UnknownOrder)]
    );
}

#[test]
fn replace_to_zero_is_a_cancel_and_failures_leave_the_order() {
    let mut h = Harness::new();
    h.order(1, limit(1, OFF_A, Buy, 99, 20));
    assert_eq!(
        h.replace(1, 9, 10, 99, 20),
        vec![cancel_rejected(1, 9, RejectReason::UnknownOrder)]
    );
    assert_eq!(
        h.replace(1, 1, 2, 160, 20),
        vec![cancel_rejected(1, 1, RejectReason::PriceOutsideBand)]
    );
    assert_eq!(
        h.replace(1, 1, 2, 99, 7),
        vec![cancel_rejected(1, 1, RejectReason::InvalidQuantity)]
    );
    assert_eq!(h.book(ACME, Buy), vec![(1, 99, 20)]);
    assert_eq!(
        h.replace(1, 1, 2, 99, 0),
        vec![
            delete(ACME, 1),
            canceled(ACME, 1, 1, 1, 20, 0, CancelReason::User)
        ]
    );
    assert!(h.book(ACME, Buy).is_empty());
}

#[test]
fn mass_cancel_by_account_in_reference_order() {
    let mut h = Harness::new();
    h.order(1, limit(1, OFF_A, Buy, 99, 10));
    h.order(2, on(LOTS, limit(1, OFF_A, Sell, 105, 20)));
    h.order(1, hidden(limit(2, OFF_A, Sell, 105, 10)));
    h.order(3, limit(1, OFF_B, Buy, 98, 10));
    h.replace(1, 1, 1, 97, 10); // ref 5: now the newest of account A
    let events = h.run(
        6,
        CommandKind::MassCancel(MassCancel {
            account: AccountId(OFF_A),
            instrument: None,
        }),
    );
    assert_eq!(
        events,
        vec![
            delete(LOTS, 2),
            canceled(LOTS, 2, 1, 2, 20, 0, CancelReason::MassCancel),
            canceled(ACME, 1, 2, 3, 10, 0, CancelReason::MassCancel),
            delete(ACME, 5),
            canceled(ACME, 1, 1, 5, 10, 0, CancelReason::MassCancel),
            Ev::Report(6, 0, ReportKind::MassCanceled { count: 3 }),
        ]
    );
    assert_eq!(h.book(ACME, Buy), vec![(4, 98, 10)]);
    h.order(1, limit(1, OFF_A, Buy, 99, 10));
    h.order(1, on(LOTS, limit(2, OFF_A, Buy, 99, 20)));
    let events = h.run(
        1,
        CommandKind::MassCancel(MassCancel {
            account: AccountId(OFF_A),
            instrument: Some(InstrumentId(LOTS)),
        }),
    );
    assert_eq!(
        events,
        vec![
            delete(LOTS, 7),
            canceled(LOTS, 1, 2, 7, 20, 0, CancelReason::MassCancel),
            Ev::Report(1, 0, ReportKind::MassCanceled { count: 1 }),
        ]
    );
    let events = h.run(
        1,
        CommandKind::MassCancel(MassCancel {
            account: AccountId(99),
            instrument: None,
        }),
    );
    assert_eq!(
        events,
        vec![cancel_rejected(1, 0, RejectReason::UnknownAccount)]
    );
}

#[test]
fn cancel_owner_orders_on_disconnect() {
    let mut h = Harness::new();
    h.order(1, limit(1, OFF_A, Buy, 99, 10));
    h.order(2, limit(1, OFF_A, Buy, 98, 10));
    h.order(1, limit(2, OFF_B, Sell, 101, 10));
    assert_eq!(
        h.run(1, CommandKind::CancelOwnerOrders),
        vec![
            delete(ACME, 1),
            canceled(ACME, 1, 1, 1, 10, 0, CancelReason::Disconnect),
            delete(ACME, 3),
            canceled(ACME, 1, 2, 3, 10, 0, CancelReason::Disconnect),
            Ev::Report(1, 0, ReportKind::MassCanceled { count: 2 }),
        ]
    );
    assert_eq!(h.book(ACME, Buy), vec![(2, 98, 10)]);
    assert_eq!(
        h.run(1, CommandKind::CancelOwnerOrders),
        vec![Ev::Report(1, 0, ReportKind::MassCanceled { count: 0 })]
    );
}

#[test]
fn pre_open_rests_crossed_then_uncrosses() {
    let mut h = Harness::new();
    for (owner, coid, side, price, qty) in [
        (1, 1, Buy, 102, 10),
        (1, 2, Buy, 101, 20),
        (2, 1, Sell, 99, 15),
        (2, 2, Sell, 101, 10),
    ] {
        let account = if owner == 1 { OFF_A } else { OFF_B };
        let order = on(PRE, limit(coid, account, side, price, qty));
        let order_ref = h.engine.resting_order_count() as u64 + 1;
        assert_eq!(
            h.order(owner, order),
            vec![
                accepted(owner, order, order_ref),
                add(PRE, order_ref, side, price, qty)
            ]
        );
    }
    assert_eq!(
        h.order(1, on(PRE, ioc(limit(3, OFF_A, Buy, 99, 5))))[0],
        rejected(
            1,
            on(PRE, ioc(limit(3, OFF_A, Buy, 99, 5))),
            RejectReason::NotAllowedInState
        )
    );
    let with_min = on(
        PRE,
        NewOrder {
            min_qty: Qty(5),
            ..limit(3, OFF_A, Buy, 99, 5)
        },
    );
    assert_eq!(
        h.order(1, with_min),
        vec![rejected(1, with_min, RejectReason::NotAllowedInState)]
    );
    let at_price = |order_ref, qty, match_number| {
        Ev::Market(
            PRE,
            MarketEventKind::ExecuteAtPrice {
                order_ref: OrderRef(order_ref),
                qty: Qty(qty),
                match_number: MatchNumber(match_number),
                price: Price(101),
            },
        )
    };
    // buy(99)=30 sell(99)=15; buy(101)=30 sell(101)=25; buy(102)=10 sell(102)=25 → 101 executes 25.
    assert_eq!(
        h.set_state(PRE, TradingState::Continuous),
        vec![
            Ev::Market(
                PRE,
                MarketEventKind::TradingState {
                    state: TradingState::Continuous
                }
            ),
            at_price(1, 10, 1),
            at_price(3, 10, 1),
            executed(PRE, (1, 1, 1, Buy), 10, 101, 0, 1, Liquidity::Cross),
            executed(PRE, (2, 1, 3, Sell), 10, 101, 5, 1, Liquidity::Cross),
            at_price(2, 5, 2),
            at_price(3, 5, 2),
            executed(PRE, (1, 2, 2, Buy), 5, 101, 15, 2, Liquidity::Cross),
            executed(PRE, (2, 1, 3, Sell), 5, 101, 0, 2, Liquidity::Cross),
            at_price(2, 10, 3),
            at_price(4, 10, 3),
            executed(PRE, (1, 2, 2, Buy), 10, 101, 5, 3, Liquidity::Cross),
            executed(PRE, (2, 2, 4, Sell), 10, 101, 0, 3, Liquidity::Cross),
            Ev::Market(
                PRE,
                MarketEventKind::CrossTrade {
                    qty: Qty(25),
                    price: Price(101),
                    match_number: MatchNumber(4)
                }
            ),
        ]
    );
    assert_eq!(h.book(PRE, Buy), vec![(2, 101, 5)]);
    assert!(h.book(PRE, Sell).is_empty());
    assert_eq!(
        h.set_state(PRE, TradingState::Continuous),
        vec![],
        "same state: nothing"
    );
}

#[test]
fn uncross_tie_breaks_on_reference_then_lower_price() {
    let mut h = Harness::new();
    h.order(1, on(PRE, limit(1, OFF_A, Buy, 105, 10)));
    h.order(2, on(PRE, hidden(limit(1, OFF_B, Sell, 95, 10))));
    // 95 and 105 both execute 10 with no imbalance, both 5 from the reference 100.
    let events = h.set_state(PRE, TradingState::Continuous);
    assert_eq!(
        events,
        vec![
            Ev::Market(
                PRE,
                MarketEventKind::TradingState {
                    state: TradingState::Continuous
                }
            ),
            Ev::Market(
                PRE,
                MarketEventKind::ExecuteAtPrice {
                    order_ref: OrderRef(1),
                    qty: Qty(10),
                    match_number: MatchNumber(1),
                    price: Price(95)
                }
            ),
            executed(PRE, (1, 1, 1, Buy), 10, 95, 0, 1, Liquidity::Cross),
            executed(PRE, (2, 1, 2, Sell), 10, 95, 0, 1, Liquidity::Cross),
            Ev::Market(
                PRE,
                MarketEventKind::CrossTrade {
                    qty: Qty(10),
                    price: Price(95),
                    match_number: MatchNumber(2)
                }
            ),
        ],
        "the hidden offer gets no ExecuteAtPrice"
    );
    h.order(1, on(PRE, limit(2, OFF_A, Buy, 104, 10)));
    h.order(2, on(PRE, limit(2, OFF_B, Sell, 95, 10)));
    assert_eq!(h.book(PRE, Buy), vec![], "continuous: they traded at once");
}

#[test]
fn uncross_price_with_reference_distance_in_the_engine() {
    let mut h = Harness::new();
    h.set_state(ACME, TradingState::Halted);
    h.set_state(ACME, TradingState::PreOpen);
    h.order(1, limit(1, OFF_A, Buy, 103, 10));
    h.order(2, limit(1, OFF_B, Sell, 102, 10));
    let events = h.set_state(ACME, TradingState::Continuous);
    assert_eq!(
        events.last(),
        Some(&Ev::Market(
            ACME,
            MarketEventKind::CrossTrade {
                qty: Qty(10),
                price: Price(102),
                match_number: MatchNumber(2)
            }
        )),
        "102 is closer to the reference"
    );
}

#[test]
fn halted_and_closed_reject_orders_and_replaces_but_allow_cancels() {
    let mut h = Harness::new();
    h.order(1, limit(1, OFF_A, Buy, 99, 10));
    assert_eq!(
        h.set_state(ACME, TradingState::Halted),
        vec![Ev::Market(
            ACME,
            MarketEventKind::TradingState {
                state: TradingState::Halted
            }
        )]
    );
    let order = limit(2, OFF_A, Buy, 99, 10);
    assert_eq!(
        h.order(1, order),
        vec![rejected(1, order, RejectReason::InstrumentHalted)]
    );
    assert_eq!(
        h.replace(1, 1, 1, 98, 10),
        vec![cancel_rejected(1, 1, RejectReason::InstrumentHalted)]
    );
    assert_eq!(
        h.set_state(ACME, TradingState::Continuous),
        vec![Ev::Market(
            ACME,
            MarketEventKind::TradingState {
                state: TradingState::Continuous
            }
        )],
        "an uncross with nothing to cross emits nothing"
    );
    h.set_state(ACME, TradingState::Closed);
    assert_eq!(
        h.order(1, order),
        vec![rejected(1, order, RejectReason::InstrumentClosed)]
    );
    assert_eq!(
        h.replace(1, 1, 1, 98, 10),
        vec![cancel_rejected(1, 1, RejectReason::InstrumentClosed)]
    );
    assert_eq!(
        h.cancel(1, 1, 0),
        vec![
            delete(ACME, 1),
            canceled(ACME, 1, 1, 1, 10, 0, CancelReason::User)
        ]
    );
    assert_eq!(
        h.run(
            0,
            CommandKind::SetTradingState {
                instrument: InstrumentId(9),
                state: TradingState::Closed
            }
        ),
        vec![Ev::Report(
            0,
            0,
            ReportKind::Rejected {
                instrument: InstrumentId(9),
                reason: RejectReason::UnknownInstrument
            }
        )]
    );
}

#[test]
fn every_validation_and_risk_reject() {
    let mut h = Harness::new();
    let base = limit(1, OFF_A, Buy, 100, 10);
    let cases: Vec<(u32, NewOrder, RejectReason)> = vec![
        (1, on(7, base), RejectReason::UnknownInstrument),
        (8, base, RejectReason::UnknownAccount),
        (
            1,
            NewOrder {
                account: AccountId(6),
                ..base
            },
            RejectReason::UnknownAccount,
        ),
        (
            1,
            NewOrder {
                qty: Qty(0),
                ..base
            },
            RejectReason::InvalidQuantity,
        ),
        (
            1,
            NewOrder {
                qty: Qty(7),
                ..base
            },
            RejectReason::InvalidQuantity,
        ),
        (
            1,
            on(
                LOTS,
                NewOrder {
                    qty: Qty(10),
                    ..base
                },
            ),
            RejectReason::QuantityBelowMinimum,
        ),
        (
            1,
            on(
                LOTS,
                NewOrder {
                    qty: Qty(1_010),
                    ..base
                },
            ),
            RejectReason::QuantityAboveMaximum,
        ),
        (
            1,
            ioc(NewOrder {
                post_only: true,
                ..base
            }),
            RejectReason::InvalidOrderAttributes,
        ),
        (
            1,
            market(NewOrder {
                post_only: true,
                ..base
            }),
            RejectReason::InvalidOrderAttributes,
        ),
        (
            1,
            NewOrder {
                min_qty: Qty(15),
                ..base
            },
            RejectReason::InvalidMinQty,
        ),
        (
            1,
            NewOrder {
                price: Price(49),
                ..base
            },
            RejectReason::PriceOutsideBand,
        ),
        (
            1,
            NewOrder {
                price: Price(151),
                ..base
            },
            RejectReason::PriceOutsideBand,
        ),
        (1, on(PRE, market(base)), RejectReason::NotAllowedInState),
        (1, on(PRE, fok(base)), RejectReason::NotAllowedInState),
        (
            1,
            NewOrder {
                account: AccountId(TIGHT),
                qty: Qty(1_005),
                ..base
            },
            RejectReason::RiskMaxOrderQty,
        ),
        // 100 ticks × 100 × 505 = 5,050,000 > 5,000,000.
        (
            1,
            NewOrder {
                account: AccountId(TIGHT),
                qty: Qty(505),
                ..base
            },
            RejectReason::RiskMaxNotional,
        ),
        (
            1,
            market(NewOrder {
                account: AccountId(TIGHT),
                qty: Qty(505),
                ..base
            }),
            RejectReason::RiskMaxNotional,
        ),
        (
            1,
            NewOrder {
                account: AccountId(TIGHT),
                price: Price(106),
                ..base
            },
            RejectReason::RiskPriceCollar,
        ),
    ];
    for (owner, order, reason) in cases {
        assert_eq!(
            h.order(owner, order),
            vec![rejected(owner, order, reason)],
            "{reason:?}"
        );
    }
    let tight = |coid, side, qty| NewOrder {
        account: AccountId(TIGHT),
        ..limit(coid, TIGHT, side, 95, qty)
    };
    assert_eq!(h.order(1, tight(1, Buy, 400)).len(), 2);
    assert_eq!(h.order(1, tight(2, Buy, 400)).len(), 2);
    let dup = tight(1, Sell, 5);
    assert_eq!(
        h.order(1, dup),
        vec![rejected(1, dup, RejectReason::DuplicateClientOrderId)]
    );
    let third = tight(3, Sell, 5);
    assert_eq!(
        h.order(1, third),
        vec![rejected(1, third, RejectReason::RiskMaxOpenOrders)]
    );
    let ioc_third = ioc(tight(3, Buy, 5));
    assert_eq!(
        h.order(1, ioc_third),
        vec![rejected(1, ioc_third, RejectReason::RiskMaxPosition)],
        "open count is for Day limit orders only; 800 + 5 > 800"
    );
    // Sells are not limited by open buys: position 0 + open sell 0 + 400.
    let sell = ioc(NewOrder {
        price: Price(105),
        ..tight(4, Sell, 400)
    });
    assert_eq!(h.order(1, sell).len(), 2, "collar is inclusive");
    // Replace checks position excluding the order's own leaves: 800 − 400 + 400 is fine, + 405 is not.
    assert_eq!(h.replace(1, 1, 1, 95, 400).len(), 1);
    assert_eq!(
        h.replace(1, 1, 1, 95, 405),
        vec![cancel_rejected(1, 1, RejectReason::RiskMaxPosition)]
    );
    assert_eq!(
        h.replace(1, 1, 1, 95, 1_005),
        vec![cancel_rejected(1, 1, RejectReason::RiskMaxOrderQty)]
    );
    assert_eq!(
        h.replace(1, 1, 1, 94, 1_000),
        vec![cancel_rejected(1, 1, RejectReason::RiskMaxNotional)]
    );
}

#[test]
fn position_counts_executions() {
    let mut h = Harness::new();
    // TIGHT buys 400 from B, then may only have 400 more open on the buy side.
    h.order(2, limit(1, OFF_B, Sell, 100, 400));
    h.order(
        1,
        NewOrder {
            account: AccountId(TIGHT),
            ..limit(1, TIGHT, Buy, 100, 400)
        },
    );
    let over = NewOrder {
        account: AccountId(TIGHT),
        ..limit(2, TIGHT, Buy, 99, 405)
    };
    assert_eq!(
        h.order(1, over),
        vec![rejected(1, over, RejectReason::RiskMaxPosition)]
    );
    let fine = NewOrder {
        account: AccountId(TIGHT),
        ..limit(2, TIGHT, Buy, 99, 400)
    };
    let events = h.order(1, fine);
    assert_eq!(events.len(), 2, "{events:?}");
    // Selling reduces exposure: −400 + 0 + 400 ≤ 800.
    let sell = NewOrder {
        account: AccountId(TIGHT),
        ..ioc(limit(3, TIGHT, Sell, 101, 400))
    };
    assert_eq!(h.order(1, sell).len(), 2);
}

#[test]
fn book_full_then_slot_reuse() {
    let mut h = Harness::with_capacity(2);
    h.order(1, limit(1, OFF_A, Buy, 99, 10));
    h.order(1, limit(2, OFF_A, Buy, 98, 10));
    let third = limit(3, OFF_A, Buy, 97, 10);
    assert_eq!(
        h.order(1, third),
        vec![rejected(1, third, RejectReason::BookFull)]
    );
    let take = ioc(limit(4, OFF_B, Sell, 99, 5));
    assert_eq!(h.order(2, take).len(), 4, "IOC orders need no slot");
    // Even an order that would fill completely needs a free slot to be accepted.
    let fills = limit(5, OFF_B, Sell, 99, 5);
    assert_eq!(
        h.order(2, fills),
        vec![rejected(2, fills, RejectReason::BookFull)]
    );
    h.cancel(1, 1, 0);
    assert_eq!(
        h.order(1, third),
        vec![accepted(1, third, 4), add(ACME, 4, Buy, 97, 10)]
    );
}

#[test]
fn config_errors_name_the_item() {
    let check = |mutate: &dyn Fn(&mut EngineConfig), what: &str| {
        let mut config = config(10);
        mutate(&mut config);
        match Engine::new(config) {
            Err(ConfigError::Invalid { what: got, .. }) => assert_eq!(got, what),
            Ok(_) => panic!("{what}: accepted"),
            Err(other) => panic!("{what}: {other:?}"),
        }
    };
    check(
        &|c| c.instruments[2].tick_size = 0,
        "instruments[2].tick_size",
    );
    check(
        &|c| c.instruments[1].symbol = "acme".into(),
        "instruments[1].symbol",
    );
    check(
        &|c| c.instruments[1].symbol = String::new(),
        "instruments[1].symbol",
    );
    check(
        &|c| c.instruments[1].symbol = "ABCDEFGHI".into(),
        "instruments[1].symbol",
    );
    check(
        &|c| c.instruments[0].lot_size = 0,
        "instruments[0].lot_size",
    );
    check(
        &|c| c.instruments[0].min_qty = Qty(200_000),
        "instruments[0].min_qty",
    );
    check(
        &|c| c.instruments[0].band_low = Price(0),
        "instruments[0].band_low",
    );
    check(
        &|c| c.instruments[0].reference_price = Price(40),
        "instruments[0].reference_price",
    );
    check(
        &|c| c.instruments[0].band_high = Price(99),
        "instruments[0].band_high",
    );
    check(
        &|c| c.instruments[0].band_high = Price(5_000_000),
        "instruments[0].band_high",
    );
    check(&|c| c.max_resting_orders = 0, "max_resting_orders");
}

#[test]
fn state_hash_is_deterministic_and_tracks_state() {
    let run = || {
        let mut h = Harness::new();
        h.order(1, limit(1, OFF_A, Buy, 99, 10));
        h.order(2, limit(1, OFF_B, Sell, 99, 5));
        h.engine.state_hash()
    };
    assert_eq!(run(), run());
    let mut h = Harness::new();
    let empty = h.engine.state_hash();
    h.order(1, limit(1, OFF_A, Buy, 99, 10));
    let one = h.engine.state_hash();
    assert_ne!(empty, one);
    h.cancel(1, 1, 5);
    assert_ne!(one, h.engine.state_hash());
}

#[test]
fn pre_open_to_closed_to_continuous_runs_no_uncross() {
    let mut h = Harness::new();
    h.order(1, on(PRE, limit(1, OFF_A, Buy, 102, 10)));
    h.order(2, on(PRE, limit(1, OFF_B, Sell, 99, 10)));
    h.set_state(PRE, TradingState::Closed);
    assert_eq!(
        h.set_state(PRE, TradingState::Continuous),
        vec![Ev::Market(
            PRE,
            MarketEventKind::TradingState {
                state: TradingState::Continuous
            }
        )],
        "the contract uncrosses only when coming from pre-open or halted"
    );
    assert_eq!(h.book(PRE, Buy), vec![(1, 102, 10)]);
    assert_eq!(h.book(PRE, Sell), vec![(2, 99, 10)]);
    // An incoming order still takes the best opposite price.
    let sell = on(PRE, ioc(limit(2, OFF_B, Sell, 101, 5)));
    let events = h.order(2, sell);
    assert_eq!(
        events[1],
        Ev::Market(
            PRE,
            MarketEventKind::Execute {
                order_ref: OrderRef(1),
                qty: Qty(5),
                match_number: MatchNumber(1)
            }
        )
    );
    // Halting and reopening runs the uncross that clears the crossing.
    h.set_state(PRE, TradingState::Halted);
    let events = h.set_state(PRE, TradingState::Continuous);
    assert_eq!(
        events.last(),
        Some(&Ev::Market(
            PRE,
            MarketEventKind::CrossTrade {
                qty: Qty(5),
                price: Price(99),
                match_number: MatchNumber(3)
            }
        ))
    );
}

#[test]
fn pre_open_replace_and_post_only_rest_without_matching() {
    let mut h = Harness::new();
    h.order(2, on(PRE, limit(1, OFF_B, Sell, 100, 10)));
    let post_only = on(
        PRE,
        NewOrder {
            post_only: true,
            ..limit(1, OFF_A, Buy, 101, 10)
        },
    );
    assert_eq!(
        h.order(1, post_only),
        vec![accepted(1, post_only, 2), add(PRE, 2, Buy, 101, 10)],
        "post-only is checked only in continuous trading"
    );
    h.order(1, on(PRE, limit(2, OFF_A, Buy, 98, 10)));
    let replace = ReplaceOrder {
        client_order_id: ClientOrderId(2),
        new_client_order_id: ClientOrderId(2),
        price: Price(102),
        qty: Qty(10),
    };
    let events = h.run(1, CommandKind::Replace(replace));
    assert_eq!(
        events[0],
        Ev::Market(
            PRE,
            MarketEventKind::Replace {
                old_order_ref: OrderRef(3),
                new_order_ref: OrderRef(4),
                price: Price(102),
                qty: Qty(10)
            }
        ),
        "a crossing replace in pre-open just rests"
    );
    assert_eq!(events.len(), 2);
    assert_eq!(h.book(PRE, Buy), vec![(4, 102, 10), (2, 101, 10)]);
}

#[test]
fn marketable_replace_with_stp_cancel_both_frees_the_order() {
    let mut h = Harness::new();
    h.order(4, limit(1, BOTH, Sell, 101, 10));
    h.order(4, limit(2, BOTH, Buy, 99, 10));
    assert_eq!(
        h.replace(4, 2, 3, 101, 10),
        vec![
            delete(ACME, 2),
            replaced(4, (2, 2), (3, 3), Buy, 101, 10),
            delete(ACME, 1),
            canceled(ACME, 4, 1, 1, 10, 0, CancelReason::SelfTradeBoth),
            canceled(ACME, 4, 3, 3, 10, 0, CancelReason::SelfTradeBoth),
        ]
    );
    assert!(h.book(ACME, Buy).is_empty() && h.book(ACME, Sell).is_empty());
    assert_eq!(h.engine.resting_order_count(), 0);
    assert_eq!(
        h.cancel(4, 3, 0),
        vec![cancel_rejected(4, 3, RejectReason::UnknownOrder)]
    );
}

#[test]
fn hidden_order_replaced_into_the_market_trades_then_rests_hidden() {
    let mut h = Harness::new();
    h.order(2, limit(1, OFF_B, Sell, 101, 10));
    h.order(1, hidden(limit(1, OFF_A, Buy, 99, 30)));
    assert_eq!(
        h.replace(1, 1, 1, 101, 30),
        vec![
            replaced(1, (1, 2), (1, 3), Buy, 101, 30),
            execute(1, 10, 1),
            executed(ACME, (2, 1, 1, Sell), 10, 101, 0, 1, Liquidity::Added),
            executed(ACME, (1, 1, 3, Buy), 10, 101, 20, 1, Liquidity::Removed),
        ],
        "no Delete for the old hidden order, no Add for its hidden remainder"
    );
    assert!(h.engine.resting_orders(InstrumentId(ACME), Buy)[0].hidden);
    assert_eq!(h.book(ACME, Buy), vec![(3, 101, 20)]);
}

#[test]
fn market_fill_or_kill_uses_the_fok_fill_condition() {
    // The contract treats a market order as IOC for its remainder; its FOK
    // fill condition still applies (see docs/decisions/engine-book-structures.md).
    let mut h = Harness::new();
    h.order(2, limit(1, OFF_B, Sell, 101, 10));
    let buy = fok(market(limit(1, OFF_A, Buy, 0, 20)));
    assert_eq!(
        h.order(1, buy),
        vec![
            accepted(1, buy, 2),
            canceled(ACME, 1, 1, 2, 20, 0, CancelReason::FillConditionNotMet)
        ]
    );
    let buy = fok(market(limit(2, OFF_A, Buy, 0, 10)));
    assert_eq!(h.order(1, buy)[1], execute(1, 10, 1));
}

#[test]
fn replace_to_zero_with_a_new_id_cancels_under_the_old_id() {
    let mut h = Harness::new();
    h.order(1, hidden(limit(1, OFF_A, Buy, 99, 20)));
    assert_eq!(
        h.replace(1, 1, 2, 99, 0),
        vec![canceled(ACME, 1, 1, 1, 20, 0, CancelReason::User)]
    );
    assert_eq!(h.engine.resting_order_count(), 0);
}
