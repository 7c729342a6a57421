//! Subscriber side: sequence tracking (gaps, duplicates, reordering), book
//! building, and the whole loop over loopback multicast with a re-request
//! server answering from a publisher's history.

use rtes_engine::{
    InstrumentId, MarketEvent, MarketEventKind, MatchNumber, OrderRef, Price, Qty, SequenceNumber,
    Side, TimestampNs, TradingState,
};
use rtes_mdfeed::itch::stock_field;
use rtes_mdfeed::moldudp::{Packet, PacketBuilder, Request};
use rtes_mdfeed::net::{multicast_sender, udp_bound, would_block};
use rtes_mdfeed::publisher::{InstrumentInfo, PacketSink, Publisher, PublisherConfig};
use rtes_mdfeed::subscriber::{SequenceTracker, Subscriber, SubscriberConfig};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SESSION: [u8; 10] = *b"TEST000001";

fn packet(first: u64, count: u64) -> Vec<u8> {
    let mut builder = PacketBuilder::new(SESSION, 1_400);
    builder.start(first);
    for sequence in first..first + count {
        builder.push(&sequence.to_be_bytes());
    }
    builder.bytes().to_vec()
}

fn feed(tracker: &mut SequenceTracker, bytes: &[u8], got: &mut Vec<u64>) {
    tracker.on_packet(&Packet::decode(bytes).unwrap(), |sequence, message| {
        assert_eq!(message, sequence.to_be_bytes());
        got.push(sequence);
    });
}

#[test]
fn tracker_handles_gaps_duplicates_and_reordering() {
    let mut tracker = SequenceTracker::new(1, 100, 1_000);
    let mut got = Vec::new();
    feed(&mut tracker, &packet(1, 3), &mut got);
    feed(&mut tracker, &packet(1, 3), &mut got); // duplicate
    feed(&mut tracker, &packet(7, 2), &mut got); // 4..=6 lost
    assert_eq!(got, vec![1, 2, 3]);
    assert!(tracker.in_gap());
    let request = tracker.request(0, 100).unwrap();
    assert_eq!((request.sequence_number, request.message_count), (4, 3));
    assert_eq!(
        tracker.request(10, 100),
        None,
        "outstanding, not yet retried"
    );
    feed(&mut tracker, &packet(5, 1), &mut got); // reordered
    feed(&mut tracker, &packet(4, 3), &mut got); // the answer, overlapping
    assert_eq!(got, (1..=8).collect::<Vec<_>>());
    assert!(!tracker.in_gap());
    let stats = tracker.stats();
    assert_eq!((stats.gaps_detected, stats.gaps_recovered), (1, 1));
    assert_eq!(stats.duplicates, 3 + 1);
    // A heartbeat announcing more than we have opens a gap too.
    let heartbeat = rtes_mdfeed::moldudp::header_packet(SESSION, 12, 0);
    tracker.on_packet(&Packet::decode(&heartbeat).unwrap(), |_, _| {});
    let request = tracker.request(2_000, 2).unwrap();
    assert_eq!((request.sequence_number, request.message_count), (9, 2));
}

fn add(order_ref: u64, side: Side, price: i64, qty: u64) -> MarketEventKind {
    MarketEventKind::Add {
        order_ref: OrderRef(order_ref),
        side,
        price: Price(price),
        qty: Qty(qty),
    }
}

/// Sends through the socket, dropping every `drop_every`-th packet.
struct LossySink {
    socket: UdpSocket,
    group: SocketAddrV4,
    count: u64,
    drop_every: u64,
}

impl PacketSink for LossySink {
    fn send(&mut self, packet: &[u8]) {
        self.count += 1;
        if self.drop_every > 0 && self.count.is_multiple_of(self.drop_every) {
            return;
        }
        self.socket.send_to(packet, self.group).unwrap();
    }
}

