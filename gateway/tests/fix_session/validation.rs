//! Header and body validation: every SessionRejectReason RTES produces,
//! with RefSeqNum (45), RefTagID (371) and RefMsgType (372); the
//! BusinessMessageReject for unsupported types; size limits.

use rtes_gateway::fix::codec::{tags, Encoder};
use rtes_gateway::fix::dictionary::validate_outbound;
use rtes_gateway::fix::session::*;

use crate::support::*;

/// A NewOrderSingle body with `change` applied.
fn order_with(harness: &mut Harness, change: impl FnOnce(&mut Vec<(u32, String)>)) -> Vec<u8> {
    let mut fields = new_order_fields("v");
    change(&mut fields);
    add_fields(harness.next("D"), &fields).bytes()
}

/// Sends `bytes` (MsgSeqNum 2) and checks the Reject and that the number
/// was consumed.
fn expect_reject(
    harness: &mut Harness,
    bytes: &[u8],
    ref_tag: Option<u32>,
    ref_msg_type: &str,
    reason: u32,
) {
    let replies = harness.send(bytes);
    assert_reject(&replies, 2, ref_tag, ref_msg_type, reason);
    assert!(harness.recorder.delivered.is_empty());
    assert_eq!(
        harness.expected(),
        3,
        "a rejected message still advances the expected MsgSeqNum"
    );
    assert!(harness.recorder.has_event("Rejected"));
}

#[test]
fn invalid_tag_number_is_rejected_with_reason_0() {
    let mut harness = Harness::logged_on();
    let bytes = order_with(&mut harness, |fields| fields.push((4999, "x".into())));
    expect_reject(&mut harness, &bytes, Some(4999), "D", 0);
}

#[test]
fn required_tag_missing_is_rejected_with_reason_1() {
    let mut harness = Harness::logged_on();
    let bytes = order_with(&mut harness, |fields| {
        fields.retain(|(tag, _)| *tag != tags::CL_ORD_ID)
    });
    expect_reject(&mut harness, &bytes, Some(tags::CL_ORD_ID), "D", 1);
}

#[test]
fn missing_header_field_is_rejected_with_reason_1() {
    let mut harness = Harness::logged_on();
    let bytes = harness.next("0").without_sending_time().bytes();
    expect_reject(&mut harness, &bytes, Some(tags::SENDING_TIME), "0", 1);
}

#[test]
fn tag_not_defined_for_the_message_is_rejected_with_reason_2() {
    let mut harness = Harness::logged_on();
    let bytes = order_with(&mut harness, |fields| {
        fields.push((tags::TEST_REQ_ID, "x".into()))
    });
    expect_reject(&mut harness, &bytes, Some(tags::TEST_REQ_ID), "D", 2);
}

#[test]
fn tag_without_value_is_rejected_with_reason_4() {
    let mut harness = Harness::logged_on();
    let bytes = order_with(&mut harness, |fields| {
        fields.push((tags::ACCOUNT, String::new()))
    });
    expect_reject(&mut harness, &bytes, Some(tags::ACCOUNT), "D", 4);
}

#[test]
fn value_out_of_range_is_rejected_with_reason_5() {
    let cases: [(u32, &str); 6] = [
        (tags::SIDE, "Z"),
        (tags::ORD_TYPE, "0"),
        (tags::TIME_IN_FORCE, "9"),
        (tags::EXEC_INST, "G 0 T"),
        (tags::HANDL_INST, "4"),
        (tags::SECURITY_ID_SOURCE, "Z"),
    ];
    for (tag, value) in cases {
        let mut harness = Harness::logged_on();
        let bytes = order_with(&mut harness, |fields| {
            fields.retain(|(existing, _)| *existing != tag);
            fields.push((tag, value.into()));
        });
        expect_reject(&mut harness, &bytes, Some(tag), "D", 5);
    }
}

#[test]
fn multiple_value_exec_inst_with_valid_values_is_accepted() {
    let mut harness = Harness::logged_on();
    let bytes = order_with(&mut harness, |fields| {
        fields.push((tags::EXEC_INST, "G 6".into()))
    });
    assert!(harness.send(&bytes).is_empty());
    assert_eq!(harness.delivered_ids(), ["v"]);
}

