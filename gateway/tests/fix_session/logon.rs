//! Logon and logout.

use rtes_gateway::fix::codec::tags;
use rtes_gateway::fix::session::*;

use crate::support::*;

#[test]
fn logon_is_answered_with_logon_echoing_heart_bt_int_and_logout_with_logout() {
    let mut harness = Harness::new(settings());
    let logon = harness.logon().bytes();
    let replies = harness.send(&logon);
    assert_eq!(types(&replies), ["A"]);
    let reply = &replies[0];
    assert_eq!(reply.seq(), 1);
    assert_eq!(reply.get(tags::HEART_BT_INT), Some("30"));
    assert_eq!(reply.get(tags::ENCRYPT_METHOD), Some("0"));
    assert_eq!(reply.get(tags::SENDER_COMP_ID), Some("RTES"));
    assert_eq!(reply.get(tags::TARGET_COMP_ID), Some("CLIENT"));
    assert_eq!(reply.get(tags::RESET_SEQ_NUM_FLAG), None);
    assert_eq!(harness.session.state(), SessionState::Active);
    assert_eq!(harness.session.heart_bt_int_s(), 30);
    assert!(harness
        .recorder
        .has_event("LoggedOn { heart_bt_int_s: 30, reset: false }"));
    assert_eq!(harness.expected(), 2);

    let logout = harness.next("5").field(tags::TEXT, "bye").bytes();
    let replies = harness.send(&logout);
    assert_eq!(types(&replies), ["5"]);
    assert_eq!(replies[0].seq(), 2);
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::LogoutCompleted)
    );
    assert_eq!(harness.session.state(), SessionState::Disconnecting);
    assert!(harness.recorder.has_event("LoggedOut"));
    assert_eq!(harness.expected(), 3);
    harness.session.on_disconnect(harness.now);
    assert_eq!(harness.session.state(), SessionState::Disconnected);
    assert_eq!(harness.session.wants_disconnect(), None);
}

#[test]
fn logon_with_wrong_comp_id_is_refused_with_logout() {
    let mut harness = Harness::new(settings());
    let logon = harness.logon().comp_ids("INTRUDER", "RTES").bytes();
    let replies = harness.send(&logon);
    assert_eq!(types(&replies), ["5"]);
    assert_eq!(replies[0].get(tags::TEXT), Some("CompID problem"));
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::CompIdProblem)
    );
    // The refused Logon's number is not consumed.
    assert_eq!(harness.expected(), 1);
}

#[test]
fn first_message_not_a_logon_disconnects_without_a_word() {
    let mut harness = Harness::new(settings());
    let order = harness.order("first").bytes();
    let replies = harness.send(&order);
    assert!(replies.is_empty());
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::FirstMessageNotLogon)
    );
    assert!(harness.recorder.delivered.is_empty());
    assert_eq!(harness.next_sender(), 1);
}

#[test]
fn logon_refusals_name_the_problem() {
    let cases: [(&[(u32, &str)], &str); 5] = [
        (
            &[(tags::ENCRYPT_METHOD, "0"), (tags::HEART_BT_INT, "0")],
            "HeartBtInt (108) must be between 1 and 300 seconds",
        ),
        (
            &[(tags::ENCRYPT_METHOD, "0"), (tags::HEART_BT_INT, "301")],
            "HeartBtInt (108) must be between 1 and 300 seconds",
        ),
        (
            &[(tags::ENCRYPT_METHOD, "1"), (tags::HEART_BT_INT, "30")],
            "EncryptMethod (98) must be 0: RTES does not encrypt",
        ),
        (&[(tags::ENCRYPT_METHOD, "0")], "Required tag missing (108)"),
        (
            &[(tags::ENCRYPT_METHOD, "0"), (tags::HEART_BT_INT, "x")],
            "Incorrect data format for value (108)",
        ),
    ];
    for (fields, text) in cases {
        let mut harness = Harness::new(settings());
        let logon = harness.next("A").fields(fields).bytes();
        let replies = harness.send(&logon);
        assert_eq!(types(&replies), ["5"], "{text}");
        assert_eq!(replies[0].get(tags::TEXT), Some(text));
        assert_eq!(
            harness.session.wants_disconnect(),
            Some(DisconnectReason::LogonRefused)
        );
    }
}

