//! Message bodies (fields after the standard header; the session adds the
//! header and trailer): market-data entries, snapshots, incremental refreshes
//! split at a bounded number of entries, and the outbox that hands bodies to
//! the acceptor. All buffers are sized at construction.

use rtes_engine::config::PRICE_SCALE_DECIMALS;
use rtes_engine::{InstrumentConfig, Qty, SequenceNumber, Side};

use super::book::{InstrumentBook, PriceLevel};
use super::limits::MD_REQ_ID_MAX;
use super::request::EntryTypes;
use super::{Emit, EmitResult, MarketDataMetrics};
use crate::fix::codec::{tags, FieldWriter, SOH};

/// MsgTypes the hub sends.
pub mod msg_type {
    /// MarketDataSnapshotFullRefresh.
    pub const SNAPSHOT: &[u8] = b"W";
    /// MarketDataIncrementalRefresh.
    pub const INCREMENTAL: &[u8] = b"X";
    /// MarketDataRequestReject.
    pub const REQUEST_REJECT: &[u8] = b"Y";
    /// SecurityList.
    pub const SECURITY_LIST: &[u8] = b"y";
    /// TradingSessionStatus.
    pub const TRADING_SESSION_STATUS: &[u8] = b"h";
    /// Quote.
    pub const QUOTE: &[u8] = b"S";
    /// QuoteRequestReject.
    pub const QUOTE_REQUEST_REJECT: &[u8] = b"AG";
}

/// MDUpdateAction (279).
pub(crate) mod action {
    pub const NEW: u8 = b'0';
    pub const CHANGE: u8 = b'1';
    pub const DELETE: u8 = b'2';
}

/// MDEntryType (269) of trades.
pub(crate) const TRADE: u8 = b'2';

/// Bytes of one entry without its symbol: every tag, `=`, SOH and the
/// longest values (decimal i64 price, u64 size and sequence, u32 counts).
const ENTRY_BYTES_WITHOUT_SYMBOL: usize = 192;
/// Bytes of a body's fields before the entries (MDReqID, Symbol, count;
/// SecurityList's ids, result and counts).
const HEADER_BYTES_MAX: usize = 192;
/// Bytes of one SecurityList entry without its two copies of the symbol
/// (ten fields, or the Text that replaces six of them).
const SECURITY_ENTRY_BYTES_WITHOUT_SYMBOLS: usize = 320;

/// MDEntryType of a book side.
pub(crate) fn entry_type(side: Side) -> u8 {
    match side {
        Side::Buy => b'0',
        Side::Sell => b'1',
    }
}

/// One market-data entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry<'a> {
    pub entry_type: u8,
    pub symbol: &'a [u8],
    /// Price in wire units (10^-4).
    pub price_units: i64,
    pub size: Option<Qty>,
    pub orders: Option<u32>,
    /// MDEntryPositionNo, 1 = best.
    pub position: Option<usize>,
    /// RptSeq; `None` when extension fields are off.
    pub rpt_seq: Option<SequenceNumber>,
}

impl Entry<'_> {
    /// The optional trailing fields, in FIX 4.4 group order.
    fn write_tail(&self, fields: &mut FieldWriter<'_>) {
        fields.decimal(tags::MD_ENTRY_PX, self.price_units, PRICE_SCALE_DECIMALS);
        if let Some(size) = self.size {
            fields.u64(tags::MD_ENTRY_SIZE, size.0);
        }
        if let Some(orders) = self.orders {
            fields.u64(tags::NUMBER_OF_ORDERS, u64::from(orders));
        }
        if let Some(position) = self.position {
            fields.u64(tags::MD_ENTRY_POSITION_NO, position as u64);
        }
        if let Some(seq) = self.rpt_seq {
            fields.u64(tags::RPT_SEQ, seq.0);
        }
    }
}

/// Reusable buffers for one body at a time.
#[derive(Debug)]
pub(crate) struct Scratch {
    entries: Vec<u8>,
    pub body: Vec<u8>,
    count: usize,
    max_entries: usize,
    id: [u8; MD_REQ_ID_MAX],
    id_len: usize,
}

