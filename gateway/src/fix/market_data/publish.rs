//! End of batch for one session: fold the batch into what the session is
//! owed, then (unless it is backlogged) send it: trading states (h), then
//! per request one incremental refresh (X, split when long) or, for
//! full-refresh requests, a snapshot (W) per changed symbol.

use rtes_engine::{InstrumentConfig, Side};

use super::book::{find_level, side_index, InstrumentBook, Market, PriceLevel};
use super::limits::MarketDataOptions;
use super::pending::PendingKind;
use super::reference_data;
use super::request::EntryTypes;
use super::subscriptions::{Request, SessionState, Stream};
use super::writer::{action, entry_type, msg_type, Entry, Outbox, Scratch, TRADE};

/// What sending to one session borrows from the hub.
pub(crate) struct Publisher<'s, 'o, 'e, 'f> {
    pub market: &'s Market,
    pub instruments: &'s [InstrumentConfig],
    pub options: &'s MarketDataOptions,
    pub scratch: &'s mut Scratch,
    pub outbox: &'o mut Outbox<'e, 'f>,
}

fn wants(types: EntryTypes, side: Side) -> bool {
    match side {
        Side::Buy => types.bids,
        Side::Sell => types.offers,
    }
}

impl Publisher<'_, '_, '_, '_> {
    /// The whole end-of-batch work for one logged-on session.
    pub fn run(&mut self, index: usize, session: &mut SessionState) {
        self.outbox.backlogged = false;
        self.collect(session);
        if session.flush_due && !session.backlogged {
            self.flush(index, session);
        }
        self.send_awaiting(index, session);
        if self.outbox.backlogged {
            session.backlogged = true;
        }
    }

    fn overflow(&mut self, session: &mut SessionState) {
        if !session.overflowed {
            session.overflowed = true;
            self.outbox.metrics.pending_overflows += 1;
        }
    }

    /// Records what this batch changed in the session's subscriptions.
    fn collect(&mut self, session: &mut SessionState) {
        let market = self.market;
        if session.status_updates {
            for &instrument in &market.touched {
                if market.books[instrument as usize].state_changed {
                    session.owe_state(instrument);
                }
            }
        }
        for slot in 0..session.streams.len() {
            let stream = &session.streams[slot];
            if stream.active
                && !stream.awaiting_snapshot
                && market.books[stream.instrument as usize].touched
            {
                self.collect_stream(session, slot);
            }
        }
    }

    /// One stream's share of the batch: level changes (owed entries for
    /// full-depth incremental streams, a flag for the others, which compare
    /// views when sending) and trades (owed entries, or a flag for full refresh).
    fn collect_stream(&mut self, session: &mut SessionState, slot: usize) {
        let market = self.market;
        let stream = &session.streams[slot];
        let (generation, instrument) = (stream.generation, stream.instrument);
        let book = &market.books[instrument as usize];
        let request = &session.requests[stream.request];
        let (types, full_refresh) = (request.types, request.full_refresh);
        let by_level = !full_refresh && request.depth == 0;
        let levels_changed = (types.bids && book.side_changed(Side::Buy))
            || (types.offers && book.side_changed(Side::Sell));
        let traded = types.trades && market.trades_of(instrument).next().is_some();
        if !levels_changed && !traded {
            return;
        }
        session.flush_due = true;
        if by_level {
            for dirty in book.dirty.iter().filter(|dirty| wants(types, dirty.side)) {
                let seen = (dirty.before_qty, dirty.before_orders);
                let stream = slot as u32;
                if !session
                    .pending
                    .note_level(stream, generation, dirty.side, dirty.price, seen)
                {
                    self.overflow(session);
                }
            }
        } else {
            session.streams[slot].levels_changed |= levels_changed;
        }
        if traded && full_refresh {
            session.streams[slot].traded = true;
        } else if traded {
            for trade in market.trades_of(instrument) {
                let kind = PendingKind::Trade {
                    price: trade.price,
                    qty: trade.qty,
                    seq: trade.seq,
                };
                if !session.pending.note_trade(slot as u32, generation, kind) {
                    self.overflow(session);
                }
            }
        }
    }

