//! Snapshots for late joiners: the publisher's own books against a naive
//! model (every order, priority order, a small index that forces probe
//! runs and backward-shift deletions), a full book, a publisher snapshot
//! that rebuilds exactly the books of the whole stream, and the tracker
//! continuing after a snapshot.

use rtes_engine::{
    InstrumentId, MarketEvent, MarketEventKind, MatchNumber, OrderRef, Price, Qty, SequenceNumber,
    Side, TimestampNs, TradingState,
};
use rtes_mdfeed::itch::{stock_field, Body, Header, Message};
use rtes_mdfeed::moldudp::{Packet, PacketBuilder};
use rtes_mdfeed::publisher::{InstrumentInfo, Publisher, PublisherConfig};
use rtes_mdfeed::snapshot::{BookOrder, SnapshotBooks, SnapshotError};
use rtes_mdfeed::subscriber::{Books, SequenceTracker};
use std::collections::BTreeMap;

/// xorshift64: deterministic, no dependency.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// A resting order in the naive model, in arrival order.
#[derive(Debug, Clone, Copy)]
struct ModelOrder {
    order_ref: u64,
    instrument: u16,
    side: u8,
    price: u32,
    shares: u32,
}

fn message(locate: u16, body: Body) -> Message {
    Message {
        header: Header {
            stock_locate: locate,
            ..Header::default()
        },
        body,
    }
}

/// One random book message against the model (adds, executions, cancels,
/// deletes, replaces), applied to the model too.
fn random_message(
    random: &mut Random,
    model: &mut Vec<ModelOrder>,
    next_ref: &mut u64,
    live_max: usize,
) -> Message {
    let roll = random.below(100);
    if model.is_empty() || (roll < 40 && model.len() < live_max) {
        *next_ref += 1 + random.below(3);
        let order = ModelOrder {
            order_ref: *next_ref,
            instrument: random.below(3) as u16,
            side: if random.below(2) == 0 { b'B' } else { b'S' },
            price: 1_000 + 100 * random.below(8) as u32,
            shares: 1 + random.below(500) as u32,
        };
        model.push(order);
        return message(
            order.instrument + 1,
            Body::AddOrder {
                order_ref: order.order_ref,
                side: order.side,
                shares: order.shares,
                stock: stock_field("X"),
                price: order.price,
            },
        );
    }
    let index = random.below(model.len() as u64) as usize;
    let order = model[index];
    let locate = order.instrument + 1;
    let cut = 1 + random.below(u64::from(order.shares)) as u32;
    let reduce = |model: &mut Vec<ModelOrder>| {
        model[index].shares -= cut;
        if model[index].shares == 0 {
            model.remove(index);
        }
    };
    match roll % 4 {
        0 => {
            reduce(model);
            message(
                locate,
                Body::OrderExecuted {
                    order_ref: order.order_ref,
                    shares: cut,
                    match_number: 1,
                },
            )
        }
        1 => {
            reduce(model);
            message(
                locate,
                Body::OrderCancel {
                    order_ref: order.order_ref,
                    shares: cut,
                },
            )
        }
        2 => {
            model.remove(index);
            message(
                locate,
                Body::OrderDelete {
                    order_ref: order.order_ref,
                },
            )
        }
        _ => {
            model.remove(index);
            *next_ref += 1;
            let replaced = ModelOrder {
                order_ref: *next_ref,
                price: 1_000 + 100 * random.below(8) as u32,
                shares: 1 + random.below(500) as u32,
                ..order
            };
            // A replace loses priority: to the back.
            model.push(replaced);
            message(
                locate,
                Body::OrderReplace {
                    original_order_ref: order.order_ref,
                    new_order_ref: replaced.order_ref,
                    shares: replaced.shares,
                    price: replaced.price,
                },
            )
        }
    }
}

