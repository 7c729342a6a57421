//! A deliberately simple price-time order book: the generator's view of what
//! is live, and the reference the peers are checked against.
//!
//! It implements only what flows use (Day and IOC limit orders, cancel,
//! move, reduce), with RTES's semantics: trades at the resting price,
//! a move loses priority, a same-price reduction keeps it.

use std::collections::{BTreeMap, HashMap, VecDeque};

use rtes_engine::Side;

use crate::flow::{FlowCommand, FlowOrderId};
use crate::outcome::{Fill, Outcome};

/// A live order as the shadow book knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShadowOrder {
    /// Side.
    pub side: Side,
    /// Price in ticks.
    pub price: i64,
    /// Open quantity.
    pub qty: u64,
    /// Position in `ShadowBook::ids` (for O(1) random choice and removal).
    slot: usize,
}

/// The reference book.
#[derive(Debug, Default)]
pub struct ShadowBook {
    bids: BTreeMap<i64, VecDeque<FlowOrderId>>,
    asks: BTreeMap<i64, VecDeque<FlowOrderId>>,
    orders: HashMap<FlowOrderId, ShadowOrder>,
    ids: Vec<FlowOrderId>,
    /// When false, moves and reductions are a cancel then a new order with
    /// the command's price and quantity (so a reduction loses priority):
    /// the emulation used for engines without an in-place replace.
    reduce_keeps_priority: bool,
    /// Cancels, moves and reductions that named an order not live here.
    pub unknown_orders: u64,
    /// IOC shares that found nothing to fill and were cancelled.
    pub ioc_unfilled_qty: u64,
    /// Price levels an IOC (or marketable order) traded at, summed.
    pub levels_swept: u64,
}

impl ShadowBook {
    /// An empty book with RTES's semantics.
    pub fn new() -> ShadowBook {
        ShadowBook {
            reduce_keeps_priority: true,
            ..ShadowBook::default()
        }
    }

    /// An empty book whose moves and reductions are cancel + new (so
    /// reductions lose priority), as the emulation for engines without
    /// replace does.
    pub fn with_reduce_losing_priority() -> ShadowBook {
        ShadowBook::default()
    }

    /// Number of live orders.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when no order rests.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The live order at `index % len` (for uniform random choice).
    pub fn live_order_at(&self, index: u64) -> Option<(FlowOrderId, ShadowOrder)> {
        if self.ids.is_empty() {
            return None;
        }
        let id = self.ids[(index % self.ids.len() as u64) as usize];
        Some((id, self.orders[&id]))
    }

    /// The order, if live.
    pub fn order(&self, id: FlowOrderId) -> Option<ShadowOrder> {
        self.orders.get(&id).copied()
    }

    /// Best price of a side.
    pub fn best(&self, side: Side) -> Option<i64> {
        match side {
            Side::Buy => self.bids.keys().next_back().copied(),
            Side::Sell => self.asks.keys().next().copied(),
        }
    }

    /// Levels of one side, best first: `(price, total qty)`.
    pub fn levels(&self, side: Side) -> Vec<(i64, u64)> {
        let total = |(price, queue): (&i64, &VecDeque<FlowOrderId>)| {
            (*price, queue.iter().map(|id| self.orders[id].qty).sum())
        };
        match side {
            Side::Buy => self.bids.iter().rev().map(total).collect(),
            Side::Sell => self.asks.iter().map(total).collect(),
        }
    }

    /// The first `count` levels of a side, best first (cheaper than `levels`).
    pub fn top_levels(&self, side: Side, count: usize) -> Vec<(i64, u64)> {
        let total = |(price, queue): (&i64, &VecDeque<FlowOrderId>)| {
            (*price, queue.iter().map(|id| self.orders[id].qty).sum())
        };
        match side {
            Side::Buy => self.bids.iter().rev().take(count).map(total).collect(),
            Side::Sell => self.asks.iter().take(count).map(total).collect(),
        }
    }

    /// The book as an [`Outcome`] with the given fills.
    pub fn outcome(&self, fills: Vec<Fill>) -> Outcome {
        Outcome {
            fills,
            bids: self.levels(Side::Buy),
            asks: self.levels(Side::Sell),
        }
    }

