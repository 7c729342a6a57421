//! Proves the QuickFIX interoperability harness itself: the scriptable real
//! QuickFIX initiator (tests/quickfix/initiator.py) against a plain QuickFIX
//! acceptor (tests/quickfix/acceptor.py), before the tests point it at RTES.
//! Needs the QuickFIX venv (scripts/quickfix-venv.sh, built once, minutes);
//! fails loudly when it cannot be built (RTES_SKIP_QUICKFIX=1 skips loudly).

#[path = "support/fix_tshark.rs"]
mod fix_tshark;
#[path = "support/quickfix.rs"]
mod quickfix;

use std::time::{Duration, Instant};

use quickfix::{Initiator, InitiatorOptions, QuickFixAcceptor, QuickFixVenv, ScratchDir, WAIT};

const SHORT: Duration = Duration::from_secs(5);

fn order(cl_ord_id: &str) -> Vec<(u32, &str)> {
    vec![
        (11, cl_ord_id),
        (55, "AAPL"),
        (54, "1"),
        (38, "100"),
        (40, "2"),
        (44, "190.00"),
        (59, "0"),
        (60, "$now"),
    ]
}

fn cancel<'a>(cl_ord_id: &'a str, orig: &'a str) -> Vec<(u32, &'a str)> {
    vec![
        (11, cl_ord_id),
        (41, orig),
        (55, "AAPL"),
        (54, "1"),
        (38, "100"),
        (60, "$now"),
    ]
}

#[test]
fn initiator_logs_on_orders_and_logs_out() {
    let Some(venv) = QuickFixVenv::require() else {
        return;
    };
    let started = Instant::now();
    let acceptor = QuickFixAcceptor::spawn(&venv, "RTES", &["CLIENT1"], Some(("user1", "pw1")));
    let mut fix = Initiator::spawn(
        &venv,
        InitiatorOptions::new(acceptor.port, "CLIENT1")
            .credentials("user1", "pw1")
            .heartbeat(5),
    );
    fix.wait_logon(WAIT).unwrap();
    let logon = fix.wait_sent("A", &[], SHORT).unwrap();
    assert_eq!(logon.get(553), Some("user1"), "Username in our Logon");
    assert_eq!(logon.get(554), Some("pw1"), "Password in our Logon");
    assert_eq!(logon.get(108), Some("5"));
    assert_eq!(
        logon.get(141),
        None,
        "no ResetSeqNumFlag without ResetOnLogon"
    );
    let reply = fix.wait("A", &[], SHORT).unwrap();
    assert_eq!(reply.get(49), Some("RTES"));

    let seq = fix.send("D", &order("c1")).unwrap();
    assert_eq!(seq, 2, "first app message after the Logon");
    let new = fix.wait("8", &[(11, "c1"), (150, "0")], SHORT).unwrap();
    for tag in [37, 17, 39, 55, 54, 151, 14, 6] {
        assert!(new.get(tag).is_some(), "tag {tag} in {}", new.pretty());
    }
    assert_eq!(new.get(39), Some("0"));
    assert_eq!(new.get(151), Some("100"));

    fix.send("F", &cancel("c2", "c1")).unwrap();
    let canceled = fix.wait("8", &[(11, "c2"), (150, "4")], SHORT).unwrap();
    assert_eq!(canceled.get(41), Some("c1"));
    fix.send("F", &cancel("c3", "nope")).unwrap();
    let reject = fix.wait("9", &[(11, "c3")], SHORT).unwrap();
    assert_eq!(reject.get(434), Some("1"));

    fix.logout().unwrap();
    fix.wait_logout(WAIT).unwrap();
    fix.wait("5", &[], SHORT)
        .expect("the acceptor's Logout reply");
    fix.assert_no_rejects_sent();
    let seqnums = fix.seqnums().unwrap();
    assert_eq!(seqnums.next_sender, 6, "A, D, F, F, 5");
    assert_eq!(seqnums.next_target, 6, "A, 8, 8, 9, 5");
    fix.quit();
    acceptor.quit();
    eprintln!("session test took {:?}", started.elapsed());
}

