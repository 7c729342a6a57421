//! Reference data: SecurityListRequest (x) → SecurityList (y), and each
//! instrument's trading state as TradingSessionStatus (h), unsolicited on
//! logon and on every change, or in answer to TradingSessionStatusRequest (g).
//!
//! FIX 4.4's h describes a trading session, not an instrument; RTES treats
//! every instrument as its own trading session: TradingSessionID (336) is
//! the symbol, which keeps h within the FIX 4.4 dictionary.

use rtes_engine::config::PRICE_SCALE_DECIMALS;
use rtes_engine::{InstrumentConfig, TradingState};

use super::book::Market;
use super::limits::MarketDataOptions;
use super::subscriptions::SessionState;
use super::writer::{id_field, msg_type, text_field, Outbox, Scratch};
use crate::fix::codec::{tags, FieldWriter, Message, SOH};

/// TradSesStatus (340) of a trading state.
pub(crate) fn trad_ses_status(state: TradingState) -> u64 {
    match state {
        TradingState::Halted => 1,
        TradingState::Continuous => 2,
        TradingState::Closed => 3,
        TradingState::PreOpen => 4,
    }
}

/// SecurityTradingStatus (326) of a trading state.
pub(crate) fn security_trading_status(state: TradingState) -> u64 {
    match state {
        TradingState::Halted => 2,
        TradingState::Continuous => 17,
        TradingState::Closed => 18,
        TradingState::PreOpen => 21,
    }
}

/// One TradingSessionStatus (h) for one instrument: unsolicited (325=Y)
/// when `request_id` is `None`.
pub(crate) fn status(
    scratch: &mut Scratch,
    outbox: &mut Outbox<'_, '_>,
    session: usize,
    instrument: &InstrumentConfig,
    state: TradingState,
    request_id: Option<&[u8]>,
) {
    let mut fields = scratch.start_body();
    if let Some(id) = request_id {
        fields.bytes(tags::TRAD_SES_REQ_ID, id);
    }
    fields.bytes(tags::TRADING_SESSION_ID, instrument.symbol.as_bytes());
    if request_id.is_none() {
        fields.char(tags::UNSOLICITED_INDICATOR, b'Y');
    }
    fields.u64(tags::TRAD_SES_STATUS, trad_ses_status(state));
    outbox.metrics.status_messages_sent += 1;
    outbox.send(session, msg_type::TRADING_SESSION_STATUS, &scratch.body);
}

/// TradingSessionStatusRequest (g): 263=0 or 1 answers with the current
/// state of the named instrument (TradingSessionID = symbol) or of every
/// instrument; 1 also (re)enables unsolicited updates, 2 disables them
/// without an answer.
#[allow(clippy::too_many_arguments)]
pub(crate) fn status_request(
    scratch: &mut Scratch,
    outbox: &mut Outbox<'_, '_>,
    state: &mut SessionState,
    session: usize,
    message: &Message<'_>,
    instruments: &[InstrumentConfig],
    market: &Market,
    lookup: impl Fn(&[u8]) -> Option<u32>,
) {
    let id = message.get(tags::TRAD_SES_REQ_ID).unwrap_or(b"?");
    let id = &id[..id.len().min(64)];
    let named = message.get(tags::TRADING_SESSION_ID);
    match message.get(tags::SUBSCRIPTION_REQUEST_TYPE) {
        Some(b"0") => {}
        Some(b"1") => state.status_updates = true,
        Some(b"2") => {
            state.status_updates = false;
            return;
        }
        _ => {
            return refuse_status(
                scratch,
                outbox,
                session,
                id,
                named.unwrap_or(b"?"),
                None,
                b"SubscriptionRequestType (263) must be 0, 1 or 2",
            )
        }
    }
    match named {
        None => {
            for (index, instrument) in instruments.iter().enumerate() {
                let now = market.books[index].state;
                status(scratch, outbox, session, instrument, now, Some(id));
            }
        }
        Some(symbol) => match lookup(symbol) {
            Some(index) => {
                let instrument = &instruments[index as usize];
                let now = market.books[index as usize].state;
                status(scratch, outbox, session, instrument, now, Some(id));
            }
            None => refuse_status(
                scratch,
                outbox,
                session,
                id,
                symbol,
                Some(1),
                b"unknown TradingSessionID (336): RTES uses each symbol as a trading session",
            ),
        },
    }
}

