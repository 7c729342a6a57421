//! FIX 4.4 market data for the acceptor's sessions, sans-I/O: engine market
//! events in, message bodies out through a callback.
//!
//! The hub folds the engine's order-by-order events into aggregated price
//! levels and, at the end of each engine batch, sends every subscribed
//! session what changed in its subscriptions: MarketDataIncrementalRefresh
//! (X) or, for full-refresh subscriptions, MarketDataSnapshotFullRefresh (W).
//! It answers MarketDataRequest (V), SecurityListRequest (x),
//! TradingSessionStatusRequest (g) and QuoteRequest (R) itself, and sends
//! TradingSessionStatus (h) when an instrument's trading state changes.
//! A session whose output backs up is never waited for: its changes are
//! conflated per price level in a bounded table and sent when it recovers
//! (or replaced by fresh snapshots if the table overflows).
//! Wire details and choices: `docs/fix-market-data.md`.
//!
//! Order of calls (the acceptor's event loop):
//! 1. [`MarketDataHub::on_event`] for every market event taken off the
//!    engine ring; when it answers [`BatchStatus::Full`], call
//!    [`MarketDataHub::end_of_batch`] before the next event;
//! 2. [`MarketDataHub::end_of_batch`] once the ring is empty (every round;
//!    it returns at once when nothing is owed);
//! 3. [`MarketDataHub::on_request`] for inbound V, x, g and R;
//!    [`MarketDataHub::on_logged_on`], [`MarketDataHub::on_session_closed`]
//!    and [`MarketDataHub::set_backlogged`] as sessions come, go and back up.
//!
//! ```
//! use rtes_engine::*;
//! use rtes_gateway::fix::market_data::*;
//! let instrument = InstrumentConfig {
//!     symbol: "AAPL".into(), tick_size: 100, lot_size: 1, min_qty: Qty(1),
//!     max_qty: Qty(10_000), reference_price: Price(19_000), band_low: Price(18_000),
//!     band_high: Price(20_000), initial_state: TradingState::Continuous,
//! };
//! let limits = MarketDataLimits::for_instruments(&[instrument.clone()], 4, 1_000);
//! let mut hub = MarketDataHub::new(&[instrument], limits, MarketDataOptions::default()).unwrap();
//! let add = MarketEvent {
//!     seq: SequenceNumber(1), ts: TimestampNs(1), instrument: InstrumentId(0),
//!     kind: MarketEventKind::Add { order_ref: OrderRef(1), side: Side::Buy, price: Price(19_025), qty: Qty(100) },
//! };
//! assert_eq!(hub.on_event(&add), BatchStatus::Open);
//! let mut sent = Vec::new();
//! hub.end_of_batch(&mut |session, msg_type, body: &[u8]| {
//!     sent.push((session, msg_type, body.to_vec()));
//!     EmitResult::Sent
//! });
//! assert!(sent.is_empty(), "nobody subscribed");
//! assert_eq!(hub.levels(InstrumentId(0), Side::Buy)[0].qty, Qty(100));
//! ```

mod book;
mod limits;
mod market_data_request;
mod orders;
mod pending;
mod publish;
mod quote;
mod reference_data;
mod request;
mod subscriptions;
mod writer;

pub use book::{PriceLevel, PrintedTrade};
pub use limits::{MarketDataConfigError, MarketDataLimits, MarketDataOptions, MD_REQ_ID_MAX};
pub use quote::QUOTE_PRICE_DECIMALS;
pub use request::reject_reason;
pub use writer::msg_type;

use rtes_engine::{InstrumentConfig, InstrumentId, MarketEvent, Side, TradingState};

use self::book::{side_index, Inconsistency, Market};
use self::subscriptions::SessionState;
use self::writer::{Outbox, Scratch};
use crate::fix::codec::Message;

/// What the acceptor did with one body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmitResult {
    /// Queued for the session.
    Sent,
    /// Queued, and the session's unsent output is now over the acceptor's
    /// threshold: from the next batch on the hub owes it changes instead of
    /// sending them, until [`MarketDataHub::set_backlogged`] clears it.
    Backlogged,
}

/// The acceptor's callback: `(session, MsgType, body fields) -> EmitResult`.
pub type Emit<'a> = dyn FnMut(usize, &'static [u8], &[u8]) -> EmitResult + 'a;

