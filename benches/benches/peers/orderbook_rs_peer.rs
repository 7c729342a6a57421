//! orderbook-rs 0.15 (a concurrent book: lock-free skip lists and maps):
//! native price and quantity updates (a quantity decrease keeps priority).

use orderbook_rs::OrderBook;
use pricelevel::{Id, OrderUpdate, Price, Quantity, Side, TimeInForce};
use rtes_benches::flow::FlowCommand;
use rtes_benches::outcome::{aggregate_levels, Fill, Levels};

use crate::Peer;

pub struct OrderbookRs {
    book: OrderBook<()>,
}

fn side(side: rtes_engine::Side) -> Side {
    match side {
        rtes_engine::Side::Buy => Side::Buy,
        rtes_engine::Side::Sell => Side::Sell,
    }
}

impl OrderbookRs {
    fn run(&mut self, command: &FlowCommand, fills: Option<&mut Vec<Fill>>) {
        let (id, order_side, price, qty, time_in_force) = match *command {
            FlowCommand::New {
                id,
                side,
                price,
                qty,
            } => (id, side, price, qty, TimeInForce::Gtc),
            FlowCommand::Ioc {
                id,
                side,
                price,
                qty,
            } => (id, side, price, qty, TimeInForce::Ioc),
            FlowCommand::Cancel { id } => {
                let cancelled = self.book.cancel_order(Id::Sequential(id));
                assert!(
                    matches!(cancelled, Ok(Some(_))),
                    "cancel {id}: {cancelled:?}"
                );
                return;
            }
            FlowCommand::Move { id, price, .. } => {
                let update = OrderUpdate::UpdatePrice {
                    order_id: Id::Sequential(id),
                    new_price: Price::new(price as u128),
                };
                let updated = self.book.update_order(update);
                assert!(matches!(updated, Ok(Some(_))), "move {id}: {updated:?}");
                return;
            }
            FlowCommand::Reduce { id, qty, .. } => {
                let update = OrderUpdate::UpdateQuantity {
                    order_id: Id::Sequential(id),
                    new_quantity: Quantity::new(qty),
                };
                let updated = self.book.update_order(update);
                assert!(matches!(updated, Ok(Some(_))), "reduce {id}: {updated:?}");
                return;
            }
        };
        let added = self.book.add_limit_order_with_result(
            Id::Sequential(id),
            price as u128,
            qty,
            side(order_side),
            time_in_force,
            None,
        );
        let (_, trades) = added.unwrap_or_else(|error| panic!("add {id}: {error}"));
        let (Some(fills), Some(trades)) = (fills, trades) else {
            return;
        };
        for trade in trades.match_result.trades().as_vec() {
            let Id::Sequential(maker) = trade.maker_order_id() else {
                panic!("orderbook-rs reported a maker id it was never given");
            };
            fills.push(Fill {
                maker,
                price: trade.price().as_u128() as i64,
                qty: trade.quantity().as_u64(),
            });
        }
    }
}

impl Peer for OrderbookRs {
    const NAME: &'static str = "orderbook-rs 0.15";
    const NOTES: &'static str = "native update_order (price / quantity)";

    fn new() -> Self {
        OrderbookRs {
            book: OrderBook::new("BENCH"),
        }
    }

    #[inline]
    fn apply(&mut self, command: &FlowCommand) {
        self.run(command, None);
    }

    fn apply_recording(&mut self, command: &FlowCommand, fills: &mut Vec<Fill>) {
        self.run(command, Some(fills));
    }

    fn levels(&self) -> (Levels, Levels) {
        let snapshot = self
            .book
            .create_snapshot(usize::MAX)
            .expect("a snapshot of a quiet book");
        let side = |levels: &[pricelevel::PriceLevelSnapshot]| {
            levels
                .iter()
                .map(|level| {
                    let qty = level.visible_quantity().as_u64() + level.hidden_quantity().as_u64();
                    (level.price().as_u128() as i64, qty)
                })
                .collect::<Vec<_>>()
        };
        (
            aggregate_levels(side(&snapshot.bids), true),
            aggregate_levels(side(&snapshot.asks), false),
        )
    }
}
