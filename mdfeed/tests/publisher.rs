//! The sans-I/O publisher: start of day, engine-event mapping, packing,
//! flush and heartbeat timers, retransmission, end of session; and an
//! independent decoder (`itchy`) reading everything it publishes.

use rtes_engine::{
    InstrumentId, MarketEvent, MarketEventKind, MatchNumber, OrderRef, Price, Qty, SequenceNumber,
    Side, TimestampNs, TradingState,
};
use rtes_mdfeed::itch::{stock_field, Body, Message};
use rtes_mdfeed::moldudp::{Packet, PacketKind, Request};
use rtes_mdfeed::publisher::{InstrumentInfo, Publisher, PublisherConfig, DAY_NS};

const SESSION: [u8; 10] = *b"TEST000001";

fn instruments() -> Vec<InstrumentInfo> {
    vec![
        InstrumentInfo {
            stock: stock_field("AAPL"),
            tick_size: 100,
            lot_size: 1,
            initial_state: TradingState::Continuous,
        },
        InstrumentInfo {
            stock: stock_field("MSFT"),
            tick_size: 1,
            lot_size: 100,
            initial_state: TradingState::PreOpen,
        },
    ]
}

fn publisher(payload: usize) -> Publisher {
    Publisher::new(
        PublisherConfig {
            session: SESSION,
            payload_len_max: payload,
            history_bytes: 1 << 20,
            flush_interval_ns: 1_000,
            heartbeat_interval_ns: 1_000_000,
            book_orders_max: 1_000,
        },
        instruments(),
    )
}

fn event(instrument: u32, kind: MarketEventKind) -> MarketEvent {
    MarketEvent {
        seq: SequenceNumber(1),
        ts: TimestampNs(3 * DAY_NS + 5_000),
        instrument: InstrumentId(instrument),
        kind,
    }
}

/// Every kind of engine event once.
fn all_events() -> Vec<MarketEvent> {
    use MarketEventKind::*;
    vec![
        event(
            0,
            Add {
                order_ref: OrderRef(1),
                side: Side::Buy,
                price: Price(9_999),
                qty: Qty(300),
            },
        ),
        event(
            0,
            Execute {
                order_ref: OrderRef(1),
                qty: Qty(100),
                match_number: MatchNumber(1),
            },
        ),
        event(
            0,
            Reduce {
                order_ref: OrderRef(1),
                qty: Qty(50),
            },
        ),
        event(
            0,
            Replace {
                old_order_ref: OrderRef(1),
                new_order_ref: OrderRef(2),
                price: Price(10_001),
                qty: Qty(70),
            },
        ),
        event(
            0,
            Delete {
                order_ref: OrderRef(2),
            },
        ),
        event(
            0,
            HiddenTrade {
                side: Side::Sell,
                price: Price(10_000),
                qty: Qty(10),
                match_number: MatchNumber(2),
            },
        ),
        event(
            1,
            TradingState {
                state: rtes_engine::TradingState::Continuous,
            },
        ),
        event(
            1,
            ExecuteAtPrice {
                order_ref: OrderRef(3),
                qty: Qty(200),
                match_number: MatchNumber(3),
                price: Price(4_200_000),
            },
        ),
        event(
            1,
            CrossTrade {
                qty: Qty(200),
                price: Price(4_200_000),
                match_number: MatchNumber(4),
            },
        ),
        event(
            1,
            TradingState {
                state: rtes_engine::TradingState::Halted,
            },
        ),
        event(
            1,
            TradingState {
                state: rtes_engine::TradingState::Continuous,
            },
        ),
        event(
            1,
            CrossTrade {
                qty: Qty(5),
                price: Price(4_200_000),
                match_number: MatchNumber(5),
            },
        ),
        event(
            1,
            TradingState {
                state: rtes_engine::TradingState::Closed,
            },
        ),
    ]
}

/// (sequence, message) of every message in the packets, checking that
/// sequence numbers are contiguous from 1.
fn messages(packets: &[Vec<u8>]) -> Vec<(u64, Message)> {
    let mut out = Vec::new();
    for bytes in packets {
        let packet = Packet::decode(bytes).unwrap();
        assert_eq!(packet.session, SESSION);
        for (sequence, message) in packet.messages() {
            assert_eq!(sequence, out.len() as u64 + 1);
            out.push((sequence, Message::decode(message).unwrap()));
        }
    }
    out
}

