//! ITCH 5.0 codec: layout of every message (offsets from the spec), round
//! trips (proptest) and malformed input.

use proptest::prelude::*;
use rtes_mdfeed::itch::{encoded_len, Body, Header, ItchError, Message, StockDirectory};

fn header() -> Header {
    Header {
        stock_locate: 0x0102,
        tracking_number: 0x0304,
        timestamp_ns: 0x0A0B_0C0D_0E0F,
    }
}

fn encode(body: Body) -> Vec<u8> {
    let mut out = [0u8; 64];
    let len = Message {
        header: header(),
        body,
    }
    .encode(&mut out)
    .unwrap();
    out[..len].to_vec()
}

fn check_header(bytes: &[u8], message_type: u8) {
    assert_eq!(bytes[0], message_type);
    assert_eq!(&bytes[1..3], &[1, 2]);
    assert_eq!(&bytes[3..5], &[3, 4]);
    assert_eq!(&bytes[5..11], &[0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F]);
}

fn be32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes(bytes[..4].try_into().unwrap())
}

fn be64(bytes: &[u8]) -> u64 {
    u64::from_be_bytes(bytes[..8].try_into().unwrap())
}

#[test]
fn system_event_layout() {
    let bytes = encode(Body::SystemEvent { event_code: b'O' });
    assert_eq!(bytes.len(), 12);
    check_header(&bytes, b'S');
    assert_eq!(bytes[11], b'O');
}

fn directory() -> StockDirectory {
    StockDirectory {
        stock: *b"AAPL    ",
        market_category: b'Q',
        financial_status: b'N',
        round_lot_size: 100,
        round_lots_only: b'N',
        issue_classification: b'C',
        issue_sub_type: *b"Z ",
        authenticity: b'T',
        short_sale_threshold: b'N',
        ipo_flag: b'N',
        luld_tier: b'2',
        etp_flag: b'N',
        etp_leverage: 7,
        inverse: b'N',
    }
}

#[test]
fn stock_directory_layout() {
    let bytes = encode(Body::StockDirectory(directory()));
    assert_eq!(bytes.len(), 39);
    check_header(&bytes, b'R');
    assert_eq!(&bytes[11..19], b"AAPL    ");
    assert_eq!(bytes[19], b'Q');
    assert_eq!(bytes[20], b'N');
    assert_eq!(be32(&bytes[21..]), 100);
    assert_eq!(bytes[25], b'N');
    assert_eq!(bytes[26], b'C');
    assert_eq!(&bytes[27..29], b"Z ");
    assert_eq!(bytes[29], b'T');
    assert_eq!(bytes[32], b'2');
    assert_eq!(be32(&bytes[34..]), 7);
    assert_eq!(bytes[38], b'N');
}

#[test]
fn trading_action_layout() {
    let bytes = encode(Body::TradingAction {
        stock: *b"MSFT    ",
        trading_state: b'T',
        reason: *b"CLSD",
    });
    assert_eq!(bytes.len(), 25);
    check_header(&bytes, b'H');
    assert_eq!(&bytes[11..19], b"MSFT    ");
    assert_eq!(bytes[19], b'T');
    assert_eq!(bytes[20], b' ');
    assert_eq!(&bytes[21..25], b"CLSD");
}

#[test]
fn add_order_layout() {
    let bytes = encode(Body::AddOrder {
        order_ref: 0x1122_3344_5566_7788,
        side: b'B',
        shares: 300,
        stock: *b"SPY     ",
        price: 1_000_100,
    });
    assert_eq!(bytes.len(), 36);
    check_header(&bytes, b'A');
    assert_eq!(be64(&bytes[11..]), 0x1122_3344_5566_7788);
    assert_eq!(bytes[19], b'B');
    assert_eq!(be32(&bytes[20..]), 300);
    assert_eq!(&bytes[24..32], b"SPY     ");
    assert_eq!(be32(&bytes[32..]), 1_000_100);
}

#[test]
fn order_executed_layouts() {
    let e = encode(Body::OrderExecuted {
        order_ref: 9,
        shares: 10,
        match_number: 77,
    });
    assert_eq!(e.len(), 31);
    check_header(&e, b'E');
    assert_eq!(be64(&e[11..]), 9);
    assert_eq!(be32(&e[19..]), 10);
    assert_eq!(be64(&e[23..]), 77);
    let c = encode(Body::OrderExecutedWithPrice {
        order_ref: 9,
        shares: 10,
        match_number: 77,
        printable: b'N',
        price: 12_345,
    });
    assert_eq!(c.len(), 36);
    check_header(&c, b'C');
    assert_eq!(be64(&c[23..]), 77);
    assert_eq!(c[31], b'N');
    assert_eq!(be32(&c[32..]), 12_345);
}