#[test]
fn wrong_data_format_is_rejected_with_reason_6() {
    let cases: [(u32, &str); 8] = [
        (tags::ORDER_QTY, "abc"),          // Qty
        (tags::PRICE, "1.2.3"),            // Price
        (tags::TRANSACT_TIME, "20261123"), // UTCTimestamp
        (tags::MIN_QTY, "-"),              // Qty
        (tags::SIDE, "12"),                // Char
        (tags::EXPIRE_TIME, "yesterday"),  // UTCTimestamp
        (tags::MAX_FLOOR, "1e5"),          // Qty
        (114, "X"),                        // LocateReqd: Boolean
    ];
    for (tag, value) in cases {
        let mut harness = Harness::logged_on();
        let bytes = order_with(&mut harness, |fields| {
            fields.retain(|(existing, _)| *existing != tag);
            fields.push((tag, value.into()));
        });
        expect_reject(&mut harness, &bytes, Some(tag), "D", 6);
    }
}

#[test]
fn int_and_seqnum_formats_are_checked() {
    let mut harness = Harness::logged_on();
    let bytes = harness
        .next("2")
        .fields(&[(tags::BEGIN_SEQ_NO, "one"), (tags::END_SEQ_NO, "0")])
        .bytes();
    expect_reject(&mut harness, &bytes, Some(tags::BEGIN_SEQ_NO), "2", 6);
    let mut harness = Harness::logged_on();
    let bytes = harness
        .next("V")
        .fields(&[
            (tags::MD_REQ_ID, "m"),
            (tags::SUBSCRIPTION_REQUEST_TYPE, "1"),
            (tags::MARKET_DEPTH, "-1"),
            (tags::NO_MD_ENTRY_TYPES, "1"),
            (tags::MD_ENTRY_TYPE, "0"),
            (tags::NO_RELATED_SYM, "1"),
            (tags::SYMBOL, "AAPL"),
        ])
        .bytes();
    expect_reject(&mut harness, &bytes, Some(tags::MARKET_DEPTH), "V", 5);
}

#[test]
fn comp_id_problem_is_rejected_with_reason_9_then_logged_out() {
    let mut harness = Harness::logged_on();
    let bytes = harness.next("0").comp_ids("CLIENT", "SOMEONE-ELSE").bytes();
    let replies = harness.send(&bytes);
    assert_eq!(types(&replies), ["3", "5"]);
    assert_reject(&replies, 2, None, "0", 9);
    assert_eq!(replies[1].get(tags::TEXT), Some("CompID problem"));
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::CompIdProblem)
    );
}

#[test]
fn sending_time_out_of_tolerance_is_rejected_with_reason_10_then_logged_out() {
    let mut harness = Harness::logged_on();
    let stale = harness.next("0").bytes();
    harness.now = harness.now.plus_ns(121 * SECOND_NS);
    let replies = harness.send(&stale);
    assert_eq!(types(&replies), ["3", "5"]);
    assert_reject(&replies, 2, Some(tags::SENDING_TIME), "0", 10);
    assert_eq!(
        replies[1].get(tags::TEXT),
        Some("SendingTime accuracy problem")
    );
    assert_eq!(harness.session.state(), SessionState::LogoutSent);
    assert_eq!(harness.expected(), 3);
    // Within tolerance (120 s) is fine.
    let mut harness = Harness::logged_on();
    let recent = harness.next("0").bytes();
    harness.now = harness.now.plus_ns(120 * SECOND_NS);
    assert!(harness.send(&recent).is_empty());
}

#[test]
fn invalid_msg_type_is_rejected_with_reason_11() {
    let mut harness = Harness::logged_on();
    let bytes = harness.next("ZZ").bytes();
    expect_reject(&mut harness, &bytes, None, "ZZ", 11);
}

#[test]
fn tag_appearing_twice_is_rejected_with_reason_13() {
    let mut harness = Harness::logged_on();
    let bytes = order_with(&mut harness, |fields| {
        fields.push((tags::SYMBOL, "MSFT".into()))
    });
    expect_reject(&mut harness, &bytes, Some(tags::SYMBOL), "D", 13);
}

