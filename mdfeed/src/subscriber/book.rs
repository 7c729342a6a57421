//! Order-by-order books rebuilt from ITCH messages.

use crate::itch::{Body, Message};
use std::collections::{BTreeMap, HashMap};

/// One resting order as the feed shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RestingOrder {
    /// `B` or `S`.
    pub side: u8,
    /// Price(4).
    pub price: u32,
    /// Open shares.
    pub shares: u32,
}

/// One price level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Level {
    /// Price(4).
    pub price: u32,
    /// Total open shares.
    pub shares: u64,
    /// Number of orders.
    pub orders: u32,
}

/// One instrument's book: orders by reference plus aggregated levels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderBook {
    orders: HashMap<u64, RestingOrder>,
    bids: BTreeMap<u32, Level>,
    asks: BTreeMap<u32, Level>,
}

impl OrderBook {
    /// The resting orders by reference.
    pub fn orders(&self) -> &HashMap<u64, RestingOrder> {
        &self.orders
    }

    /// Best bid level.
    pub fn best_bid(&self) -> Option<Level> {
        self.bids.values().next_back().copied()
    }

    /// Best ask level.
    pub fn best_ask(&self) -> Option<Level> {
        self.asks.values().next().copied()
    }

    /// Up to `levels` bid levels, best first.
    pub fn bid_depth(&self, levels: usize) -> Vec<Level> {
        self.bids.values().rev().take(levels).copied().collect()
    }

    /// Up to `levels` ask levels, best first.
    pub fn ask_depth(&self, levels: usize) -> Vec<Level> {
        self.asks.values().take(levels).copied().collect()
    }

    fn side_levels(&mut self, side: u8) -> &mut BTreeMap<u32, Level> {
        if side == b'B' {
            &mut self.bids
        } else {
            &mut self.asks
        }
    }

    fn add(&mut self, order_ref: u64, order: RestingOrder) {
        if order.shares == 0 {
            return;
        }
        let level = self
            .side_levels(order.side)
            .entry(order.price)
            .or_insert(Level {
                price: order.price,
                ..Level::default()
            });
        level.shares += u64::from(order.shares);
        level.orders += 1;
        self.orders.insert(order_ref, order);
    }

    /// Removes `shares` from an order (all of them: delete); false if the
    /// order is unknown.
    fn reduce(&mut self, order_ref: u64, shares: u32) -> bool {
        let Some(order) = self.orders.get_mut(&order_ref) else {
            return false;
        };
        let cut = shares.min(order.shares);
        order.shares -= cut;
        let order = *order;
        let levels = self.side_levels(order.side);
        if let Some(level) = levels.get_mut(&order.price) {
            level.shares -= u64::from(cut);
            if order.shares == 0 {
                level.orders -= 1;
                if level.orders == 0 {
                    levels.remove(&order.price);
                }
            }
        }
        if order.shares == 0 {
            self.orders.remove(&order_ref);
        }
        true
    }

    /// Applies one book message; returns false if it named an unknown order.
    pub fn apply(&mut self, body: &Body) -> bool {
        match *body {
            Body::AddOrder {
                order_ref,
                side,
                shares,
                price,
                ..
            } => {
                self.add(
                    order_ref,
                    RestingOrder {
                        side,
                        price,
                        shares,
                    },
                );
                true
            }
            Body::OrderExecuted {
                order_ref, shares, ..
            }
            | Body::OrderExecutedWithPrice {
                order_ref, shares, ..
            }
            | Body::OrderCancel { order_ref, shares } => self.reduce(order_ref, shares),
            Body::OrderDelete { order_ref } => self.reduce(order_ref, u32::MAX),
            Body::OrderReplace {
                original_order_ref,
                new_order_ref,
                shares,
                price,
            } => {
                let Some(old) = self.orders.get(&original_order_ref).copied() else {
                    return false;
                };
                self.reduce(original_order_ref, u32::MAX);
                self.add(
                    new_order_ref,
                    RestingOrder {
                        side: old.side,
                        price,
                        shares,
                    },
                );
                true
            }
            _ => true,
        }
    }
}

