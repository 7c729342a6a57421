//! MsgSeqNum rules: garbled input, gaps, duplicates, SequenceReset.

use rtes_gateway::fix::codec::tags;
use rtes_gateway::fix::session::*;

use crate::support::*;

/// Ways to garble a valid message; each must be ignored without advancing
/// the expected MsgSeqNum, and the next good message must be processed.
/// A named way to damage a message.
type Garbling = (&'static str, fn(Vec<u8>) -> Vec<u8>);

fn garblings() -> Vec<Garbling> {
    vec![
        ("bad checksum", |mut bytes| {
            let at = bytes.len() - 2;
            bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
            bytes
        }),
        ("body length too short", |bytes| {
            change_body_length(bytes, -3)
        }),
        ("body length too long", |bytes| change_body_length(bytes, 3)),
        ("no 8=", |bytes| bytes[2..].to_vec()),
        ("non-numeric tag", |bytes| {
            let changed = replace_once(&bytes, b"\x0111=", b"\x011x=");
            with_checksum(&changed[..changed.len() - 7])
        }),
        ("missing SOH", |bytes| {
            let text = String::from_utf8(bytes).unwrap();
            let at = text.find("\x0155=").unwrap();
            let mut changed = text.into_bytes();
            changed.remove(at);
            changed
        }),
        ("first fields out of order", |bytes| {
            // 35 moved after 49: BodyLength and CheckSum still right.
            let text = String::from_utf8(bytes).unwrap();
            let msg_type_start = text.find("\x0135=").unwrap() + 1;
            let msg_type_end = msg_type_start + text[msg_type_start..].find('\x01').unwrap() + 1;
            let msg_type = text[msg_type_start..msg_type_end].to_string();
            let mut rest = format!("{}{}", &text[..msg_type_start], &text[msg_type_end..]);
            let sender_end = rest.find("\x0149=").unwrap() + 1;
            let sender_end = sender_end + rest[sender_end..].find('\x01').unwrap() + 1;
            rest.insert_str(sender_end, &msg_type);
            with_checksum(&rest.as_bytes()[..rest.len() - 7])
        }),
    ]
}

/// The message with BodyLength off by `delta` (CheckSum recomputed).
fn change_body_length(bytes: Vec<u8>, delta: i64) -> Vec<u8> {
    let text = String::from_utf8(bytes).unwrap();
    let start = text.find("\x019=").unwrap() + 3;
    let end = start + text[start..].find('\x01').unwrap();
    let length: i64 = text[start..end].parse().unwrap();
    let changed = format!("{}{}{}", &text[..start], length + delta, &text[end..]);
    with_checksum(&changed.as_bytes()[..changed.len() - 7])
}

fn replace_once(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = bytes
        .windows(from.len())
        .position(|window| window == from)
        .unwrap();
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(to);
    out.extend_from_slice(&bytes[at + from.len()..]);
    out
}

#[test]
fn garbled_messages_are_ignored_without_advancing_the_sequence() {
    for (name, garble) in garblings() {
        let mut harness = Harness::logged_on();
        let garbled = garble(harness.order("garbled").bytes());
        harness.client_seq -= 1; // the garbled message's number is reused
        let good = harness.order("good").bytes();
        let mut stream = garbled;
        stream.extend_from_slice(&good);
        let (consumed, replies) = harness.feed(&stream);
        assert_eq!(consumed, stream.len(), "{name}");
        assert!(replies.is_empty(), "{name}: {replies:?}");
        assert_eq!(harness.delivered_ids(), ["good"], "{name}");
        assert_eq!(harness.expected(), 3, "{name}");
        assert!(harness.recorder.has_event("Garbled"), "{name}");
    }
}

#[test]
fn too_high_queues_asks_once_and_delivers_in_order_after_the_gap_fill() {
    let mut harness = Harness::logged_on();
    // Client messages 2 and 3 are lost; 4 and 5 arrive.
    harness.client_seq = 4;
    let fourth = harness.order("four").bytes();
    let fifth = harness.order("five").bytes();
    let replies = harness.send(&fourth);
    assert_eq!(types(&replies), ["2"]);
    assert_eq!(replies[0].get_u64(tags::BEGIN_SEQ_NO), Some(2));
    assert_eq!(replies[0].get_u64(tags::END_SEQ_NO), Some(0));
    assert!(
        harness.send(&fifth).is_empty(),
        "no second ResendRequest for the same gap"
    );
    assert!(harness
        .recorder
        .has_event("GapDetected { expected: 2, received: 5 }"));
    assert!(harness.recorder.delivered.is_empty());
    assert_eq!(harness.expected(), 2);

    // The client resends 2 (an order) and gap-fills 3.
    let resent = add_fields(
        harness.numbered("D", 2).poss_dup(harness.now.utc_ns),
        &new_order_fields("two"),
    )
    .bytes();
    harness.send(&resent);
    assert_eq!(harness.delivered_ids(), ["two"]);
    let gap_fill = harness
        .numbered("4", 3)
        .poss_dup(harness.now.utc_ns)
        .fields(&[(tags::GAP_FILL_FLAG, "Y"), (tags::NEW_SEQ_NO, "4")])
        .bytes();
    harness.send(&gap_fill);
    assert_eq!(harness.delivered_ids(), ["two", "four", "five"]);
    assert_eq!(harness.expected(), 6);
    // A new gap later is asked for again.
    harness.client_seq = 8;
    let eighth = harness.order("eight").bytes();
    assert_eq!(types(&harness.send(&eighth)), ["2"]);
}

#[test]
fn gap_queue_is_bounded() {
    let mut settings = settings();
    settings.max_message_bytes = 512;
    settings.max_queued_bytes = 600;
    let mut harness = Harness::new(settings);
    let logon = harness.logon().bytes();
    harness.send(&logon);
    harness.client_seq = 10;
    let mut replies = Vec::new();
    for index in 0..5 {
        let order = harness.order(&format!("queued-{index}")).bytes();
        replies.extend(harness.send(&order));
    }
    assert_eq!(types(&replies), ["2", "5"]);
    assert_eq!(
        replies[1].get(tags::TEXT),
        Some("Too many messages queued behind a sequence gap")
    );
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::QueueFull)
    );
}