#[test]
fn start_of_day_announces_system_and_instruments() {
    let mut publisher = publisher(1_400);
    let mut packets: Vec<Vec<u8>> = Vec::new();
    publisher.start_of_day(DAY_NS + 7, 0, &mut packets);
    let messages = messages(&packets);
    let codes: Vec<u8> = messages.iter().map(|(_, m)| m.message_type()).collect();
    assert_eq!(codes, b"SSSRHRH");
    assert_eq!(messages[0].1.body, Body::SystemEvent { event_code: b'O' });
    assert_eq!(messages[0].1.header.timestamp_ns, 7);
    assert_eq!(messages[3].1.header.stock_locate, 1);
    assert_eq!(messages[5].1.header.stock_locate, 2);
    assert!(matches!(
        messages[4].1.body,
        Body::TradingAction {
            trading_state: b'T',
            ..
        }
    ));
    assert!(matches!(
        messages[6].1.body,
        Body::TradingAction {
            trading_state: b'Q',
            ..
        }
    ));
    assert_eq!(publisher.next_sequence(), 8);
}

#[test]
fn engine_events_map_to_itch() {
    let mut publisher = publisher(1_400);
    let mut packets: Vec<Vec<u8>> = Vec::new();
    for event in all_events() {
        publisher.publish(&event, 0, &mut packets);
    }
    assert!(packets.is_empty(), "nothing is sent before a flush");
    publisher.flush(0, &mut packets);
    assert_eq!(packets.len(), 1);
    let bodies: Vec<Body> = messages(&packets)
        .into_iter()
        .map(|(_, m)| m.body)
        .collect();
    let aapl = stock_field("AAPL");
    let msft = stock_field("MSFT");
    assert_eq!(
        bodies[0],
        Body::AddOrder {
            order_ref: 1,
            side: b'B',
            shares: 300,
            stock: aapl,
            price: 999_900
        }
    );
    assert_eq!(
        bodies[1],
        Body::OrderExecuted {
            order_ref: 1,
            shares: 100,
            match_number: 1
        }
    );
    assert_eq!(
        bodies[2],
        Body::OrderCancel {
            order_ref: 1,
            shares: 50
        }
    );
    assert_eq!(
        bodies[3],
        Body::OrderReplace {
            original_order_ref: 1,
            new_order_ref: 2,
            shares: 70,
            price: 1_000_100
        }
    );
    assert_eq!(bodies[4], Body::OrderDelete { order_ref: 2 });
    assert_eq!(
        bodies[5],
        Body::Trade {
            order_ref: 0,
            side: b'S',
            shares: 10,
            stock: aapl,
            price: 1_000_000,
            match_number: 2
        }
    );
    assert_eq!(
        bodies[6],
        Body::TradingAction {
            stock: msft,
            trading_state: b'T',
            reason: *b"    "
        }
    );
    assert_eq!(
        bodies[7],
        Body::OrderExecutedWithPrice {
            order_ref: 3,
            shares: 200,
            match_number: 3,
            printable: b'N',
            price: 4_200_000
        }
    );
    assert_eq!(
        bodies[8],
        Body::CrossTrade {
            shares: 200,
            stock: msft,
            price: 4_200_000,
            match_number: 4,
            cross_type: b'O'
        }
    );
    assert_eq!(
        bodies[9],
        Body::TradingAction {
            stock: msft,
            trading_state: b'H',
            reason: *b"    "
        }
    );
    assert_eq!(
        bodies[11],
        Body::CrossTrade {
            shares: 5,
            stock: msft,
            price: 4_200_000,
            match_number: 5,
            cross_type: b'H'
        }
    );
    assert_eq!(
        bodies[12],
        Body::TradingAction {
            stock: msft,
            trading_state: b'H',
            reason: *b"CLSD"
        }
    );
    let (_, first) = messages(&packets)[0];
    assert_eq!(first.header.timestamp_ns, 5_000);
    assert_eq!(first.header.stock_locate, 1);
}

#[test]
fn packets_respect_the_payload_limit_and_timers() {
    let mut publisher = publisher(100);
    let mut packets: Vec<Vec<u8>> = Vec::new();
    let add = all_events()[0];
    for _ in 0..10 {
        publisher.publish(&add, 0, &mut packets);
    }
    // 20-byte header + 2 × (2 + 36) = 96 ≤ 100: two adds per packet.
    assert_eq!(packets.len(), 4);
    assert!(packets.iter().all(|p| p.len() <= 100));
    assert!(!publisher.on_idle(500, false, &mut packets), "not yet due");
    assert!(publisher.on_idle(1_000, false, &mut packets), "flush timer");
    assert_eq!(packets.len(), 5);
    assert_eq!(messages(&packets).len(), 10);
    assert!(!publisher.on_idle(2_000, true, &mut packets));
    assert!(
        publisher.on_idle(1_001_000, true, &mut packets),
        "heartbeat"
    );
    let heartbeat = Packet::decode(packets.last().unwrap()).unwrap();
    assert_eq!(heartbeat.kind(), PacketKind::Heartbeat);
    assert_eq!(heartbeat.sequence_number, 11);
    assert_eq!(publisher.stats().heartbeats, 1);
}

