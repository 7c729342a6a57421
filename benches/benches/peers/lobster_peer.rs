//! lobster 0.7: limit, market and cancel only. A move or a reduction is
//! emulated as cancel + new (so a reduction loses priority, unlike RTES);
//! an IOC is a limit order whose remainder, if any, is cancelled.

use lobster::{FillMetadata, OrderBook, OrderEvent, OrderType, Side};
use rtes_benches::flow::FlowCommand;
use rtes_benches::outcome::{aggregate_levels, Fill};

use crate::Peer;

pub struct Lobster {
    book: OrderBook,
}

fn side(side: rtes_engine::Side) -> Side {
    match side {
        rtes_engine::Side::Buy => Side::Bid,
        rtes_engine::Side::Sell => Side::Ask,
    }
}

fn record(fills: &mut Option<&mut Vec<Fill>>, metadata: &[FillMetadata]) {
    if let Some(fills) = fills {
        fills.extend(metadata.iter().map(|fill| Fill {
            maker: fill.order_2 as u64,
            price: fill.price as i64,
            qty: fill.qty,
        }));
    }
}

impl Lobster {
    /// Enters a limit order; returns whether some of it rests.
    fn limit(
        &mut self,
        id: u64,
        order_side: rtes_engine::Side,
        price: i64,
        qty: u64,
        fills: &mut Option<&mut Vec<Fill>>,
    ) -> bool {
        let event = self.book.execute(OrderType::Limit {
            id: u128::from(id),
            side: side(order_side),
            qty,
            price: price as u64,
        });
        match event {
            OrderEvent::Placed { .. } => true,
            OrderEvent::PartiallyFilled { fills: done, .. } => {
                record(fills, &done);
                true
            }
            OrderEvent::Filled { fills: done, .. } => {
                record(fills, &done);
                false
            }
            other => panic!("lobster answered a limit order with {other:?}"),
        }
    }

    fn cancel(&mut self, id: u64) -> bool {
        matches!(
            self.book.execute(OrderType::Cancel { id: u128::from(id) }),
            OrderEvent::Canceled { .. }
        )
    }

    fn run(&mut self, command: &FlowCommand, mut fills: Option<&mut Vec<Fill>>) {
        match *command {
            FlowCommand::New {
                id,
                side,
                price,
                qty,
            } => {
                self.limit(id, side, price, qty, &mut fills);
            }
            FlowCommand::Ioc {
                id,
                side,
                price,
                qty,
            } => {
                if self.limit(id, side, price, qty, &mut fills) {
                    self.cancel(id);
                }
            }
            FlowCommand::Cancel { id } => {
                self.cancel(id);
            }
            FlowCommand::Move {
                id,
                side,
                price,
                qty,
            }
            | FlowCommand::Reduce {
                id,
                side,
                price,
                qty,
            } => {
                if self.cancel(id) {
                    self.limit(id, side, price, qty, &mut fills);
                }
            }
        }
    }
}

impl Peer for Lobster {
    const NAME: &'static str = "lobster 0.7";
    const NOTES: &'static str = "replace = cancel + new (reduction loses priority)";
    const REPLACE_KEEPS_PRIORITY: bool = false;

    fn new() -> Self {
        Lobster {
            book: OrderBook::new(1 << 16, 64, false),
        }
    }

    #[inline]
    fn apply(&mut self, command: &FlowCommand) {
        self.run(command, None);
    }

    fn apply_recording(&mut self, command: &FlowCommand, fills: &mut Vec<Fill>) {
        self.run(command, Some(fills));
    }

    fn levels(&self) -> (Vec<(i64, u64)>, Vec<(i64, u64)>) {
        let depth = self.book.depth(1 << 12);
        let side = |levels: &[lobster::BookLevel]| {
            levels
                .iter()
                .map(|level| (level.price as i64, level.qty))
                .collect::<Vec<_>>()
        };
        (
            aggregate_levels(side(&depth.bids), true),
            aggregate_levels(side(&depth.asks), false),
        )
    }
}
