//! The synthetic order flow: what to send next.
//!
//! Each symbol has a mid price doing a bounded random walk (in ticks). Most
//! orders rest one to a few ticks behind the mid on either side; most are
//! later cancelled or replaced (a new price near the moving mid); a few
//! percent are IOC orders priced through the mid so they trade against
//! whatever rests there, usually another session's order (sessions are
//! served round-robin and all quote both sides). Prices are always on a
//! tick and strictly inside the server's band around the reference price.

use anyhow::Result;
use rtes_gateway::ouch::Side;

use super::config::{Config, Mix};
use super::random::Rng;
use super::slots::Liveness;

/// An order the sender may later cancel or replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveOrder {
    /// Order number (the token's number).
    pub number: u64,
    /// Index of its symbol.
    pub symbol: u16,
    /// Side.
    pub side: Side,
}

/// One session's orders that may still be live, in no particular order.
#[derive(Debug)]
pub struct LiveSet {
    orders: Vec<LiveOrder>,
    /// Above this many, new orders turn into cancels.
    soft_capacity: usize,
}

impl LiveSet {
    /// An empty set that keeps about `soft_capacity` orders.
    pub fn new(soft_capacity: usize) -> LiveSet {
        LiveSet {
            orders: Vec::with_capacity(soft_capacity * 2),
            soft_capacity,
        }
    }

    /// Adds an order just sent.
    pub fn push(&mut self, order: LiveOrder) {
        self.orders.push(order);
    }

    /// Orders held (some may have died since).
    pub fn len(&self) -> usize {
        self.orders.len()
    }

    /// True when no order is held.
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    /// True when new orders should give way to cancels.
    pub fn is_full(&self) -> bool {
        self.orders.len() >= self.soft_capacity
    }

    /// Removes and returns a random order that `liveness` says is live,
    /// dropping dead ones met on the way; `None` after a few misses.
    pub fn take_live(
        &mut self,
        rng: &mut Rng,
        liveness: impl Fn(u64) -> Liveness,
    ) -> Option<LiveOrder> {
        // Bounded: a set full of busy orders must not stall the sender.
        for _ in 0..16 {
            if self.orders.is_empty() {
                return None;
            }
            let index = rng.below(self.orders.len() as u64) as usize;
            match liveness(self.orders[index].number) {
                Liveness::Live => return Some(self.orders.swap_remove(index)),
                Liveness::Dead => {
                    self.orders.swap_remove(index);
                }
                Liveness::Busy => {}
            }
        }
        None
    }

    /// Removes and returns every order `liveness` says is live (for the
    /// clean-up cancels at the end).
    pub fn drain_live(&mut self, liveness: impl Fn(u64) -> Liveness) -> Vec<LiveOrder> {
        let orders = std::mem::take(&mut self.orders);
        orders
            .into_iter()
            .filter(|order| liveness(order.number) == Liveness::Live)
            .collect()
    }
}

/// What to send next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A new order.
    Enter {
        /// Symbol index.
        symbol: u16,
        /// Side.
        side: Side,
        /// Price, OUCH wire units.
        price: u32,
        /// Shares.
        shares: u32,
        /// Marketable immediate-or-cancel (else a resting day order).
        ioc: bool,
    },
    /// Cancel all of a live order.
    Cancel {
        /// The order.
        order: LiveOrder,
    },
    /// Replace a live order with a new price and size.
    Replace {
        /// The order replaced.
        order: LiveOrder,
        /// New price, OUCH wire units.
        price: u32,
        /// New shares.
        shares: u32,
    },
}

/// Price model of one symbol, in ticks.
#[derive(Debug, Clone)]
pub struct PriceModel {
    /// Stock field, space padded.
    pub stock: [u8; 8],
    /// Tick, OUCH wire units.
    pub tick_wire: u32,
    /// Lowest price sent, ticks.
    pub low_ticks: u64,
    /// Highest price sent, ticks.
    pub high_ticks: u64,
    walk_low_ticks: u64,
    walk_high_ticks: u64,
    mid_ticks: u64,
}

impl PriceModel {
    /// The model of a symbol: prices strictly inside its band, the mid
    /// wandering over the middle quarter of it.
    pub fn new(spec: &super::config::SymbolSpec) -> Result<PriceModel> {
        let tick_wire = spec.tick_wire()?;
        let reference_ticks = u64::from(spec.reference_wire()? / tick_wire);
        let band_ticks = reference_ticks * u64::from(spec.band_percent) / 100;
        anyhow::ensure!(
            band_ticks >= 40,
            "band of {} is under 40 ticks: too narrow to quote in",
            spec.symbol
        );
        let mut stock = [b' '; 8];
        stock[..spec.symbol.len()].copy_from_slice(spec.symbol.as_bytes());
        Ok(PriceModel {
            stock,
            tick_wire,
            low_ticks: reference_ticks - band_ticks + 1,
            high_ticks: reference_ticks + band_ticks - 1,
            walk_low_ticks: reference_ticks - band_ticks / 4,
            walk_high_ticks: reference_ticks + band_ticks / 4,
            mid_ticks: reference_ticks,
        })
    }

