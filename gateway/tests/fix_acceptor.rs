//! The FIX 4.4 acceptor end to end: the real `rtes` binary, a raw FIX
//! initiator over TCP, and an OUCH client trading against it.

mod support;

#[path = "support/fix_client.rs"]
mod fix_client;

use std::time::Duration;

use fix_client::{FixClient, FixMessage};
use support::{fixture, Ouch, SoupClient, TestServer};

const WAIT: Duration = Duration::from_secs(10);

fn start() -> TestServer {
    TestServer::start_with(&fixture("fix.toml"), &[])
}

fn logged_on(server: &TestServer, comp_id: &str) -> FixClient {
    let mut client = FixClient::connect(server.fix.expect("fix listener"), comp_id);
    let reply = client.logon(30, true, &[]);
    assert_eq!(reply.get(108), Some("30"), "HeartBtInt echoed: {reply:?}");
    client
}

fn new_order(client: &mut FixClient, id: &str, side: &str, qty: &str, price: &str) {
    client.send(
        "D",
        &[
            (11, id),
            (55, "AAPL"),
            (54, side),
            (60, &fix_client::utc_timestamp()),
            (38, qty),
            (40, "2"),
            (44, price),
            (59, "0"),
        ],
    );
}

fn execution(client: &mut FixClient, fields: &[(u32, &str)]) -> FixMessage {
    client.expect("8", fields, WAIT)
}

#[test]
fn orders_fill_against_each_other_and_cancel_with_the_fix_chain() {
    let server = start();
    let mut buyer = logged_on(&server, "FIXA");
    let mut seller = logged_on(&server, "FIXB");

    new_order(&mut buyer, "buy-1", "1", "100", "100.25");
    let new = execution(&mut buyer, &[(11, "buy-1"), (150, "0")]);
    assert!(new.matches(&[
        (39, "0"),
        (151, "100"),
        (14, "0"),
        (55, "AAPL"),
        (44, "100.25")
    ]));
    let order_id = new.field(37).to_string();
    assert!(
        order_id.parse::<u64>().is_ok(),
        "OrderID is the order reference"
    );

    new_order(&mut seller, "sell-1", "2", "60", "100.25");
    let sell_fill = execution(&mut seller, &[(11, "sell-1"), (150, "F")]);
    assert!(sell_fill.matches(&[
        (39, "2"),
        (31, "100.25"),
        (32, "60"),
        (14, "60"),
        (151, "0")
    ]));
    let buy_fill = execution(&mut buyer, &[(11, "buy-1"), (150, "F")]);
    assert!(buy_fill.matches(&[
        (37, &order_id),
        (39, "1"),
        (31, "100.25"),
        (32, "60"),
        (14, "60"),
        (151, "40"),
        (6, "100.25"),
        (851, "1"),
    ]));
    assert_eq!(buy_fill.get(527), sell_fill.get(527), "one match number");
    assert_ne!(buy_fill.get(17), sell_fill.get(17), "ExecIDs are unique");

    buyer.send(
        "F",
        &[
            (41, "buy-1"),
            (11, "cancel-1"),
            (55, "AAPL"),
            (54, "1"),
            (60, &fix_client::utc_timestamp()),
        ],
    );
    let canceled = execution(&mut buyer, &[(150, "4")]);
    assert!(canceled.matches(&[
        (11, "cancel-1"),
        (41, "buy-1"),
        (39, "4"),
        (151, "0"),
        (14, "60")
    ]));

    // The chain moved on: cancelling by the old id again is refused.
    buyer.send(
        "F",
        &[
            (41, "buy-1"),
            (11, "cancel-2"),
            (55, "AAPL"),
            (54, "1"),
            (60, &fix_client::utc_timestamp()),
        ],
    );
    let refused = buyer.expect("9", &[(11, "cancel-2")], WAIT);
    assert_eq!(refused.get(434), Some("1"));
    buyer.logout();
    seller.logout();
}

#[test]
fn a_fix_order_trades_against_an_ouch_order() {
    let server = start();
    let (mut ouch, _) = SoupClient::login_ok(server.ouch, "demo03", "demo03pw");
    ouch.limit("OUCHSELL1", b'S', 50, "AAPL", 1_000_000);
    assert!(matches!(ouch.recv_ouch(), Ouch::Accepted { .. }));

    let mut fix = logged_on(&server, "FIXA");
    new_order(&mut fix, "cross-1", "1", "50", "100");
    let fill = execution(&mut fix, &[(11, "cross-1"), (150, "F")]);
    assert!(fill.matches(&[(31, "100"), (32, "50"), (39, "2"), (851, "2")]));
    match ouch.recv_ouch() {
        Ouch::Executed {
            shares,
            price,
            match_number,
            ..
        } => {
            assert_eq!((shares, price), (50, 1_000_000));
            assert_eq!(fill.get(527), Some(match_number.to_string().as_str()));
        }
        other => panic!("expected an OUCH execution, got {other:?}"),
    }
}