    /// Sends everything the session is owed.
    fn flush(&mut self, index: usize, session: &mut SessionState) {
        self.send_owed_states(index, session);
        if session.overflowed {
            for slot in 0..session.streams.len() {
                let stream = &session.streams[slot];
                if stream.active && !stream.awaiting_snapshot {
                    self.send_stream_snapshot(index, session, slot);
                }
            }
            self.outbox.metrics.snapshot_recoveries += 1;
            session.overflowed = false;
        } else {
            if session.recovering {
                self.outbox.metrics.conflated_recoveries += 1;
            }
            for request in 0..session.requests.len() {
                match &session.requests[request] {
                    Request { active: false, .. } => {}
                    Request {
                        full_refresh: true, ..
                    } => self.refresh_request(index, session, request),
                    _ => self.increment_request(index, session, request),
                }
            }
        }
        session.pending.clear();
        session.flush_due = false;
        session.recovering = false;
    }

    fn send_owed_states(&mut self, index: usize, session: &mut SessionState) {
        for word in 0..session.states_owed.len() {
            while session.states_owed[word] != 0 {
                let bit = session.states_owed[word].trailing_zeros() as usize;
                session.states_owed[word] &= !(1u64 << bit);
                let instrument = word * 64 + bit;
                reference_data::status(
                    self.scratch,
                    self.outbox,
                    index,
                    &self.instruments[instrument],
                    self.market.books[instrument].state,
                    None,
                );
            }
        }
    }

    /// Full-refresh request: a W for every symbol whose subscribed view changed.
    fn refresh_request(&mut self, index: usize, session: &mut SessionState, request: usize) {
        let depth = session.requests[request].depth;
        let types = session.requests[request].types;
        for slot in 0..session.streams.len() {
            let stream = &mut session.streams[slot];
            if !stream.active || stream.request != request || stream.awaiting_snapshot {
                continue;
            }
            let book = &self.market.books[stream.instrument as usize];
            let changed = stream.traded
                || (stream.levels_changed
                    && (depth == 0 || !mirror_matches(stream, book, types, depth)));
            stream.traded = false;
            stream.levels_changed = false;
            if changed {
                self.send_stream_snapshot(index, session, slot);
            }
        }
    }

    /// Incremental request: one X (split when long) with every owed entry of
    /// its symbols, symbol by symbol.
    fn increment_request(&mut self, index: usize, session: &mut SessionState, request: usize) {
        let SessionState {
            requests,
            streams,
            pending,
            ..
        } = session;
        let request_state = &requests[request];
        self.scratch.begin_incremental(request_state.id());
        for (slot, stream) in streams.iter_mut().enumerate() {
            if !stream.active || stream.request != request || stream.awaiting_snapshot {
                continue;
            }
            let info = &self.instruments[stream.instrument as usize];
            let book = &self.market.books[stream.instrument as usize];
            let base = EntryBase {
                symbol: info.symbol.as_bytes(),
                tick: info.tick_size,
                book,
                rpt_seq: self.options.extension_fields,
            };
            if request_state.depth > 0 && stream.levels_changed {
                for side in [Side::Buy, Side::Sell] {
                    if wants(request_state.types, side) {
                        self.diff_side(index, &base, stream, side, request_state.depth);
                    }
                }
            }
            stream.levels_changed = false;
            for entry in pending.entries() {
                if entry.stream == slot as u32 && entry.generation == stream.generation {
                    self.owed_entry(index, &base, entry.kind);
                }
            }
        }
        self.scratch.finish_incremental(self.outbox, index);
    }

    /// Entries that turn the client's depth-limited view of one side (the
    /// stream's mirror) into the current top `depth`. Deletes go bottom-up,
    /// then news top-down, then changes, so that a client applying them one
    /// by one with MDEntryPositionNo shifting never holds more than `depth`
    /// levels and ends with exactly the current top.
    fn diff_side(
        &mut self,
        index: usize,
        base: &EntryBase<'_>,
        stream: &mut Stream,
        side: Side,
        depth: usize,
    ) {
        let levels = &base.book.levels[side_index(side)];
        let now = &levels[..depth.min(levels.len())];
        let mirror = &mut stream.mirror[side_index(side)];
        for (position, old) in mirror.iter().enumerate().rev() {
            if find_level(now, side, old.price).is_err() {
                let entry = base.level(side, old, Some(position + 1), false);
                self.scratch
                    .push_incremental(self.outbox, index, action::DELETE, &entry);
            }
        }
        for (position, level) in now.iter().enumerate() {
            if find_level(mirror, side, level.price).is_err() {
                let entry = base.level(side, level, Some(position + 1), true);
                self.scratch
                    .push_incremental(self.outbox, index, action::NEW, &entry);
            }
        }
        for (position, level) in now.iter().enumerate() {
            if let Ok(old) = find_level(mirror, side, level.price) {
                if mirror[old] != *level {
                    let entry = base.level(side, level, Some(position + 1), true);
                    self.scratch
                        .push_incremental(self.outbox, index, action::CHANGE, &entry);
                }
            }
        }
        mirror.clear();
        mirror.extend_from_slice(now);
    }