#[test]
fn too_low_without_poss_dup_is_logged_out() {
    let mut harness = Harness::logged_on();
    let order = harness.order("two").bytes();
    harness.send(&order);
    let again = harness.numbered("0", 2).bytes();
    let replies = harness.send(&again);
    assert_eq!(types(&replies), ["5"]);
    assert_eq!(
        replies[0].get(tags::TEXT),
        Some("MsgSeqNum too low, expecting 3 but received 2")
    );
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::SequenceTooLow)
    );
}

#[test]
fn poss_dup_duplicate_is_ignored() {
    let mut harness = Harness::logged_on();
    let order = harness.order("two").bytes();
    harness.send(&order);
    let duplicate = add_fields(
        harness.numbered("D", 2).poss_dup(harness.now.utc_ns),
        &new_order_fields("two"),
    )
    .bytes();
    assert!(harness.send(&duplicate).is_empty());
    assert_eq!(harness.delivered_ids(), ["two"]);
    assert_eq!(harness.expected(), 3);
    assert_eq!(harness.session.state(), SessionState::Active);
}

#[test]
fn poss_dup_without_orig_sending_time_is_rejected() {
    let mut harness = Harness::logged_on();
    let order = add_fields(
        harness.next("D").header_field(tags::POSS_DUP_FLAG, "Y"),
        &new_order_fields("x"),
    )
    .bytes();
    let replies = harness.send(&order);
    assert_reject(&replies, 2, Some(tags::ORIG_SENDING_TIME), "D", 1);
    assert!(harness.recorder.delivered.is_empty());
    assert_eq!(
        harness.expected(),
        3,
        "a rejected message is still received"
    );
}

#[test]
fn orig_sending_time_after_sending_time_is_rejected_and_logged_out() {
    let mut harness = Harness::logged_on();
    let later = harness.now.utc_ns + 5 * SECOND_NS;
    let order = add_fields(harness.next("D").poss_dup(later), &new_order_fields("x")).bytes();
    let replies = harness.send(&order);
    assert_eq!(types(&replies), ["3", "5"]);
    assert_reject(&replies, 2, Some(tags::ORIG_SENDING_TIME), "D", 10);
    assert_eq!(harness.session.state(), SessionState::LogoutSent);
    assert_eq!(harness.expected(), 3);
}

#[test]
fn missing_msg_seq_num_is_logged_out() {
    let mut harness = Harness::logged_on();
    let heartbeat = harness.next("0").without_seq().bytes();
    let replies = harness.send(&heartbeat);
    assert_eq!(types(&replies), ["5"]);
    assert_eq!(
        replies[0].get(tags::TEXT),
        Some("MsgSeqNum (34) missing or not a positive number")
    );
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::MissingSequenceNumber)
    );
}

