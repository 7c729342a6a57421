//! The sans-I/O publisher core: engine [`MarketEvent`]s in, MoldUDP64
//! packets out through a [`PacketSink`].
//!
//! It assigns message sequence numbers (first = 1), packs messages into
//! packets of at most `payload_len_max` bytes, flushes when the caller says
//! the ring is empty or when a packet has waited `flush_interval_ns`, sends
//! heartbeats when idle, and keeps a bounded [`History`] for retransmission
//! and late joiners. Time comes in as arguments (tests use simulated time).
//!
//! Nothing here allocates after [`Publisher::new`]: messages are encoded
//! into a stack buffer, the packet buffer and history are allocated once.
//!
//! # Engine → ITCH mapping
//! | engine event | ITCH |
//! |---|---|
//! | `Add` | `A` Add Order |
//! | `Execute` | `E` Order Executed |
//! | `ExecuteAtPrice` | `C` Order Executed With Price, printable `N` (the `Q` carries the volume) |
//! | `Reduce` | `X` Order Cancel |
//! | `Delete` | `D` Order Delete |
//! | `Replace` | `U` Order Replace |
//! | `HiddenTrade` | `P` Trade, order ref 0, side of the resting order |
//! | `CrossTrade` | `Q` Cross Trade: `H` after a halt, `O` after pre-open, else `I` |
//! | `TradingState` | `H` Trading Action: Continuous `T`, Halted `H`, PreOpen `Q`, Closed `H` with reason `CLSD` |
//!
//! Timestamps are nanoseconds since UTC midnight of the event's `ts`;
//! prices are ticks × tick size in 1/10,000 units. A price or quantity that
//! does not fit its wire field (configuration prevents this) is clamped and
//! counted in [`PublisherStats::clamped_fields`].

use crate::history::History;
use crate::itch::{stock_field, Body, Header, Message, StockDirectory};
use crate::moldudp::{header_packet, PacketBuilder, Request, END_OF_SESSION_COUNT, SESSION_LEN};
use crate::snapshot::{SnapshotBooks, SnapshotError};
use rtes_engine::{InstrumentConfig, MarketEvent, MarketEventKind, Side, TradingState};

/// Nanoseconds in a day.
pub const DAY_NS: u64 = 86_400_000_000_000;
/// End-of-session packets sent at shutdown (UDP may lose one).
pub const END_OF_SESSION_REPEATS: usize = 3;

/// Where finished packets go (a socket, a test vector).
pub trait PacketSink {
    /// Sends one MoldUDP64 packet.
    fn send(&mut self, packet: &[u8]);
}

impl PacketSink for Vec<Vec<u8>> {
    fn send(&mut self, packet: &[u8]) {
        self.push(packet.to_vec());
    }
}

/// What the publisher needs to know about one instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstrumentInfo {
    /// Symbol, space padded.
    pub stock: [u8; 8],
    /// Tick size in 1/10,000 units.
    pub tick_size: i64,
    /// Round lot size.
    pub lot_size: u32,
    /// State at start of day.
    pub initial_state: TradingState,
}

impl From<&InstrumentConfig> for InstrumentInfo {
    fn from(config: &InstrumentConfig) -> Self {
        InstrumentInfo {
            stock: stock_field(&config.symbol),
            tick_size: config.tick_size,
            lot_size: u32::try_from(config.lot_size).unwrap_or(u32::MAX),
            initial_state: config.initial_state,
        }
    }
}

/// Shortest gap between two datagrams sent because the ring went empty; a
/// packet opened sooner waits up to this long for more events (bounded by
/// the flush interval).
pub const COALESCE_NS: u64 = 5_000;

/// Publisher limits and timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublisherConfig {
    /// MoldUDP64 session name.
    pub session: [u8; SESSION_LEN],
    /// Largest UDP payload.
    pub payload_len_max: usize,
    /// History bound in bytes.
    pub history_bytes: usize,
    /// Longest a partly filled packet waits.
    pub flush_interval_ns: u64,
    /// Heartbeat after this long without a packet.
    pub heartbeat_interval_ns: u64,
    /// Resting orders the snapshot books hold at most (the engine's
    /// `max_resting_orders`: the feed can never see more at once).
    pub book_orders_max: usize,
}

/// Counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PublisherStats {
    /// Messages published.
    pub messages: u64,
    /// Message packets sent (heartbeats not included).
    pub packets: u64,
    /// Heartbeats sent.
    pub heartbeats: u64,
    /// Messages retransmitted on request.
    pub retransmitted: u64,
    /// Prices or quantities clamped to their wire field.
    pub clamped_fields: u64,
}

/// The publisher core.
pub struct Publisher {
    config: PublisherConfig,
    instruments: Vec<InstrumentInfo>,
    states: Vec<TradingState>,
    /// Cross type of the next `Q` per instrument, from the last state change.
    cross_types: Vec<u8>,
    next_sequence: u64,
    packet: PacketBuilder,
    retransmit_packet: PacketBuilder,
    pending_since_ns: u64,
    last_send_ns: u64,
    history: History,
    books: SnapshotBooks,
    /// Code of the last System Event published.
    system_event: u8,
    stats: PublisherStats,
}

impl Publisher {
    /// A publisher for these instruments (`InstrumentId(i)` = `instruments[i]`).
    pub fn new(config: PublisherConfig, instruments: Vec<InstrumentInfo>) -> Publisher {
        assert!(
            instruments.len() < usize::from(u16::MAX),
            "too many instruments for the Stock Locate field"
        );
        let states = instruments.iter().map(|i| i.initial_state).collect();
        Publisher {
            packet: PacketBuilder::new(config.session, config.payload_len_max),
            retransmit_packet: PacketBuilder::new(config.session, config.payload_len_max),
            history: History::with_bytes(config.history_bytes),
            books: SnapshotBooks::new(instruments.len(), config.book_orders_max),
            system_event: 0,
            cross_types: vec![b'O'; instruments.len()],
            states,
            instruments,
            config,
            next_sequence: 1,
            pending_since_ns: 0,
            last_send_ns: 0,
            stats: PublisherStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> PublisherStats {
        self.stats
    }

    /// Sequence number the next message will get.
    pub fn next_sequence(&self) -> u64 {
        self.next_sequence
    }

    /// The retained messages.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The session name.
    pub fn session(&self) -> [u8; SESSION_LEN] {
        self.config.session
    }

    /// The books kept for snapshots.
    pub fn snapshot_books(&self) -> &SnapshotBooks {
        &self.books
    }

    /// Writes a GLIMPSE-style snapshot of the state after every message
    /// published so far, passing each message to `emit`: the last System
    /// Event; per instrument its Stock Directory and Trading Action; per
    /// instrument every resting displayed order as an Add Order, bids then
    /// asks, each in priority order; then End of Snapshot `G` with
    /// [`Publisher::next_sequence`], the first live message that follows.
    /// Timestamps are `now_unix_ns`'s time of day. Returns that sequence
    /// number. Allocates (it sorts each side): call it off the publish path.
    pub fn snapshot(
        &self,
        now_unix_ns: u64,
        mut emit: impl FnMut(&Message),
    ) -> Result<u64, SnapshotError> {
        self.books.check_complete()?;
        let timestamp_ns = now_unix_ns % DAY_NS;
        let system = Header {
            stock_locate: 0,
            tracking_number: 0,
            timestamp_ns,
        };
        if self.system_event != 0 {
            let body = Body::SystemEvent {
                event_code: self.system_event,
            };
            emit(&Message {
                header: system,
                body,
            });
        }
        for (index, info) in self.instruments.iter().enumerate() {
            let header = header(index, now_unix_ns);
            emit(&Message {
                header,
                body: Body::StockDirectory(directory(info)),
            });
            let body = trading_action(info.stock, self.states[index]);
            emit(&Message { header, body });
        }
        for (index, info) in self.instruments.iter().enumerate() {
            let header = header(index, now_unix_ns);
            for side in [b'B', b'S'] {
                for order in self.books.side(index, side) {
                    let body = Body::AddOrder {
                        order_ref: order.order_ref,
                        side,
                        shares: order.shares,
                        stock: info.stock,
                        price: order.price,
                    };
                    emit(&Message { header, body });
                }
            }
        }
        let body = Body::EndOfSnapshot {
            sequence: self.next_sequence,
        };
        emit(&Message {
            header: system,
            body,
        });
        Ok(self.next_sequence)
    }

    /// Start of day: System Events `O`, `S`, `Q`, then per instrument a
    /// Stock Directory and a Trading Action with its initial state; flushed.
    pub fn start_of_day(&mut self, now_unix_ns: u64, now_ns: u64, sink: &mut impl PacketSink) {
        self.last_send_ns = now_ns;
        for code in [b'O', b'S', b'Q'] {
            self.system_event(code, now_unix_ns, now_ns, sink);
        }
        for index in 0..self.instruments.len() {
            let info = self.instruments[index];
            let header = header(index, now_unix_ns);
            self.append(
                &Message {
                    header,
                    body: Body::StockDirectory(directory(&info)),
                },
                now_ns,
                sink,
            );
            let body = trading_action(info.stock, info.initial_state);
            self.append(&Message { header, body }, now_ns, sink);
        }
        self.flush(now_ns, sink);
    }

    /// End of day: System Events `M`, `E`, `C`, flushed, then the MoldUDP64
    /// end-of-session packet [`END_OF_SESSION_REPEATS`] times.
    pub fn end_of_session(&mut self, now_unix_ns: u64, now_ns: u64, sink: &mut impl PacketSink) {
        for code in [b'M', b'E', b'C'] {
            self.system_event(code, now_unix_ns, now_ns, sink);
        }
        self.flush(now_ns, sink);
        let packet = header_packet(
            self.config.session,
            self.next_sequence,
            END_OF_SESSION_COUNT,
        );
        for _ in 0..END_OF_SESSION_REPEATS {
            sink.send(&packet);
        }
    }

    fn system_event(
        &mut self,
        code: u8,
        now_unix_ns: u64,
        now_ns: u64,
        sink: &mut impl PacketSink,
    ) {
        let header = Header {
            stock_locate: 0,
            tracking_number: 0,
            timestamp_ns: now_unix_ns % DAY_NS,
        };
        let body = Body::SystemEvent { event_code: code };
        self.system_event = code;
        self.append(&Message { header, body }, now_ns, sink);
    }

    /// Publishes one engine event (buffered into the current packet).
    pub fn publish(&mut self, event: &MarketEvent, now_ns: u64, sink: &mut impl PacketSink) {
        let message = self.to_message(event);
        self.books.apply(&message);
        self.append(&message, now_ns, sink);
    }

    /// Appends an encoded message to the current packet and the history,
    /// sending the packet first if the message does not fit.
    pub fn append(&mut self, message: &Message, now_ns: u64, sink: &mut impl PacketSink) {
        let mut scratch = [0u8; 64];
        let len = message
            .encode(&mut scratch)
            .expect("every ITCH message fits 64 bytes");
        let bytes = &scratch[..len];
        if !self.packet.fits(len) {
            self.flush(now_ns, sink);
        }
        if self.packet.is_empty() {
            self.packet.start(self.next_sequence);
            self.pending_since_ns = now_ns;
        }
        let pushed = self.packet.push(bytes);
        assert!(pushed, "a message always fits an empty packet");
        self.history.push(self.next_sequence, bytes);
        self.next_sequence += 1;
        self.stats.messages += 1;
    }

    /// Sends the current packet, if it has messages.
    pub fn flush(&mut self, now_ns: u64, sink: &mut impl PacketSink) {
        if self.packet.is_empty() {
            return;
        }
        sink.send(self.packet.bytes());
        self.packet.start(self.next_sequence);
        self.stats.packets += 1;
        self.last_send_ns = now_ns;
    }

    /// Timers: flushes a packet when the ring is empty (unless a packet went
    /// out less than [`COALESCE_NS`] ago: under load that would send one
    /// datagram per event and the feed thread would spend its time in
    /// `send_to`) or when it waited the flush interval; sends a heartbeat
    /// after the heartbeat interval of silence. Returns true if it sent
    /// something.
    pub fn on_idle(&mut self, now_ns: u64, ring_empty: bool, sink: &mut impl PacketSink) -> bool {
        if !self.packet.is_empty() {
            let waited = now_ns.saturating_sub(self.pending_since_ns);
            let since_send = now_ns.saturating_sub(self.last_send_ns);
            let quiet_enough = since_send >= COALESCE_NS.min(self.config.flush_interval_ns);
            if (ring_empty && quiet_enough) || waited >= self.config.flush_interval_ns {
                self.flush(now_ns, sink);
                return true;
            }
            return false;
        }
        if now_ns.saturating_sub(self.last_send_ns) >= self.config.heartbeat_interval_ns {
            sink.send(&header_packet(self.config.session, self.next_sequence, 0));
            self.stats.heartbeats += 1;
            self.last_send_ns = now_ns;
            return true;
        }
        false
    }

    /// True while published messages wait in a packet not yet sent.
    pub fn has_open_packet(&self) -> bool {
        !self.packet.is_empty()
    }

    /// Nanoseconds until the next timer (flush or heartbeat) is due.
    pub fn next_deadline_in_ns(&self, now_ns: u64) -> u64 {
        let due = if self.packet.is_empty() {
            self.last_send_ns + self.config.heartbeat_interval_ns
        } else {
            // An open packet goes out once the coalescing gap has passed
            // (if the ring is empty by then) or at the flush interval.
            let coalesced = self.last_send_ns + COALESCE_NS.min(self.config.flush_interval_ns);
            (self.pending_since_ns + self.config.flush_interval_ns).min(coalesced.max(now_ns))
        };
        due.saturating_sub(now_ns)
    }

    /// Answers a retransmission request from the history: the messages in
    /// `[sequence, sequence + min(count, count_max))` that are still held
    /// and already published, packed into packets passed to `send`.
    /// A request for a sequence not (or no longer) held sends nothing.
    /// Returns the messages sent.
    pub fn retransmit(
        &mut self,
        request: &Request,
        count_max: u16,
        mut send: impl FnMut(&[u8]),
    ) -> u64 {
        let count = u64::from(request.message_count.min(count_max));
        let start = request
            .sequence_number
            .max(self.history.first().unwrap_or(u64::MAX));
        let end = request
            .sequence_number
            .saturating_add(count)
            .min(self.history.end());
        let mut sent = 0;
        self.retransmit_packet.start(start);
        for sequence in start..end {
            let message = self.history.get(sequence).expect("in the history range");
            if !self.retransmit_packet.fits(message.len()) {
                send(self.retransmit_packet.bytes());
                self.retransmit_packet.start(sequence);
            }
            self.retransmit_packet.push(message);
            sent += 1;
        }
        if !self.retransmit_packet.is_empty() {
            send(self.retransmit_packet.bytes());
        }
        self.stats.retransmitted += sent;
        sent
    }

    fn price(&mut self, instrument: usize, ticks: i64) -> u32 {
        let units = i128::from(ticks) * i128::from(self.instruments[instrument].tick_size);
        u32::try_from(units).unwrap_or_else(|_| {
            self.stats.clamped_fields += 1;
            if units < 0 {
                0
            } else {
                u32::MAX
            }
        })
    }

    fn shares(&mut self, qty: u64) -> u32 {
        u32::try_from(qty).unwrap_or_else(|_| {
            self.stats.clamped_fields += 1;
            u32::MAX
        })
    }

    /// The ITCH message for an engine event.
    pub fn to_message(&mut self, event: &MarketEvent) -> Message {
        let index = event.instrument.0 as usize;
        assert!(
            index < self.instruments.len(),
            "event for an unknown instrument"
        );
        let stock = self.instruments[index].stock;
        let header = header(index, event.ts.0);
        let body = match event.kind {
            MarketEventKind::Add {
                order_ref,
                side,
                price,
                qty,
            } => Body::AddOrder {
                order_ref: order_ref.0,
                side: side_byte(side),
                shares: self.shares(qty.0),
                stock,
                price: self.price(index, price.0),
            },
            MarketEventKind::Execute {
                order_ref,
                qty,
                match_number,
            } => Body::OrderExecuted {
                order_ref: order_ref.0,
                shares: self.shares(qty.0),
                match_number: match_number.0,
            },
            MarketEventKind::ExecuteAtPrice {
                order_ref,
                qty,
                match_number,
                price,
            } => Body::OrderExecutedWithPrice {
                order_ref: order_ref.0,
                shares: self.shares(qty.0),
                match_number: match_number.0,
                printable: b'N',
                price: self.price(index, price.0),
            },
            MarketEventKind::Reduce { order_ref, qty } => Body::OrderCancel {
                order_ref: order_ref.0,
                shares: self.shares(qty.0),
            },
            MarketEventKind::Delete { order_ref } => Body::OrderDelete {
                order_ref: order_ref.0,
            },
            MarketEventKind::Replace {
                old_order_ref,
                new_order_ref,
                price,
                qty,
            } => Body::OrderReplace {
                original_order_ref: old_order_ref.0,
                new_order_ref: new_order_ref.0,
                shares: self.shares(qty.0),
                price: self.price(index, price.0),
            },
            MarketEventKind::HiddenTrade {
                side,
                price,
                qty,
                match_number,
            } => Body::Trade {
                order_ref: 0,
                side: side_byte(side),
                shares: self.shares(qty.0),
                stock,
                price: self.price(index, price.0),
                match_number: match_number.0,
            },
            MarketEventKind::CrossTrade {
                qty,
                price,
                match_number,
            } => Body::CrossTrade {
                shares: qty.0,
                stock,
                price: self.price(index, price.0),
                match_number: match_number.0,
                cross_type: self.cross_types[index],
            },
            MarketEventKind::TradingState { state } => {
                self.cross_types[index] = match self.states[index] {
                    TradingState::Halted => b'H',
                    TradingState::PreOpen => b'O',
                    _ => b'I',
                };
                self.states[index] = state;
                trading_action(stock, state)
            }
        };
        Message { header, body }
    }
}

fn header(instrument: usize, ts_unix_ns: u64) -> Header {
    Header {
        stock_locate: (instrument + 1) as u16,
        tracking_number: 0,
        timestamp_ns: ts_unix_ns % DAY_NS,
    }
}

/// The `R` Stock Directory RTES announces for an instrument.
fn directory(info: &InstrumentInfo) -> StockDirectory {
    StockDirectory {
        stock: info.stock,
        market_category: b'Q',
        financial_status: b'N',
        round_lot_size: info.lot_size,
        round_lots_only: b'N',
        issue_classification: b'C',
        issue_sub_type: *b"Z ",
        authenticity: b'T',
        short_sale_threshold: b'N',
        ipo_flag: b'N',
        luld_tier: b'2',
        etp_flag: b'N',
        etp_leverage: 0,
        inverse: b'N',
    }
}

fn side_byte(side: Side) -> u8 {
    match side {
        Side::Buy => b'B',
        Side::Sell => b'S',
    }
}

/// The `H` Trading Action body for an engine state.
pub fn trading_action(stock: [u8; 8], state: TradingState) -> Body {
    let (trading_state, reason) = match state {
        TradingState::Continuous => (b'T', *b"    "),
        TradingState::Halted => (b'H', *b"    "),
        TradingState::PreOpen => (b'Q', *b"    "),
        TradingState::Closed => (b'H', *b"CLSD"),
    };
    Body::TradingAction {
        stock,
        trading_state,
        reason,
    }
}