    /// Current mid, ticks.
    pub fn mid_ticks(&self) -> u64 {
        self.mid_ticks
    }

    fn step(&mut self, rng: &mut Rng) {
        if rng.chance(1, 4) {
            let up = rng.chance(1, 2);
            self.mid_ticks = if up {
                (self.mid_ticks + 1).min(self.walk_high_ticks)
            } else {
                (self.mid_ticks - 1).max(self.walk_low_ticks)
            };
        }
    }

    fn wire(&self, ticks: u64) -> u32 {
        let ticks = ticks.clamp(self.low_ticks, self.high_ticks);
        (ticks * u64::from(self.tick_wire)) as u32
    }

    /// A resting price: at the touch (one tick from the mid) or a few ticks
    /// behind it.
    fn resting(&self, side: Side, rng: &mut Rng) -> u32 {
        let depth = 1 + if rng.chance(4, 5) {
            rng.below(3)
        } else {
            rng.below(20)
        };
        match side {
            Side::Buy => self.wire(self.mid_ticks - depth),
            _ => self.wire(self.mid_ticks + depth),
        }
    }

    /// A marketable price: through the mid into the other side's touch.
    fn marketable(&self, side: Side, rng: &mut Rng) -> u32 {
        let reach = 1 + rng.below(4);
        match side {
            Side::Buy => self.wire(self.mid_ticks + reach),
            _ => self.wire(self.mid_ticks - reach),
        }
    }
}

/// Chooses every message of a run; deterministic for a seed.
#[derive(Debug)]
pub struct FlowGenerator {
    rng: Rng,
    mix: Mix,
    models: Vec<PriceModel>,
}

enum Kind {
    New,
    Cancel,
    Replace,
    Ioc,
}

impl FlowGenerator {
    /// A generator for `config`'s symbols, mix and seed.
    pub fn new(config: &Config) -> Result<FlowGenerator> {
        config.mix.validate()?;
        Ok(FlowGenerator {
            rng: Rng::new(config.seed),
            mix: config.mix,
            models: config
                .symbols
                .iter()
                .map(PriceModel::new)
                .collect::<Result<_>>()?,
        })
    }

    /// The price models, by symbol index.
    pub fn models(&self) -> &[PriceModel] {
        &self.models
    }

    /// The generator's random source (the sender uses it for the order
    /// picks this module does not make).
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    fn kind(&mut self) -> Kind {
        let mix = self.mix;
        let mut roll = self.rng.below(u64::from(mix.total())) as u32;
        for (weight, kind) in [
            (mix.new, Kind::New),
            (mix.cancel, Kind::Cancel),
            (mix.replace, Kind::Replace),
            (mix.ioc, Kind::Ioc),
        ] {
            if roll < weight {
                return kind;
            }
            roll -= weight;
        }
        unreachable!("roll below the total weight")
    }

    fn shares(&mut self) -> u32 {
        100 * (1 + self.rng.below(5) as u32)
    }

    fn side(&mut self) -> Side {
        if self.rng.chance(1, 2) {
            Side::Buy
        } else {
            Side::Sell
        }
    }

    fn enter(&mut self, ioc: bool) -> Action {
        let symbol = self.rng.below(self.models.len() as u64) as u16;
        let side = self.side();
        let model = &mut self.models[usize::from(symbol)];
        model.step(&mut self.rng);
        let model = &self.models[usize::from(symbol)];
        let price = if ioc {
            model.marketable(side, &mut self.rng)
        } else {
            model.resting(side, &mut self.rng)
        };
        let shares = self.shares();
        Action::Enter {
            symbol,
            side,
            price,
            shares,
            ioc,
        }
    }

    fn fallback(&mut self) -> Action {
        // Nothing live to act on: add liquidity (or trade when the mix
        // has no resting orders at all).
        self.enter(self.mix.new == 0)
    }