/// h with TradSesStatus 6 (request rejected).
fn refuse_status(
    scratch: &mut Scratch,
    outbox: &mut Outbox<'_, '_>,
    session: usize,
    id: &[u8],
    trading_session: &[u8],
    reason: Option<u64>,
    text: &[u8],
) {
    let trading_session = trading_session
        .split(|byte| *byte == SOH)
        .next()
        .unwrap_or(b"?");
    let mut fields = scratch.start_body();
    fields
        .bytes(tags::TRAD_SES_REQ_ID, id)
        .bytes(
            tags::TRADING_SESSION_ID,
            &trading_session[..trading_session.len().min(64)],
        )
        .u64(tags::TRAD_SES_STATUS, 6);
    if let Some(reason) = reason {
        fields.u64(tags::TRAD_SES_STATUS_REJ_REASON, reason);
    }
    text_field(&mut scratch.body, tags::TEXT, text, b"");
    outbox.metrics.status_messages_sent += 1;
    outbox.send(session, msg_type::TRADING_SESSION_STATUS, &scratch.body);
}

/// SecurityRequestResult (560) values.
mod result {
    pub const VALID: u64 = 0;
    pub const INVALID_OR_UNSUPPORTED: u64 = 1;
    pub const NO_INSTRUMENTS_FOUND: u64 = 2;
}

/// SecurityListRequest (x): SecurityListRequestType 4 lists every
/// instrument, 0 the one named by Symbol (55); other types are answered
/// with SecurityRequestResult 1. Long lists are split into fragments of
/// `max_entries` (LastFragment 893, TotNoRelatedSym 393).
#[allow(clippy::too_many_arguments)]
pub(crate) fn security_list(
    scratch: &mut Scratch,
    outbox: &mut Outbox<'_, '_>,
    session: usize,
    message: &Message<'_>,
    instruments: &[InstrumentConfig],
    market: &Market,
    lookup: impl Fn(&[u8]) -> Option<u32>,
    settings: (&MarketDataOptions, usize, (u64, u64)),
) {
    let (options, max_entries, response_id) = settings;
    let id = message.get(tags::SECURITY_REQ_ID).unwrap_or(b"?");
    let id = &id[..id.len().min(64)];
    let range = match message.get(tags::SECURITY_LIST_REQUEST_TYPE) {
        Some(b"4") => Ok(0..instruments.len()),
        Some(b"0") => match message.get(tags::SYMBOL).and_then(&lookup) {
            Some(index) => Ok(index as usize..index as usize + 1),
            None => Err(result::NO_INSTRUMENTS_FOUND),
        },
        _ => Err(result::INVALID_OR_UNSUPPORTED),
    };
    let range = match range {
        Ok(range) if !range.is_empty() => range,
        Ok(_) => {
            return list_header(
                scratch,
                outbox,
                session,
                id,
                response_id,
                result::NO_INSTRUMENTS_FOUND,
            )
        }
        Err(code) => return list_header(scratch, outbox, session, id, response_id, code),
    };
    let total = range.len();
    let mut start = range.start;
    while start < range.end {
        let end = (start + max_entries).min(range.end);
        let mut fields = scratch.start_body();
        fields.bytes(tags::SECURITY_REQ_ID, id);
        id_field(
            &mut scratch.body,
            tags::SECURITY_RESPONSE_ID,
            response_id.0,
            response_id.1,
        );
        FieldWriter(&mut scratch.body)
            .u64(tags::SECURITY_REQUEST_RESULT, result::VALID)
            .u64(tags::TOT_NO_RELATED_SYM, total as u64)
            .char(
                tags::LAST_FRAGMENT,
                if end == range.end { b'Y' } else { b'N' },
            )
            .u64(tags::NO_RELATED_SYM, (end - start) as u64);
        for (offset, instrument) in instruments[start..end].iter().enumerate() {
            let state = market.books[start + offset].state;
            security_entry(&mut scratch.body, instrument, state, options);
        }
        outbox.metrics.security_lists_sent += 1;
        outbox.send(session, msg_type::SECURITY_LIST, &scratch.body);
        start = end;
    }
}