#[test]
fn logon_with_wrong_begin_string_is_logged_out() {
    let mut harness = Harness::new(settings());
    let logon = harness.logon().begin_string("FIX.4.2").bytes();
    let replies = harness.send(&logon);
    assert_eq!(types(&replies), ["5"]);
    assert_eq!(replies[0].get(tags::TEXT), Some("Incorrect BeginString"));
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::WrongBeginString)
    );
}

#[test]
fn wrong_begin_string_after_logon_is_logged_out() {
    let mut harness = Harness::logged_on();
    let heartbeat = harness.next("0").begin_string("FIX.4.3").bytes();
    let replies = harness.send(&heartbeat);
    assert_eq!(types(&replies), ["5"]);
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::WrongBeginString)
    );
}

#[test]
fn logon_sending_time_out_of_tolerance_is_refused() {
    let mut harness = Harness::new(settings());
    let logon = harness.logon().bytes();
    harness.now = harness.now.plus_ns(121 * SECOND_NS);
    let replies = harness.send(&logon);
    assert_eq!(types(&replies), ["5"]);
    assert_eq!(
        replies[0].get(tags::TEXT),
        Some("SendingTime accuracy problem")
    );
}

#[test]
fn reset_seq_num_flag_resets_both_sides_and_is_echoed() {
    let mut store = MemoryStore::new();
    store.set_next_sender_seq(40).unwrap();
    store.set_next_target_seq(17).unwrap();
    let mut harness = Harness::with_store(settings(), store);
    let logon = harness.logon().field(tags::RESET_SEQ_NUM_FLAG, "Y").bytes();
    let replies = harness.send(&logon);
    assert_eq!(types(&replies), ["A"]);
    assert_eq!(replies[0].seq(), 1);
    assert_eq!(replies[0].get(tags::RESET_SEQ_NUM_FLAG), Some("Y"));
    assert_eq!((harness.next_sender(), harness.expected()), (2, 2));
    assert!(harness.recorder.has_event("reset: true"));
}

#[test]
fn reset_seq_num_flag_needs_msg_seq_num_one() {
    let mut harness = Harness::new(settings());
    let logon = harness
        .numbered("A", 3)
        .fields(&[
            (tags::ENCRYPT_METHOD, "0"),
            (tags::HEART_BT_INT, "30"),
            (tags::RESET_SEQ_NUM_FLAG, "Y"),
        ])
        .bytes();
    let replies = harness.send(&logon);
    assert_eq!(types(&replies), ["5"]);
    assert_eq!(
        replies[0].get(tags::TEXT),
        Some("ResetSeqNumFlag=Y requires MsgSeqNum 1, received 3")
    );
}

#[test]
fn reset_policy_never_refuses_reset_seq_num_flag() {
    let mut settings = settings();
    settings.reset_policy = ResetPolicy::Never;
    let mut harness = Harness::new(settings);
    let logon = harness.logon().field(tags::RESET_SEQ_NUM_FLAG, "Y").bytes();
    let replies = harness.send(&logon);
    assert_eq!(types(&replies), ["5"]);
    assert_eq!(
        replies[0].get(tags::TEXT),
        Some("ResetSeqNumFlag (141) not accepted on this session")
    );
}

#[test]
fn reset_policy_always_resets_on_every_logon() {
    let mut settings = settings();
    settings.reset_policy = ResetPolicy::Always;
    let mut store = MemoryStore::new();
    store.set_next_sender_seq(9).unwrap();
    store.set_next_target_seq(9).unwrap();
    let mut harness = Harness::with_store(settings, store);
    let logon = harness.logon().bytes();
    let replies = harness.send(&logon);
    assert_eq!(types(&replies), ["A"]);
    assert_eq!(replies[0].seq(), 1);
    // Not asked for, so not announced (a QuickFIX initiator answers an
    // unrequested 141=Y with a second Logon).
    assert_eq!(replies[0].get(tags::RESET_SEQ_NUM_FLAG), None);
    assert_eq!(harness.expected(), 2);
}