#[test]
fn header_field_after_the_body_is_rejected_with_reason_14() {
    let mut harness = Harness::logged_on();
    let bytes = order_with(&mut harness, |fields| {
        fields.push((tags::SENDER_SUB_ID, "desk".into()))
    });
    expect_reject(&mut harness, &bytes, Some(tags::SENDER_SUB_ID), "D", 14);
}

#[test]
fn group_count_mismatch_is_rejected_with_reason_16() {
    let mut harness = Harness::logged_on();
    let bytes = order_with(&mut harness, |fields| {
        fields.extend([
            (tags::NO_PARTY_IDS, "2".into()),
            (tags::PARTY_ID, "firm".into()),
            (tags::PARTY_ID_SOURCE, "D".into()),
            (tags::PARTY_ROLE, "1".into()),
        ])
    });
    expect_reject(&mut harness, &bytes, Some(tags::NO_PARTY_IDS), "D", 16);
}

#[test]
fn repeating_group_members_may_repeat_across_instances() {
    let mut harness = Harness::logged_on();
    let bytes = order_with(&mut harness, |fields| {
        fields.extend([
            (tags::NO_PARTY_IDS, "2".into()),
            (tags::PARTY_ID, "firm".into()),
            (tags::PARTY_ID_SOURCE, "D".into()),
            (tags::PARTY_ROLE, "1".into()),
            (tags::PARTY_ID, "trader".into()),
            (tags::PARTY_ROLE, "11".into()),
        ])
    });
    assert!(harness.send(&bytes).is_empty());
    assert_eq!(harness.delivered_ids(), ["v"]);
}

#[test]
fn a_member_repeated_inside_one_group_instance_is_rejected_with_reason_13() {
    let mut harness = Harness::logged_on();
    let bytes = order_with(&mut harness, |fields| {
        fields.extend([
            (tags::NO_PARTY_IDS, "1".into()),
            (tags::PARTY_ID, "firm".into()),
            (tags::PARTY_ROLE, "1".into()),
            (tags::PARTY_ROLE, "3".into()),
        ])
    });
    expect_reject(&mut harness, &bytes, Some(tags::PARTY_ROLE), "D", 13);
}

#[test]
fn market_data_request_groups_validate() {
    let mut harness = Harness::logged_on();
    let bytes = harness
        .next("V")
        .fields(&[
            (tags::MD_REQ_ID, "m"),
            (tags::SUBSCRIPTION_REQUEST_TYPE, "1"),
            (tags::MARKET_DEPTH, "0"),
            (tags::MD_UPDATE_TYPE, "1"),
            (tags::NO_MD_ENTRY_TYPES, "2"),
            (tags::MD_ENTRY_TYPE, "0"),
            (tags::MD_ENTRY_TYPE, "1"),
            (tags::NO_RELATED_SYM, "2"),
            (tags::SYMBOL, "AAPL"),
            (tags::SYMBOL, "MSFT"),
        ])
        .bytes();
    assert!(harness.send(&bytes).is_empty());
    assert_eq!(harness.recorder.delivered.len(), 1);
    let mut harness = Harness::logged_on();
    let bytes = harness
        .next("V")
        .fields(&[
            (tags::MD_REQ_ID, "m"),
            (tags::SUBSCRIPTION_REQUEST_TYPE, "3"),
            (tags::MARKET_DEPTH, "0"),
            (tags::NO_MD_ENTRY_TYPES, "1"),
            (tags::MD_ENTRY_TYPE, "0"),
            (tags::NO_RELATED_SYM, "1"),
            (tags::SYMBOL, "AAPL"),
        ])
        .bytes();
    expect_reject(
        &mut harness,
        &bytes,
        Some(tags::SUBSCRIPTION_REQUEST_TYPE),
        "V",
        5,
    );
}

#[test]
fn user_defined_tags_are_accepted_and_ignored() {
    let mut harness = Harness::logged_on();
    let bytes = order_with(&mut harness, |fields| {
        fields.push((5001, "anything".into()))
    });
    assert!(harness.send(&bytes).is_empty());
    assert_eq!(harness.delivered_ids(), ["v"]);
}

