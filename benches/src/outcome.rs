//! What every engine must agree on after a flow: the trades, in order, and
//! the final book aggregated per price level.

use std::fmt;

use crate::flow::FlowOrderId;

/// Price levels of one side, best first: `(price in ticks, total open qty)`.
pub type Levels = Vec<(i64, u64)>;

/// One fill as the resting (maker) side saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    /// The resting order's flow id.
    pub maker: FlowOrderId,
    /// Execution price in ticks (the resting order's price).
    pub price: i64,
    /// Shares.
    pub qty: u64,
}

/// Trades and final book of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Every fill, in execution order.
    pub fills: Vec<Fill>,
    /// Bid levels `(price, total open qty)`, best (highest) first.
    pub bids: Vec<(i64, u64)>,
    /// Ask levels `(price, total open qty)`, best (lowest) first.
    pub asks: Vec<(i64, u64)>,
}

/// How two outcomes compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Agreement {
    /// Same number of fills.
    pub fill_count: bool,
    /// Same total traded volume.
    pub volume: bool,
    /// Same fills, one by one (maker, price, qty).
    pub fills_exact: bool,
    /// Same per-level quantities on both sides.
    pub book: bool,
}

impl Agreement {
    /// Everything agrees.
    pub fn all(&self) -> bool {
        self.fill_count && self.volume && self.fills_exact && self.book
    }
}

impl fmt::Display for Agreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.all() {
            return write!(f, "yes");
        }
        let mark = |ok: bool| if ok { "ok" } else { "DIFF" };
        write!(
            f,
            "count {} vol {} fills {} book {}",
            mark(self.fill_count),
            mark(self.volume),
            mark(self.fills_exact),
            mark(self.book)
        )
    }
}

impl Outcome {
    /// Total traded shares.
    pub fn volume(&self) -> u64 {
        self.fills.iter().map(|fill| fill.qty).sum()
    }

    /// Compares `self` (the reference) with `other`.
    pub fn compare(&self, other: &Outcome) -> Agreement {
        Agreement {
            fill_count: self.fills.len() == other.fills.len(),
            volume: self.volume() == other.volume(),
            fills_exact: self.fills == other.fills,
            book: self.bids == other.bids && self.asks == other.asks,
        }
    }

    /// Index of the first fill that differs, for diagnostics.
    pub fn first_fill_difference(&self, other: &Outcome) -> Option<usize> {
        let common = self.fills.len().min(other.fills.len());
        (0..common)
            .find(|&index| self.fills[index] != other.fills[index])
            .or((self.fills.len() != other.fills.len()).then_some(common))
    }
}

/// Aggregates `(price, qty)` pairs of one side into levels, best first.
pub fn aggregate_levels(
    orders: impl IntoIterator<Item = (i64, u64)>,
    best_is_highest: bool,
) -> Vec<(i64, u64)> {
    let mut levels: std::collections::BTreeMap<i64, u64> = std::collections::BTreeMap::new();
    for (price, qty) in orders {
        *levels.entry(price).or_default() += qty;
    }
    let mut levels: Vec<(i64, u64)> = levels.into_iter().filter(|level| level.1 > 0).collect();
    if best_is_highest {
        levels.reverse();
    }
    levels
}