/// Whether the current batch can take more events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchStatus {
    /// Keep going.
    Open,
    /// The batch's trade table is full: call [`MarketDataHub::end_of_batch`]
    /// before the next event (later trades of this batch would only be counted).
    Full,
}

/// Why an inbound message was not handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The session index is not below `max_sessions`.
    #[error("session {session} is not below max_sessions {max_sessions}")]
    SessionOutOfRange {
        /// The index given.
        session: usize,
        /// The limit.
        max_sessions: usize,
    },
    /// Not V, x, g or R: the acceptor answers it (BusinessMessageReject).
    #[error("not a market-data message type")]
    UnsupportedMessageType,
}

/// Counters for operators and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarketDataMetrics {
    /// Engine market events applied.
    pub events: u64,
    /// Events that did not fit the hub's view (unknown order or instrument;
    /// must stay 0 when the hub sees the engine's stream from its start).
    pub inconsistent_events: u64,
    /// Orders not tracked because `max_orders` was reached (must stay 0).
    pub order_table_full: u64,
    /// Trades left out of incremental refreshes because a batch held more
    /// than `max_trades_per_batch` (the acceptor missed [`BatchStatus::Full`]).
    pub trades_dropped: u64,
    /// MarketDataSnapshotFullRefresh (W) messages sent.
    pub snapshots_sent: u64,
    /// MarketDataIncrementalRefresh (X) messages sent.
    pub incrementals_sent: u64,
    /// MarketDataRequestReject (Y) messages sent.
    pub request_rejects: u64,
    /// Backlogged sessions caught up with one conflated refresh.
    pub conflated_recoveries: u64,
    /// Backlogged sessions caught up with fresh snapshots (their owed table overflowed).
    pub snapshot_recoveries: u64,
    /// Times a session's owed table overflowed.
    pub pending_overflows: u64,
    /// TradingSessionStatus (h) messages sent.
    pub status_messages_sent: u64,
    /// SecurityList (y) messages sent.
    pub security_lists_sent: u64,
    /// Quote (S) messages sent.
    pub quotes_sent: u64,
    /// QuoteRequestReject (AG) messages sent.
    pub quote_rejects: u64,
}

/// The market-data component of the FIX acceptor (see the module docs).
#[derive(Debug)]
pub struct MarketDataHub {
    instruments: Vec<InstrumentConfig>,
    /// Instrument indexes sorted by symbol, for lookups without allocation.
    by_symbol: Vec<u32>,
    market: Market,
    sessions: Vec<SessionState>,
    limits: MarketDataLimits,
    options: MarketDataOptions,
    scratch: Scratch,
    metrics: MarketDataMetrics,
    /// Events arrived since the last end of batch.
    batch_open: bool,
    /// Something is owed without new events (a recovered session, a snapshot
    /// deferred to the end of the batch).
    wake: bool,
    /// Request scratch: instruments named by one request, deduplicated.
    named: Vec<u32>,
    named_bits: Vec<u64>,
    /// Counter behind QuoteID and SecurityResponseID.
    next_id: u64,
}

impl MarketDataHub {
    /// A hub for `instruments` (`InstrumentId(i)` is `instruments[i]`, as in
    /// the engine), allocating every table it will use.
    pub fn new(
        instruments: &[InstrumentConfig],
        limits: MarketDataLimits,
        options: MarketDataOptions,
    ) -> Result<MarketDataHub, MarketDataConfigError> {
        limits::check(instruments, &limits)?;
        let mut by_symbol: Vec<u32> = (0..instruments.len() as u32).collect();
        by_symbol.sort_by(|a, b| {
            instruments[*a as usize]
                .symbol
                .cmp(&instruments[*b as usize].symbol)
        });
        let widest = instruments.iter().map(limits::band_levels).max();
        let symbol_max = instruments.iter().map(|i| i.symbol.len()).max();
        let snapshot_entries = 2 * widest.unwrap_or(0) + 1;
        Ok(MarketDataHub {
            market: Market::new(instruments, limits.max_orders, limits.max_trades_per_batch),
            sessions: (0..limits.max_sessions)
                .map(|_| SessionState::new(&limits, instruments.len()))
                .collect(),
            scratch: Scratch::new(
                snapshot_entries,
                limits.max_entries_per_message,
                symbol_max.unwrap_or(0),
            ),
            instruments: instruments.to_vec(),
            by_symbol,
            metrics: MarketDataMetrics::default(),
            batch_open: false,
            wake: false,
            named: Vec::with_capacity(instruments.len()),
            named_bits: vec![0; instruments.len().div_ceil(64)],
            next_id: 1,
            limits,
            options,
        })
    }