#[test]
fn bad_orders_are_rejected_with_a_reason() {
    let server = start();
    let mut client = logged_on(&server, "FIXA");

    new_order(&mut client, "off-tick", "1", "10", "100.001");
    let reject = execution(&mut client, &[(11, "off-tick"), (150, "8")]);
    assert!(reject.field(58).contains("tick"), "{reject:?}");
    assert_eq!(reject.get(39), Some("8"));

    client.send(
        "D",
        &[
            (11, "unknown-symbol"),
            (55, "NOPE"),
            (54, "1"),
            (60, &fix_client::utc_timestamp()),
            (38, "10"),
            (40, "2"),
            (44, "100"),
        ],
    );
    let reject = execution(&mut client, &[(11, "unknown-symbol"), (150, "8")]);
    assert_eq!(reject.get(103), Some("1"), "OrdRejReason unknown symbol");

    new_order(&mut client, "outside-band", "1", "10", "200");
    let reject = execution(&mut client, &[(11, "outside-band"), (150, "8")]);
    assert!(reject.field(58).contains("band"), "{reject:?}");

    new_order(&mut client, "dup", "1", "10", "99");
    execution(&mut client, &[(11, "dup"), (150, "0")]);
    new_order(&mut client, "dup", "1", "10", "99");
    let reject = execution(&mut client, &[(11, "dup"), (150, "8")]);
    assert_eq!(reject.get(103), Some("6"), "duplicate ClOrdID");
}

#[test]
fn replace_keeps_the_chain_and_refuses_an_impossible_quantity() {
    let server = start();
    let mut client = logged_on(&server, "FIXA");
    new_order(&mut client, "r-1", "2", "100", "101");
    let accepted = execution(&mut client, &[(11, "r-1"), (150, "0")]);
    let replace = |client: &mut FixClient, orig: &str, id: &str, qty: &str, price: &str| {
        client.send(
            "G",
            &[
                (41, orig),
                (11, id),
                (55, "AAPL"),
                (54, "2"),
                (60, &fix_client::utc_timestamp()),
                (38, qty),
                (40, "2"),
                (44, price),
            ],
        )
    };
    replace(&mut client, "r-1", "r-2", "80", "101.5");
    let replaced = execution(&mut client, &[(150, "5")]);
    assert!(replaced.matches(&[
        (11, "r-2"),
        (41, "r-1"),
        (38, "80"),
        (44, "101.5"),
        (151, "80")
    ]));
    assert_ne!(
        replaced.get(37),
        accepted.get(37),
        "a price change loses priority: new reference"
    );

    replace(&mut client, "r-1", "r-3", "70", "101.5");
    let refused = client.expect("9", &[(11, "r-3")], WAIT);
    assert_eq!(refused.get(434), Some("2"));

    client.send(
        "H",
        &[(11, "r-2"), (55, "AAPL"), (54, "2"), (790, "status-1")],
    );
    let status = execution(&mut client, &[(150, "I")]);
    assert!(status.matches(&[(11, "r-2"), (39, "0"), (151, "80"), (790, "status-1")]));

    client.send(
        "q",
        &[
            (11, "mass-1"),
            (530, "7"),
            (60, &fix_client::utc_timestamp()),
        ],
    );
    execution(&mut client, &[(11, "r-2"), (150, "4")]);
    let report = client.expect("r", &[(11, "mass-1")], WAIT);
    assert!(report.matches(&[(531, "7"), (533, "1")]));
}