    /// The next message for a session whose orders are `live`;
    /// `liveness` tells which of them may be touched.
    pub fn next(&mut self, live: &mut LiveSet, liveness: impl Fn(u64) -> Liveness) -> Action {
        let mut kind = self.kind();
        if matches!(kind, Kind::New) && live.is_full() {
            kind = Kind::Cancel;
        }
        match kind {
            Kind::New => self.enter(false),
            Kind::Ioc => self.enter(true),
            Kind::Cancel => match live.take_live(&mut self.rng, liveness) {
                Some(order) => Action::Cancel { order },
                None => self.fallback(),
            },
            Kind::Replace => match live.take_live(&mut self.rng, liveness) {
                Some(order) => {
                    let model = &mut self.models[usize::from(order.symbol)];
                    model.step(&mut self.rng);
                    let price =
                        self.models[usize::from(order.symbol)].resting(order.side, &mut self.rng);
                    let shares = self.shares();
                    Action::Replace {
                        order,
                        price,
                        shares,
                    }
                }
                None => self.fallback(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Drives the generator like the sender does, with every order
    /// accepted at once, and checks every message.
    #[test]
    fn prices_valid_and_only_known_live_orders_touched() {
        let config = Config::default();
        let mut generator = FlowGenerator::new(&config).unwrap();
        let models = generator.models().to_vec();
        let mut live = LiveSet::new(500);
        // number → alive
        let mut alive: HashMap<u64, bool> = HashMap::new();
        let mut next_number = 0u64;
        let mut counts = [0u32; 4];
        let check_price = |symbol: u16, price: u32| {
            let model = &models[usize::from(symbol)];
            assert_eq!(price % model.tick_wire, 0, "price {price} off tick");
            let ticks = u64::from(price / model.tick_wire);
            assert!(ticks >= model.low_ticks && ticks <= model.high_ticks);
            let spec = &config.symbols[usize::from(symbol)];
            let reference = u64::from(spec.reference_wire().unwrap());
            let band = reference * u64::from(spec.band_percent) / 100;
            assert!(u64::from(price) > reference - band && u64::from(price) < reference + band);
        };
        for step in 0..100_000u64 {
            let snapshot = alive.clone();
            // Every 7th order happens to have been filled meanwhile.
            let action = generator.next(&mut live, |number| match snapshot.get(&number) {
                Some(true) if number % 7 != 3 => Liveness::Live,
                Some(true) => Liveness::Dead,
                _ => Liveness::Dead,
            });
            match action {
                Action::Enter {
                    symbol,
                    side,
                    price,
                    shares,
                    ioc,
                } => {
                    check_price(symbol, price);
                    assert!(shares > 0);
                    if !ioc {
                        alive.insert(next_number, true);
                        live.push(LiveOrder {
                            number: next_number,
                            symbol,
                            side,
                        });
                        counts[0] += 1;
                    } else {
                        counts[3] += 1;
                    }
                    next_number += 1;
                }
                Action::Cancel { order } => {
                    assert_eq!(alive.get(&order.number), Some(&true), "step {step}");
                    assert_ne!(order.number % 7, 3);
                    alive.insert(order.number, false);
                    counts[1] += 1;
                }
                Action::Replace {
                    order,
                    price,
                    shares,
                } => {
                    assert_eq!(alive.get(&order.number), Some(&true), "step {step}");
                    check_price(order.symbol, price);
                    assert!(shares > 0);
                    alive.insert(order.number, false);
                    alive.insert(next_number, true);
                    live.push(LiveOrder {
                        number: next_number,
                        ..order
                    });
                    next_number += 1;
                    counts[2] += 1;
                }
            }
        }
        // The mix shows through: most new, many cancels, a few IOC.
        assert!(counts[0] > 40_000 && counts[1] > 25_000, "{counts:?}");
        assert!(counts[3] > 3_000 && counts[3] < 7_000, "{counts:?}");
    }

    #[test]
    fn resting_orders_sit_on_their_side_of_the_mid() {
        let config = Config::default();
        let mut generator = FlowGenerator::new(&config).unwrap();
        let mut live = LiveSet::new(10);
        for _ in 0..10_000 {
            let mids: Vec<u64> = generator.models().iter().map(|m| m.mid_ticks()).collect();
            if let Action::Enter {
                symbol,
                side,
                price,
                ioc,
                ..
            } = generator.next(&mut live, |_| Liveness::Dead)
            {
                let model = &generator.models()[usize::from(symbol)];
                let ticks = u64::from(price / model.tick_wire) as i64;
                // The mid may have stepped one tick before pricing.
                let mid = mids[usize::from(symbol)] as i64;
                let toward = if (side == Side::Buy) != ioc { -1 } else { 1 };
                assert!(
                    (ticks - mid) * toward >= 0,
                    "{side:?} ioc={ioc} {ticks} vs {mid}"
                );
            }
        }
    }

    #[test]
    fn same_seed_same_flow() {
        let config = Config::default();
        let run = || {
            let mut generator = FlowGenerator::new(&config).unwrap();
            let mut live = LiveSet::new(10);
            (0..1000)
                .map(|_| generator.next(&mut live, |_| Liveness::Dead))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }
}