#[test]
fn unsupported_valid_msg_type_gets_a_business_message_reject() {
    let mut harness = Harness::logged_on();
    let bytes = harness
        .next("E")
        .fields(&[(66, "list"), (394, "1")])
        .bytes();
    let replies = harness.send(&bytes);
    assert_eq!(types(&replies), ["j"]);
    let reject = &replies[0];
    assert_eq!(reject.get_u64(tags::REF_SEQ_NUM), Some(2));
    assert_eq!(reject.get(tags::REF_MSG_TYPE), Some("E"));
    assert_eq!(reject.get_u64(tags::BUSINESS_REJECT_REASON), Some(3));
    assert_eq!(reject.get(tags::TEXT), Some("Unsupported Message Type"));
    assert!(harness.recorder.delivered.is_empty());
    assert_eq!(harness.expected(), 3);
    // An application message: stored, so a resend replays it.
    assert!(harness.session.store().sent(reject.seq()).is_some());
    // A type RTES only sends is unsupported inbound too.
    let bytes = harness.next("8").bytes();
    assert_eq!(types(&harness.send(&bytes)), ["j"]);
}

#[test]
fn oversize_message_is_logged_out() {
    let mut settings = settings();
    settings.max_message_bytes = 256;
    let mut harness = Harness::new(settings);
    let logon = harness.logon().bytes();
    harness.send(&logon);
    let bytes = harness
        .next("0")
        .field(tags::TEST_REQ_ID, &"x".repeat(300))
        .bytes();
    // Refused as soon as the header announces the size.
    let (consumed, replies) = harness.feed(&bytes[..40]);
    assert_eq!(consumed, 40);
    assert_eq!(types(&replies), ["5"]);
    assert!(replies[0]
        .get(tags::TEXT)
        .unwrap()
        .contains("exceeds the limit of 256"));
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::MessageTooLarge)
    );
}

#[test]
fn too_many_fields_is_logged_out() {
    let mut settings = settings();
    settings.max_fields = 20;
    let mut harness = Harness::new(settings);
    let logon = harness.logon().bytes();
    harness.send(&logon);
    let mut build = harness.next("D");
    for index in 0..20 {
        build = build.field(5000 + index, "x");
    }
    let replies = harness.send(&build.bytes());
    assert_eq!(types(&replies), ["5"]);
    assert_eq!(
        replies[0].get(tags::TEXT),
        Some("Message has more than 20 fields")
    );
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::TooManyFields)
    );
}

#[test]
fn conditionally_required_price_is_data_for_the_application() {
    use rtes_gateway::fix::codec::Decoder;
    use rtes_gateway::fix::dictionary::missing_conditional_field;
    let mut fields = new_order_fields("c");
    fields.retain(|(tag, _)| *tag != tags::PRICE);
    let bytes = add_fields(Build::new("D", 2, T0_UTC_NS), &fields).bytes();
    let mut decoder = Decoder::new(64);
    let message = decoder.decode(&bytes).unwrap();
    assert_eq!(missing_conditional_field(&message), Some(tags::PRICE));
}