#[test]
fn retransmission_answers_from_history() {
    let mut publisher = Publisher::new(
        PublisherConfig {
            session: SESSION,
            payload_len_max: 1_400,
            history_bytes: 48 * 5,
            flush_interval_ns: 1,
            heartbeat_interval_ns: 1,
            book_orders_max: 1_000,
        },
        instruments(),
    );
    let mut packets: Vec<Vec<u8>> = Vec::new();
    for event in all_events().into_iter().take(8) {
        publisher.publish(&event, 0, &mut packets);
    }
    publisher.flush(0, &mut packets);
    let original = messages(&packets);
    let request = |sequence_number, message_count| Request {
        session: SESSION,
        sequence_number,
        message_count,
    };
    let mut answers: Vec<Vec<u8>> = Vec::new();
    // History holds 4..=8 only; 1..3 are gone: answered with what exists.
    assert_eq!(
        publisher.retransmit(&request(2, 4), 100, |p| answers.push(p.to_vec())),
        2
    );
    let packet = Packet::decode(&answers[0]).unwrap();
    assert_eq!(packet.sequence_number, 4);
    let again: Vec<(u64, Message)> = packet
        .messages()
        .map(|(s, m)| (s, Message::decode(m).unwrap()))
        .collect();
    assert_eq!(again, original[3..5].to_vec());
    // Capped count, and beyond the end.
    assert_eq!(publisher.retransmit(&request(5, 100), 2, |_| {}), 2);
    assert_eq!(publisher.retransmit(&request(7, 100), 100, |_| {}), 2);
    assert_eq!(publisher.retransmit(&request(50, 1), 100, |_| {}), 0);
}

#[test]
fn end_of_session_is_sent_three_times() {
    let mut publisher = publisher(1_400);
    let mut packets: Vec<Vec<u8>> = Vec::new();
    publisher.end_of_session(0, 0, &mut packets);
    assert_eq!(packets.len(), 4);
    let codes: Vec<Body> = messages(&packets[..1])
        .into_iter()
        .map(|(_, m)| m.body)
        .collect();
    assert_eq!(codes[2], Body::SystemEvent { event_code: b'C' });
    for packet in &packets[1..] {
        assert_eq!(
            Packet::decode(packet).unwrap().kind(),
            PacketKind::EndOfSession
        );
    }
}

/// Decodes every published message with the independent `itchy` crate and
/// compares each field with what our decoder read.
#[test]
fn itchy_decodes_everything_we_publish() {
    let mut publisher = publisher(1_400);
    let mut packets: Vec<Vec<u8>> = Vec::new();
    publisher.start_of_day(DAY_NS + 1_234, 0, &mut packets);
    for event in all_events() {
        publisher.publish(&event, 0, &mut packets);
    }
    publisher.end_of_session(DAY_NS + 9_999, 0, &mut packets);
    let ours = messages(&packets);
    // A MoldUDP64 message block is `u16 length` + message: the framing
    // itchy's stream parser reads.
    let mut stream = Vec::new();
    for bytes in &packets {
        stream.extend_from_slice(&bytes[20..]);
    }
    let theirs: Vec<itchy::Message> = itchy::MessageStream::from_reader(&stream[..])
        .collect::<Result<_, _>>()
        .expect("itchy decodes the stream");
    assert_eq!(theirs.len(), ours.len());
    for ((_, ours), theirs) in ours.iter().zip(&theirs) {
        assert_eq!(theirs.tag, ours.message_type());
        assert_eq!(theirs.stock_locate, ours.header.stock_locate);
        assert_eq!(theirs.tracking_number, ours.header.tracking_number);
        assert_eq!(theirs.timestamp, ours.header.timestamp_ns);
        compare(&ours.body, &theirs.body);
    }
}

fn text(stock: &[u8; 8]) -> &str {
    std::str::from_utf8(stock).unwrap()
}

fn side(byte: u8) -> itchy::Side {
    if byte == b'B' {
        itchy::Side::Buy
    } else {
        itchy::Side::Sell
    }
}

