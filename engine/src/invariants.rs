//! `Engine::validate`: the O(n) invariant check tests run after every command.

use crate::book::{Queue, SideBook};
use crate::engine::Engine;
use crate::risk::Exposure;
use crate::slab::NIL;
use crate::types::{Side, TradingState};

/// Panics with a description of the first broken invariant.
pub(crate) fn validate(engine: &Engine) {
    engine.slab.validate();
    assert_eq!(
        engine.index.len() as u32,
        engine.slab.live(),
        "index size != live orders"
    );
    let instrument_count = engine.books.len();
    let mut exposures = vec![Exposure::default(); engine.accounts.len() * instrument_count];
    let mut open_orders = vec![0u32; engine.accounts.len()];
    let mut on_books = 0u32;
    for (instrument, book) in engine.books.iter().enumerate() {
        for side in [&book.bids, &book.asks] {
            on_books += validate_side(
                engine,
                instrument as u32,
                side,
                &mut exposures,
                &mut open_orders,
            );
        }
        let (bid, ask) = (book.bids.best, book.asks.best);
        if book.state == TradingState::Continuous
            && !book.may_be_crossed
            && bid != NIL
            && ask != NIL
        {
            assert!(
                bid < ask,
                "instrument {instrument}: book crossed at rest in Continuous"
            );
        }
    }
    assert_eq!(
        on_books,
        engine.slab.live(),
        "live slab orders not on any book"
    );
    for account in 0..engine.accounts.len() {
        for instrument in 0..instrument_count {
            let actual = engine.risk.exposure(account as u32, instrument as u32);
            let expected = exposures[account * instrument_count + instrument];
            assert_eq!(
                actual.open_buy, expected.open_buy,
                "account {account} instrument {instrument}: open buy qty"
            );
            assert_eq!(
                actual.open_sell, expected.open_sell,
                "account {account} instrument {instrument}: open sell qty"
            );
        }
        assert_eq!(
            engine.risk.open_orders[account], open_orders[account],
            "account {account}: open order count"
        );
    }
    validate_lists(engine);
}

/// Checks one side; adds its orders to the expected risk state and returns their number.
fn validate_side(
    engine: &Engine,
    instrument: u32,
    side: &SideBook,
    exposures: &mut [Exposure],
    open_orders: &mut [u32],
) -> u32 {
    side.occupied.validate();
    let book = &engine.books[instrument as usize];
    let mut expected_best = NIL;
    let mut total = 0;
    for (index, level) in side.levels.iter().enumerate() {
        let index = index as u32;
        assert_eq!(
            level.count > 0,
            side.occupied.is_set(index as usize),
            "level {index}: bitmap disagrees"
        );
        if level.count == 0 {
            // Most of a wide ladder is empty: check it cheaply and move on.
            let empty = level.qty == 0
                && level.displayed.head == NIL
                && level.displayed.tail == NIL
                && level.hidden.head == NIL
                && level.hidden.tail == NIL;
            assert!(
                empty,
                "instrument {instrument} level {index}: empty level with contents {level:?}"
            );
            continue;
        }
        let mut qty = 0u64;
        let mut count = 0u32;
        for (queue, hidden) in [(level.displayed, false), (level.hidden, true)] {
            walk_queue(engine, queue, |slot| {
                let order = engine.slab.get(slot);
                // The description is formatted only on failure (no allocation per order).
                let consistent = order.live
                    && order.instrument == instrument
                    && order.side == side.side
                    && order.level == index
                    && order.price == book.price_of(index)
                    && order.hidden == hidden
                    && order.leaves > 0;
                assert!(consistent, "instrument {instrument} level {index} slot {slot}: inconsistent order {order:?}");
                let indexed =
                    engine
                        .index
                        .get(&engine.slab.orders, order.owner, order.client_order_id.0);
                assert_eq!(
                    indexed,
                    Some(slot),
                    "instrument {instrument} level {index} slot {slot}: index"
                );
                qty += order.leaves;
                count += 1;
                let exposure = &mut exposures
                    [order.account as usize * engine.books.len() + instrument as usize];
                *exposure.open_mut(order.side) += order.leaves;
                open_orders[order.account as usize] += 1;
            });
        }
        assert_eq!(
            level.qty, qty,
            "instrument {instrument} level {index}: qty != sum of leaves"
        );
        assert_eq!(
            level.count, count,
            "instrument {instrument} level {index}: count != orders"
        );
        if count > 0 {
            let better = match side.side {
                Side::Buy => expected_best == NIL || index > expected_best,
                Side::Sell => expected_best == NIL,
            };
            if better {
                expected_best = index;
            }
        }
        total += count;
    }
    assert_eq!(
        side.best, expected_best,
        "instrument {instrument} {:?}: best level cache",
        side.side
    );
    total
}

/// Visits a queue's slots, checking its links.
fn walk_queue(engine: &Engine, queue: Queue, mut visit: impl FnMut(u32)) {
    let mut previous = NIL;
    let mut slot = queue.head;
    let mut steps = 0u64;
    while slot != NIL {
        let order = engine.slab.get(slot);
        assert_eq!(order.prev, previous, "slot {slot}: prev link broken");
        visit(slot);
        previous = slot;
        slot = order.next;
        steps += 1;
        assert!(
            steps <= u64::from(engine.slab.capacity()),
            "queue has a cycle"
        );
    }
    assert_eq!(queue.tail, previous, "queue tail wrong");
}

/// Account and owner lists hold exactly the live orders.
fn validate_lists(engine: &Engine) {
    let mut listed = 0u32;
    for account in 0..engine.lists.account_count() {
        let mut slot = engine.lists.account_head(account as u32);
        while slot != NIL {
            let order = engine.slab.get(slot);
            assert!(
                order.live && order.account == account as u32,
                "account {account} list holds slot {slot}"
            );
            listed += 1;
            slot = engine.lists.account_next(slot);
        }
    }
    assert_eq!(listed, engine.slab.live(), "account lists miss orders");
    listed = 0;
    for owner in 0..engine.lists.owner_count() {
        let mut slot = engine.lists.owner_head(owner as u32);
        while slot != NIL {
            let order = engine.slab.get(slot);
            assert!(
                order.live && order.owner == owner as u32,
                "owner {owner} list holds slot {slot}"
            );
            listed += 1;
            slot = engine.lists.owner_next(slot);
        }
    }
    assert_eq!(listed, engine.slab.live(), "owner lists miss orders");
}
