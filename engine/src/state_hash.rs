//! `Engine::state_hash`: FNV-1a over everything that affects future
//! outputs, in a fixed order, independent of slab slot placement.

use crate::engine::Engine;
use crate::types::{Side, TradingState};

/// FNV-1a, 64-bit.
struct Fnv(u64);

impl Fnv {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn word(&mut self, value: u64) {
        for byte in value.to_le_bytes() {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(Self::PRIME);
        }
    }
}

fn state_code(state: TradingState) -> u64 {
    match state {
        TradingState::Closed => 0,
        TradingState::PreOpen => 1,
        TradingState::Continuous => 2,
        TradingState::Halted => 3,
    }
}

impl Engine {
    /// A hash of all state that affects future outputs (books, risk, counters).
    pub fn state_hash(&self) -> u64 {
        let mut hash = Fnv(Fnv::OFFSET);
        for book in &self.books {
            hash.word(state_code(book.state));
            for side in [Side::Buy, Side::Sell] {
                let mut count = 0u64;
                self.for_each_resting(book.side(side), |_, order| {
                    count += 1;
                    hash.word(order.order_ref.0);
                    hash.word(u64::from(order.owner));
                    hash.word(order.client_order_id.0);
                    hash.word(u64::from(order.account));
                    hash.word(matches!(order.side, Side::Sell) as u64);
                    hash.word(order.price as u64);
                    hash.word(order.leaves);
                    hash.word(u64::from(order.hidden) | u64::from(order.post_only) << 1);
                });
                // Marks the end of the side so orders cannot shift between sides unseen.
                hash.word(count);
            }
        }
        for exposure in self.risk.exposures() {
            hash.word(exposure.position as u64);
            hash.word((exposure.position >> 64) as u64);
            hash.word(exposure.open_buy);
            hash.word(exposure.open_sell);
        }
        for open in &self.risk.open_orders {
            hash.word(u64::from(*open));
        }
        hash.word(self.next_order_ref);
        hash.word(self.next_match_number);
        hash.word(self.seq);
        hash.0
    }
}
