//! The seeded mixed flow, modelled on exchange-core's perf test: one
//! instrument, a warm-up that builds a deep book near the touch, then mostly
//! replaces with some new orders, IOCs and cancels.
//!
//! The flow is generated once, up front, against a [`ShadowBook`] (never
//! against an engine under test), so every engine gets the identical list.

use rtes_engine::Side;

use crate::flow::{FlowCommand, FlowOrderId};
use crate::rng::SplitMix64;
use crate::shadow::ShadowBook;

/// Shares per lot: every quantity is a multiple of it.
pub const LOT: u64 = 100;
/// Reference price in ticks; the warm-up book is built around it.
pub const REFERENCE_PRICE: i64 = 100_000;

/// Shape of a mixed flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowSpec {
    /// Seed of the generator.
    pub seed: u64,
    /// Resting orders the warm-up builds (both sides together).
    pub warmup_orders: usize,
    /// Price levels per side the warm-up spreads them over; also how far
    /// from the opposite touch moves and new orders may go.
    pub levels_per_side: i64,
    /// Commands after the warm-up.
    pub commands: usize,
    /// Percent of replaces (moves and reductions).
    pub replace_percent: u64,
    /// Percent of new Day limit orders.
    pub new_percent: u64,
    /// Percent of IOC orders; the rest are cancels.
    pub ioc_percent: u64,
    /// Percent of replaces that are same-price reductions (the rest move).
    pub reduce_share_percent: u64,
    /// Most opposite levels an IOC's limit reaches through.
    pub ioc_levels_max: usize,
}

impl FlowSpec {
    /// exchange-core-like mix: 82% replace, 9% new, 3% IOC, 6% cancel over
    /// ~5,000 resting orders on ~250 levels per side.
    pub fn exchange_core_like(commands: usize) -> FlowSpec {
        FlowSpec {
            seed: 0x5EED_0FE5,
            warmup_orders: 5_000,
            levels_per_side: 250,
            commands,
            replace_percent: 82,
            new_percent: 9,
            ioc_percent: 3,
            reduce_share_percent: 15,
            ioc_levels_max: 4,
        }
    }
}

/// A generated flow: build the book with `warmup`, then measure `commands`.
#[derive(Debug, Clone)]
pub struct Flow {
    /// Commands that build the initial book (no trades).
    pub warmup: Vec<FlowCommand>,
    /// The measured commands.
    pub commands: Vec<FlowCommand>,
    /// Live orders at the end, by the shadow book.
    pub live_orders_end: usize,
    /// Price levels IOCs traded at, summed over the flow.
    pub ioc_levels_swept: u64,
}

/// Generates a flow; deterministic in `spec`.
pub fn generate(spec: &FlowSpec) -> Flow {
    let mut generator = Generator {
        spec: *spec,
        rng: SplitMix64::new(spec.seed),
        book: ShadowBook::new(),
        next_id: 1,
        fills: Vec::new(),
    };
    let warmup = generator.warmup();
    let mut commands = Vec::with_capacity(spec.commands);
    let mut ioc_levels_swept = 0;
    for _ in 0..spec.commands {
        let command = generator.next_command();
        let before = generator.book.levels_swept;
        generator.apply(&command);
        if matches!(command, FlowCommand::Ioc { .. }) {
            ioc_levels_swept += generator.book.levels_swept - before;
        }
        commands.push(command);
    }
    Flow {
        warmup,
        commands,
        live_orders_end: generator.book.len(),
        ioc_levels_swept,
    }
}

struct Generator {
    spec: FlowSpec,
    rng: SplitMix64,
    book: ShadowBook,
    next_id: FlowOrderId,
    fills: Vec<crate::outcome::Fill>,
}

impl Generator {
    fn apply(&mut self, command: &FlowCommand) {
        self.fills.clear();
        self.book.apply(command, &mut self.fills);
    }

    fn warmup(&mut self) -> Vec<FlowCommand> {
        let mut commands = Vec::with_capacity(self.spec.warmup_orders);
        for _ in 0..self.spec.warmup_orders {
            let side = self.side();
            let depth = self.rng.below(self.spec.levels_per_side as u64) as i64;
            // A two-tick spread around the reference: bids below, asks above.
            let price = match side {
                Side::Buy => REFERENCE_PRICE - 1 - depth,
                Side::Sell => REFERENCE_PRICE + 1 + depth,
            };
            let command = self.new_order(side, price);
            self.apply(&command);
            commands.push(command);
        }
        commands
    }

    fn next_command(&mut self) -> FlowCommand {
        let roll = self.rng.below(100);
        let spec = self.spec;
        if self.book.is_empty() || roll < spec.replace_percent + spec.new_percent {
            if self.book.is_empty() || roll >= spec.replace_percent {
                let side = self.side();
                let depth = self.skewed_depth();
                let price = self.passive_price(side, depth);
                return self.new_order(side, price);
            }
            return self.replace();
        }
        if roll < spec.replace_percent + spec.new_percent + spec.ioc_percent {
            if let Some(ioc) = self.ioc() {
                return ioc;
            }
        }
        let (id, _) = self.random_live();
        FlowCommand::Cancel { id }
    }