#[test]
fn sequence_reset_reset_mode_ignores_msg_seq_num_and_moves_forward_only() {
    let mut harness = Harness::logged_on();
    // Any MsgSeqNum; NewSeqNo above the expected number moves it.
    let reset = harness
        .numbered("4", 999)
        .field(tags::NEW_SEQ_NO, "10")
        .bytes();
    assert!(harness.send(&reset).is_empty());
    assert_eq!(harness.expected(), 10);
    assert!(harness
        .recorder
        .has_event("SequenceReset { new_seq: 10, gap_fill: false }"));
    // Equal: nothing happens.
    let same = harness
        .numbered("4", 1)
        .fields(&[(tags::GAP_FILL_FLAG, "N"), (tags::NEW_SEQ_NO, "10")])
        .bytes();
    assert!(harness.send(&same).is_empty());
    assert_eq!(harness.expected(), 10);
    // Lower: Reject 373=5 on NewSeqNo, the number is not consumed.
    let lower = harness
        .numbered("4", 10)
        .field(tags::NEW_SEQ_NO, "3")
        .bytes();
    let replies = harness.send(&lower);
    assert_reject(&replies, 10, Some(tags::NEW_SEQ_NO), "4", 5);
    assert_eq!(harness.expected(), 10);
}

#[test]
fn sequence_reset_gap_fill_must_move_past_its_own_number() {
    let mut harness = Harness::logged_on();
    let bad = harness
        .numbered("4", 2)
        .fields(&[(tags::GAP_FILL_FLAG, "Y"), (tags::NEW_SEQ_NO, "2")])
        .bytes();
    let replies = harness.send(&bad);
    assert_reject(&replies, 2, Some(tags::NEW_SEQ_NO), "4", 5);
    assert_eq!(harness.expected(), 2);
    let good = harness
        .numbered("4", 2)
        .fields(&[(tags::GAP_FILL_FLAG, "Y"), (tags::NEW_SEQ_NO, "7")])
        .bytes();
    assert!(harness.send(&good).is_empty());
    assert_eq!(harness.expected(), 7);
    assert!(harness
        .recorder
        .has_event("SequenceReset { new_seq: 7, gap_fill: true }"));
}

#[test]
fn sequence_reset_gap_fill_too_high_is_queued_like_any_message() {
    let mut harness = Harness::logged_on();
    let gap_fill = harness
        .numbered("4", 4)
        .fields(&[(tags::GAP_FILL_FLAG, "Y"), (tags::NEW_SEQ_NO, "9")])
        .bytes();
    assert_eq!(types(&harness.send(&gap_fill)), ["2"]);
    assert_eq!(harness.expected(), 2);
    let fill = harness
        .numbered("4", 2)
        .poss_dup(harness.now.utc_ns)
        .fields(&[(tags::GAP_FILL_FLAG, "Y"), (tags::NEW_SEQ_NO, "4")])
        .bytes();
    harness.send(&fill);
    assert_eq!(harness.expected(), 9);
}

#[test]
fn resend_request_with_msg_seq_num_too_high_is_answered_first() {
    let mut harness = Harness::logged_on();
    harness.send_execution_report("ours");
    let request = harness
        .numbered("2", 5)
        .fields(&[(tags::BEGIN_SEQ_NO, "2"), (tags::END_SEQ_NO, "0")])
        .bytes();
    let replies = harness.send(&request);
    assert_eq!(
        types(&replies),
        ["8", "2"],
        "resend first, then our own request"
    );
    assert_eq!(replies[0].get(tags::POSS_DUP_FLAG), Some("Y"));
    // Filling 2..=4 passes over the already answered request (5).
    let fill = harness
        .numbered("4", 2)
        .poss_dup(harness.now.utc_ns)
        .fields(&[(tags::GAP_FILL_FLAG, "Y"), (tags::NEW_SEQ_NO, "5")])
        .bytes();
    assert!(harness.send(&fill).is_empty());
    assert_eq!(harness.expected(), 6);
}

#[test]
fn test_request_is_answered_with_its_test_req_id() {
    let mut harness = Harness::logged_on();
    let request = harness.next("1").field(tags::TEST_REQ_ID, "ping-7").bytes();
    let replies = harness.send(&request);
    assert_eq!(types(&replies), ["0"]);
    assert_eq!(replies[0].get(tags::TEST_REQ_ID), Some("ping-7"));
    assert_eq!(harness.expected(), 3);
}

#[test]
fn inbound_reject_is_reported_and_consumes_its_number() {
    let mut harness = Harness::logged_on();
    let reject = harness
        .next("3")
        .fields(&[
            (tags::REF_SEQ_NUM, "1"),
            (tags::SESSION_REJECT_REASON, "5"),
            (tags::TEXT, "no"),
        ])
        .bytes();
    assert!(harness.send(&reject).is_empty());
    assert!(harness
        .recorder
        .has_event("RejectReceived { ref_seq: Some(1), reason: Some(5)"));
    assert_eq!(harness.expected(), 3);
}

#[test]
fn store_failure_disconnects() {
    let mut harness = Harness::logged_on();
    harness.session.store_mut().fail_next_write();
    let heartbeat = harness.next("0").bytes();
    harness.send(&heartbeat);
    assert!(harness.recorder.has_event("StoreFailed"));
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::StoreFailure)
    );
}
