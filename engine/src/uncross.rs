//! The single-price uncross run when an instrument enters continuous
//! trading from pre-open or halted: price selection and pairing.

use crate::book::Book;
use crate::engine::Engine;
use crate::matching::signed;
use crate::slab::NIL;
use crate::types::*;

/// The chosen cross: level index and executable quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CrossChoice {
    /// Level index of the cross price.
    pub(crate) level: u32,
    /// Shares that execute.
    pub(crate) exec: u128,
}

/// Contract "Uncross": among resting prices, max executable quantity, then
/// min imbalance, then min distance to the reference, then the lower price.
/// `None` when nothing can execute (one side empty or the book not crossed).
pub(crate) fn select_cross(book: &Book) -> Option<CrossChoice> {
    let (bid_best, ask_best) = (book.bids.best, book.asks.best);
    if bid_best == NIL || ask_best == NIL || bid_best < ask_best {
        return None;
    }
    // Outside [ask_best, bid_best] one side is empty, so exec is 0 there and
    // inside it exec > 0: only candidates in that range can win.
    let mut buy_at_or_above: u128 = 0;
    let mut level = bid_best;
    while level != NIL && level >= ask_best {
        buy_at_or_above += u128::from(book.bids.levels[level as usize].qty);
        level = book.bids.next_level(level);
    }
    let mut sell_at_or_below: u128 = 0;
    let mut best: Option<(CrossChoice, u128, u64)> = None;
    let mut candidate = ask_best;
    loop {
        sell_at_or_below += u128::from(book.asks.levels[candidate as usize].qty);
        let exec = buy_at_or_above.min(sell_at_or_below);
        let imbalance = buy_at_or_above.abs_diff(sell_at_or_below);
        let distance = book.price_of(candidate).abs_diff(book.reference);
        let better = match best {
            None => true,
            Some((chosen, chosen_imbalance, chosen_distance)) => {
                (
                    exec,
                    std::cmp::Reverse(imbalance),
                    std::cmp::Reverse(distance),
                ) > (
                    chosen.exec,
                    std::cmp::Reverse(chosen_imbalance),
                    std::cmp::Reverse(chosen_distance),
                )
            }
        };
        // Strictly better only: ascending iteration keeps the lower price on a full tie.
        if better {
            best = Some((
                CrossChoice {
                    level: candidate,
                    exec,
                },
                imbalance,
                distance,
            ));
        }
        buy_at_or_above -= u128::from(book.bids.levels[candidate as usize].qty);
        let after = candidate as usize + 1;
        let next_bid = book.bids.occupied.next_at_or_above(after);
        let next_ask = book.asks.occupied.next_at_or_above(after);
        match (next_bid, next_ask) {
            (None, None) => break,
            (a, b) => {
                let next = a.unwrap_or(usize::MAX).min(b.unwrap_or(usize::MAX));
                if next > bid_best as usize {
                    break;
                }
                candidate = next as u32;
            }
        }
    }
    best.map(|(choice, _, _)| choice)
}

impl Engine {
    /// Runs the uncross on one instrument.
    pub(crate) fn uncross(&mut self, instrument: u32, sink: &mut impl EventSink) {
        // Max-exec selection leaves no crossing pair behind (see the tests).
        self.books[instrument as usize].may_be_crossed = false;
        let Some(choice) = select_cross(&self.books[instrument as usize]) else {
            return;
        };
        let cross_level = choice.level;
        let price = Price(self.books[instrument as usize].price_of(cross_level));
        let mut total = 0u64;
        loop {
            let book = &self.books[instrument as usize];
            let (bid_level, ask_level) = (book.bids.best, book.asks.best);
            if bid_level == NIL
                || ask_level == NIL
                || bid_level < cross_level
                || ask_level > cross_level
            {
                break;
            }
            let bid = book.bids.levels[bid_level as usize].front();
            let ask = book.asks.levels[ask_level as usize].front();
            total += self.cross_pair(instrument, bid, ask, price, sink);
        }
        debug_assert_eq!(
            u128::from(total),
            choice.exec,
            "uncross executed a different quantity than selected"
        );
        let match_number = self.take_match_number();
        self.market(
            sink,
            instrument,
            MarketEventKind::CrossTrade {
                qty: Qty(total),
                price,
                match_number,
            },
        );
    }

