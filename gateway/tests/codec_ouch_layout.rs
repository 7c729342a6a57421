//! Pins every OUCH 4.2 message layout: size, field offsets (from the
//! message type byte) and the byte order of a known message.

use core::mem::{offset_of, size_of};

use rtes_gateway::ouch::wire::*;
use rtes_gateway::ouch::*;
use rtes_gateway::soupbin::ascii::Alpha;

fn token(text: &[u8]) -> Token {
    Alpha::padded(text).unwrap()
}

fn encode<M: OuchMessage>(message: &M) -> Vec<u8> {
    let mut out = vec![0u8; 128];
    let written = message.encode(&mut out).unwrap();
    out.truncate(written);
    out
}

#[test]
fn enter_order_layout() {
    assert_eq!(size_of::<EnterOrderRecord>(), 49);
    assert_eq!(offset_of!(EnterOrderRecord, order_token), 1);
    assert_eq!(offset_of!(EnterOrderRecord, side), 15);
    assert_eq!(offset_of!(EnterOrderRecord, shares), 16);
    assert_eq!(offset_of!(EnterOrderRecord, stock), 20);
    assert_eq!(offset_of!(EnterOrderRecord, price), 28);
    assert_eq!(offset_of!(EnterOrderRecord, time_in_force), 32);
    assert_eq!(offset_of!(EnterOrderRecord, firm), 36);
    assert_eq!(offset_of!(EnterOrderRecord, display), 40);
    assert_eq!(offset_of!(EnterOrderRecord, capacity), 41);
    assert_eq!(offset_of!(EnterOrderRecord, intermarket_sweep), 42);
    assert_eq!(offset_of!(EnterOrderRecord, minimum_quantity), 43);
    assert_eq!(offset_of!(EnterOrderRecord, cross_type), 47);
    assert_eq!(offset_of!(EnterOrderRecord, customer_type), 48);
    let order = EnterOrder {
        order_token: token(b"ORDER1"),
        side: Side::Buy,
        shares: 100,
        stock: Alpha::padded(b"AAPL").unwrap(),
        price: 1_500_000,
        time_in_force: 99_999,
        firm: Alpha::padded(b"FIRM").unwrap(),
        display: Display::Anonymous,
        capacity: Capacity::Agency,
        intermarket_sweep: IntermarketSweep::NotEligible,
        minimum_quantity: 0,
        cross_type: CrossType::NoCross,
        customer_type: CustomerType::PortDefault,
    };
    let bytes = encode(&order);
    let mut expected = b"OORDER1        B".to_vec();
    expected.extend_from_slice(&100u32.to_be_bytes());
    expected.extend_from_slice(b"AAPL    ");
    expected.extend_from_slice(&1_500_000u32.to_be_bytes());
    expected.extend_from_slice(&99_999u32.to_be_bytes());
    expected.extend_from_slice(b"FIRMYAN");
    expected.extend_from_slice(&0u32.to_be_bytes());
    expected.extend_from_slice(b"N ");
    assert_eq!(bytes, expected);
    let InboundMessage::EnterOrder(record) = decode_inbound(&bytes).unwrap() else {
        panic!()
    };
    assert_eq!(EnterOrder::from_record(record).unwrap(), order);
}

#[test]
fn replace_order_layout() {
    assert_eq!(size_of::<ReplaceOrderRecord>(), 47);
    assert_eq!(offset_of!(ReplaceOrderRecord, existing_order_token), 1);
    assert_eq!(offset_of!(ReplaceOrderRecord, replacement_order_token), 15);
    assert_eq!(offset_of!(ReplaceOrderRecord, shares), 29);
    assert_eq!(offset_of!(ReplaceOrderRecord, price), 33);
    assert_eq!(offset_of!(ReplaceOrderRecord, time_in_force), 37);
    assert_eq!(offset_of!(ReplaceOrderRecord, display), 41);
    assert_eq!(offset_of!(ReplaceOrderRecord, intermarket_sweep), 42);
    assert_eq!(offset_of!(ReplaceOrderRecord, minimum_quantity), 43);
    let replace = ReplaceOrder {
        existing_order_token: token(b"A"),
        replacement_order_token: token(b"B"),
        shares: 0x0102_0304,
        price: 5,
        time_in_force: 0,
        display: Display::NonDisplay,
        intermarket_sweep: IntermarketSweep::NotEligible,
        minimum_quantity: 7,
    };
    let bytes = encode(&replace);
    assert_eq!(bytes[0], b'U');
    assert_eq!(&bytes[1..15], b"A             ");
    assert_eq!(&bytes[15..29], b"B             ");
    assert_eq!(&bytes[29..33], &[1, 2, 3, 4]);
    assert_eq!(&bytes[41..43], b"NN");
    assert_eq!(&bytes[43..47], &7u32.to_be_bytes());
}