#[test]
fn logon_with_msg_seq_num_too_high_is_accepted_then_the_gap_requested() {
    let mut harness = Harness::new(settings());
    harness.client_seq = 5;
    let logon = harness.logon().bytes();
    let replies = harness.send(&logon);
    assert_eq!(types(&replies), ["A", "2"]);
    assert_eq!(replies[1].get_u64(tags::BEGIN_SEQ_NO), Some(1));
    assert_eq!(replies[1].get_u64(tags::END_SEQ_NO), Some(0));
    assert!(harness
        .recorder
        .has_event("GapDetected { expected: 1, received: 5 }"));
    assert_eq!(harness.expected(), 1);
    // The client fills 1..=4; the Logon's own number is then passed over.
    let gap_fill = harness
        .numbered("4", 1)
        .poss_dup(harness.now.utc_ns)
        .fields(&[(tags::GAP_FILL_FLAG, "Y"), (tags::NEW_SEQ_NO, "5")])
        .bytes();
    assert!(harness.send(&gap_fill).is_empty());
    assert_eq!(harness.expected(), 6);
    let order = harness.order("after-gap").bytes();
    harness.send(&order);
    assert_eq!(harness.delivered_ids(), ["after-gap"]);
}

#[test]
fn logon_with_msg_seq_num_too_low_is_logged_out() {
    let mut store = MemoryStore::new();
    store.set_next_target_seq(5).unwrap();
    let mut harness = Harness::with_store(settings(), store);
    harness.client_seq = 3;
    let logon = harness.logon().bytes();
    let replies = harness.send(&logon);
    assert_eq!(types(&replies), ["5"]);
    assert_eq!(
        replies[0].get(tags::TEXT),
        Some("MsgSeqNum too low, expecting 5 but received 3")
    );
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::SequenceTooLow)
    );
}

#[test]
fn credentials_are_checked_by_the_caller_and_input_waits() {
    let mut settings = settings();
    settings.credential_check = CredentialCheck::Caller;
    settings.username = Some("alice".into());
    let mut harness = Harness::new(settings);
    let mut stream = harness
        .logon()
        .fields(&[(tags::USERNAME, "alice"), (tags::PASSWORD, "secret")])
        .bytes();
    let logon_length = stream.len();
    stream.extend(harness.order("waiting").bytes());
    let (consumed, replies) = harness.feed(&stream);
    assert_eq!(consumed, logon_length, "reading stops at the Logon");
    assert!(replies.is_empty());
    assert_eq!(harness.session.state(), SessionState::LogonPending);
    assert!(harness.recorder.has_event(
        "LogonRequest { username: Some([97, 108, 105, 99, 101]), password: Some([115, 101, 99, 114, 101, 116]), heart_bt_int_s: 30, reset: false }"
    ));
    let mut output = Vec::new();
    harness
        .session
        .accept_logon(harness.now, &mut output, &mut harness.recorder);
    assert_eq!(types(&parse_output(&output)), ["A"]);
    harness.send(&stream[consumed..]);
    assert_eq!(harness.delivered_ids(), ["waiting"]);
}

#[test]
fn refused_credentials_end_with_logout() {
    let mut settings = settings();
    settings.credential_check = CredentialCheck::Caller;
    let mut harness = Harness::new(settings);
    let logon = harness.logon().field(tags::PASSWORD, "wrong").bytes();
    harness.send(&logon);
    let mut output = Vec::new();
    harness
        .session
        .refuse_logon("Invalid credentials", harness.now, &mut output);
    let replies = parse_output(&output);
    assert_eq!(types(&replies), ["5"]);
    assert_eq!(replies[0].get(tags::TEXT), Some("Invalid credentials"));
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::LogonRefused)
    );
}

#[test]
fn wrong_username_is_refused_before_the_caller_is_asked() {
    let mut settings = settings();
    settings.credential_check = CredentialCheck::Caller;
    settings.username = Some("alice".into());
    let mut harness = Harness::new(settings);
    let logon = harness.logon().field(tags::USERNAME, "mallory").bytes();
    let replies = harness.send(&logon);
    assert_eq!(types(&replies), ["5"]);
    assert_eq!(replies[0].get(tags::TEXT), Some("Unknown Username (553)"));
    assert!(!harness.recorder.has_event("LogonRequest"));
}