    /// Applies one command, appending its fills.
    pub fn apply(&mut self, command: &FlowCommand, fills: &mut Vec<Fill>) {
        match *command {
            FlowCommand::New {
                id,
                side,
                price,
                qty,
            } => {
                let left = self.take(side, price, qty, fills);
                if left > 0 {
                    self.rest(id, side, price, left);
                }
            }
            FlowCommand::Ioc {
                side, price, qty, ..
            } => {
                self.ioc_unfilled_qty += self.take(side, price, qty, fills);
            }
            FlowCommand::Cancel { id } => {
                if self.remove(id).is_none() {
                    self.unknown_orders += 1;
                }
            }
            // RTES replaces with the quantity as sent, which the generator
            // sets to the open quantity; the emulation re-enters it as sent.
            FlowCommand::Move { id, price, qty, .. } => match self.remove(id) {
                Some(order) => {
                    let left = self.take(order.side, price, qty, fills);
                    if left > 0 {
                        self.rest(id, order.side, price, left);
                    }
                }
                None => self.unknown_orders += 1,
            },
            FlowCommand::Reduce { id, qty, .. } => self.reduce(id, qty),
        }
    }

    fn reduce(&mut self, id: FlowOrderId, qty: u64) {
        let Some(order) = self.orders.get_mut(&id) else {
            self.unknown_orders += 1;
            return;
        };
        assert!(qty > 0, "a reduction leaves something");
        if self.reduce_keeps_priority {
            assert!(qty < order.qty, "a reduction reduces");
            order.qty = qty;
        } else {
            let order = self.remove(id).expect("live");
            self.rest(id, order.side, order.price, qty);
        }
    }

    /// Matches an incoming order against the opposite side; returns what is left.
    fn take(&mut self, side: Side, limit: i64, mut qty: u64, fills: &mut Vec<Fill>) -> u64 {
        while qty > 0 {
            let best = match side {
                Side::Buy => self.asks.first_key_value().map(|(p, _)| *p),
                Side::Sell => self.bids.last_key_value().map(|(p, _)| *p),
            };
            let Some(price) = best else { break };
            let marketable = match side {
                Side::Buy => price <= limit,
                Side::Sell => price >= limit,
            };
            if !marketable {
                break;
            }
            self.levels_swept += 1;
            qty = self.take_level(side.opposite(), price, qty, fills);
        }
        qty
    }

    fn take_level(
        &mut self,
        resting: Side,
        price: i64,
        mut qty: u64,
        fills: &mut Vec<Fill>,
    ) -> u64 {
        while qty > 0 {
            let book = match resting {
                Side::Buy => &mut self.bids,
                Side::Sell => &mut self.asks,
            };
            let Some(queue) = book.get_mut(&price) else {
                break;
            };
            let maker = *queue.front().expect("levels are never empty");
            let order = self.orders.get_mut(&maker).expect("queued orders are live");
            let q = qty.min(order.qty);
            fills.push(Fill {
                maker,
                price,
                qty: q,
            });
            qty -= q;
            order.qty -= q;
            if order.qty == 0 {
                self.remove(maker);
            }
        }
        qty
    }

    fn rest(&mut self, id: FlowOrderId, side: Side, price: i64, qty: u64) {
        let book = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        book.entry(price).or_default().push_back(id);
        let slot = self.ids.len();
        self.ids.push(id);
        let previous = self.orders.insert(
            id,
            ShadowOrder {
                side,
                price,
                qty,
                slot,
            },
        );
        assert!(previous.is_none(), "order id {id} rested twice");
    }

    fn remove(&mut self, id: FlowOrderId) -> Option<ShadowOrder> {
        let order = self.orders.remove(&id)?;
        let book = match order.side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        let queue = book
            .get_mut(&order.price)
            .expect("live orders have a level");
        let position = queue
            .iter()
            .position(|queued| *queued == id)
            .expect("queued");
        queue.remove(position);
        if queue.is_empty() {
            book.remove(&order.price);
        }
        self.ids.swap_remove(order.slot);
        if let Some(&moved) = self.ids.get(order.slot) {
            self.orders.get_mut(&moved).expect("live").slot = order.slot;
        }
        Some(order)
    }
}