#[test]
fn cancel_order_layout() {
    assert_eq!(size_of::<CancelOrderRecord>(), 19);
    assert_eq!(offset_of!(CancelOrderRecord, order_token), 1);
    assert_eq!(offset_of!(CancelOrderRecord, shares), 15);
    let bytes = encode(&CancelOrder {
        order_token: token(b"T1"),
        shares: 0,
    });
    assert_eq!(bytes, b"XT1            \0\0\0\0".to_vec());
}

#[test]
fn system_event_layout() {
    assert_eq!(size_of::<SystemEventRecord>(), 10);
    assert_eq!(offset_of!(SystemEventRecord, timestamp), 1);
    assert_eq!(offset_of!(SystemEventRecord, event_code), 9);
    let bytes = encode(&SystemEvent {
        timestamp_ns: 0x0102_0304_0506_0708,
        event_code: EventCode::StartOfDay,
    });
    assert_eq!(bytes, b"S\x01\x02\x03\x04\x05\x06\x07\x08S".to_vec());
}

fn accepted_order() -> AcceptedOrder {
    AcceptedOrder {
        timestamp_ns: 1,
        order_token: token(b"TOK"),
        side: Side::Sell,
        shares: 2,
        stock: Alpha::padded(b"MSFT").unwrap(),
        price: 3,
        time_in_force: 4,
        firm: Alpha::padded(b"F").unwrap(),
        display: Display::PostOnly,
        order_reference_number: 5,
        capacity: Capacity::Principal,
        intermarket_sweep: IntermarketSweep::NotEligible,
        minimum_quantity: 6,
        cross_type: CrossType::NoCross,
        order_state: OrderState::Live,
        bbo_weight_indicator: BboWeightIndicator::Unspecified,
    }
}

#[test]
fn accepted_layout() {
    assert_eq!(size_of::<AcceptedRecord>(), 66);
    assert_eq!(offset_of!(AcceptedRecord, timestamp), 1);
    assert_eq!(offset_of!(AcceptedRecord, order_token), 9);
    assert_eq!(offset_of!(AcceptedRecord, side), 23);
    assert_eq!(offset_of!(AcceptedRecord, shares), 24);
    assert_eq!(offset_of!(AcceptedRecord, stock), 28);
    assert_eq!(offset_of!(AcceptedRecord, price), 36);
    assert_eq!(offset_of!(AcceptedRecord, time_in_force), 40);
    assert_eq!(offset_of!(AcceptedRecord, firm), 44);
    assert_eq!(offset_of!(AcceptedRecord, display), 48);
    assert_eq!(offset_of!(AcceptedRecord, order_reference_number), 49);
    assert_eq!(offset_of!(AcceptedRecord, capacity), 57);
    assert_eq!(offset_of!(AcceptedRecord, intermarket_sweep), 58);
    assert_eq!(offset_of!(AcceptedRecord, minimum_quantity), 59);
    assert_eq!(offset_of!(AcceptedRecord, cross_type), 63);
    assert_eq!(offset_of!(AcceptedRecord, order_state), 64);
    assert_eq!(offset_of!(AcceptedRecord, bbo_weight_indicator), 65);
    let bytes = encode(&Accepted(accepted_order()));
    assert_eq!(bytes[0], b'A');
    assert_eq!(&bytes[1..9], &1u64.to_be_bytes());
    assert_eq!(bytes[23], b'S');
    assert_eq!(&bytes[28..36], b"MSFT    ");
    assert_eq!(bytes[48], b'P');
    assert_eq!(&bytes[49..57], &5u64.to_be_bytes());
    assert_eq!(&bytes[57..59], b"PN");
    assert_eq!(&bytes[63..66], b"NL ");
}

#[test]
fn replaced_layout() {
    assert_eq!(size_of::<ReplacedRecord>(), 80);
    assert_eq!(offset_of!(ReplacedRecord, replacement_order_token), 9);
    assert_eq!(offset_of!(ReplacedRecord, side), 23);
    assert_eq!(offset_of!(ReplacedRecord, order_reference_number), 49);
    assert_eq!(offset_of!(ReplacedRecord, order_state), 64);
    assert_eq!(offset_of!(ReplacedRecord, previous_order_token), 65);
    assert_eq!(offset_of!(ReplacedRecord, bbo_weight_indicator), 79);
    let replaced = Replaced {
        order: accepted_order(),
        previous_order_token: token(b"OLD"),
    };
    let bytes = encode(&replaced);
    assert_eq!(bytes[0], b'U');
    assert_eq!(&bytes[9..23], b"TOK           ");
    assert_eq!(&bytes[65..79], b"OLD           ");
    assert_eq!(bytes[79], b' ');
    // Everything else matches Accepted byte for byte.
    let accepted = encode(&Accepted(accepted_order()));
    assert_eq!(&bytes[1..65], &accepted[1..65]);
}

