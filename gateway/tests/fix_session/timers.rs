//! Heartbeat, TestRequest and silence, on simulated time.

use rtes_gateway::fix::codec::tags;
use rtes_gateway::fix::session::*;

use crate::support::*;

#[test]
fn we_send_a_heartbeat_after_heart_bt_int_of_our_silence() {
    let mut harness = Harness::logged_on();
    let start = harness.now.monotonic_ns;
    assert_eq!(
        harness.session.next_deadline_ns(),
        Some(start + 30 * SECOND_NS)
    );
    // Their traffic does not count as ours.
    harness.wait(20 * SECOND_NS);
    let heartbeat = harness.next("0").bytes();
    harness.send(&heartbeat);
    assert!(harness.wait(9 * SECOND_NS).is_empty());
    let replies = harness.wait(SECOND_NS);
    assert_eq!(types(&replies), ["0"]);
    assert_eq!(replies[0].get(tags::TEST_REQ_ID), None);
    // Next: their silence reaches 1.2 x 30 s at 20 + 36 = 56 s.
    assert_eq!(
        harness.session.next_deadline_ns(),
        Some(start + 56 * SECOND_NS)
    );
}

#[test]
fn their_silence_brings_a_test_request_then_a_disconnect() {
    let mut harness = Harness::logged_on();
    let start = harness.now.monotonic_ns;
    let mut output_types = Vec::new();
    // Step a second at a time, like a caller's timer wheel would.
    while harness.session.wants_disconnect().is_none() {
        let replies = harness.wait(SECOND_NS);
        for reply in &replies {
            output_types.push((
                reply.msg_type().to_string(),
                (harness.now.monotonic_ns - start) / SECOND_NS,
            ));
        }
        assert!(harness.now.monotonic_ns - start <= 100 * SECOND_NS);
    }
    assert_eq!(
        output_types,
        [("0".to_string(), 30), ("1".to_string(), 36)],
        "heartbeat at 30 s, TestRequest at 1.2 x 30 s, no heartbeat while it is pending"
    );
    assert_eq!(
        (harness.now.monotonic_ns - start) / SECOND_NS,
        72,
        "disconnect at 2.4 x 30 s"
    );
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::HeartbeatTimeout)
    );
}

#[test]
fn an_answer_to_our_test_request_keeps_the_session() {
    let mut harness = Harness::logged_on();
    let replies = harness.wait(36 * SECOND_NS);
    assert_eq!(types(&replies), ["1"]);
    let id = replies[0].get(tags::TEST_REQ_ID).unwrap().to_string();
    let answer = harness.next("0").field(tags::TEST_REQ_ID, &id).bytes();
    harness.send(&answer);
    harness.wait(36 * SECOND_NS);
    assert_eq!(harness.session.wants_disconnect(), None);
    assert_eq!(harness.session.state(), SessionState::Active);
}

#[test]
fn no_deadline_while_disconnected() {
    let mut harness = Harness::logged_on();
    harness.session.on_disconnect(harness.now);
    assert_eq!(harness.session.next_deadline_ns(), None);
    assert!(harness.wait(1000 * SECOND_NS).is_empty());
}