/// What the feed announced about one instrument, and its book.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Instrument {
    /// Symbol from the Stock Directory (trimmed).
    pub symbol: String,
    /// Last Trading Action state byte (`T`, `H`, `Q`, `P`), or 0.
    pub trading_state: u8,
    /// The book.
    pub book: OrderBook,
    /// Last trade: (price, shares, match number).
    pub last_trade: Option<(u32, u64, u64)>,
    /// Shares traded.
    pub volume: u64,
}

/// Every instrument's book, indexed by Stock Locate.
///
/// ```
/// use rtes_mdfeed::itch::{stock_field, Body, Header, Message};
/// use rtes_mdfeed::subscriber::Books;
/// let mut books = Books::default();
/// let header = Header { stock_locate: 1, ..Header::default() };
/// books.apply(&Message { header, body: Body::AddOrder {
///     order_ref: 1, side: b'B', shares: 100, stock: stock_field("AAPL"), price: 1_000_000 } });
/// assert_eq!(books.book(1).unwrap().best_bid().unwrap().shares, 100);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Books {
    instruments: BTreeMap<u16, Instrument>,
    unknown_orders: u64,
}

impl Books {
    /// Applies one message.
    pub fn apply(&mut self, message: &Message) {
        let instrument = self
            .instruments
            .entry(message.header.stock_locate)
            .or_default();
        match message.body {
            Body::StockDirectory(directory) => {
                instrument.symbol = String::from_utf8_lossy(&directory.stock).trim().to_string();
            }
            Body::TradingAction { trading_state, .. } => instrument.trading_state = trading_state,
            Body::Trade {
                price,
                shares,
                match_number,
                ..
            } => {
                instrument.last_trade = Some((price, u64::from(shares), match_number));
                instrument.volume += u64::from(shares);
            }
            Body::CrossTrade {
                price,
                shares,
                match_number,
                ..
            } => {
                instrument.last_trade = Some((price, shares, match_number));
            }
            Body::OrderExecuted {
                order_ref,
                shares,
                match_number,
            } => {
                if let Some(order) = instrument.book.orders().get(&order_ref) {
                    instrument.last_trade = Some((order.price, u64::from(shares), match_number));
                }
                instrument.volume += u64::from(shares);
                if !instrument.book.apply(&message.body) {
                    self.unknown_orders += 1;
                }
            }
            Body::OrderExecutedWithPrice { shares, .. } => {
                // Cross executions: the volume is counted once, by the `Q`.
                let _ = shares;
                if !instrument.book.apply(&message.body) {
                    self.unknown_orders += 1;
                }
            }
            _ => {
                if !instrument.book.apply(&message.body) {
                    self.unknown_orders += 1;
                }
            }
        }
    }

    /// The instrument with this Stock Locate.
    pub fn instrument(&self, locate: u16) -> Option<&Instrument> {
        self.instruments.get(&locate)
    }

    /// The book of this Stock Locate.
    pub fn book(&self, locate: u16) -> Option<&OrderBook> {
        self.instruments.get(&locate).map(|i| &i.book)
    }

    /// Stock Locate of a symbol (from the Stock Directory).
    pub fn locate_of(&self, symbol: &str) -> Option<u16> {
        self.instruments
            .iter()
            .find(|(_, i)| i.symbol == symbol)
            .map(|(locate, _)| *locate)
    }

    /// Every instrument by Stock Locate.
    pub fn instruments(&self) -> impl Iterator<Item = (u16, &Instrument)> {
        self.instruments.iter().map(|(locate, i)| (*locate, i))
    }

    /// Messages that named an order the book does not hold (a sign of a
    /// missed message).
    pub fn unknown_orders(&self) -> u64 {
        self.unknown_orders
    }
}