    fn replace(&mut self) -> FlowCommand {
        let (id, order) = self.random_live();
        let lots = order.qty / LOT;
        if lots >= 2 && self.rng.below(100) < self.spec.reduce_share_percent {
            return FlowCommand::Reduce {
                id,
                side: order.side,
                price: order.price,
                qty: LOT * (1 + self.rng.below(lots - 1)),
            };
        }
        // A move of 1..=3 ticks either way, kept passive and within
        // `levels_per_side` of the opposite touch.
        let ticks = 1 + self.rng.below(3) as i64;
        let step = if self.rng.below(2) == 0 {
            ticks
        } else {
            -ticks
        };
        let (low, high) = self.passive_range(order.side);
        let mut price = (order.price + step).clamp(low, high);
        if price == order.price {
            // Clamped back onto its own price: move one tick away from the
            // touch instead (always passive).
            price = match order.side {
                Side::Buy => order.price - 1,
                Side::Sell => order.price + 1,
            };
        }
        FlowCommand::Move {
            id,
            side: order.side,
            price,
            qty: order.qty,
        }
    }

    /// An IOC whose limit reaches 1..=`ioc_levels_max` opposite levels, its
    /// quantity capped to what rests within the limit (so it fills fully).
    fn ioc(&mut self) -> Option<FlowCommand> {
        let side = self.side();
        let reach = 1 + self.rng.below(self.spec.ioc_levels_max as u64) as usize;
        let levels = self.book.top_levels(side.opposite(), reach);
        let &(limit, _) = levels.last()?;
        let available: u64 = levels.iter().map(|level| level.1).sum();
        let wanted = LOT * (1 + self.rng.below(10));
        let id = self.take_id();
        Some(FlowCommand::Ioc {
            id,
            side,
            price: limit,
            qty: wanted.min(available),
        })
    }

    fn new_order(&mut self, side: Side, price: i64) -> FlowCommand {
        let id = self.take_id();
        FlowCommand::New {
            id,
            side,
            price,
            qty: LOT * (1 + self.rng.below(10)),
        }
    }

    fn take_id(&mut self) -> FlowOrderId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Lowest and highest passive price for `side`.
    fn passive_range(&self, side: Side) -> (i64, i64) {
        let reach = self.spec.levels_per_side;
        match side {
            Side::Buy => {
                let ask = self.book.best(Side::Sell).unwrap_or(REFERENCE_PRICE + 1);
                (ask - reach, ask - 1)
            }
            Side::Sell => {
                let bid = self.book.best(Side::Buy).unwrap_or(REFERENCE_PRICE - 1);
                (bid + 1, bid + reach)
            }
        }
    }

    /// A passive price `depth` ticks behind the most aggressive passive one.
    fn passive_price(&self, side: Side, depth: i64) -> i64 {
        let (low, high) = self.passive_range(side);
        match side {
            Side::Buy => high - depth,
            Side::Sell => low + depth,
        }
    }

    /// 0..levels_per_side, skewed towards 0 (the touch).
    fn skewed_depth(&mut self) -> i64 {
        let levels = self.spec.levels_per_side as u64;
        (self.rng.below(levels) * self.rng.below(levels) / levels) as i64
    }

    fn side(&mut self) -> Side {
        if self.rng.below(2) == 0 {
            Side::Buy
        } else {
            Side::Sell
        }
    }

    fn random_live(&mut self) -> (FlowOrderId, crate::shadow::ShadowOrder) {
        let index = self.rng.next_u64();
        self.book
            .live_order_at(index)
            .expect("caller checked the book is not empty")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::FlowMix;
    use crate::shadow::replay;

    #[test]
    fn same_spec_same_flow() {
        let spec = FlowSpec::exchange_core_like(5_000);
        let (first, second) = (generate(&spec), generate(&spec));
        assert_eq!(first.warmup, second.warmup);
        assert_eq!(first.commands, second.commands);
    }

    #[test]
    fn mix_and_book_shape_are_as_specified() {
        let flow = generate(&FlowSpec::exchange_core_like(100_000));
        let mix = FlowMix::of(&flow.commands);
        let percent = |count: u64| count as f64 * 100.0 / flow.commands.len() as f64;
        assert!(
            (80.0..84.0).contains(&percent(mix.moves + mix.reduce)),
            "{mix:?}"
        );
        assert!((8.0..10.0).contains(&percent(mix.new)), "{mix:?}");
        assert!((2.5..3.5).contains(&percent(mix.ioc)), "{mix:?}");
        assert!((5.0..7.0).contains(&percent(mix.cancel)), "{mix:?}");
        let (outcome, book) = replay(&flow.warmup, &flow.commands, true);
        assert_eq!(
            book.unknown_orders, 0,
            "cancels and replaces name live orders"
        );
        assert_eq!(book.ioc_unfilled_qty, 0, "IOCs are capped to what fills");
        assert!((3_000..8_000).contains(&book.len()), "{} live", book.len());
        let (best_bid, best_ask) = (outcome.bids[0].0, outcome.asks[0].0);
        assert!(best_bid < best_ask, "moves and new orders never cross");
    }
}