#[test]
fn canceled_layout() {
    assert_eq!(size_of::<CanceledRecord>(), 28);
    assert_eq!(offset_of!(CanceledRecord, order_token), 9);
    assert_eq!(offset_of!(CanceledRecord, decrement_shares), 23);
    assert_eq!(offset_of!(CanceledRecord, reason), 27);
    let bytes = encode(&Canceled {
        timestamp_ns: 9,
        order_token: token(b"X"),
        decrement_shares: 10,
        reason: CancelReason::SelfMatchPrevention,
    });
    assert_eq!(&bytes[23..27], &10u32.to_be_bytes());
    assert_eq!(bytes[27], b'Q');
}

#[test]
fn executed_layout() {
    assert_eq!(size_of::<ExecutedRecord>(), 40);
    assert_eq!(offset_of!(ExecutedRecord, order_token), 9);
    assert_eq!(offset_of!(ExecutedRecord, executed_shares), 23);
    assert_eq!(offset_of!(ExecutedRecord, execution_price), 27);
    assert_eq!(offset_of!(ExecutedRecord, liquidity_flag), 31);
    assert_eq!(offset_of!(ExecutedRecord, match_number), 32);
    let bytes = encode(&Executed {
        timestamp_ns: 0,
        order_token: token(b"E"),
        executed_shares: 1,
        execution_price: 2,
        liquidity_flag: LiquidityFlag::Removed,
        match_number: 3,
    });
    assert_eq!(bytes[31], b'R');
    assert_eq!(&bytes[32..40], &3u64.to_be_bytes());
}

#[test]
fn rejected_layout() {
    assert_eq!(size_of::<RejectedRecord>(), 24);
    assert_eq!(offset_of!(RejectedRecord, order_token), 9);
    assert_eq!(offset_of!(RejectedRecord, reason), 23);
    let bytes = encode(&Rejected {
        timestamp_ns: 0,
        order_token: token(b"R"),
        reason: RejectReason::InvalidPrice,
    });
    assert_eq!(bytes[0], b'J');
    assert_eq!(bytes[23], b'X');
}

#[test]
fn broken_trade_layout() {
    assert_eq!(size_of::<BrokenTradeRecord>(), 32);
    assert_eq!(offset_of!(BrokenTradeRecord, order_token), 9);
    assert_eq!(offset_of!(BrokenTradeRecord, match_number), 23);
    assert_eq!(offset_of!(BrokenTradeRecord, reason), 31);
}

#[test]
fn price_correction_layout() {
    assert_eq!(size_of::<PriceCorrectionRecord>(), 36);
    assert_eq!(offset_of!(PriceCorrectionRecord, order_token), 9);
    assert_eq!(offset_of!(PriceCorrectionRecord, match_number), 23);
    assert_eq!(offset_of!(PriceCorrectionRecord, new_execution_price), 31);
    assert_eq!(offset_of!(PriceCorrectionRecord, reason), 35);
}

#[test]
fn cancel_reject_layout() {
    assert_eq!(size_of::<CancelRejectRecord>(), 23);
    assert_eq!(offset_of!(CancelRejectRecord, timestamp), 1);
    assert_eq!(offset_of!(CancelRejectRecord, order_token), 9);
}

#[test]
fn decoders_check_type_and_length() {
    assert_eq!(decode_inbound(b""), Err(OuchError::Empty));
    assert_eq!(
        decode_inbound(b"Q"),
        Err(OuchError::UnknownMessageType { message_type: b'Q' })
    );
    assert_eq!(
        decode_inbound(&[b'X'; 18]),
        Err(OuchError::WrongLength {
            message_type: b'X',
            length: 18,
            expected: 19
        })
    );
    assert_eq!(
        decode_outbound(&[b'E'; 41]),
        Err(OuchError::WrongLength {
            message_type: b'E',
            length: 41,
            expected: 40
        })
    );
    // `A` is outbound only; `O` is inbound only.
    assert!(matches!(
        decode_inbound(&[b'A'; 66]),
        Err(OuchError::UnknownMessageType { .. })
    ));
    assert!(matches!(
        decode_outbound(&[b'O'; 49]),
        Err(OuchError::UnknownMessageType { .. })
    ));
    let mut small = [0u8; 10];
    assert_eq!(
        CancelOrder {
            order_token: token(b"T"),
            shares: 1
        }
        .encode(&mut small),
        Err(OuchError::BufferTooSmall {
            needed: 19,
            available: 10
        })
    );
}

#[test]
fn codes_round_trip_their_bytes() {
    for &side in Side::ALL {
        assert_eq!(Side::from_byte(side.as_byte()), Some(side));
    }
    for &reason in RejectReason::ALL {
        assert_eq!(RejectReason::from_byte(reason.as_byte()), Some(reason));
    }
    for &reason in CancelReason::ALL {
        assert_eq!(CancelReason::from_byte(reason.as_byte()), Some(reason));
    }
    for &flag in LiquidityFlag::ALL {
        assert_eq!(LiquidityFlag::from_byte(flag.as_byte()), Some(flag));
    }
    for &display in Display::ALL {
        assert_eq!(Display::from_byte(display.as_byte()), Some(display));
    }
    assert_eq!(Side::from_byte(b'X'), None);
}
