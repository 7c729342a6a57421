//! Property tests of the OUCH 4.2 codec: every message round-trips through
//! encode and decode, and arbitrary bytes never panic.

use proptest::prelude::*;
use proptest::sample::select;
use rtes_engine::{AccountId, ClientOrderId, InstrumentId};
use rtes_gateway::ouch::convert::{
    cancel_order_to_engine, enter_order_to_engine, replace_order_to_engine, EntryContext,
    ReplaceContext, WireTick,
};
use rtes_gateway::ouch::*;
use rtes_gateway::soupbin::ascii::Alpha;

fn alpha<const N: usize>() -> impl Strategy<Value = Alpha<N>> {
    proptest::collection::vec(prop_oneof![b'A'..=b'Z', b'0'..=b'9'], 0..=N)
        .prop_map(|text| Alpha::padded(&text).unwrap())
}

macro_rules! code {
    ($t:ty) => {
        select(<$t>::ALL)
    };
}

fn enter_order() -> impl Strategy<Value = EnterOrder> {
    (
        (
            alpha::<14>(),
            code!(Side),
            any::<u32>(),
            alpha::<8>(),
            any::<u32>(),
            any::<u32>(),
            alpha::<4>(),
        ),
        (
            code!(Display),
            code!(Capacity),
            code!(IntermarketSweep),
            any::<u32>(),
            code!(CrossType),
            code!(CustomerType),
        ),
    )
        .prop_map(
            |((order_token, side, shares, stock, price, time_in_force, firm), rest)| {
                let (
                    display,
                    capacity,
                    intermarket_sweep,
                    minimum_quantity,
                    cross_type,
                    customer_type,
                ) = rest;
                EnterOrder {
                    order_token,
                    side,
                    shares,
                    stock,
                    price,
                    time_in_force,
                    firm,
                    display,
                    capacity,
                    intermarket_sweep,
                    minimum_quantity,
                    cross_type,
                    customer_type,
                }
            },
        )
}

fn replace_order() -> impl Strategy<Value = ReplaceOrder> {
    (
        alpha::<14>(),
        alpha::<14>(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        code!(Display),
        code!(IntermarketSweep),
        any::<u32>(),
    )
        .prop_map(
            |(
                existing_order_token,
                replacement_order_token,
                shares,
                price,
                time_in_force,
                display,
                intermarket_sweep,
                minimum_quantity,
            )| ReplaceOrder {
                existing_order_token,
                replacement_order_token,
                shares,
                price,
                time_in_force,
                display,
                intermarket_sweep,
                minimum_quantity,
            },
        )
}

fn cancel_order() -> impl Strategy<Value = CancelOrder> {
    (alpha::<14>(), any::<u32>()).prop_map(|(order_token, shares)| CancelOrder {
        order_token,
        shares,
    })
}

fn accepted_order() -> impl Strategy<Value = AcceptedOrder> {
    (
        (
            any::<u64>(),
            alpha::<14>(),
            code!(Side),
            any::<u32>(),
            alpha::<8>(),
            any::<u32>(),
            any::<u32>(),
            alpha::<4>(),
        ),
        (
            code!(Display),
            any::<u64>(),
            code!(Capacity),
            code!(IntermarketSweep),
            any::<u32>(),
            code!(CrossType),
            code!(OrderState),
            code!(BboWeightIndicator),
        ),
    )
        .prop_map(
            |(
                (timestamp_ns, order_token, side, shares, stock, price, time_in_force, firm),
                rest,
            )| {
                let (
                    display,
                    order_reference_number,
                    capacity,
                    intermarket_sweep,
                    minimum_quantity,
                    cross_type,
                    order_state,
                    bbo_weight_indicator,
                ) = rest;
                AcceptedOrder {
                    timestamp_ns,
                    order_token,
                    side,
                    shares,
                    stock,
                    price,
                    time_in_force,
                    firm,
                    display,
                    order_reference_number,
                    capacity,
                    intermarket_sweep,
                    minimum_quantity,
                    cross_type,
                    order_state,
                    bbo_weight_indicator,
                }
            },
        )
}

/// Encodes, checks the size, decodes with `decode` and converts back.
fn round_trip<M, F>(message: &M, decode: F) -> M
where
    M: OuchMessage,
    F: for<'a> Fn(&'a [u8]) -> M,
{
    let mut out = [0u8; 128];
    let written = message.encode(&mut out).unwrap();
    assert_eq!(written, core::mem::size_of::<M::Record>());
    assert_eq!(out[0], M::MESSAGE_TYPE);
    decode(&out[..written])
}

fn inbound(bytes: &[u8]) -> InboundMessage<'_> {
    decode_inbound(bytes).unwrap()
}