#[test]
fn cancel_delete_replace_layouts() {
    let x = encode(Body::OrderCancel {
        order_ref: 5,
        shares: 40,
    });
    assert_eq!(x.len(), 23);
    check_header(&x, b'X');
    assert_eq!(be64(&x[11..]), 5);
    assert_eq!(be32(&x[19..]), 40);
    let d = encode(Body::OrderDelete { order_ref: 6 });
    assert_eq!(d.len(), 19);
    check_header(&d, b'D');
    assert_eq!(be64(&d[11..]), 6);
    let u = encode(Body::OrderReplace {
        original_order_ref: 6,
        new_order_ref: 8,
        shares: 50,
        price: 999,
    });
    assert_eq!(u.len(), 35);
    check_header(&u, b'U');
    assert_eq!(be64(&u[11..]), 6);
    assert_eq!(be64(&u[19..]), 8);
    assert_eq!(be32(&u[27..]), 50);
    assert_eq!(be32(&u[31..]), 999);
}

#[test]
fn trade_and_cross_layouts() {
    let p = encode(Body::Trade {
        order_ref: 0,
        side: b'S',
        shares: 25,
        stock: *b"QQQ     ",
        price: 4_300_000,
        match_number: 12,
    });
    assert_eq!(p.len(), 44);
    check_header(&p, b'P');
    assert_eq!(be64(&p[11..]), 0);
    assert_eq!(p[19], b'S');
    assert_eq!(be32(&p[20..]), 25);
    assert_eq!(&p[24..32], b"QQQ     ");
    assert_eq!(be32(&p[32..]), 4_300_000);
    assert_eq!(be64(&p[36..]), 12);
    let q = encode(Body::CrossTrade {
        shares: 1 << 40,
        stock: *b"TSLA    ",
        price: 2_500_000,
        match_number: 13,
        cross_type: b'O',
    });
    assert_eq!(q.len(), 40);
    check_header(&q, b'Q');
    assert_eq!(be64(&q[11..]), 1 << 40);
    assert_eq!(&q[19..27], b"TSLA    ");
    assert_eq!(be32(&q[27..]), 2_500_000);
    assert_eq!(be64(&q[31..]), 13);
    assert_eq!(q[39], b'O');
}

#[test]
fn end_of_snapshot_layout_has_no_common_header() {
    let g = encode(Body::EndOfSnapshot { sequence: 1_234 });
    assert_eq!(g.len(), 21);
    assert_eq!(g[0], b'G');
    assert_eq!(&g[1..], format!("{:>20}", 1_234).as_bytes());
    let decoded = Message::decode(&g).unwrap();
    assert_eq!(decoded.header, Header::default());
    assert_eq!(decoded.body, Body::EndOfSnapshot { sequence: 1_234 });
    assert_eq!(
        encode(Body::EndOfSnapshot { sequence: u64::MAX })[1..],
        *u64::MAX.to_string().as_bytes()
    );
    // Left-aligned digits are read too; anything else is an error.
    let mut left = b"G".to_vec();
    left.extend_from_slice(format!("{:<20}", 77).as_bytes());
    assert_eq!(
        Message::decode(&left).unwrap().body,
        Body::EndOfSnapshot { sequence: 77 }
    );
    let mut junk = b"G".to_vec();
    junk.extend_from_slice(b"        12x4        ");
    assert_eq!(Message::decode(&junk), Err(ItchError::InvalidNumber(b'G')));
    let blank = [b'G']
        .iter()
        .chain([b' '; 20].iter())
        .copied()
        .collect::<Vec<_>>();
    assert_eq!(Message::decode(&blank), Err(ItchError::InvalidNumber(b'G')));
}