    /// One owed entry of a full-depth stream: a level's current state
    /// against what the client saw, or a trade.
    fn owed_entry(&mut self, index: usize, base: &EntryBase<'_>, kind: PendingKind) {
        match kind {
            PendingKind::Level {
                side,
                price,
                seen_qty,
                seen_orders,
            } => {
                let had = seen_orders > 0;
                let (update, level) = match (had, base.book.level(side, price)) {
                    (false, Some(level)) => (action::NEW, level),
                    (true, Some(level)) if (level.qty, level.orders) != (seen_qty, seen_orders) => {
                        (action::CHANGE, level)
                    }
                    (true, None) => {
                        let gone = PriceLevel {
                            price,
                            qty: seen_qty,
                            orders: seen_orders,
                        };
                        (action::DELETE, gone)
                    }
                    _ => return,
                };
                let entry = base.level(side, &level, None, update != action::DELETE);
                self.scratch
                    .push_incremental(self.outbox, index, update, &entry);
            }
            PendingKind::Trade { price, qty, seq } => {
                let entry = Entry {
                    entry_type: TRADE,
                    symbol: base.symbol,
                    price_units: price.0 * base.tick,
                    size: Some(qty),
                    orders: None,
                    position: None,
                    rpt_seq: base.rpt_seq.then_some(seq),
                };
                self.scratch
                    .push_incremental(self.outbox, index, action::NEW, &entry);
            }
        }
    }

    /// A W for one stream, resetting its depth-limited view.
    fn send_stream_snapshot(&mut self, index: usize, session: &mut SessionState, slot: usize) {
        let SessionState {
            requests, streams, ..
        } = session;
        let stream = &mut streams[slot];
        let request = &requests[stream.request];
        let info = &self.instruments[stream.instrument as usize];
        let mirrors = (request.depth > 0).then_some(&mut stream.mirror);
        let body = self.scratch.snapshot(
            request.id(),
            info,
            &self.market.books[stream.instrument as usize],
            (request.types, request.depth),
            self.options.extension_fields,
            mirrors,
        );
        self.outbox.metrics.snapshots_sent += 1;
        self.outbox.send(index, msg_type::SNAPSHOT, body);
        stream.awaiting_snapshot = false;
        stream.levels_changed = false;
        stream.traded = false;
    }

    /// Snapshots of streams subscribed during a batch.
    fn send_awaiting(&mut self, index: usize, session: &mut SessionState) {
        for slot in 0..session.streams.len() {
            let stream = &session.streams[slot];
            if stream.active && stream.awaiting_snapshot {
                self.send_stream_snapshot(index, session, slot);
            }
        }
    }
}

/// Snapshots of every stream of a request just added between batches.
pub(crate) fn send_new_snapshots(
    mut publisher: Publisher<'_, '_, '_, '_>,
    index: usize,
    session: &mut SessionState,
    request: usize,
) {
    for slot in 0..session.streams.len() {
        let stream = &session.streams[slot];
        if stream.active && stream.request == request {
            publisher.send_stream_snapshot(index, session, slot);
        }
    }
}

/// Whether a depth-limited stream's view equals the current top levels.
fn mirror_matches(stream: &Stream, book: &InstrumentBook, types: EntryTypes, depth: usize) -> bool {
    [Side::Buy, Side::Sell].into_iter().all(|side| {
        let levels = &book.levels[side_index(side)];
        let now = &levels[..depth.min(levels.len())];
        !wants(types, side) || stream.mirror[side_index(side)].as_slice() == now
    })
}

/// What every entry of one symbol shares.
struct EntryBase<'a> {
    symbol: &'a [u8],
    tick: i64,
    book: &'a InstrumentBook,
    rpt_seq: bool,
}

impl EntryBase<'_> {
    fn level<'s>(
        &'s self,
        side: Side,
        level: &PriceLevel,
        position: Option<usize>,
        with_size: bool,
    ) -> Entry<'s> {
        Entry {
            entry_type: entry_type(side),
            symbol: self.symbol,
            price_units: level.price.0 * self.tick,
            size: with_size.then_some(level.qty),
            orders: with_size.then_some(level.orders),
            position,
            rpt_seq: self.rpt_seq.then_some(self.book.last_seq),
        }
    }
}