    /// One uncross pair; returns the shares executed.
    fn cross_pair(
        &mut self,
        instrument: u32,
        bid: u32,
        ask: u32,
        price: Price,
        sink: &mut impl EventSink,
    ) -> u64 {
        let qty = self.slab.get(bid).leaves.min(self.slab.get(ask).leaves);
        let match_number = self.take_match_number();
        let mut sides = [*self.slab.get(bid), *self.slab.get(ask)];
        for (slot, order) in [bid, ask].into_iter().zip(sides.iter_mut()) {
            order.leaves -= qty;
            self.slab.get_mut(slot).leaves = order.leaves;
            self.books[instrument as usize]
                .side_mut(order.side)
                .reduce(order.level, qty);
            let exposure = self.risk.exposure_mut(order.account, instrument);
            *exposure.open_mut(order.side) -= qty;
            exposure.position += signed(order.side, qty);
        }
        for order in &sides {
            if !order.hidden {
                let kind = MarketEventKind::ExecuteAtPrice {
                    order_ref: order.order_ref,
                    qty: Qty(qty),
                    match_number,
                    price,
                };
                self.market(sink, instrument, kind);
            }
        }
        for order in &sides {
            let kind = ReportKind::Executed {
                order_ref: order.order_ref,
                instrument: InstrumentId(instrument),
                side: order.side,
                qty: Qty(qty),
                price,
                leaves: Qty(order.leaves),
                match_number,
                liquidity: Liquidity::Cross,
            };
            self.report(sink, order.owner, order.client_order_id, kind);
        }
        for (slot, order) in [bid, ask].into_iter().zip(sides.iter()) {
            if order.leaves == 0 {
                self.unrest(slot);
            }
        }
        qty
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slab::Order;
    use crate::types::{ClientOrderId, OrderRef, TradingState};

    /// A book over prices 90..=110 with reference `reference`, holding
    /// `(side, price, qty)` orders.
    fn book(reference: i64, orders: &[(Side, i64, u64)]) -> Book {
        let mut book = Book::new(
            90,
            110,
            reference,
            1,
            1,
            1,
            1_000_000,
            TradingState::PreOpen,
        );
        let mut slab: Vec<Order> = orders
            .iter()
            .map(|&(side, price, qty)| Order {
                order_ref: OrderRef(0),
                client_order_id: ClientOrderId(0),
                leaves: qty,
                price,
                prev: NIL,
                next: NIL,
                owner: 0,
                account: 0,
                instrument: 0,
                level: (price - 90) as u32,
                side,
                hidden: false,
                post_only: false,
                live: true,
            })
            .collect();
        for (slot, &(side, _, _)) in orders.iter().enumerate() {
            book.side_mut(side).push_back(&mut slab, slot as u32);
        }
        book
    }

    fn cross_price(book: &Book) -> Option<(i64, u128)> {
        select_cross(book).map(|choice| (book.price_of(choice.level), choice.exec))
    }

    #[test]
    fn not_crossed_or_one_sided_selects_nothing() {
        assert_eq!(
            cross_price(&book(100, &[(Side::Buy, 99, 10), (Side::Sell, 101, 10)])),
            None
        );
        assert_eq!(cross_price(&book(100, &[(Side::Buy, 99, 10)])), None);
        assert_eq!(cross_price(&book(100, &[])), None);
    }

    #[test]
    fn max_executable_quantity_wins() {
        // buy(100)=30 sell(100)=10 → 10; buy(101)=10 sell(101)=40 → 10;
        // buy 102: 10 vs 40; at 100 imbalance 20, at 101 imbalance 30.
        let b = book(
            100,
            &[
                (Side::Buy, 102, 10),
                (Side::Buy, 100, 20),
                (Side::Sell, 100, 10),
                (Side::Sell, 101, 30),
            ],
        );
        assert_eq!(cross_price(&b), Some((100, 10)));
        let b = book(
            100,
            &[
                (Side::Buy, 105, 50),
                (Side::Sell, 95, 10),
                (Side::Sell, 104, 40),
            ],
        );
        assert_eq!(cross_price(&b), Some((104, 50)));
    }

    #[test]
    fn tie_on_exec_goes_to_min_imbalance() {
        // 98: buy 20 sell 10 → exec 10 imb 10; 99: buy 20 sell 20 → exec 20 imb 0;
        // 100: buy 20 sell 25 → exec 20 imb 5.
        let b = book(
            100,
            &[
                (Side::Buy, 100, 20),
                (Side::Sell, 98, 10),
                (Side::Sell, 99, 10),
                (Side::Sell, 100, 5),
            ],
        );
        assert_eq!(cross_price(&b), Some((99, 20)));
    }

    #[test]
    fn tie_on_imbalance_goes_to_reference_distance_then_lower_price() {
        // Candidates 95 and 105 both exec 10, imbalance 0.
        let orders = [(Side::Buy, 105, 10), (Side::Sell, 95, 10)];
        assert_eq!(cross_price(&book(104, &orders)), Some((105, 10)));
        assert_eq!(cross_price(&book(96, &orders)), Some((95, 10)));
        assert_eq!(
            cross_price(&book(100, &orders)),
            Some((95, 10)),
            "equal distance: lower price"
        );
        assert_eq!(cross_price(&book(110, &orders)), Some((105, 10)));
    }

    /// The contract's selection, literally: every distinct resting price is
    /// a candidate, compared by (max exec, min imbalance, min distance, lower price).
    fn naive(reference: i64, orders: &[(Side, i64, u64)]) -> Option<(i64, u128)> {
        let mut prices: Vec<i64> = orders.iter().map(|order| order.1).collect();
        prices.sort_unstable();
        prices.dedup();
        let mut best: Option<(i64, u128, u128, u64)> = None;
        for &price in &prices {
            let buy: u128 = orders
                .iter()
                .filter(|o| o.0 == Side::Buy && o.1 >= price)
                .map(|o| u128::from(o.2))
                .sum();
            let sell: u128 = orders
                .iter()
                .filter(|o| o.0 == Side::Sell && o.1 <= price)
                .map(|o| u128::from(o.2))
                .sum();
            let (exec, imbalance, distance) =
                (buy.min(sell), buy.abs_diff(sell), price.abs_diff(reference));
            let better = match best {
                None => true,
                Some((_, e, i, d)) => {
                    exec > e || (exec == e && (imbalance < i || (imbalance == i && distance < d)))
                }
            };
            if better {
                best = Some((price, exec, imbalance, distance));
            }
        }
        best.filter(|&(_, exec, _, _)| exec > 0)
            .map(|(price, exec, _, _)| (price, exec))
    }

    #[test]
    fn matches_the_literal_contract_on_random_books() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |bound: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % bound
        };
        for _ in 0..3_000 {
            let count = next(12) as usize;
            let orders: Vec<(Side, i64, u64)> = (0..count)
                .map(|_| {
                    let side = if next(2) == 0 { Side::Buy } else { Side::Sell };
                    (side, 95 + next(11) as i64, 1 + next(4) * 5)
                })
                .collect();
            let reference = 90 + next(21) as i64;
            assert_eq!(
                cross_price(&book(reference, &orders)),
                naive(reference, &orders),
                "{orders:?} ref {reference}"
            );
        }
    }
}