#[test]
fn no_logon_within_the_logon_timeout_disconnects() {
    let mut harness = Harness::new(settings());
    assert_eq!(
        harness.session.next_deadline_ns(),
        Some(T0_MONOTONIC_NS + 10 * SECOND_NS)
    );
    harness.wait(9 * SECOND_NS);
    assert_eq!(harness.session.wants_disconnect(), None);
    harness.wait(SECOND_NS);
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::LogonTimeout)
    );
}

#[test]
fn a_second_logon_disconnects() {
    let mut harness = Harness::logged_on();
    let logon = harness.logon().bytes();
    harness.send(&logon);
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::UnexpectedLogon)
    );
}

#[test]
fn our_logout_waits_for_theirs() {
    let mut harness = Harness::logged_on();
    let mut output = Vec::new();
    harness
        .session
        .initiate_logout("end of day", harness.now, &mut output);
    let replies = parse_output(&output);
    assert_eq!(types(&replies), ["5"]);
    assert_eq!(replies[0].get(tags::TEXT), Some("end of day"));
    assert_eq!(harness.session.state(), SessionState::LogoutSent);
    // Messages still flow while we wait.
    let order = harness.order("late").bytes();
    harness.send(&order);
    assert_eq!(harness.delivered_ids(), ["late"]);
    let logout = harness.next("5").bytes();
    let replies = harness.send(&logout);
    assert!(replies.is_empty(), "no second Logout");
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::LogoutCompleted)
    );
}

#[test]
fn our_logout_unanswered_disconnects_after_the_logout_timeout() {
    let mut harness = Harness::logged_on();
    let mut output = Vec::new();
    harness
        .session
        .initiate_logout("", harness.now, &mut output);
    harness.wait(SECOND_NS);
    assert_eq!(harness.session.wants_disconnect(), None);
    harness.wait(SECOND_NS);
    assert_eq!(
        harness.session.wants_disconnect(),
        Some(DisconnectReason::LogoutTimeout)
    );
}

#[test]
fn next_expected_msg_seq_num_below_ours_is_answered_with_a_resend() {
    let mut harness = Harness::logged_on();
    harness.send_execution_report("a");
    harness.session.on_disconnect(harness.now);
    harness.session.on_connect(harness.now);
    // The client lost our message 2 and says so in its Logon.
    let logon = harness
        .logon()
        .field(tags::NEXT_EXPECTED_MSG_SEQ_NUM, "2")
        .bytes();
    let replies = harness.send(&logon);
    assert_eq!(types(&replies), ["A", "8"]);
    assert_eq!(replies[0].seq(), 3);
    assert_eq!(replies[1].seq(), 2);
    assert_eq!(replies[1].get(tags::POSS_DUP_FLAG), Some("Y"));
}

#[test]
fn logon_with_reset_seq_num_flag_on_a_logged_on_session_resets_both_sides() {
    let mut harness = Harness::logged_on();
    harness.send_execution_report("before");
    let heartbeat = harness.next("0").bytes();
    harness.send(&heartbeat);
    assert_eq!((harness.next_sender(), harness.expected()), (3, 3));
    // A gap is outstanding (our ResendRequest sent) when the reset comes.
    harness.client_seq = 9;
    let ahead = harness.next("0").bytes();
    assert_eq!(types(&harness.send(&ahead)), ["2"]);
    harness.client_seq = 1;
    let reset = harness.logon().field(tags::RESET_SEQ_NUM_FLAG, "Y").bytes();
    let replies = harness.send(&reset);
    assert_eq!(types(&replies), ["A"]);
    assert_eq!(replies[0].seq(), 1);
    assert_eq!(replies[0].get(tags::RESET_SEQ_NUM_FLAG), Some("Y"));
    assert_eq!((harness.next_sender(), harness.expected()), (2, 2));
    assert!(
        harness.session.store().is_empty(),
        "stored messages dropped"
    );
    assert_eq!(harness.session.state(), SessionState::Active);
    let order = harness.order("after-reset").bytes();
    harness.send(&order);
    assert_eq!(harness.delivered_ids(), ["after-reset"]);
    // The old gap is forgotten: a new one is asked for at once.
    harness.client_seq = 6;
    let ahead = harness.next("0").bytes();
    let replies = harness.send(&ahead);
    assert_eq!(types(&replies), ["2"]);
    assert_eq!(replies[0].get_u64(tags::BEGIN_SEQ_NO), Some(3));
}
