//! QuoteRequest (R) → indicative Quote (S) or QuoteRequestReject (AG).
//!
//! For every symbol of the request the venue quotes the volume-weighted
//! average price at which OrderQty would fill against the displayed book
//! right now: a buyer (54=1) gets OfferPx from the offers, a seller (54=2)
//! BidPx from the bids, no Side gets both sides that can fill. Hidden orders
//! are not seen, so a real order may do better. The price has
//! [`QUOTE_PRICE_DECIMALS`] decimals, rounded against the requester (up for
//! an offer, down for a bid), so the quote is never better than the book.

use rtes_engine::config::PRICE_SCALE_DECIMALS;
use rtes_engine::{InstrumentConfig, Qty, Side, TradingState};

use super::book::{side_index, Market, PriceLevel};
use super::limits::MarketDataOptions;
use super::writer::{id_field, msg_type, text_field, Outbox, Scratch};
use crate::fix::codec::{parse_decimal, tags, FieldWriter, Message};

/// Decimal places of a quoted average price.
pub const QUOTE_PRICE_DECIMALS: u32 = 6;

/// QuoteRequestRejectReason (658) values RTES sends.
mod reason {
    pub const UNKNOWN_SYMBOL: u64 = 1;
    /// FIX: "Exchange (security) closed": the instrument is not trading.
    pub const EXCHANGE_CLOSED: u64 = 2;
    /// FIX: "Quote request exceeds limit": more than the book shows.
    pub const EXCEEDS_LIMIT: u64 = 3;
    pub const NO_MARKET: u64 = 8;
    pub const OTHER: u64 = 99;
}

/// Why one side cannot be quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unfillable {
    /// No displayed level on that side.
    Empty,
    /// The side shows less than the quantity.
    TooDeep,
}

/// Average price of filling `qty` against `levels` (best first) in units of
/// 10^-[`QUOTE_PRICE_DECIMALS`], rounded up when `round_up`, else down.
fn vwap(levels: &[PriceLevel], tick: i64, qty: Qty, round_up: bool) -> Result<i64, Unfillable> {
    if levels.is_empty() {
        return Err(Unfillable::Empty);
    }
    let mut remaining = qty.0;
    let mut notional_ticks: i128 = 0;
    for level in levels {
        let take = remaining.min(level.qty.0);
        notional_ticks += i128::from(take) * i128::from(level.price.0);
        remaining -= take;
        if remaining == 0 {
            break;
        }
    }
    if remaining > 0 {
        return Err(Unfillable::TooDeep);
    }
    let scale = 10i128.pow(QUOTE_PRICE_DECIMALS - PRICE_SCALE_DECIMALS);
    let numerator = notional_ticks * i128::from(tick) * scale;
    let denominator = i128::from(qty.0);
    let floor = numerator.div_euclid(denominator);
    let exact = numerator.rem_euclid(denominator) == 0;
    Ok((if round_up && !exact { floor + 1 } else { floor }) as i64)
}

/// What answering a QuoteRequest borrows from the hub.
pub(crate) struct QuoteContext<'a, L: Fn(&[u8]) -> Option<u32>> {
    pub scratch: &'a mut Scratch,
    pub market: &'a Market,
    pub instruments: &'a [InstrumentConfig],
    pub lookup: L,
    pub options: &'a MarketDataOptions,
    pub next_id: &'a mut u64,
    pub now_utc_ns: u64,
}

/// One NoRelatedSym entry of the request.
#[derive(Debug, Clone, Copy)]
struct Wanted<'m> {
    symbol: &'m [u8],
    side: Option<&'m [u8]>,
    qty: Option<&'m [u8]>,
}

/// Answers every symbol of a QuoteRequest with an S or an AG.
pub(crate) fn quote_request<L: Fn(&[u8]) -> Option<u32>>(
    context: &mut QuoteContext<'_, L>,
    outbox: &mut Outbox<'_, '_>,
    session: usize,
    message: &Message<'_>,
) {
    let id = message.get(tags::QUOTE_REQ_ID).unwrap_or(b"?");
    let id = &id[..id.len().min(64)];
    let mut current: Option<Wanted<'_>> = None;
    for field in message.fields() {
        let value = message.value(field);
        match (field.tag, current.as_mut()) {
            (tags::SYMBOL, _) => {
                if let Some(wanted) = current.take() {
                    answer(context, outbox, session, id, wanted);
                }
                current = Some(Wanted {
                    symbol: value,
                    side: None,
                    qty: None,
                });
            }
            (tags::SIDE, Some(wanted)) => wanted.side = Some(value),
            (tags::ORDER_QTY, Some(wanted)) => wanted.qty = Some(value),
            _ => {}
        }
    }
    match current {
        Some(wanted) => answer(context, outbox, session, id, wanted),
        None => {
            let wanted = Wanted {
                symbol: b"?",
                side: None,
                qty: None,
            };
            let text = b"NoRelatedSym (146) must list a Symbol (55)";
            refuse(
                context.scratch,
                outbox,
                session,
                id,
                &wanted,
                reason::OTHER,
                text,
            );
        }
    }
}