fn compare(ours: &Body, theirs: &itchy::Body) {
    use itchy::Body as B;
    match (*ours, theirs) {
        (Body::SystemEvent { event_code }, B::SystemEvent { event }) => {
            let expected = match event_code {
                b'O' => itchy::EventCode::StartOfMessages,
                b'S' => itchy::EventCode::StartOfSystemHours,
                b'Q' => itchy::EventCode::StartOfMarketHours,
                b'M' => itchy::EventCode::EndOfMarketHours,
                b'E' => itchy::EventCode::EndOfSystemHours,
                _ => itchy::EventCode::EndOfMessages,
            };
            assert_eq!(*event, expected);
        }
        (Body::StockDirectory(d), B::StockDirectory(t)) => {
            assert_eq!(t.stock.as_str(), text(&d.stock));
            assert_eq!(t.round_lot_size, d.round_lot_size);
            assert!(!t.round_lots_only);
            assert!(!t.authenticity, "test authenticity");
            assert_eq!(t.etp_leverage_factor, d.etp_leverage);
        }
        (
            Body::TradingAction {
                stock,
                trading_state,
                reason,
            },
            B::TradingAction {
                stock: s,
                trading_state: t,
                reason: r,
            },
        ) => {
            assert_eq!(s.as_str(), text(&stock));
            assert_eq!(r.as_bytes(), &reason);
            let expected = match trading_state {
                b'T' => itchy::TradingState::Trading,
                b'Q' => itchy::TradingState::QuotationOnly,
                _ => itchy::TradingState::Halted,
            };
            assert_eq!(*t, expected);
        }
        (
            Body::AddOrder {
                order_ref,
                side: s,
                shares,
                stock,
                price,
            },
            B::AddOrder(t),
        ) => {
            assert_eq!(
                (t.reference, t.side, t.shares, t.price.raw()),
                (order_ref, side(s), shares, price)
            );
            assert_eq!(t.stock.as_str(), text(&stock));
        }
        (
            Body::OrderExecuted {
                order_ref,
                shares,
                match_number,
            },
            B::OrderExecuted {
                reference,
                executed,
                match_number: m,
            },
        ) => {
            assert_eq!(
                (*reference, *executed, *m),
                (order_ref, shares, match_number)
            );
        }
        (
            Body::OrderExecutedWithPrice {
                order_ref,
                shares,
                match_number,
                printable,
                price,
            },
            B::OrderExecutedWithPrice {
                reference,
                executed,
                match_number: m,
                printable: p,
                price: t,
            },
        ) => {
            assert_eq!(
                (*reference, *executed, *m, *p, t.raw()),
                (order_ref, shares, match_number, printable == b'Y', price)
            );
        }
        (
            Body::OrderCancel { order_ref, shares },
            B::OrderCancelled {
                reference,
                cancelled,
            },
        ) => {
            assert_eq!((*reference, *cancelled), (order_ref, shares));
        }
        (Body::OrderDelete { order_ref }, B::DeleteOrder { reference }) => {
            assert_eq!(*reference, order_ref)
        }
        (
            Body::OrderReplace {
                original_order_ref,
                new_order_ref,
                shares,
                price,
            },
            B::ReplaceOrder(t),
        ) => {
            assert_eq!(
                (t.old_reference, t.new_reference, t.shares, t.price.raw()),
                (original_order_ref, new_order_ref, shares, price)
            );
        }
        (
            Body::Trade {
                order_ref,
                side: s,
                shares,
                stock,
                price,
                match_number,
            },
            B::NonCrossTrade(t),
        ) => {
            assert_eq!(
                (t.reference, t.side, t.shares, t.price.raw(), t.match_number),
                (order_ref, side(s), shares, price, match_number)
            );
            assert_eq!(t.stock.as_str(), text(&stock));
        }
        (
            Body::CrossTrade {
                shares,
                stock,
                price,
                match_number,
                cross_type,
            },
            B::CrossTrade(t),
        ) => {
            assert_eq!(
                (t.shares, t.cross_price.raw(), t.match_number),
                (shares, price, match_number)
            );
            assert_eq!(t.stock.as_str(), text(&stock));
            let expected = match cross_type {
                b'O' => itchy::CrossType::Opening,
                b'H' => itchy::CrossType::IpoOrHalted,
                b'C' => itchy::CrossType::Closing,
                _ => itchy::CrossType::Intraday,
            };
            assert_eq!(t.cross_type, expected);
        }
        (ours, theirs) => panic!("type mismatch: ours {ours:?}, itchy {theirs:?}"),
    }
}
