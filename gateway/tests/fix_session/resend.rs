//! Answering ResendRequest from the store.

use rtes_gateway::fix::codec::{parse_utc_timestamp, tags};

use crate::support::*;

#[test]
fn resend_request_replays_application_messages_and_gap_fills_admin_runs() {
    let mut harness = Harness::logged_on(); // our 1: Logon
    let (two, _) = harness.send_execution_report("a"); // 2
    let original_sending_time = harness
        .sent
        .last()
        .unwrap()
        .get(tags::SENDING_TIME)
        .unwrap()
        .to_string();
    harness.wait(2 * SECOND_NS);
    harness.send_execution_report("b"); // 3
                                        // 4 and 5: heartbeats (our silence), answered by client heartbeats.
    for _ in 0..2 {
        let replies = harness.wait(30 * SECOND_NS);
        assert_eq!(types(&replies), ["0"]);
        let heartbeat = harness.next("0").bytes();
        harness.send(&heartbeat);
    }
    harness.send_execution_report("c"); // 6
    assert_eq!(two, 2);
    assert_eq!(harness.next_sender(), 7);

    harness.wait(SECOND_NS);
    let request = harness
        .next("2")
        .fields(&[(tags::BEGIN_SEQ_NO, "1"), (tags::END_SEQ_NO, "0")])
        .bytes();
    let replies = harness.send(&request);
    let summary: Vec<_> = replies
        .iter()
        .map(|reply| {
            (
                reply.msg_type().to_string(),
                reply.seq(),
                reply.get_u64(tags::NEW_SEQ_NO),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("4".to_string(), 1, Some(2)),
            ("8".to_string(), 2, None),
            ("8".to_string(), 3, None),
            ("4".to_string(), 4, Some(6)),
            ("8".to_string(), 6, None),
        ]
    );
    for reply in &replies {
        assert_eq!(reply.get(tags::POSS_DUP_FLAG), Some("Y"));
        assert!(reply.get(tags::ORIG_SENDING_TIME).is_some());
    }
    for gap_fill in replies.iter().filter(|reply| reply.msg_type() == "4") {
        assert_eq!(gap_fill.get(tags::GAP_FILL_FLAG), Some("Y"));
    }
    let resent = &replies[1];
    assert_eq!(
        resent.get(tags::ORIG_SENDING_TIME),
        Some(original_sending_time.as_str())
    );
    let new_sending_time =
        parse_utc_timestamp(resent.get(tags::SENDING_TIME).unwrap().as_bytes()).unwrap();
    assert_eq!(new_sending_time, harness.now.utc_ns);
    assert_eq!(resent.get(tags::CL_ORD_ID), Some("a"));
    assert!(harness
        .recorder
        .has_event("ResendRequested { begin: 1, end: 0 }"));
    // Resending sequences nothing new.
    assert_eq!(harness.next_sender(), 7);
}

#[test]
fn resend_request_with_an_end_stops_there_and_a_trailing_admin_run_is_filled() {
    let mut harness = Harness::logged_on(); // 1 Logon
    harness.send_execution_report("a"); // 2
    harness.wait(30 * SECOND_NS); // 3 Heartbeat
    harness.send_execution_report("b"); // 4
    let request = harness
        .next("2")
        .fields(&[(tags::BEGIN_SEQ_NO, "2"), (tags::END_SEQ_NO, "3")])
        .bytes();
    let replies = harness.send(&request);
    let summary: Vec<_> = replies
        .iter()
        .map(|reply| (reply.msg_type().to_string(), reply.seq()))
        .collect();
    assert_eq!(summary, [("8".to_string(), 2), ("4".to_string(), 3)]);
    assert_eq!(replies[1].get_u64(tags::NEW_SEQ_NO), Some(4));
}

#[test]
fn resend_request_beyond_what_was_sent_sends_nothing() {
    let mut harness = Harness::logged_on();
    let request = harness
        .next("2")
        .fields(&[(tags::BEGIN_SEQ_NO, "50"), (tags::END_SEQ_NO, "0")])
        .bytes();
    assert!(harness.send(&request).is_empty());
    assert_eq!(harness.expected(), 3);
}

#[test]
fn messages_sent_while_not_logged_on_are_stored_and_recovered() {
    let mut harness = Harness::logged_on();
    harness.session.on_disconnect(harness.now);
    let (seq, written) = harness.send_execution_report("offline");
    assert_eq!(seq, 2);
    assert!(
        written.is_empty(),
        "nothing is written without a logged-on peer"
    );
    harness.session.on_connect(harness.now);
    let logon = harness.logon().bytes();
    let replies = harness.send(&logon);
    assert_eq!(
        replies[0].seq(),
        3,
        "the client now sees a gap in our numbers"
    );
    let request = harness
        .next("2")
        .fields(&[(tags::BEGIN_SEQ_NO, "2"), (tags::END_SEQ_NO, "0")])
        .bytes();
    let replies = harness.send(&request);
    assert_eq!(types(&replies), ["8", "4"]);
    assert_eq!(replies[0].get(tags::CL_ORD_ID), Some("offline"));
    assert_eq!(replies[1].seq(), 3);
    assert_eq!(replies[1].get_u64(tags::NEW_SEQ_NO), Some(4));
}

#[test]
fn application_replies_from_the_handler_are_sequenced_and_stored() {
    let mut harness = Harness::logged_on();
    harness.recorder.acknowledge_orders = true;
    let order = harness.order("ack-me").bytes();
    let replies = harness.send(&order);
    assert_eq!(types(&replies), ["8"]);
    assert_eq!(replies[0].seq(), 2);
    assert_eq!(replies[0].get(tags::CL_ORD_ID), Some("ack-me"));
    assert_eq!(harness.session.store().sent(2), Some(&replies[0].bytes[..]));
}