    /// Whether `msg_type` is one [`MarketDataHub::on_request`] handles.
    pub fn handles(msg_type: &[u8]) -> bool {
        matches!(msg_type, b"V" | b"x" | b"g" | b"R")
    }

    /// Applies one engine market event to the books, recording which levels,
    /// trades and trading states changed in this batch. Never allocates.
    pub fn on_event(&mut self, event: &MarketEvent) -> BatchStatus {
        self.metrics.events += 1;
        self.batch_open = true;
        match self.market.apply(event) {
            Ok(()) => {}
            Err(Inconsistency::OrderTableFull) => self.metrics.order_table_full += 1,
            Err(Inconsistency::UnknownInstrument | Inconsistency::UnknownOrder) => {
                self.metrics.inconsistent_events += 1
            }
        }
        self.metrics.trades_dropped = self.market.trades_dropped;
        if self.market.trades_full() {
            BatchStatus::Full
        } else {
            BatchStatus::Open
        }
    }

    /// Ends an engine batch: every logged-on session gets the trading-state
    /// changes and the incremental refreshes (or full refreshes) of its
    /// subscriptions through `emit`, in session order; backlogged sessions are
    /// owed them instead. Never allocates.
    pub fn end_of_batch(&mut self, emit: &mut Emit<'_>) {
        if !self.batch_open && !self.wake {
            return;
        }
        self.market.settle();
        let mut outbox = Outbox::new(emit, &mut self.metrics);
        for (index, session) in self.sessions.iter_mut().enumerate() {
            if !session.logged_on {
                continue;
            }
            let mut publisher = publish::Publisher {
                market: &self.market,
                instruments: &self.instruments,
                options: &self.options,
                scratch: &mut self.scratch,
                outbox: &mut outbox,
            };
            publisher.run(index, session);
        }
        self.market.clear_batch();
        self.batch_open = false;
        self.wake = false;
    }

    /// The acceptor's session `session` logged on: it will receive
    /// TradingSessionStatus (h) changes, starting now with one h per
    /// instrument (unsolicited) when `MarketDataOptions::status_on_logon`.
    pub fn on_logged_on(
        &mut self,
        session: usize,
        emit: &mut Emit<'_>,
    ) -> Result<(), RequestError> {
        self.check_session(session)?;
        let state = &mut self.sessions[session];
        state.logged_on = true;
        state.status_updates = true;
        if !self.options.status_on_logon {
            return Ok(());
        }
        let mut outbox = Outbox::new(emit, &mut self.metrics);
        for instrument in 0..self.instruments.len() {
            reference_data::status(
                &mut self.scratch,
                &mut outbox,
                session,
                &self.instruments[instrument],
                self.market.books[instrument].state,
                None,
            );
        }
        if outbox.backlogged {
            self.sessions[session].backlogged = true;
        }
        Ok(())
    }