/// Everything RTES sends validates against the dictionary (the harness
/// checks every reply; these are the application messages the order and
/// market-data layers will send).
#[test]
fn outbound_application_messages_validate() {
    type Body = fn(&mut Encoder);
    let bodies: [(&str, Body); 11] = [
        ("8", |encoder| execution_report(encoder, b"c", T0_UTC_NS)),
        ("9", |encoder| {
            encoder.field_bytes(tags::ORDER_ID, b"NONE");
            encoder.field_bytes(tags::CL_ORD_ID, b"c2");
            encoder.field_bytes(tags::ORIG_CL_ORD_ID, b"c1");
            encoder.field_char(tags::ORD_STATUS, b'8');
            encoder.field_char(tags::CXL_REJ_RESPONSE_TO, b'1');
            encoder.field_u64(tags::CXL_REJ_REASON, 1);
            encoder.field_bytes(tags::TEXT, b"unknown order");
        }),
        ("r", |encoder| {
            encoder.field_bytes(tags::CL_ORD_ID, b"m");
            encoder.field_bytes(tags::ORDER_ID, b"m-1");
            encoder.field_char(tags::MASS_CANCEL_REQUEST_TYPE, b'7');
            encoder.field_char(tags::MASS_CANCEL_RESPONSE, b'7');
            encoder.field_u64(tags::TOTAL_AFFECTED_ORDERS, 3);
        }),
        ("j", |encoder| {
            encoder.field_u64(tags::REF_SEQ_NUM, 9);
            encoder.field_bytes(tags::REF_MSG_TYPE, b"D");
            encoder.field_u64(tags::BUSINESS_REJECT_REASON, 2);
            encoder.field_bytes(tags::TEXT, b"unknown security");
        }),
        ("W", |encoder| {
            encoder.field_bytes(tags::MD_REQ_ID, b"m");
            encoder.field_bytes(tags::SYMBOL, b"AAPL");
            encoder.field_u64(tags::NO_MD_ENTRIES, 2);
            encoder.field_char(tags::MD_ENTRY_TYPE, b'0');
            encoder.field_decimal(tags::MD_ENTRY_PX, 1_902_500, 4);
            encoder.field_u64(tags::MD_ENTRY_SIZE, 100);
            encoder.field_char(tags::MD_ENTRY_TYPE, b'1');
            encoder.field_decimal(tags::MD_ENTRY_PX, 1_903_000, 4);
            encoder.field_u64(tags::MD_ENTRY_SIZE, 200);
        }),
        ("X", |encoder| {
            encoder.field_bytes(tags::MD_REQ_ID, b"m");
            encoder.field_u64(tags::NO_MD_ENTRIES, 1);
            encoder.field_char(tags::MD_UPDATE_ACTION, b'0');
            encoder.field_char(tags::MD_ENTRY_TYPE, b'0');
            encoder.field_bytes(tags::SYMBOL, b"AAPL");
            encoder.field_decimal(tags::MD_ENTRY_PX, 1_902_500, 4);
            encoder.field_u64(tags::MD_ENTRY_SIZE, 100);
        }),
        ("Y", |encoder| {
            encoder.field_bytes(tags::MD_REQ_ID, b"m");
            encoder.field_char(tags::MD_REQ_REJ_REASON, b'0');
        }),
        ("y", |encoder| {
            encoder.field_bytes(tags::SECURITY_REQ_ID, b"s");
            encoder.field_bytes(tags::SECURITY_RESPONSE_ID, b"s-1");
            encoder.field_u64(tags::SECURITY_REQUEST_RESULT, 0);
            encoder.field_u64(tags::NO_RELATED_SYM, 1);
            encoder.field_bytes(tags::SYMBOL, b"AAPL");
            encoder.field_u64(tags::ROUND_LOT, 100);
        }),
        ("h", |encoder| {
            encoder.field_bytes(tags::TRADING_SESSION_ID, b"1");
            encoder.field_u64(tags::TRAD_SES_STATUS, 2);
        }),
        ("S", |encoder| {
            encoder.field_bytes(tags::QUOTE_ID, b"q");
            encoder.field_bytes(tags::SYMBOL, b"AAPL");
            encoder.field_decimal(tags::BID_PX, 1_902_500, 4);
            encoder.field_decimal(tags::OFFER_PX, 1_903_000, 4);
        }),
        ("AG", |encoder| {
            encoder.field_bytes(tags::QUOTE_REQ_ID, b"q");
            encoder.field_u64(tags::QUOTE_REQUEST_REJECT_REASON, 1);
            encoder.field_u64(tags::NO_RELATED_SYM, 1);
            encoder.field_bytes(tags::SYMBOL, b"AAPL");
        }),
    ];
    let mut harness = Harness::logged_on();
    for (msg_type, body) in bodies {
        let mut output = Vec::new();
        harness
            .session
            .send_application(msg_type.as_bytes(), harness.now, &mut output, body)
            .unwrap();
        if let Err(error) = validate_outbound(&output) {
            panic!(
                "{msg_type}: {error}: {}",
                String::from_utf8_lossy(&output).replace('\x01', "|")
            );
        }
    }
}