impl Scratch {
    /// Buffers for the largest snapshot (`snapshot_entries_max`) and for
    /// split messages of `max_entries` entries; `symbol_max` is the longest symbol.
    pub fn new(snapshot_entries_max: usize, max_entries: usize, symbol_max: usize) -> Scratch {
        let entry_bytes = ENTRY_BYTES_WITHOUT_SYMBOL + symbol_max;
        let entries = snapshot_entries_max.max(max_entries) * entry_bytes;
        // SecurityList entries are written straight into the body.
        let security_list = max_entries * (SECURITY_ENTRY_BYTES_WITHOUT_SYMBOLS + 2 * symbol_max);
        Scratch {
            entries: Vec::with_capacity(entries),
            body: Vec::with_capacity(entries.max(security_list) + HEADER_BYTES_MAX + symbol_max),
            count: 0,
            max_entries,
            id: [0; MD_REQ_ID_MAX],
            id_len: 0,
        }
    }

    /// Starts a body from nothing (replies that are not split).
    pub fn start_body(&mut self) -> FieldWriter<'_> {
        self.body.clear();
        FieldWriter(&mut self.body)
    }

    /// Writes a snapshot (W) body of one instrument: bids then offers best
    /// first, up to `depth` levels each (0 = all), then the last trade.
    /// Fills `mirrors` (bids, offers) with the levels sent when given.
    pub fn snapshot(
        &mut self,
        id: &[u8],
        instrument: &InstrumentConfig,
        book: &InstrumentBook,
        request: (EntryTypes, usize),
        rpt_seq: bool,
        mut mirrors: Option<&mut [Vec<PriceLevel>; 2]>,
    ) -> &[u8] {
        let (types, depth) = request;
        let (symbol, tick) = (instrument.symbol.as_bytes(), instrument.tick_size);
        self.entries.clear();
        self.count = 0;
        for (side, wanted) in [(Side::Buy, types.bids), (Side::Sell, types.offers)] {
            let levels = &book.levels[super::book::side_index(side)];
            let shown = if depth == 0 {
                levels.len()
            } else {
                depth.min(levels.len())
            };
            if let Some(mirrors) = mirrors.as_deref_mut() {
                let mirror = &mut mirrors[super::book::side_index(side)];
                mirror.clear();
                if wanted {
                    mirror.extend_from_slice(&levels[..shown]);
                }
            }
            if !wanted {
                continue;
            }
            for (index, level) in levels[..shown].iter().enumerate() {
                let entry = Entry {
                    entry_type: entry_type(side),
                    symbol,
                    price_units: level.price.0 * tick,
                    size: Some(level.qty),
                    orders: Some(level.orders),
                    position: Some(index + 1),
                    rpt_seq: rpt_seq.then_some(book.last_seq),
                };
                self.snapshot_entry(&entry);
            }
        }
        if let (true, Some(trade)) = (types.trades, book.last_trade) {
            let entry = Entry {
                entry_type: TRADE,
                symbol,
                price_units: trade.price.0 * tick,
                size: Some(trade.qty),
                orders: None,
                position: None,
                rpt_seq: rpt_seq.then_some(trade.seq),
            };
            self.snapshot_entry(&entry);
        }
        self.body.clear();
        FieldWriter(&mut self.body)
            .bytes(tags::MD_REQ_ID, id)
            .bytes(tags::SYMBOL, symbol)
            .u64(tags::NO_MD_ENTRIES, self.count as u64);
        self.body.extend_from_slice(&self.entries);
        &self.body
    }

    fn snapshot_entry(&mut self, entry: &Entry<'_>) {
        let mut fields = FieldWriter(&mut self.entries);
        fields.char(tags::MD_ENTRY_TYPE, entry.entry_type);
        entry.write_tail(&mut fields);
        self.count += 1;
    }

    /// Starts an incremental refresh (X) for request `id`.
    pub fn begin_incremental(&mut self, id: &[u8]) {
        self.entries.clear();
        self.count = 0;
        self.id[..id.len()].copy_from_slice(id);
        self.id_len = id.len();
    }

    /// Adds one entry, first sending the message when it is full.
    pub fn push_incremental(
        &mut self,
        outbox: &mut Outbox<'_, '_>,
        session: usize,
        update_action: u8,
        entry: &Entry<'_>,
    ) {
        if self.count == self.max_entries {
            self.finish_incremental(outbox, session);
        }
        let mut fields = FieldWriter(&mut self.entries);
        fields
            .char(tags::MD_UPDATE_ACTION, update_action)
            .char(tags::MD_ENTRY_TYPE, entry.entry_type)
            .bytes(tags::SYMBOL, entry.symbol);
        entry.write_tail(&mut fields);
        self.count += 1;
    }

    /// Sends what is pending of the incremental refresh, if anything.
    pub fn finish_incremental(&mut self, outbox: &mut Outbox<'_, '_>, session: usize) {
        if self.count == 0 {
            return;
        }
        self.body.clear();
        FieldWriter(&mut self.body)
            .bytes(tags::MD_REQ_ID, &self.id[..self.id_len])
            .u64(tags::NO_MD_ENTRIES, self.count as u64);
        self.body.extend_from_slice(&self.entries);
        outbox.metrics.incrementals_sent += 1;
        outbox.send(session, msg_type::INCREMENTAL, &self.body);
        self.entries.clear();
        self.count = 0;
    }
}