/// The model's side in priority order: best price first, then arrival.
fn model_side(model: &[ModelOrder], instrument: u16, side: u8) -> Vec<BookOrder> {
    let mut orders: Vec<BookOrder> = model
        .iter()
        .filter(|o| o.instrument == instrument && o.side == side)
        .map(|o| BookOrder {
            order_ref: o.order_ref,
            price: o.price,
            shares: o.shares,
        })
        .collect();
    if side == b'B' {
        orders.sort_by_key(|o| std::cmp::Reverse(o.price));
    } else {
        orders.sort_by_key(|o| o.price);
    }
    orders
}

#[test]
fn snapshot_books_agree_with_a_naive_model() {
    const LIVE_MAX: usize = 300;
    let mut random = Random(0x5EED_0001);
    // Capacity = the most live orders: the index is exactly half full at
    // peak, so probe runs and backward shifts happen all the time.
    let mut books = SnapshotBooks::new(3, LIVE_MAX);
    let mut model = Vec::new();
    let mut next_ref = 0;
    for step in 0..40_000 {
        let message = random_message(&mut random, &mut model, &mut next_ref, LIVE_MAX);
        books.apply(&message);
        assert_eq!(books.len(), model.len(), "step {step}");
        if step % 97 == 0 {
            for instrument in 0..3u16 {
                for side in [b'B', b'S'] {
                    assert_eq!(
                        books.side(usize::from(instrument), side),
                        model_side(&model, instrument, side),
                        "step {step} instrument {instrument} side {}",
                        side as char
                    );
                }
            }
        }
    }
    assert_eq!(books.stats().unknown_orders, 0);
    assert_eq!(books.stats().refused_adds, 0);
    assert!(books.check_complete().is_ok());
}

#[test]
fn unknown_and_duplicate_orders_are_counted_not_applied() {
    let mut books = SnapshotBooks::new(1, 4);
    let add = |order_ref| {
        message(
            1,
            Body::AddOrder {
                order_ref,
                side: b'S',
                shares: 10,
                stock: stock_field("X"),
                price: 5,
            },
        )
    };
    books.apply(&add(1));
    books.apply(&add(1));
    books.apply(&message(1, Body::OrderDelete { order_ref: 9 }));
    // Stock Locate 2 does not exist.
    books.apply(&message(
        2,
        Body::AddOrder {
            order_ref: 3,
            side: b'B',
            shares: 1,
            stock: stock_field("X"),
            price: 5,
        },
    ));
    assert_eq!(books.len(), 1);
    assert_eq!(books.stats().unknown_orders, 3);
    assert!(books.side(7, b'B').is_empty());
}

#[test]
fn a_full_book_refuses_adds_and_refuses_snapshots() {
    let mut books = SnapshotBooks::new(1, 2);
    for order_ref in 1..=3 {
        books.apply(&message(
            1,
            Body::AddOrder {
                order_ref,
                side: b'B',
                shares: 10,
                stock: stock_field("X"),
                price: 5,
            },
        ));
    }
    assert_eq!(books.len(), 2);
    assert_eq!(books.stats().refused_adds, 1);
    assert_eq!(
        books.check_complete(),
        Err(SnapshotError::Overflowed {
            refused_adds: 1,
            capacity: 2
        })
    );
    // Room again, but the refused order is still missing: still refused.
    books.apply(&message(1, Body::OrderDelete { order_ref: 1 }));
    assert!(books.check_complete().is_err());
}

fn instruments() -> Vec<InstrumentInfo> {
    ["AAPL", "MSFT", "SPY"]
        .iter()
        .enumerate()
        .map(|(index, symbol)| InstrumentInfo {
            stock: stock_field(symbol),
            tick_size: 100,
            lot_size: 1,
            initial_state: if index == 1 {
                TradingState::PreOpen
            } else {
                TradingState::Continuous
            },
        })
        .collect()
}

fn engine_event(instrument: u32, kind: MarketEventKind) -> MarketEvent {
    MarketEvent {
        seq: SequenceNumber(1),
        ts: TimestampNs(1_000),
        instrument: InstrumentId(instrument),
        kind,
    }
}

