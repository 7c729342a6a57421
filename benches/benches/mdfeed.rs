//! Criterion micro-benches of the market-data path: ITCH 5.0 encode and
//! decode of an Add Order, and the publisher core turning engine events
//! into MoldUDP64 packets (mapping, encode, packing, history) with a sink
//! that discards packets. Reports messages/s.
//!
//! ```sh
//! cargo bench -p rtes-benches --bench mdfeed -- --quick
//! ```

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rtes_engine::{
    InstrumentId, MarketEvent, MarketEventKind, MatchNumber, OrderRef, Price, Qty, SequenceNumber,
    Side, TimestampNs, TradingState,
};
use rtes_mdfeed::itch::{stock_field, Body, Header, Message};
use rtes_mdfeed::publisher::{InstrumentInfo, PacketSink, Publisher, PublisherConfig};

/// Counts bytes so the optimiser cannot drop the packets.
struct Discard(usize);

impl PacketSink for Discard {
    fn send(&mut self, packet: &[u8]) {
        self.0 += packet.len();
    }
}

fn add_message() -> Message {
    Message {
        header: Header {
            stock_locate: 1,
            tracking_number: 0,
            timestamp_ns: 34_200_000_000_000,
        },
        body: Body::AddOrder {
            order_ref: 123_456,
            side: b'B',
            shares: 100,
            stock: stock_field("AAPL"),
            price: 1_900_100,
        },
    }
}

fn codec(c: &mut Criterion) {
    let mut group = c.benchmark_group("itch");
    group.throughput(Throughput::Elements(1));
    let message = add_message();
    let mut buffer = [0u8; 64];
    group.bench_function("encode_add_order", |b| {
        b.iter(|| black_box(&message).encode(&mut buffer).unwrap())
    });
    let len = message.encode(&mut buffer).unwrap();
    group.bench_function("decode_add_order", |b| {
        b.iter(|| Message::decode(black_box(&buffer[..len])).unwrap())
    });
    group.finish();
}

fn publisher(c: &mut Criterion) {
    const EVENTS: u64 = 1_024;
    let mut publisher = Publisher::new(
        PublisherConfig {
            session: *b"BENCH00001",
            payload_len_max: 1_400,
            history_bytes: 16 << 20,
            flush_interval_ns: 100_000,
            heartbeat_interval_ns: 1_000_000_000,
            book_orders_max: 1_000,
        },
        vec![InstrumentInfo {
            stock: stock_field("AAPL"),
            tick_size: 100,
            lot_size: 1,
            initial_state: TradingState::Continuous,
        }],
    );
    let mut sink = Discard(0);
    publisher.start_of_day(0, 0, &mut sink);
    // Each order is added, executed in part, reduced and deleted, so every
    // pass leaves the publisher's snapshot books as it found them.
    let events: Vec<MarketEvent> = (0..EVENTS)
        .map(|i| {
            let order_ref = OrderRef(1 + i / 4);
            MarketEvent {
                seq: SequenceNumber(1 + i),
                ts: TimestampNs(1 + i),
                instrument: InstrumentId(0),
                kind: match i % 4 {
                    0 => MarketEventKind::Add {
                        order_ref,
                        side: Side::Buy,
                        price: Price(19_001 - (i % 64) as i64),
                        qty: Qty(100),
                    },
                    1 => MarketEventKind::Execute {
                        order_ref,
                        qty: Qty(10),
                        match_number: MatchNumber(i),
                    },
                    2 => MarketEventKind::Reduce {
                        order_ref,
                        qty: Qty(10),
                    },
                    _ => MarketEventKind::Delete { order_ref },
                },
            }
        })
        .collect();
    let mut group = c.benchmark_group("publisher");
    group.throughput(Throughput::Elements(EVENTS));
    group.bench_function("publish_1024_events_then_flush", |b| {
        b.iter(|| {
            for event in &events {
                publisher.publish(event, 0, &mut sink);
            }
            publisher.flush(0, &mut sink);
        })
    });
    group.finish();
    black_box(sink.0);
}

criterion_group!(benches, codec, publisher);
criterion_main!(benches);