#[test]
fn malformed_input_is_an_error() {
    assert_eq!(Message::decode(&[]), Err(ItchError::Empty));
    assert_eq!(Message::decode(b"Z"), Err(ItchError::UnknownType(b'Z')));
    assert!(matches!(
        Message::decode(&[b'A'; 35]),
        Err(ItchError::WrongLength { expected: 36, .. })
    ));
    let mut add = encode(Body::AddOrder {
        order_ref: 1,
        side: b'B',
        shares: 1,
        stock: *b"AAPL    ",
        price: 1,
    });
    add[19] = b'X';
    assert_eq!(Message::decode(&add), Err(ItchError::InvalidSide(b'X')));
    let mut small = [0u8; 10];
    assert!(matches!(
        Message {
            header: header(),
            body: Body::OrderDelete { order_ref: 1 }
        }
        .encode(&mut small),
        Err(ItchError::BufferTooSmall { .. })
    ));
}

fn side() -> impl Strategy<Value = u8> {
    prop_oneof![Just(b'B'), Just(b'S')]
}

fn body() -> impl Strategy<Value = Body> {
    let stock = any::<[u8; 8]>();
    prop_oneof![
        any::<u8>().prop_map(|event_code| Body::SystemEvent { event_code }),
        (stock, any::<u32>(), any::<u32>()).prop_map(|(stock, lot, lev)| {
            let mut d = directory();
            d.stock = stock;
            d.round_lot_size = lot;
            d.etp_leverage = lev;
            Body::StockDirectory(d)
        }),
        (stock, any::<u8>(), any::<[u8; 4]>()).prop_map(|(stock, trading_state, reason)| {
            Body::TradingAction {
                stock,
                trading_state,
                reason,
            }
        }),
        (any::<u64>(), side(), any::<u32>(), stock, any::<u32>()).prop_map(
            |(order_ref, side, shares, stock, price)| Body::AddOrder {
                order_ref,
                side,
                shares,
                stock,
                price
            }
        ),
        (any::<u64>(), any::<u32>(), any::<u64>()).prop_map(|(order_ref, shares, match_number)| {
            Body::OrderExecuted {
                order_ref,
                shares,
                match_number,
            }
        }),
        (
            any::<u64>(),
            any::<u32>(),
            any::<u64>(),
            any::<u8>(),
            any::<u32>()
        )
            .prop_map(|(order_ref, shares, match_number, printable, price)| {
                Body::OrderExecutedWithPrice {
                    order_ref,
                    shares,
                    match_number,
                    printable,
                    price,
                }
            }),
        (any::<u64>(), any::<u32>())
            .prop_map(|(order_ref, shares)| Body::OrderCancel { order_ref, shares }),
        any::<u64>().prop_map(|order_ref| Body::OrderDelete { order_ref }),
        (any::<u64>(), any::<u64>(), any::<u32>(), any::<u32>()).prop_map(
            |(original_order_ref, new_order_ref, shares, price)| Body::OrderReplace {
                original_order_ref,
                new_order_ref,
                shares,
                price
            }
        ),
        (
            any::<u64>(),
            side(),
            any::<u32>(),
            stock,
            any::<u32>(),
            any::<u64>()
        )
            .prop_map(|(order_ref, side, shares, stock, price, match_number)| {
                Body::Trade {
                    order_ref,
                    side,
                    shares,
                    stock,
                    price,
                    match_number,
                }
            }),
        (any::<u64>(), stock, any::<u32>(), any::<u64>(), any::<u8>()).prop_map(
            |(shares, stock, price, match_number, cross_type)| Body::CrossTrade {
                shares,
                stock,
                price,
                match_number,
                cross_type
            }
        ),
    ]
}

proptest! {
    #[test]
    fn end_of_snapshot_round_trips(sequence: u64) {
        let message = Message { header: Header::default(), body: Body::EndOfSnapshot { sequence } };
        let mut out = [0u8; 64];
        let len = message.encode(&mut out).unwrap();
        prop_assert_eq!(len, 21);
        prop_assert_eq!(Message::decode(&out[..len]).unwrap(), message);
    }

    #[test]
    fn round_trip(locate: u16, tracking: u16, ts in 0u64..(1 << 48), body in body()) {
        let message = Message {
            header: Header { stock_locate: locate, tracking_number: tracking, timestamp_ns: ts },
            body,
        };
        let mut out = [0u8; 64];
        let len = message.encode(&mut out).unwrap();
        prop_assert_eq!(len, message.encoded_len());
        prop_assert_eq!(Some(len), encoded_len(out[0]));
        prop_assert_eq!(Message::decode(&out[..len]).unwrap(), message);
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = Message::decode(&bytes);
    }
}