/// Replays `warmup` then `commands` on a fresh shadow book (RTES semantics
/// unless `reduce_keeps_priority` is false); returns the fills of `commands`
/// only and the final book.
pub fn replay(
    warmup: &[FlowCommand],
    commands: &[FlowCommand],
    reduce_keeps_priority: bool,
) -> (Outcome, ShadowBook) {
    let mut book = if reduce_keeps_priority {
        ShadowBook::new()
    } else {
        ShadowBook::with_reduce_losing_priority()
    };
    let mut fills = Vec::new();
    for command in warmup {
        book.apply(command, &mut fills);
    }
    fills.clear();
    for command in commands {
        book.apply(command, &mut fills);
    }
    (book.outcome(fills), book)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(id: u64, side: Side, price: i64, qty: u64) -> FlowCommand {
        FlowCommand::New {
            id,
            side,
            price,
            qty,
        }
    }

    fn run(book: &mut ShadowBook, commands: &[FlowCommand]) -> Vec<Fill> {
        let mut fills = Vec::new();
        for command in commands {
            book.apply(command, &mut fills);
        }
        fills
    }

    #[test]
    fn crossing_order_takes_price_then_time_at_resting_prices_and_rests_the_rest() {
        let mut book = ShadowBook::new();
        let fills = run(
            &mut book,
            &[
                new(1, Side::Sell, 101, 100),
                new(2, Side::Sell, 100, 100),
                new(3, Side::Sell, 100, 200),
                new(4, Side::Buy, 101, 500),
            ],
        );
        let expected = [(2, 100, 100), (3, 100, 200), (1, 101, 100)]
            .map(|(maker, price, qty)| Fill { maker, price, qty });
        assert_eq!(fills, expected);
        assert_eq!(book.levels(Side::Buy), vec![(101, 100)]);
        assert!(book.levels(Side::Sell).is_empty());
        assert_eq!(book.len(), 1);
    }

    #[test]
    fn ioc_never_rests_and_stops_at_its_limit() {
        let mut book = ShadowBook::new();
        let fills = run(
            &mut book,
            &[
                new(1, Side::Buy, 99, 100),
                new(2, Side::Buy, 98, 100),
                FlowCommand::Ioc {
                    id: 3,
                    side: Side::Sell,
                    price: 99,
                    qty: 300,
                },
            ],
        );
        assert_eq!(
            fills,
            vec![Fill {
                maker: 1,
                price: 99,
                qty: 100
            }]
        );
        assert_eq!(book.ioc_unfilled_qty, 200);
        assert_eq!(book.levels(Side::Buy), vec![(98, 100)]);
        assert!(book.levels(Side::Sell).is_empty());
    }

    #[test]
    fn reduction_keeps_priority_unless_emulated_and_move_loses_it() {
        let commands = [
            new(1, Side::Sell, 100, 300),
            new(2, Side::Sell, 100, 300),
            FlowCommand::Reduce {
                id: 1,
                side: Side::Sell,
                price: 100,
                qty: 100,
            },
            FlowCommand::Ioc {
                id: 3,
                side: Side::Buy,
                price: 100,
                qty: 100,
            },
        ];
        let mut keeps = ShadowBook::new();
        assert_eq!(run(&mut keeps, &commands)[0].maker, 1);
        let mut emulated = ShadowBook::with_reduce_losing_priority();
        assert_eq!(run(&mut emulated, &commands)[0].maker, 2);

        let mut moved = ShadowBook::new();
        let fills = run(
            &mut moved,
            &[
                new(1, Side::Sell, 100, 100),
                new(2, Side::Sell, 100, 100),
                FlowCommand::Move {
                    id: 1,
                    side: Side::Sell,
                    price: 101,
                    qty: 100,
                },
                FlowCommand::Move {
                    id: 1,
                    side: Side::Sell,
                    price: 100,
                    qty: 100,
                },
                FlowCommand::Ioc {
                    id: 3,
                    side: Side::Buy,
                    price: 100,
                    qty: 100,
                },
            ],
        );
        assert_eq!(fills[0].maker, 2, "a moved order goes to the back");
    }

    #[test]
    fn unknown_orders_are_counted_not_fatal() {
        let mut book = ShadowBook::new();
        run(&mut book, &[FlowCommand::Cancel { id: 9 }]);
        assert_eq!(book.unknown_orders, 1);
        assert!(book.is_empty());
    }
}