/// The acceptor's callback and what it answered.
pub(crate) struct Outbox<'e, 'f> {
    emit: &'e mut Emit<'f>,
    /// Counters the senders update.
    pub(crate) metrics: &'e mut MarketDataMetrics,
    /// The acceptor answered [`EmitResult::Backlogged`] since this was cleared.
    pub(crate) backlogged: bool,
}

impl<'e, 'f> Outbox<'e, 'f> {
    pub(crate) fn new(
        emit: &'e mut Emit<'f>,
        metrics: &'e mut MarketDataMetrics,
    ) -> Outbox<'e, 'f> {
        Outbox {
            emit,
            metrics,
            backlogged: false,
        }
    }

    /// Hands one body to the acceptor.
    pub(crate) fn send(&mut self, session: usize, msg_type: &'static [u8], body: &[u8]) {
        debug_assert!(body.is_empty() || body.last() == Some(&SOH));
        if (self.emit)(session, msg_type, body) == EmitResult::Backlogged {
            self.backlogged = true;
        }
    }
}

/// Writes `tag=<text><detail>` (a Text made of a fixed part and a value).
pub(crate) fn text_field(out: &mut Vec<u8>, tag: u32, text: &[u8], detail: &[u8]) {
    let mut digits = itoa::Buffer::new();
    out.extend_from_slice(digits.format(tag).as_bytes());
    out.push(b'=');
    out.extend_from_slice(text);
    // Values must not carry SOH; a client's bytes echoed back are cut there.
    let clean = detail.split(|byte| *byte == SOH).next().unwrap_or_default();
    out.extend_from_slice(&clean[..clean.len().min(64)]);
    out.push(SOH);
}

/// Writes `tag=<epoch ms>.<counter>` (QuoteID, SecurityResponseID).
pub(crate) fn id_field(out: &mut Vec<u8>, tag: u32, epoch_ms: u64, counter: u64) {
    let mut digits = itoa::Buffer::new();
    out.extend_from_slice(digits.format(tag).as_bytes());
    out.push(b'=');
    out.extend_from_slice(digits.format(epoch_ms).as_bytes());
    out.push(b'.');
    out.extend_from_slice(digits.format(counter).as_bytes());
    out.push(SOH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_field_cuts_echoed_values_at_soh() {
        let mut out = Vec::new();
        text_field(&mut out, 58, b"unknown symbol ", b"AB\x01CD");
        assert_eq!(out, b"58=unknown symbol AB\x01");
    }

    #[test]
    fn id_field_joins_epoch_and_counter() {
        let mut out = Vec::new();
        id_field(&mut out, 117, 1_700_000_000_000, 7);
        assert_eq!(out, b"117=1700000000000.7\x01");
    }
}