/// Random engine events with live orders tracked as (ref, instrument, qty).
fn engine_events(count: usize) -> Vec<MarketEvent> {
    let mut random = Random(0x5EED_0002);
    let mut live: Vec<(u64, u32, u64)> = Vec::new();
    let mut next_ref = 0;
    let mut events = vec![engine_event(
        2,
        MarketEventKind::TradingState {
            state: TradingState::Halted,
        },
    )];
    for _ in 0..count {
        let roll = random.below(100);
        if live.is_empty() || roll < 45 {
            next_ref += 1;
            let instrument = random.below(3) as u32;
            let side = if random.below(2) == 0 {
                Side::Buy
            } else {
                Side::Sell
            };
            let qty = 1 + random.below(900);
            live.push((next_ref, instrument, qty));
            events.push(engine_event(
                instrument,
                MarketEventKind::Add {
                    order_ref: OrderRef(next_ref),
                    side,
                    price: Price(100 + random.below(20) as i64),
                    qty: Qty(qty),
                },
            ));
            continue;
        }
        let index = random.below(live.len() as u64) as usize;
        let (order_ref, instrument, qty) = live[index];
        let kind = match roll % 3 {
            0 => {
                let cut = 1 + random.below(qty);
                live[index].2 -= cut;
                if live[index].2 == 0 {
                    live.remove(index);
                }
                MarketEventKind::Execute {
                    order_ref: OrderRef(order_ref),
                    qty: Qty(cut),
                    match_number: MatchNumber(order_ref),
                }
            }
            1 => {
                live.remove(index);
                MarketEventKind::Delete {
                    order_ref: OrderRef(order_ref),
                }
            }
            _ => {
                next_ref += 1;
                live[index] = (next_ref, instrument, qty);
                MarketEventKind::Replace {
                    old_order_ref: OrderRef(order_ref),
                    new_order_ref: OrderRef(next_ref),
                    price: Price(100 + random.below(20) as i64),
                    qty: Qty(qty),
                }
            }
        };
        events.push(engine_event(instrument, kind));
    }
    events
}

/// Every instrument's orders by reference.
fn orders_of(books: &Books) -> BTreeMap<u16, BTreeMap<u64, (u8, u32, u32)>> {
    books
        .instruments()
        .map(|(locate, instrument)| {
            let orders = instrument
                .book
                .orders()
                .iter()
                .map(|(order_ref, o)| (*order_ref, (o.side, o.price, o.shares)))
                .collect();
            (locate, orders)
        })
        .collect()
}