#[test]
fn sequence_gaps_make_both_sides_resend() {
    let Some(venv) = QuickFixVenv::require() else {
        return;
    };
    let acceptor = QuickFixAcceptor::spawn(&venv, "RTES", &["GAPS"], None);
    let mut fix = Initiator::spawn(&venv, InitiatorOptions::new(acceptor.port, "GAPS"));
    fix.wait_logon(WAIT).unwrap();
    fix.send("D", &order("g1")).unwrap();
    fix.wait("8", &[(11, "g1")], SHORT).unwrap();

    // We skip ahead: the acceptor must ask us to resend, and QuickFIX answers
    // with a gap fill (it never resends admin messages, and none are missing).
    let before = fix.seqnums().unwrap();
    fix.set_next_sender_seq(before.next_sender + 5).unwrap();
    let seq = fix.send("D", &order("g2")).unwrap();
    assert_eq!(seq, before.next_sender + 5);
    let resend = fix
        .wait("2", &[], SHORT)
        .expect("ResendRequest from the acceptor");
    assert_eq!(
        resend.get(7),
        Some(before.next_sender.to_string().as_str()),
        "BeginSeqNo"
    );
    // g2 itself is an app message in QuickFIX's store: it is resent with
    // PossDupFlag, the gap before it filled.
    fix.wait_sent("4", &[(123, "Y")], SHORT)
        .expect("our SequenceReset-GapFill");
    fix.wait("8", &[(11, "g2"), (150, "0")], SHORT).unwrap();

    // We forget the acceptor's last messages: QuickFIX asks for them again
    // and they come back with PossDupFlag=Y.
    let now = fix.seqnums().unwrap();
    fix.clear().unwrap();
    fix.set_next_target_seq(now.next_target - 2).unwrap();
    fix.send("D", &order("g3")).unwrap();
    let ours = fix.wait_sent("2", &[], SHORT).expect("our ResendRequest");
    assert_eq!(
        ours.get(7),
        Some((now.next_target - 2).to_string().as_str())
    );
    let again = fix
        .wait("8", &[(43, "Y")], SHORT)
        .expect("a PossDup resend");
    assert!(again.get(122).is_some(), "OrigSendingTime on a resend");
    fix.wait("8", &[(11, "g3")], SHORT).unwrap();
    fix.assert_no_rejects_sent();
    fix.quit();
    acceptor.quit();
}

#[test]
fn sequence_numbers_survive_a_restart_unless_reset_on_logon() {
    let Some(venv) = QuickFixVenv::require() else {
        return;
    };
    let acceptor = QuickFixAcceptor::spawn(&venv, "RTES", &["KEEP"], None);
    let store = ScratchDir::new("store");
    let options = InitiatorOptions::new(acceptor.port, "KEEP").store(store.path());

    let mut first = Initiator::spawn(&venv, options.clone());
    first.wait_logon(WAIT).unwrap();
    first.send("D", &order("k1")).unwrap();
    first.wait("8", &[(11, "k1")], SHORT).unwrap();
    first.logout().unwrap();
    first.wait_logout(WAIT).unwrap();
    let left = first.seqnums().unwrap();
    first.quit();

    // It connects at once, so the FileStore's numbers show in the Logon.
    let mut second = Initiator::spawn(&venv, options.clone());
    second.wait_logon(WAIT).unwrap();
    let logon = second.wait_sent("A", &[], SHORT).unwrap();
    assert_eq!(logon.get(34), Some(left.next_sender.to_string().as_str()));
    assert_eq!(logon.get(141), None);
    let reply = second.wait("A", &[], SHORT).unwrap();
    assert_eq!(reply.get(34), Some(left.next_target.to_string().as_str()));
    second.logout().unwrap();
    second.wait_logout(WAIT).unwrap();
    second.quit();

    let mut third = Initiator::spawn(&venv, options.reset_on_logon(true));
    third.wait_logon(WAIT).unwrap();
    let logon = third.wait_sent("A", &[], SHORT).unwrap();
    assert_eq!(logon.get(34), Some("1"));
    assert_eq!(logon.get(141), Some("Y"));
    let reply = third.wait("A", &[], SHORT).unwrap();
    assert_eq!(reply.get(34), Some("1"));
    assert_eq!(reply.get(141), Some("Y"));
    third.assert_no_rejects_sent();
    third.quit();
    acceptor.quit();
}

#[test]
fn a_wrong_password_gets_a_logout_with_text() {
    let Some(venv) = QuickFixVenv::require() else {
        return;
    };
    let acceptor = QuickFixAcceptor::spawn(&venv, "RTES", &["BAD"], Some(("user1", "pw1")));
    let mut fix = Initiator::spawn(
        &venv,
        InitiatorOptions::new(acceptor.port, "BAD").credentials("user1", "wrong"),
    );
    let logout = fix.wait("5", &[], WAIT).expect("a Logout");
    assert!(
        logout
            .get(58)
            .is_some_and(|t| t.contains("invalid credentials")),
        "{}",
        logout.pretty()
    );
    fix.logout().unwrap(); // stop reconnecting
    fix.wait_logout(WAIT).unwrap();
    let status = fix.status().unwrap();
    assert_eq!(status["logons"], 0, "never logged on: {status}");
    fix.quit();
    acceptor.quit();
}