#[test]
fn loopback_multicast_with_recovery_rebuilds_the_book() {
    let (socket, group) =
        multicast_sender(Ipv4Addr::LOCALHOST, "239.255.0.77:0".parse().unwrap(), 1).unwrap();
    let server = udp_bound("127.0.0.1:0".parse().unwrap()).unwrap();
    let server_address = server.local_addr().unwrap();
    // Join before anything is sent; everything is recovered from seq 1 anyway.
    let mut subscriber =
        Subscriber::join(SubscriberConfig::new(group, Some(server_address))).unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let stop_flag = Arc::clone(&stop);
    let publisher_thread = std::thread::spawn(move || {
        let mut publisher = Publisher::new(
            PublisherConfig {
                session: SESSION,
                payload_len_max: 200,
                history_bytes: 1 << 20,
                flush_interval_ns: 1,
                heartbeat_interval_ns: 10_000_000,
                book_orders_max: 1_000,
            },
            vec![InstrumentInfo {
                stock: stock_field("AAPL"),
                tick_size: 100,
                lot_size: 1,
                initial_state: TradingState::Continuous,
            }],
        );
        let mut sink = LossySink {
            socket,
            group,
            count: 0,
            drop_every: 3,
        };
        let started = Instant::now();
        let now = || started.elapsed().as_nanos() as u64;
        publisher.start_of_day(0, now(), &mut sink);
        for i in 1..=200u64 {
            let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
            let price = if side == Side::Buy {
                9_000 + i as i64
            } else {
                11_000 + i as i64
            };
            let kinds = [
                add(i, side, price, 100 + i),
                MarketEventKind::Execute {
                    order_ref: OrderRef(i),
                    qty: Qty(1),
                    match_number: MatchNumber(i),
                },
            ];
            for kind in kinds {
                let event = MarketEvent {
                    seq: SequenceNumber(i),
                    ts: TimestampNs(i),
                    instrument: InstrumentId(0),
                    kind,
                };
                publisher.publish(&event, now(), &mut sink);
            }
            if i % 3 == 0 {
                let event = MarketEvent {
                    seq: SequenceNumber(i),
                    ts: TimestampNs(i),
                    instrument: InstrumentId(0),
                    kind: MarketEventKind::Delete {
                        order_ref: OrderRef(i),
                    },
                };
                publisher.publish(&event, now(), &mut sink);
            }
        }
        publisher.flush(now(), &mut sink);
        // Serve requests and heartbeat until told to stop.
        let mut buffer = [0u8; 64];
        while !stop_flag.load(Ordering::Acquire) {
            match server.recv_from(&mut buffer) {
                Ok((len, from)) => {
                    if let Ok(request) = Request::decode(&buffer[..len]) {
                        publisher.retransmit(&request, 500, |p| {
                            server.send_to(p, from).unwrap();
                        });
                    }
                }
                Err(error) if would_block(&error) => std::thread::sleep(Duration::from_millis(1)),
                Err(error) => panic!("{error}"),
            }
            publisher.on_idle(now(), true, &mut sink);
        }
        publisher.next_sequence() - 1
    });

    let deadline = Instant::now() + Duration::from_secs(20);
    // 3 system + 2 directory/action + 200 × 2 + 66 deletes.
    let total = 3 + 2 + 400 + 66;
    while subscriber.next_sequence() <= total {
        assert!(
            Instant::now() < deadline,
            "not recovered: next {}",
            subscriber.next_sequence()
        );
        subscriber
            .poll(Duration::from_millis(20), |_, _| {})
            .unwrap();
    }
    stop.store(true, Ordering::Release);
    assert_eq!(publisher_thread.join().unwrap(), total);

    let book = subscriber.books().book(1).unwrap();
    let expected: Vec<(u64, u8, u32, u32)> = (1..=200u64)
        .filter(|i| i % 3 != 0)
        .map(|i| {
            let buy = i % 2 == 0;
            let price = if buy { 9_000 + i } else { 11_000 + i } as u32 * 100;
            (i, if buy { b'B' } else { b'S' }, price, 100 + i as u32 - 1)
        })
        .collect();
    let mut actual: Vec<(u64, u8, u32, u32)> = book
        .orders()
        .iter()
        .map(|(r, o)| (*r, o.side, o.price, o.shares))
        .collect();
    actual.sort();
    assert_eq!(actual, expected);
    assert_eq!(book.best_bid().unwrap().price, 9_200 * 100);
    assert_eq!(book.best_ask().unwrap().price, 11_001 * 100);
    assert_eq!(subscriber.books().instrument(1).unwrap().symbol, "AAPL");
    let stats = subscriber.stats();
    assert!(stats.tracker.gaps_recovered >= 1, "{stats:?}");
    assert!(stats.retransmission_packets >= 1);
    assert_eq!(subscriber.books().unknown_orders(), 0);
    let _: SocketAddr = server_address;
}