fn answer<L: Fn(&[u8]) -> Option<u32>>(
    context: &mut QuoteContext<'_, L>,
    outbox: &mut Outbox<'_, '_>,
    session: usize,
    id: &[u8],
    wanted: Wanted<'_>,
) {
    let scratch = &mut *context.scratch;
    let Some(index) = (context.lookup)(wanted.symbol) else {
        let text = b"unknown symbol";
        return refuse(
            scratch,
            outbox,
            session,
            id,
            &wanted,
            reason::UNKNOWN_SYMBOL,
            text,
        );
    };
    let qty = match wanted.qty.map(|text| parse_decimal(text, 0)) {
        Some(Ok(qty)) if qty > 0 => Qty(qty as u64),
        _ => {
            let text = b"OrderQty (38) must be a positive whole number";
            return refuse(scratch, outbox, session, id, &wanted, reason::OTHER, text);
        }
    };
    let (bid, offer) = match wanted.side {
        None => (true, true),
        Some(b"1") => (false, true),
        Some(b"2") => (true, false),
        Some(_) => {
            let text = b"Side (54) must be 1 buy or 2 sell";
            return refuse(scratch, outbox, session, id, &wanted, reason::OTHER, text);
        }
    };
    let book = &context.market.books[index as usize];
    if book.state != TradingState::Continuous {
        let text = b"the instrument is not in continuous trading";
        return refuse(
            scratch,
            outbox,
            session,
            id,
            &wanted,
            reason::EXCHANGE_CLOSED,
            text,
        );
    }
    let tick = context.instruments[index as usize].tick_size;
    let price = |side: Side, wanted: bool| {
        let levels = &book.levels[side_index(side)];
        wanted.then(|| vwap(levels, tick, qty, side == Side::Sell))
    };
    let (bid_px, offer_px) = (price(Side::Buy, bid), price(Side::Sell, offer));
    let quoted = |px: Option<Result<i64, Unfillable>>| px.and_then(Result::ok);
    if quoted(bid_px).is_none() && quoted(offer_px).is_none() {
        let empty = [bid_px, offer_px]
            .iter()
            .flatten()
            .all(|px| *px == Err(Unfillable::Empty));
        let (code, text): (u64, &[u8]) = if empty {
            (
                reason::NO_MARKET,
                b"no displayed orders on the side that would fill",
            )
        } else {
            (
                reason::EXCEEDS_LIMIT,
                b"the displayed book holds less than OrderQty",
            )
        };
        return refuse(scratch, outbox, session, id, &wanted, code, text);
    }
    let symbol = context.instruments[index as usize].symbol.as_bytes();
    let mut fields = scratch.start_body();
    fields.bytes(tags::QUOTE_REQ_ID, id);
    id_field(
        &mut scratch.body,
        tags::QUOTE_ID,
        context.options.start_utc_ns / 1_000_000,
        *context.next_id,
    );
    *context.next_id += 1;
    let mut fields = FieldWriter(&mut scratch.body);
    fields
        .char(tags::QUOTE_TYPE, b'0')
        .bytes(tags::SYMBOL, symbol);
    if let Some(side) = wanted.side {
        fields.bytes(tags::SIDE, side);
    }
    fields.u64(tags::ORDER_QTY, qty.0);
    let (bid_px, offer_px) = (quoted(bid_px), quoted(offer_px));
    if let Some(px) = bid_px {
        fields.decimal(tags::BID_PX, px, QUOTE_PRICE_DECIMALS);
    }
    if let Some(px) = offer_px {
        fields.decimal(tags::OFFER_PX, px, QUOTE_PRICE_DECIMALS);
    }
    if bid_px.is_some() {
        fields.u64(tags::BID_SIZE, qty.0);
    }
    if offer_px.is_some() {
        fields.u64(tags::OFFER_SIZE, qty.0);
    }
    let now = context.now_utc_ns;
    fields
        .timestamp(
            tags::VALID_UNTIL_TIME,
            now.saturating_add(context.options.quote_valid_for_ns),
        )
        .timestamp(tags::TRANSACT_TIME, now);
    outbox.metrics.quotes_sent += 1;
    outbox.send(session, msg_type::QUOTE, &scratch.body);
}

/// QuoteRequestReject (AG) for one symbol.
fn refuse(
    scratch: &mut Scratch,
    outbox: &mut Outbox<'_, '_>,
    session: usize,
    id: &[u8],
    wanted: &Wanted<'_>,
    code: u64,
    text: &[u8],
) {
    let symbol = &wanted.symbol[..wanted.symbol.len().min(64)];
    let mut fields = scratch.start_body();
    fields
        .bytes(tags::QUOTE_REQ_ID, id)
        .u64(tags::QUOTE_REQUEST_REJECT_REASON, code)
        .u64(tags::NO_RELATED_SYM, 1)
        .bytes(tags::SYMBOL, symbol);
    if let Some(side) = wanted.side.filter(|side| side.len() == 1) {
        fields.bytes(tags::SIDE, side);
    }
    text_field(&mut scratch.body, tags::TEXT, text, b"");
    outbox.metrics.quote_rejects += 1;
    outbox.send(session, msg_type::QUOTE_REQUEST_REJECT, &scratch.body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtes_engine::Price;

    fn level(price: i64, qty: u64) -> PriceLevel {
        PriceLevel {
            price: Price(price),
            qty: Qty(qty),
            orders: 1,
        }
    }

    #[test]
    fn vwap_walks_levels_and_rounds_against_the_requester() {
        let asks = [level(10_000, 100), level(10_001, 200)];
        // 100 × 100.00 + 50 × 100.01 = 15_000.50 over 150 = 100.003333…
        assert_eq!(vwap(&asks, 100, Qty(150), true), Ok(100_003_334));
        assert_eq!(vwap(&asks, 100, Qty(150), false), Ok(100_003_333));
        assert_eq!(vwap(&asks, 100, Qty(100), true), Ok(100_000_000));
        assert_eq!(vwap(&asks, 100, Qty(301), true), Err(Unfillable::TooDeep));
        assert_eq!(vwap(&[], 100, Qty(1), true), Err(Unfillable::Empty));
    }
}
