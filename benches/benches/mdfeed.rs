//! Criterion micro-benches of the market-data path: ITCH 5.0 encode and
//! decode of an Add Order, the publisher core turning engine events into
//! MoldUDP64 packets (mapping, encode, packing, history, snapshot books)
//! with a sink that discards packets, and the subscriber's path from a
//! datagram to its books over a million published messages. Reports
//! messages/s.
//!
//! ```sh
//! cargo bench -p rtes-benches --bench mdfeed -- --quick
//! ```

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rtes_benches::market::MarketFlow;
use rtes_engine::{
    InstrumentId, MarketEvent, MarketEventKind, MatchNumber, OrderRef, Price, Qty, SequenceNumber,
    Side, TimestampNs, TradingState,
};
use rtes_mdfeed::itch::{stock_field, Body, Header, Message};
use rtes_mdfeed::publisher::{InstrumentInfo, PacketSink, Publisher, PublisherConfig};
use rtes_mdfeed::subscriber::Pipeline;

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

/// Messages in the subscriber benchmark's stream.
const SUBSCRIBER_MESSAGES: usize = 1_000_000;

/// The MoldUDP64 packets the real publisher makes of `events` engine-like
/// events over five instruments (1,400-byte payloads, full under load).
fn published_packets(events: usize) -> (Vec<Vec<u8>>, u64) {
    let instruments = five_instruments();
    let mut publisher = Publisher::new(
        PublisherConfig {
            session: *b"BENCH00001",
            payload_len_max: 1_400,
            history_bytes: 1 << 20,
            flush_interval_ns: 100_000,
            heartbeat_interval_ns: 1_000_000_000,
            book_orders_max: 100_000,
        },
        instruments,
    );
    let mut packets: Vec<Vec<u8>> = Vec::new();
    publisher.start_of_day(0, 0, &mut packets);
    let mut flow = MarketFlow::new(5, 5_000, 1);
    for _ in 0..events {
        publisher.publish(&flow.next_event(), 0, &mut packets);
    }
    publisher.flush(0, &mut packets);
    (packets, publisher.stats().messages)
}

/// The subscriber's sans-I/O path on a million messages as the publisher
/// packs them: MoldUDP64 decode, sequence tracking, ITCH decode, books.
fn subscriber(c: &mut Criterion) {
    let (packets, messages) = published_packets(SUBSCRIBER_MESSAGES);
    let mut group = c.benchmark_group("subscriber");
    group.sample_size(10);
    group.throughput(Throughput::Elements(messages));
    group.bench_function("pipeline_1m_messages", |b| {
        b.iter_batched(
            || Pipeline::new(1, 1_000_000, 1_000_000),
            |mut pipeline| {
                let mut delivered = 0;
                for packet in &packets {
                    delivered += pipeline.on_datagram(packet, |_, _| {});
                }
                assert_eq!(delivered, messages);
                assert_eq!(pipeline.books().unknown_orders(), 0);
                pipeline
            },
            BatchSize::LargeInput,
        )
    });
    // 1% of packets lost and their retransmission arriving 100 packets
    // later (a re-request round trip at full rate): the messages in between
    // wait, out of order, in the tracker.
    let lossy = with_losses(&packets, 100, 100);
    group.bench_function("pipeline_1m_messages_1pct_lost_then_resent", |b| {
        b.iter_batched(
            || Pipeline::new(1, 1_000_000, 1_000_000),
            |mut pipeline| {
                let mut delivered = 0;
                for packet in &lossy {
                    delivered += pipeline.on_datagram(packet, |_, _| {});
                }
                assert_eq!(delivered, messages);
                pipeline
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// `packets` with every `every`-th one moved `delay` packets later.
fn with_losses(packets: &[Vec<u8>], every: usize, delay: usize) -> Vec<Vec<u8>> {
    let mut order: Vec<(usize, &Vec<u8>)> = packets
        .iter()
        .enumerate()
        .map(|(index, packet)| {
            let due = if index % every == every - 1 {
                index + delay
            } else {
                index
            };
            (due, packet)
        })
        .collect();
    order.sort_by_key(|(due, _)| *due);
    order
        .into_iter()
        .map(|(_, packet)| packet.clone())
        .collect()
}

/// The publisher on the engine-like flow (5,000 orders resting over five
/// instruments), with the snapshot books sized as `rtes` sizes them by
/// default (a million orders) and small: what keeping them costs, cache
/// misses included.
fn publisher_flow(c: &mut Criterion) {
    const EVENTS: usize = 100_000;
    let mut flow = MarketFlow::new(5, 5_000, 3);
    let events: Vec<MarketEvent> = (0..EVENTS + 20_000).map(|_| flow.next_event()).collect();
    let mut group = c.benchmark_group("publisher");
    group.throughput(Throughput::Elements(EVENTS as u64));
    for book_orders_max in [10_000, 1_000_000] {
        group.bench_function(format!("publish_flow_books_{book_orders_max}"), |b| {
            b.iter_batched_ref(
                || {
                    let mut publisher = Publisher::new(
                        PublisherConfig {
                            session: *b"BENCH00001",
                            payload_len_max: 1_400,
                            history_bytes: 16 << 20,
                            flush_interval_ns: 100_000,
                            heartbeat_interval_ns: 1_000_000_000,
                            book_orders_max,
                        },
                        five_instruments(),
                    );
                    let mut sink = Discard(0);
                    publisher.start_of_day(0, 0, &mut sink);
                    // Warm-up: the books fill to their working size.
                    for event in &events[..20_000] {
                        publisher.publish(event, 0, &mut sink);
                    }
                    (publisher, sink)
                },
                |(publisher, sink)| {
                    for event in &events[20_000..] {
                        publisher.publish(event, 0, sink);
                    }
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();

    // Writing a snapshot (what a late joiner costs the feed thread): the
    // books after the flow's warm-up, about 5,000 resting orders.
    let mut publisher = Publisher::new(
        PublisherConfig {
            session: *b"BENCH00001",
            payload_len_max: 1_400,
            history_bytes: 1 << 20,
            flush_interval_ns: 100_000,
            heartbeat_interval_ns: 1_000_000_000,
            book_orders_max: 1_000_000,
        },
        five_instruments(),
    );
    let mut sink = Discard(0);
    publisher.start_of_day(0, 0, &mut sink);
    for event in &events {
        publisher.publish(event, 0, &mut sink);
    }
    let resting = publisher.snapshot_books().len() as u64;
    let mut group = c.benchmark_group("snapshot");
    group.throughput(Throughput::Elements(resting));
    group.bench_function(format!("write_{resting}_resting_orders"), |b| {
        let mut bytes = Vec::with_capacity(64 * (resting as usize + 64));
        b.iter(|| {
            bytes.clear();
            publisher
                .snapshot(0, |message| {
                    let mut buffer = [0u8; 64];
                    let len = message.encode(&mut buffer).unwrap();
                    bytes.extend_from_slice(&buffer[..len]);
                })
                .unwrap();
            black_box(bytes.len())
        })
    });
    group.finish();
}

fn five_instruments() -> Vec<InstrumentInfo> {
    ["AAPL", "MSFT", "SPY", "QQQ", "TSLA"]
        .iter()
        .map(|symbol| InstrumentInfo {
            stock: stock_field(symbol),
            tick_size: 100,
            lot_size: 1,
            initial_state: TradingState::Continuous,
        })
        .collect()
}

criterion_group!(benches, codec, publisher, publisher_flow, subscriber);
criterion_main!(benches);