#[test]
fn sequence_numbers_and_sent_messages_survive_a_restart() {
    let store = std::env::temp_dir().join(format!(
        "rtes-fix-restart-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let store_arg = store.to_string_lossy().into_owned();
    let args = ["--fix-store-dir", store_arg.as_str()];
    let (sent_after_orders, execution_seq) = {
        let server = TestServer::start_with(&fixture("fix.toml"), &args);
        let mut client = FixClient::connect(server.fix.unwrap(), "FIXC");
        client.logon(30, false, &[]);
        new_order(&mut client, "persist-1", "1", "5", "99");
        let accepted = execution(&mut client, &[(11, "persist-1"), (150, "0")]);
        let execution_seq: u64 = accepted.field(34).parse().unwrap();
        client.logout();
        assert_eq!(server.terminate(), Some(0));
        (client.next_seq, execution_seq)
    };

    let server = TestServer::start_with(&fixture("fix.toml"), &args);
    let mut client = FixClient::connect(server.fix.unwrap(), "FIXC");
    client.next_seq = sent_after_orders;
    let logon = client.logon(30, false, &[]);
    let logon_seq: u64 = logon.field(34).parse().unwrap();
    assert!(
        logon_seq > execution_seq,
        "the venue's sequence continues after a restart: {logon:?}"
    );
    client.send(
        "2",
        &[
            (7, &execution_seq.to_string()),
            (16, &execution_seq.to_string()),
        ],
    );
    let resent = execution(&mut client, &[(11, "persist-1"), (150, "0")]);
    assert!(resent.matches(&[(43, "Y")]), "{resent:?}");
    assert!(resent.get(122).is_some(), "OrigSendingTime on a resend");
    assert_eq!(resent.get(34), Some(execution_seq.to_string().as_str()));
    client.logout();
    drop(server);
    let _ = std::fs::remove_dir_all(&store);
}

#[test]
fn a_session_is_live_on_one_connection_only_and_unknown_comp_ids_are_refused() {
    let server = start();
    let _first = logged_on(&server, "FIXA");
    let mut second = FixClient::connect(server.fix.unwrap(), "FIXA");
    second.send("A", &[(98, "0"), (108, "30")]);
    assert!(second.closed_within(WAIT), "a second logon must be refused");
    assert!(
        second
            .received
            .iter()
            .all(|message| message.msg_type != "A"),
        "no Logon reply on the second connection: {:?}",
        second.received
    );

    let mut stranger = FixClient::connect(server.fix.unwrap(), "NOBODY");
    stranger.send("A", &[(98, "0"), (108, "30")]);
    assert!(stranger.closed_within(WAIT));
}

#[test]
fn password_sessions_check_the_account_credentials() {
    let server = start();
    let mut wrong = FixClient::connect(server.fix.unwrap(), "FIXPW");
    wrong.send(
        "A",
        &[
            (98, "0"),
            (108, "30"),
            (141, "Y"),
            (553, "demo04"),
            (554, "nope"),
        ],
    );
    assert!(wrong.closed_within(WAIT), "wrong password must be refused");
    assert!(wrong.received.iter().all(|message| message.msg_type != "A"));

    let mut right = FixClient::connect(server.fix.unwrap(), "FIXPW");
    let logon = right.logon(30, true, &[(553, "demo04"), (554, "demo04pw")]);
    assert_eq!(logon.msg_type, "A");
}

#[test]
fn a_reflector_sends_application_messages_back() {
    let server = start();
    let mut client = logged_on(&server, "REFLECT");
    new_order(&mut client, "echo-1", "1", "10", "100");
    let echoed = client.expect("D", &[(11, "echo-1")], WAIT);
    assert!(echoed.matches(&[(49, "RTES"), (56, "REFLECT"), (38, "10"), (44, "100")]));
    assert_eq!(
        echoed.get(34),
        Some("2"),
        "the reflector's own sequence number"
    );
}

#[test]
fn garbage_from_one_client_does_not_disturb_another() {
    let server = start();
    let mut good = logged_on(&server, "FIXA");
    let mut bad = logged_on(&server, "FIXB");
    bad.send_raw(b"8=FIX.4.4\x019=5\x0135=0\x0110=000\x01garbage\x01\x01=\x01");
    bad.send_raw(&[0xff; 512]);
    new_order(&mut good, "unaffected", "1", "10", "100");
    execution(&mut good, &[(11, "unaffected"), (150, "0")]);
}

#[test]
fn cancel_on_disconnect_removes_the_sessions_orders() {
    let server = start();
    let mut leaver = logged_on(&server, "FIXB");
    new_order(&mut leaver, "resting", "2", "10", "100");
    execution(&mut leaver, &[(11, "resting"), (150, "0")]);
    drop(leaver);
    std::thread::sleep(Duration::from_millis(300));

    let mut taker = logged_on(&server, "FIXA");
    taker.send(
        "D",
        &[
            (11, "ioc"),
            (55, "AAPL"),
            (54, "1"),
            (60, &fix_client::utc_timestamp()),
            (38, "10"),
            (40, "2"),
            (44, "100"),
            (59, "3"),
        ],
    );
    execution(&mut taker, &[(11, "ioc"), (150, "0")]);
    let done = execution(&mut taker, &[(11, "ioc"), (39, "4")]);
    assert_eq!(
        done.get(14),
        Some("0"),
        "nothing left to trade with: {done:?}"
    );
}
