//! lobster 0.7: limit, market and cancel only. A move or a reduction is
//! emulated as cancel + new (so a reduction loses priority, unlike RTES);
//! an IOC is a limit order whose remainder, if any, is cancelled.
//!
//! lobster keeps a fully filled maker in its id map (it only drains it from
//! the price queue), so a later cancel of that id still answers `Canceled`.
//! The adapter therefore tracks which ids are live from the fills, so that
//! the emulated replace of an order that lobster already filled does not
//! bring it back to life.

use lobster::{FillMetadata, OrderBook, OrderEvent, OrderType, Side};
use rtes_benches::flow::FlowCommand;
use rtes_benches::outcome::{aggregate_levels, Fill, Levels};

use crate::Peer;

pub struct Lobster {
    book: OrderBook,
    /// `live[id]`: the order rests (lobster cannot tell, see above).
    live: Vec<bool>,
}

fn side(side: rtes_engine::Side) -> Side {
    match side {
        rtes_engine::Side::Buy => Side::Bid,
        rtes_engine::Side::Sell => Side::Ask,
    }
}

fn record(live: &mut [bool], fills: &mut Option<&mut Vec<Fill>>, metadata: &[FillMetadata]) {
    for fill in metadata.iter().filter(|fill| fill.total_fill) {
        live[fill.order_2 as usize] = false;
    }
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
        if self.live.len() <= id as usize {
            self.live
                .resize((id as usize + 1).next_power_of_two(), false);
        }
        let event = self.book.execute(OrderType::Limit {
            id: u128::from(id),
            side: side(order_side),
            qty,
            price: price as u64,
        });
        let rests = match event {
            OrderEvent::Placed { .. } => true,
            OrderEvent::PartiallyFilled { fills: done, .. } => {
                record(&mut self.live, fills, &done);
                true
            }
            OrderEvent::Filled { fills: done, .. } => {
                record(&mut self.live, fills, &done);
                false
            }
            other => panic!("lobster answered a limit order with {other:?}"),
        };
        self.live[id as usize] = rests;
        rests
    }

    fn cancel(&mut self, id: u64) -> bool {
        if !self.live.get(id as usize).copied().unwrap_or(false) {
            return false;
        }
        self.live[id as usize] = false;
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
            live: Vec::new(),
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
