//! A seeded, engine-like stream of market-data events for the feed and
//! subscriber benchmarks: adds near the touch until enough orders rest,
//! then 45% adds, 35% deletes, 15% priority-losing replaces (one tick
//! away) and 5% full executions of random live orders, spread over several
//! instruments. Every event names an order that is live in its instrument,
//! as the engine's would.
//!
//! ```
//! let mut flow = rtes_benches::market::MarketFlow::new(3, 100, 7);
//! let events: Vec<_> = (0..1_000).map(|_| flow.next_event()).collect();
//! assert_eq!(events.len(), 1_000);
//! assert!(flow.live() >= 100);
//! ```

use rtes_engine::{
    InstrumentId, MarketEvent, MarketEventKind, MatchNumber, OrderRef, Price, Qty, SequenceNumber,
    Side, TimestampNs,
};

/// A live order: reference, instrument, side, price in ticks, quantity.
type LiveOrder = (u64, u32, Side, i64, u64);

/// The event generator.
#[derive(Debug, Clone)]
pub struct MarketFlow {
    state: u64,
    next_ref: u64,
    live: Vec<LiveOrder>,
    live_target: usize,
    sequence: u64,
    instruments: u32,
}

impl MarketFlow {
    /// A flow over `instruments` instruments that keeps about
    /// `live_target` orders resting; `seed` picks the stream.
    pub fn new(instruments: u32, live_target: usize, seed: u64) -> MarketFlow {
        assert!(instruments > 0, "at least one instrument");
        MarketFlow {
            // xorshift must not start at 0.
            state: seed ^ 0x2545_F491_4F6C_DD1D,
            next_ref: 0,
            live: Vec::with_capacity(2 * live_target + 16),
            live_target,
            sequence: 0,
            instruments,
        }
    }

    /// Orders resting now.
    pub fn live(&self) -> usize {
        self.live.len()
    }

    fn random(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    /// The next event.
    pub fn next_event(&mut self) -> MarketEvent {
        self.sequence += 1;
        let roll = self.random() % 100;
        let (instrument, kind) = if self.live.len() < self.live_target || roll < 45 {
            self.add()
        } else {
            let index = (self.random() % self.live.len() as u64) as usize;
            let (order_ref, instrument, side, price, qty) = self.live.swap_remove(index);
            let kind = match roll {
                45..=79 => MarketEventKind::Delete {
                    order_ref: OrderRef(order_ref),
                },
                80..=94 => {
                    self.next_ref += 1;
                    let price = match side {
                        Side::Buy => price - 1,
                        Side::Sell => price + 1,
                    };
                    self.live
                        .push((self.next_ref, instrument, side, price, qty));
                    MarketEventKind::Replace {
                        old_order_ref: OrderRef(order_ref),
                        new_order_ref: OrderRef(self.next_ref),
                        price: Price(price),
                        qty: Qty(qty),
                    }
                }
                _ => MarketEventKind::Execute {
                    order_ref: OrderRef(order_ref),
                    qty: Qty(qty),
                    match_number: MatchNumber(self.sequence),
                },
            };
            (instrument, kind)
        };
        MarketEvent {
            seq: SequenceNumber(self.sequence),
            ts: TimestampNs(self.sequence * 1_000),
            instrument: InstrumentId(instrument),
            kind,
        }
    }

    fn add(&mut self) -> (u32, MarketEventKind) {
        self.next_ref += 1;
        let instrument = (self.random() % u64::from(self.instruments)) as u32;
        let side = if self.random().is_multiple_of(2) {
            Side::Buy
        } else {
            Side::Sell
        };
        // Depth skewed towards the touch, a two-tick spread around 190.00.
        let offset = (self.random() % 16).min(self.random() % 16) as i64;
        let price = match side {
            Side::Buy => 18_999 - offset,
            Side::Sell => 19_001 + offset,
        };
        let qty = 100 * (1 + self.random() % 10);
        self.live
            .push((self.next_ref, instrument, side, price, qty));
        let kind = MarketEventKind::Add {
            order_ref: OrderRef(self.next_ref),
            side,
            price: Price(price),
            qty: Qty(qty),
        };
        (instrument, kind)
    }
}