    /// Handles an inbound MarketDataRequest (V), SecurityListRequest (x),
    /// TradingSessionStatusRequest (g) or QuoteRequest (R) of `session`,
    /// sending the answers (W, Y, y, h, S, AG) through `emit` at once;
    /// `now_utc_ns` stamps quotes. A subscription made in the middle of an
    /// engine batch gets its snapshot at the end of that batch.
    pub fn on_request(
        &mut self,
        session: usize,
        message: &Message<'_>,
        now_utc_ns: u64,
        emit: &mut Emit<'_>,
    ) -> Result<(), RequestError> {
        self.check_session(session)?;
        if !Self::handles(message.msg_type()) {
            return Err(RequestError::UnsupportedMessageType);
        }
        self.sessions[session].logged_on = true;
        let mut outbox = Outbox::new(emit, &mut self.metrics);
        match message.msg_type() {
            b"V" => market_data_request::handle(
                &mut market_data_request::RequestContext {
                    market: &self.market,
                    instruments: &self.instruments,
                    by_symbol: &self.by_symbol,
                    options: &self.options,
                    limits: &self.limits,
                    scratch: &mut self.scratch,
                    named: &mut self.named,
                    named_bits: &mut self.named_bits,
                    batch_open: self.batch_open,
                    wake: &mut self.wake,
                },
                &mut self.sessions[session],
                session,
                message,
                &mut outbox,
            ),
            b"x" => {
                let ids = (self.options.start_utc_ns / 1_000_000, self.next_id);
                self.next_id += 1;
                reference_data::security_list(
                    &mut self.scratch,
                    &mut outbox,
                    session,
                    message,
                    &self.instruments,
                    &self.market,
                    lookup(&self.instruments, &self.by_symbol),
                    (&self.options, self.limits.max_entries_per_message, ids),
                )
            }
            b"g" => reference_data::status_request(
                &mut self.scratch,
                &mut outbox,
                &mut self.sessions[session],
                session,
                message,
                &self.instruments,
                &self.market,
                lookup(&self.instruments, &self.by_symbol),
            ),
            _ => quote::quote_request(
                &mut quote::QuoteContext {
                    scratch: &mut self.scratch,
                    market: &self.market,
                    instruments: &self.instruments,
                    lookup: lookup(&self.instruments, &self.by_symbol),
                    options: &self.options,
                    next_id: &mut self.next_id,
                    now_utc_ns,
                },
                &mut outbox,
                session,
                message,
            ),
        }
        if outbox.backlogged {
            self.sessions[session].backlogged = true;
        }
        Ok(())
    }

    /// The session logged out or its connection closed: its subscriptions
    /// and everything owed to it are dropped.
    pub fn on_session_closed(&mut self, session: usize) {
        if let Some(state) = self.sessions.get_mut(session) {
            state.close();
        }
    }

    /// The acceptor reports whether `session`'s unsent output is over its
    /// threshold. While backlogged, the session's changes are conflated; when
    /// cleared, the next [`MarketDataHub::end_of_batch`] catches it up.
    pub fn set_backlogged(&mut self, session: usize, backlogged: bool) {
        let Some(state) = self.sessions.get_mut(session) else {
            return;
        };
        if backlogged {
            state.backlogged = true;
        } else if state.backlogged {
            state.backlogged = false;
            state.recovering = true;
            self.wake |= state.flush_due;
        }
    }

    /// Counters.
    pub fn metrics(&self) -> &MarketDataMetrics {
        &self.metrics
    }

    /// The hub's price levels of one side, best first (empty for an unknown instrument).
    pub fn levels(&self, instrument: InstrumentId, side: Side) -> &[PriceLevel] {
        self.market
            .books
            .get(instrument.0 as usize)
            .map_or(&[], |book| &book.levels[side_index(side)])
    }

    /// Current trading state of an instrument.
    pub fn trading_state(&self, instrument: InstrumentId) -> Option<TradingState> {
        self.market
            .books
            .get(instrument.0 as usize)
            .map(|book| book.state)
    }

    /// Most recent trade of an instrument.
    pub fn last_trade(&self, instrument: InstrumentId) -> Option<PrintedTrade> {
        self.market
            .books
            .get(instrument.0 as usize)
            .and_then(|book| book.last_trade)
    }

    /// Displayed resting orders tracked.
    pub fn order_count(&self) -> usize {
        self.market.order_count()
    }

    /// Symbol subscriptions (streams) `session` holds.
    pub fn subscription_count(&self, session: usize) -> usize {
        self.sessions
            .get(session)
            .map_or(0, SessionState::active_streams)
    }

    fn check_session(&self, session: usize) -> Result<(), RequestError> {
        if session < self.sessions.len() {
            Ok(())
        } else {
            Err(RequestError::SessionOutOfRange {
                session,
                max_sessions: self.sessions.len(),
            })
        }
    }
}

/// Symbol → instrument index, by binary search over `by_symbol`.
pub(crate) fn lookup<'a>(
    instruments: &'a [InstrumentConfig],
    by_symbol: &'a [u32],
) -> impl Fn(&[u8]) -> Option<u32> + 'a {
    move |symbol| {
        by_symbol
            .binary_search_by(|index| instruments[*index as usize].symbol.as_bytes().cmp(symbol))
            .ok()
            .map(|position| by_symbol[position])
    }
}