/// A SecurityList without instruments (a refusal or an empty answer).
fn list_header(
    scratch: &mut Scratch,
    outbox: &mut Outbox<'_, '_>,
    session: usize,
    id: &[u8],
    response_id: (u64, u64),
    code: u64,
) {
    scratch.start_body().bytes(tags::SECURITY_REQ_ID, id);
    id_field(
        &mut scratch.body,
        tags::SECURITY_RESPONSE_ID,
        response_id.0,
        response_id.1,
    );
    FieldWriter(&mut scratch.body).u64(tags::SECURITY_REQUEST_RESULT, code);
    outbox.metrics.security_lists_sent += 1;
    outbox.send(session, msg_type::SECURITY_LIST, &scratch.body);
}

/// One NoRelatedSym entry: Symbol, RoundLot, MinTradeVol, TradingSessionID,
/// then tick, largest order, band, reference price and state, as FIX 5.0
/// fields (extension) or in Text.
fn security_entry(
    out: &mut Vec<u8>,
    instrument: &InstrumentConfig,
    state: TradingState,
    options: &MarketDataOptions,
) {
    let tick = instrument.tick_size;
    let symbol = instrument.symbol.as_bytes();
    FieldWriter(out)
        .bytes(tags::SYMBOL, symbol)
        .u64(tags::ROUND_LOT, instrument.lot_size)
        .u64(tags::MIN_TRADE_VOL, instrument.min_qty.0)
        .bytes(tags::TRADING_SESSION_ID, symbol);
    let prices = [
        (tags::MIN_PRICE_INCREMENT, tick),
        (tags::LOW_LIMIT_PRICE, instrument.band_low.0 * tick),
        (tags::HIGH_LIMIT_PRICE, instrument.band_high.0 * tick),
        (
            tags::TRADING_REFERENCE_PRICE,
            instrument.reference_price.0 * tick,
        ),
    ];
    if options.extension_fields {
        let mut fields = FieldWriter(out);
        fields
            .decimal(prices[0].0, prices[0].1, PRICE_SCALE_DECIMALS)
            .u64(tags::MAX_TRADE_VOL, instrument.max_qty.0);
        for (tag, units) in &prices[1..] {
            fields.decimal(*tag, *units, PRICE_SCALE_DECIMALS);
        }
        fields.u64(
            tags::SECURITY_TRADING_STATUS,
            security_trading_status(state),
        );
        return;
    }
    // The stock FIX 4.4 dictionary has no field for these: spell them out as
    // `Name=value` pairs in Text, the names being the FIX 5.0 fields'.
    let mut digits = itoa::Buffer::new();
    out.extend_from_slice(b"58=");
    for (index, (name, units)) in [
        ("MinPriceIncrement=", prices[0].1),
        (" LowLimitPrice=", prices[1].1),
        (" HighLimitPrice=", prices[2].1),
        (" TradingReferencePrice=", prices[3].1),
    ]
    .into_iter()
    .enumerate()
    {
        if index == 1 {
            out.extend_from_slice(b" MaxTradeVol=");
            out.extend_from_slice(digits.format(instrument.max_qty.0).as_bytes());
        }
        out.extend_from_slice(name.as_bytes());
        crate::fix::codec::format_decimal(units, PRICE_SCALE_DECIMALS, out);
    }
    out.extend_from_slice(b" SecurityTradingStatus=");
    out.extend_from_slice(digits.format(security_trading_status(state)).as_bytes());
    out.push(SOH);
}