#[test]
fn tshark_decodes_every_quickfix_message() {
    let Some(venv) = QuickFixVenv::require() else {
        return;
    };
    if !fix_tshark::tshark_available() {
        eprintln!("\n\n*** SKIPPED: tshark is not installed and could not be installed; the FIX independent-decoder check did not run ***\n");
        return;
    }
    let acceptor = QuickFixAcceptor::spawn(&venv, "RTES", &["WIRE"], None);
    let capture = match fix_tshark::FixCapture::start(acceptor.port) {
        Ok(capture) => capture,
        Err(why) => {
            eprintln!("\n\n*** SKIPPED: tshark cannot capture on the loopback interface here: {why} ***\n");
            return;
        }
    };
    let mut fix = Initiator::spawn(&venv, InitiatorOptions::new(acceptor.port, "WIRE"));
    fix.wait_logon(WAIT).unwrap();
    for i in 0..5 {
        fix.send("D", &order(&format!("w{i}"))).unwrap();
    }
    fix.wait("8", &[(11, "w4")], SHORT).unwrap();
    fix.send("F", &cancel("w5", "w0")).unwrap();
    fix.wait("8", &[(11, "w5"), (150, "4")], SHORT).unwrap();
    fix.logout().unwrap();
    fix.wait_logout(WAIT).unwrap();
    let sent = fix.sent().len();
    let received = fix.received().len();
    fix.quit();

    let decoded = capture.finish().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        decoded.len(),
        sent + received,
        "tshark decoded every message QuickFIX sent ({sent}) and received ({received}): {decoded:#?}"
    );
    let from_client: Vec<&str> = decoded
        .iter()
        .filter(|m| m.dst_port == acceptor.port)
        .map(|m| m.msg_type.as_str())
        .collect();
    let from_server: Vec<&str> = decoded
        .iter()
        .filter(|m| m.src_port == acceptor.port)
        .map(|m| m.msg_type.as_str())
        .collect();
    assert_eq!(from_client, ["A", "D", "D", "D", "D", "D", "F", "5"]);
    assert_eq!(from_server, ["A", "8", "8", "8", "8", "8", "8", "5"]);
    assert!(decoded
        .iter()
        .all(|m| (m.sender == "WIRE" && m.target == "RTES")
            || (m.sender == "RTES" && m.target == "WIRE")));
    acceptor.quit();
}

/// `YYYYMMDD-HH:MM:SS.sss` for now (UTC), without a date crate.
fn utc_timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let secs = now.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}:{:02}:{:02}.{:03}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        now.subsec_millis()
    )
}

/// A FIX 4.4 frame: BeginString, BodyLength and CheckSum around `body`.
fn fix_frame(body: &[(u32, String)]) -> Vec<u8> {
    let body: String = body.iter().map(|(t, v)| format!("{t}={v}\u{1}")).collect();
    let mut frame = format!("8=FIX.4.4\u{1}9={}\u{1}{body}", body.len()).into_bytes();
    let sum = frame.iter().map(|&b| u32::from(b)).sum::<u32>() % 256;
    frame.extend_from_slice(format!("10={sum:03}\u{1}").as_bytes());
    frame
}

/// The harness must catch a bad message: a hand-written acceptor answers the
/// Logon, then sends an ExecutionReport without ExecID (17, required in the
/// FIX44 dictionary); QuickFIX rejects it and `rejects_sent` reports that.
#[test]
fn a_bad_execution_report_is_caught_as_a_reject() {
    use std::io::{Read, Write};
    let Some(venv) = QuickFixVenv::require() else {
        return;
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let fake = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut seen = Vec::new();
        let mut chunk = [0u8; 1024];
        // Read until the Logon's CheckSum field.
        while !String::from_utf8_lossy(&seen).contains("\u{1}10=") {
            let n = stream.read(&mut chunk).unwrap();
            assert!(n > 0, "initiator closed before its Logon");
            seen.extend_from_slice(&chunk[..n]);
        }
        let header = |msg_type: &str, seq: u32| {
            vec![
                (35, msg_type.to_string()),
                (34, seq.to_string()),
                (49, "RTES".to_string()),
                (52, utc_timestamp()),
                (56, "PICKY".to_string()),
            ]
        };
        let mut logon = header("A", 1);
        logon.extend([(98, "0".to_string()), (108, "30".to_string())]);
        stream.write_all(&fix_frame(&logon)).unwrap();
        let mut report = header("8", 2);
        for (tag, value) in [
            (6, "0"),
            (11, "c1"),
            (14, "0"),
            (37, "O1"),
            (39, "0"),
            (54, "1"),
            (55, "AAPL"),
            (150, "0"),
            (151, "100"),
        ] {
            report.push((tag, value.to_string()));
        }
        stream.write_all(&fix_frame(&report)).unwrap();
        // Keep the connection open until the test is done with it.
        let _ = done_rx.recv_timeout(Duration::from_secs(20));
    });
    let mut fix = Initiator::spawn(&venv, InitiatorOptions::new(port, "PICKY"));
    fix.wait_logon(WAIT).unwrap();
    let reject = fix
        .wait_sent("3", &[(371, "17")], SHORT)
        .expect("QuickFIX's Reject of the ExecutionReport");
    assert_eq!(reject.get(373), Some("1"), "Required tag missing");
    assert_eq!(reject.get(45), Some("2"), "RefSeqNum");
    assert_eq!(fix.rejects_sent().len(), 1);
    fix.expect_none("8", &[], Duration::from_millis(300))
        .expect("the bad report never reaches the application");
    let _ = done_tx.send(());
    let _ = fake.join();
    fix.quit();
}