fn outbound(bytes: &[u8]) -> OutboundMessage<'_> {
    decode_outbound(bytes).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn enter_order_round_trips(message in enter_order()) {
        let back = round_trip(&message, |b| match inbound(b) {
            InboundMessage::EnterOrder(r) => EnterOrder::from_record(r).unwrap(),
            other => panic!("{other:?}"),
        });
        prop_assert_eq!(back, message);
    }

    #[test]
    fn replace_order_round_trips(message in replace_order()) {
        let back = round_trip(&message, |b| match inbound(b) {
            InboundMessage::ReplaceOrder(r) => ReplaceOrder::from_record(r).unwrap(),
            other => panic!("{other:?}"),
        });
        prop_assert_eq!(back, message);
    }

    #[test]
    fn cancel_order_round_trips(message in cancel_order()) {
        let back = round_trip(&message, |b| match inbound(b) {
            InboundMessage::CancelOrder(r) => CancelOrder::from_record(r).unwrap(),
            other => panic!("{other:?}"),
        });
        prop_assert_eq!(back, message);
    }

    #[test]
    fn system_event_round_trips(timestamp_ns in any::<u64>(), event_code in code!(EventCode)) {
        let message = SystemEvent { timestamp_ns, event_code };
        let back = round_trip(&message, |b| match outbound(b) {
            OutboundMessage::SystemEvent(r) => SystemEvent::from_record(r).unwrap(),
            other => panic!("{other:?}"),
        });
        prop_assert_eq!(back, message);
    }

    #[test]
    fn accepted_round_trips(order in accepted_order()) {
        let message = Accepted(order);
        let back = round_trip(&message, |b| match outbound(b) {
            OutboundMessage::Accepted(r) => Accepted::from_record(r).unwrap(),
            other => panic!("{other:?}"),
        });
        prop_assert_eq!(back, message);
    }

    #[test]
    fn replaced_round_trips(order in accepted_order(), previous_order_token in alpha::<14>()) {
        let message = Replaced { order, previous_order_token };
        let back = round_trip(&message, |b| match outbound(b) {
            OutboundMessage::Replaced(r) => Replaced::from_record(r).unwrap(),
            other => panic!("{other:?}"),
        });
        prop_assert_eq!(back, message);
    }

    #[test]
    fn canceled_round_trips(
        timestamp_ns in any::<u64>(),
        order_token in alpha::<14>(),
        decrement_shares in any::<u32>(),
        reason in code!(CancelReason),
    ) {
        let message = Canceled { timestamp_ns, order_token, decrement_shares, reason };
        let back = round_trip(&message, |b| match outbound(b) {
            OutboundMessage::Canceled(r) => Canceled::from_record(r).unwrap(),
            other => panic!("{other:?}"),
        });
        prop_assert_eq!(back, message);
    }

    #[test]
    fn executed_round_trips(
        timestamp_ns in any::<u64>(),
        order_token in alpha::<14>(),
        executed_shares in any::<u32>(),
        execution_price in any::<u32>(),
        liquidity_flag in code!(LiquidityFlag),
        match_number in any::<u64>(),
    ) {
        let message = Executed { timestamp_ns, order_token, executed_shares, execution_price, liquidity_flag, match_number };
        let back = round_trip(&message, |b| match outbound(b) {
            OutboundMessage::Executed(r) => Executed::from_record(r).unwrap(),
            other => panic!("{other:?}"),
        });
        prop_assert_eq!(back, message);
    }

    #[test]
    fn rejected_round_trips(timestamp_ns in any::<u64>(), order_token in alpha::<14>(), reason in code!(RejectReason)) {
        let message = Rejected { timestamp_ns, order_token, reason };
        let back = round_trip(&message, |b| match outbound(b) {
            OutboundMessage::Rejected(r) => Rejected::from_record(r).unwrap(),
            other => panic!("{other:?}"),
        });
        prop_assert_eq!(back, message);
    }

    #[test]
    fn broken_trade_round_trips(
        timestamp_ns in any::<u64>(),
        order_token in alpha::<14>(),
        match_number in any::<u64>(),
        reason in code!(TradeCorrectionReason),
    ) {
        let message = BrokenTrade { timestamp_ns, order_token, match_number, reason };
        let back = round_trip(&message, |b| match outbound(b) {
            OutboundMessage::BrokenTrade(r) => BrokenTrade::from_record(r).unwrap(),
            other => panic!("{other:?}"),
        });
        prop_assert_eq!(back, message);
    }

    #[test]
    fn price_correction_round_trips(
        timestamp_ns in any::<u64>(),
        order_token in alpha::<14>(),
        match_number in any::<u64>(),
        new_execution_price in any::<u32>(),
        reason in code!(TradeCorrectionReason),
    ) {
        let message = PriceCorrection { timestamp_ns, order_token, match_number, new_execution_price, reason };
        let back = round_trip(&message, |b| match outbound(b) {
            OutboundMessage::PriceCorrection(r) => PriceCorrection::from_record(r).unwrap(),
            other => panic!("{other:?}"),
        });
        prop_assert_eq!(back, message);
    }

    #[test]
    fn cancel_reject_round_trips(timestamp_ns in any::<u64>(), order_token in alpha::<14>()) {
        let message = CancelReject { timestamp_ns, order_token };
        let back = round_trip(&message, |b| match outbound(b) {
            OutboundMessage::CancelReject(r) => CancelReject::from_record(r).unwrap(),
            other => panic!("{other:?}"),
        });
        prop_assert_eq!(back, message);
    }

    /// Random bytes: decoders never panic, only typed errors; whatever
    /// decodes converts (or fails with a typed error) without panicking.
    #[test]
    fn random_inbound_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        let context = EntryContext {
            client_order_id: ClientOrderId(1),
            account: AccountId(1),
            instrument: InstrumentId(0),
            tick: WireTick::new(100).unwrap(),
        };
        let replace_context = ReplaceContext {
            client_order_id: ClientOrderId(1),
            new_client_order_id: ClientOrderId(2),
            tick: WireTick::new(100).unwrap(),
        };
        match decode_inbound(&bytes) {
            Ok(InboundMessage::EnterOrder(r)) => {
                let _ = EnterOrder::from_record(r);
                let _ = enter_order_to_engine(r, &context);
            }
            Ok(InboundMessage::ReplaceOrder(r)) => {
                let _ = ReplaceOrder::from_record(r);
                let _ = replace_order_to_engine(r, &replace_context);
            }
            Ok(InboundMessage::CancelOrder(r)) => {
                let _ = cancel_order_to_engine(r, ClientOrderId(1));
            }
            Err(error) => {
                let framing = matches!(
                    error,
                    OuchError::Empty | OuchError::UnknownMessageType { .. } | OuchError::WrongLength { .. }
                );
                prop_assert!(framing, "{:?}", error);
            }
        }
    }

    /// Random bodies behind a valid type byte and length: decoding never
    /// panics and a value that decodes re-encodes to the same bytes.
    #[test]
    fn random_bodies_decode_or_fail_typed(
        kind in select(&[b'O', b'U', b'X'][..]),
        body in proptest::collection::vec(any::<u8>(), 48),
        printable in any::<bool>(),
    ) {
        let length = match kind { b'O' => 49, b'U' => 47, _ => 19 };
        let mut bytes = vec![kind];
        bytes.extend(body.iter().map(|&b| if printable { b'A' + b % 26 } else { b }).take(length - 1));
        let mut out = [0u8; 64];
        let reencoded = match decode_inbound(&bytes).unwrap() {
            InboundMessage::EnterOrder(r) => EnterOrder::from_record(r).map(|m| m.encode(&mut out)),
            InboundMessage::ReplaceOrder(r) => ReplaceOrder::from_record(r).map(|m| m.encode(&mut out)),
            InboundMessage::CancelOrder(r) => CancelOrder::from_record(r).map(|m| m.encode(&mut out)),
        };
        match reencoded {
            Ok(written) => prop_assert_eq!(&out[..written.unwrap()], &bytes[..]),
            Err(error) => {
                let invalid_code = matches!(error, OuchError::InvalidCode { .. });
                prop_assert!(invalid_code, "{:?}", error);
            }
        }
    }

    #[test]
    fn random_outbound_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        if let Ok(message) = decode_outbound(&bytes) {
            let _ = match message {
                OutboundMessage::SystemEvent(r) => SystemEvent::from_record(r).map(drop),
                OutboundMessage::Accepted(r) => Accepted::from_record(r).map(drop),
                OutboundMessage::Replaced(r) => Replaced::from_record(r).map(drop),
                OutboundMessage::Canceled(r) => Canceled::from_record(r).map(drop),
                OutboundMessage::Executed(r) => Executed::from_record(r).map(drop),
                OutboundMessage::Rejected(r) => Rejected::from_record(r).map(drop),
                OutboundMessage::BrokenTrade(r) => BrokenTrade::from_record(r).map(drop),
                OutboundMessage::PriceCorrection(r) => PriceCorrection::from_record(r).map(drop),
                OutboundMessage::CancelReject(r) => CancelReject::from_record(r).map(drop),
            };
        }
    }
}
