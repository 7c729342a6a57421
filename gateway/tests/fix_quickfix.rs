//! A real QuickFIX initiator (PyPI `quickfix`, built once into a cached
//! virtualenv by scripts/quickfix-venv.sh) against the real `rtes` binary:
//! logon, orders and fills against an OUCH client, replace and cancel, a
//! forced sequence gap in each direction answered by resend, logout, and a
//! restart of `rtes` after which the session continues without a reset.
//! QuickFIX validates every message RTES sends against its FIX44.xml
//! dictionary; a Reject it sends back fails the test. tshark decodes the
//! captured traffic.

mod support;

#[path = "support/fix_tshark.rs"]
mod fix_tshark;
#[path = "support/quickfix.rs"]
mod quickfix;

use std::time::Duration;

use quickfix::{Initiator, InitiatorOptions, QuickFixVenv, ScratchDir, WAIT};
use support::{fixture, Ouch, SoupClient, TestServer};

const SHORT: Duration = Duration::from_secs(10);

fn order<'a>(id: &'a str, side: &'a str, qty: &'a str, price: &'a str) -> Vec<(u32, &'a str)> {
    vec![
        (11, id),
        (55, "AAPL"),
        (54, side),
        (38, qty),
        (40, "2"),
        (44, price),
        (59, "0"),
        (60, "$now"),
    ]
}

fn start(store: &std::path::Path) -> TestServer {
    let store = store.to_string_lossy().into_owned();
    TestServer::start_with(&fixture("fix.toml"), &["--fix-store-dir", &store])
}

#[test]
fn quickfix_trades_against_ouch_resends_and_survives_a_restart() {
    let Some(venv) = QuickFixVenv::require() else {
        return;
    };
    let venue_store = ScratchDir::new("rtes-store");
    let client_store = ScratchDir::new("quickfix-store");
    let server = start(venue_store.path());
    let port = server.fix.expect("fix listener").port();
    let capture = if fix_tshark::tshark_available() {
        match fix_tshark::FixCapture::start(port) {
            Ok(capture) => Some(capture),
            Err(why) => {
                eprintln!("\n\n*** tshark cannot capture on lo here ({why}); the FIX wire check does not run ***\n");
                None
            }
        }
    } else {
        eprintln!("\n\n*** tshark is not installed; the FIX wire check does not run ***\n");
        None
    };
    let options = || InitiatorOptions::new(port, "FIXA").store(client_store.path());
    let mut fix = Initiator::spawn(&venv, options());
    fix.wait_logon(WAIT).unwrap();

    // An order rests, an OUCH seller fills part of it.
    fix.send("D", &order("q1", "1", "100", "100.50")).unwrap();
    let new = fix.wait("8", &[(11, "q1"), (150, "0")], SHORT).unwrap();
    assert_eq!(new.get(39), Some("0"));
    let (mut ouch, _) = SoupClient::login_ok(server.ouch, "demo03", "demo03pw");
    ouch.limit("OUCHSELL1", b'S', 40, "AAPL", 1_005_000);
    let fill = fix.wait("8", &[(11, "q1"), (150, "F")], SHORT).unwrap();
    assert_eq!(
        (fill.get(31), fill.get(32), fill.get(39), fill.get(151)),
        (Some("100.5"), Some("40"), Some("1"), Some("60"))
    );
    let mut ouch_match = None;
    for _ in 0..3 {
        if let Ouch::Executed { match_number, .. } = ouch.recv_ouch() {
            ouch_match = Some(match_number.to_string());
            break;
        }
    }
    assert_eq!(fill.get(527), ouch_match.as_deref(), "one match number on both protocols");

    // Replace (price change), then cancel, following the ClOrdID chain.
    fix.send(
        "G",
        &[
            (41, "q1"),
            (11, "q2"),
            (55, "AAPL"),
            (54, "1"),
            (38, "90"),
            (40, "2"),
            (44, "100.25"),
            (60, "$now"),
        ],
    )
    .unwrap();
    let replaced = fix.wait("8", &[(11, "q2"), (150, "5")], SHORT).unwrap();
    assert_eq!((replaced.get(41), replaced.get(151)), (Some("q1"), Some("50")));
    fix.send(
        "F",
        &[(41, "q2"), (11, "q3"), (55, "AAPL"), (54, "1"), (38, "90"), (60, "$now")],
    )
    .unwrap();
    fix.wait("8", &[(11, "q3"), (150, "4")], SHORT).unwrap();

    // We skip ahead: RTES must ask for a resend and take QuickFIX's gap fill.
    let before = fix.seqnums().unwrap();
    fix.set_next_sender_seq(before.next_sender + 3).unwrap();
    fix.send("D", &order("q4", "2", "5", "101")).unwrap();
    let resend = fix.wait("2", &[], SHORT).expect("ResendRequest from RTES");
    assert_eq!(resend.get(7), Some(before.next_sender.to_string().as_str()));
    fix.wait("8", &[(11, "q4"), (150, "0")], SHORT)
        .expect("the order behind the gap is processed once the gap is filled");

    // QuickFIX falls behind: it asks RTES to resend, and gets the
    // ExecutionReports again with PossDupFlag and OrigSendingTime.
    let now = fix.seqnums().unwrap();
    fix.set_next_target_seq(now.next_target - 2).unwrap();
    fix.send("H", &[(11, "q4"), (55, "AAPL"), (54, "2")]).unwrap();
    let resent = fix
        .wait("8", &[(43, "Y")], SHORT)
        .expect("a resent ExecutionReport");
    assert!(resent.get(122).is_some(), "OrigSendingTime: {}", resent.pretty());
    fix.wait("8", &[(150, "I")], SHORT).unwrap();

    fix.logout().unwrap();
    fix.wait_logout(WAIT).unwrap();
    fix.assert_no_rejects_sent();
    let after_logout = fix.seqnums().unwrap();
    fix.quit();
    drop(ouch);
    assert_eq!(server.terminate(), Some(0));

    // Restart: the same stores on both sides, no reset.
    let server = start(venue_store.path());
    let port = server.fix.unwrap().port();
    let mut fix = Initiator::spawn(
        &venv,
        InitiatorOptions::new(port, "FIXA").store(client_store.path()),
    );
    fix.wait_logon(WAIT).unwrap();
    let logon = fix.wait("A", &[], SHORT).unwrap();
    assert_eq!(
        logon.get(34),
        Some(after_logout.next_target.to_string().as_str()),
        "RTES continues its sequence after the restart"
    );
    assert_eq!(logon.get(141), None, "no reset");
    fix.send("D", &order("q5", "1", "1", "99")).unwrap();
    fix.wait("8", &[(11, "q5"), (150, "0")], SHORT).unwrap();
    fix.logout().unwrap();
    fix.wait_logout(WAIT).unwrap();
    fix.assert_no_rejects_sent();
    fix.quit();

    if let Some(capture) = capture {
        // The capture covers the first run of rtes (its port).
        let decoded = capture.finish().unwrap_or_else(|why| panic!("{why}"));
        assert!(decoded.len() >= 20, "tshark decoded the session: {decoded:#?}");
        assert!(decoded.iter().any(|message| message.msg_type == "2"));
        assert!(decoded
            .iter()
            .all(|message| (message.sender == "FIXA" && message.target == "RTES")
                || (message.sender == "RTES" && message.target == "FIXA")));
    }
}