#[test]
fn publisher_snapshot_rebuilds_the_books_of_the_whole_stream() {
    let mut publisher = Publisher::new(
        PublisherConfig {
            session: *b"SNAP000001",
            payload_len_max: 1_400,
            history_bytes: 1 << 20,
            flush_interval_ns: 1_000,
            heartbeat_interval_ns: 1_000_000,
            book_orders_max: 10_000,
        },
        instruments(),
    );
    let mut packets: Vec<Vec<u8>> = Vec::new();
    publisher.start_of_day(0, 0, &mut packets);
    for event in engine_events(5_000) {
        publisher.publish(&event, 0, &mut packets);
    }
    publisher.flush(0, &mut packets);

    let mut whole = Books::default();
    for bytes in &packets {
        for (_, message) in Packet::decode(bytes).unwrap().messages() {
            whole.apply(&Message::decode(message).unwrap());
        }
    }
    let mut sent = Vec::new();
    let live_from = publisher
        .snapshot(42, |message| sent.push(*message))
        .unwrap();
    assert_eq!(live_from, publisher.next_sequence());
    assert!((sent.len() as u64) < live_from);
    assert_eq!(sent[0].body, Body::SystemEvent { event_code: b'Q' });
    assert_eq!(
        sent.last().unwrap().body,
        Body::EndOfSnapshot {
            sequence: live_from
        }
    );
    let mut rebuilt = Books::default();
    for message in &sent {
        // Every message survives the wire format.
        let mut bytes = [0u8; 64];
        let len = message.encode(&mut bytes).unwrap();
        rebuilt.apply(&Message::decode(&bytes[..len]).unwrap());
    }
    assert_eq!(orders_of(&rebuilt), orders_of(&whole));
    assert!(!orders_of(&whole)[&1].is_empty());
    for locate in 1..=3 {
        let (a, b) = (
            rebuilt.instrument(locate).unwrap(),
            whole.instrument(locate).unwrap(),
        );
        assert_eq!((&a.symbol, a.trading_state), (&b.symbol, b.trading_state));
    }
    assert_eq!(rebuilt.instrument(2).unwrap().trading_state, b'Q');
    assert_eq!(rebuilt.instrument(3).unwrap().trading_state, b'H');
    // Add Orders come bids then asks, best price first, per instrument.
    let adds: Vec<(u16, u8, u32)> = sent
        .iter()
        .filter_map(|m| match m.body {
            Body::AddOrder { side, price, .. } => Some((m.header.stock_locate, side, price)),
            _ => None,
        })
        .collect();
    for pair in adds.windows(2) {
        let ((l0, s0, p0), (l1, s1, p1)) = (pair[0], pair[1]);
        if (l0, s0) == (l1, s1) {
            assert!(if s0 == b'B' { p0 >= p1 } else { p0 <= p1 });
        } else {
            assert!((l0, s0 == b'S') < (l1, s1 == b'S'));
        }
    }
}

#[test]
fn tracker_continues_after_a_snapshot() {
    let session = *b"SNAP000001";
    let mut tracker = SequenceTracker::new(1, 1_000, 1_000);
    let mut got = Vec::new();
    let mut builder = PacketBuilder::new(session, 1_400);
    // Messages 50..=52 arrive live; 1..=49 are long gone.
    builder.start(50);
    for _ in 0..3 {
        builder.push(b"m");
    }
    tracker.on_packet(&Packet::decode(builder.bytes()).unwrap(), |s, _| {
        got.push(s)
    });
    assert!(got.is_empty() && tracker.in_gap());
    for attempt in 0..3 {
        let request = tracker.request(attempt * 2_000, 100).unwrap();
        assert_eq!(request.sequence_number, 1);
        assert_eq!(tracker.unanswered_requests(), attempt as u32);
    }
    // A snapshot valid at 51: 50 is covered by it, 51 and 52 are delivered.
    tracker.restart_at(51, |s, _| got.push(s));
    assert_eq!(got, [51, 52]);
    assert!(!tracker.in_gap());
    assert_eq!(tracker.next(), 53);
    assert_eq!(tracker.unanswered_requests(), 0);
    assert_eq!(tracker.stats().restarts, 1);
    assert_eq!(tracker.stats().skipped, 50);
    // A restart behind the stream changes nothing.
    tracker.restart_at(10, |s, _| got.push(s));
    assert_eq!(tracker.next(), 53);
    assert_eq!(tracker.stats().restarts, 1);
}

#[test]
fn references_far_apart_are_found_and_removed() {
    // Strides of a power of two must not defeat the index.
    let mut books = SnapshotBooks::new(1, 1_000);
    for k in 1..=1_000u64 {
        books.apply(&message(
            1,
            Body::AddOrder {
                order_ref: k << 20,
                side: b'S',
                shares: 1,
                stock: stock_field("X"),
                price: k as u32,
            },
        ));
    }
    for k in (2..=1_000u64).step_by(2) {
        books.apply(&message(1, Body::OrderDelete { order_ref: k << 20 }));
    }
    assert_eq!(books.len(), 500);
    let refs: Vec<u64> = books.side(0, b'S').iter().map(|o| o.order_ref).collect();
    assert_eq!(
        refs,
        (1..=1_000u64)
            .step_by(2)
            .map(|k| k << 20)
            .collect::<Vec<_>>()
    );
    assert_eq!(books.stats(), Default::default());
}
