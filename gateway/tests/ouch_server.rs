//! End-to-end tests of the SoupBinTCP/OUCH gateway against the real `rtes`
//! binary on ephemeral ports.

mod support;

use std::time::Duration;

use support::{Ouch, Packet, SoupClient, TestServer, DEMO_USERS};

/// $100.00 in OUCH price units.
const P100: u32 = 1_000_000;
const CENT: u32 = 100;

#[test]
fn login_rejections_and_acceptance() {
    let server = TestServer::start();
    let (user, password) = DEMO_USERS[0];

    let mut bad_password = SoupClient::connect(server.ouch);
    bad_password.send_login(user, "wrong", "", 0);
    assert_eq!(bad_password.recv(), Packet::LoginRejected(b'A'));
    assert!(bad_password.closed_within(Duration::from_secs(5)));

    let mut unknown = SoupClient::connect(server.ouch);
    unknown.send_login("nobody", "x", "", 0);
    assert_eq!(unknown.recv(), Packet::LoginRejected(b'A'));

    let (_first, next) = SoupClient::login_ok(server.ouch, user, password);
    assert_eq!(next, 1);

    let mut second = SoupClient::connect(server.ouch);
    second.send_login(user, password, "", 0);
    assert_eq!(
        second.recv(),
        Packet::LoginRejected(b'S'),
        "one live session per user"
    );

    let mut wrong_session = SoupClient::connect(server.ouch);
    wrong_session.send_login(DEMO_USERS[1].0, DEMO_USERS[1].1, "NOSUCHSESS", 0);
    assert_eq!(wrong_session.recv(), Packet::LoginRejected(b'S'));
}

#[test]
fn order_fills_both_sides_with_one_match_number() {
    let server = TestServer::start();
    let (mut seller, _) = SoupClient::login_ok(server.ouch, DEMO_USERS[1].0, DEMO_USERS[1].1);
    let (mut buyer, _) = SoupClient::login_ok(server.ouch, DEMO_USERS[2].0, DEMO_USERS[2].1);

    seller.limit("S1", b'S', 300, "AAPL", P100);
    let Ouch::Accepted {
        token,
        order_ref: sell_ref,
        shares,
        stock,
        price,
        state,
        ..
    } = seller.recv_ouch()
    else {
        panic!("expected Accepted");
    };
    assert_eq!(
        (token.as_str(), shares, stock.as_str(), price, state),
        ("S1", 300, "AAPL", P100, b'L')
    );

    buyer.limit("B1", b'B', 100, "AAPL", P100 + 5 * CENT);
    let Ouch::Accepted {
        order_ref: buy_ref, ..
    } = buyer.recv_ouch()
    else {
        panic!("expected Accepted");
    };
    assert_ne!(buy_ref, sell_ref);
    let Ouch::Executed {
        token,
        shares,
        price,
        liquidity,
        match_number,
    } = buyer.recv_ouch()
    else {
        panic!("expected Executed for the buyer");
    };
    assert_eq!(
        (token.as_str(), shares, price, liquidity),
        ("B1", 100, P100, b'R'),
        "trades at the resting price"
    );
    let Ouch::Executed {
        token: seller_token,
        shares: seller_shares,
        liquidity: seller_liquidity,
        match_number: seller_match,
        ..
    } = seller.recv_ouch()
    else {
        panic!("expected Executed for the seller");
    };
    assert_eq!(
        (seller_token.as_str(), seller_shares, seller_liquidity),
        ("S1", 100, b'A')
    );
    assert_eq!(
        seller_match, match_number,
        "both sides carry the same match number"
    );
}

#[test]
fn cancel_and_reduce() {
    let server = TestServer::start();
    let (mut client, _) = SoupClient::login_ok(server.ouch, DEMO_USERS[1].0, DEMO_USERS[1].1);
    client.limit("C1", b'B', 500, "MSFT", P100);
    assert!(matches!(client.recv_ouch(), Ouch::Accepted { .. }));
    client.cancel("C1", 200);
    assert_eq!(
        client.recv_ouch(),
        Ouch::Canceled {
            token: "C1".into(),
            shares: 300,
            reason: b'U'
        },
        "reduce to 200 cancels 300"
    );
    client.cancel("C1", 0);
    assert_eq!(
        client.recv_ouch(),
        Ouch::Canceled {
            token: "C1".into(),
            shares: 200,
            reason: b'U'
        }
    );
}

#[test]
fn replace_keeps_or_loses_priority() {
    let server = TestServer::start();
    let (mut maker, _) = SoupClient::login_ok(server.ouch, DEMO_USERS[1].0, DEMO_USERS[1].1);
    let (mut other, _) = SoupClient::login_ok(server.ouch, DEMO_USERS[3].0, DEMO_USERS[3].1);
    let (mut taker, _) = SoupClient::login_ok(server.ouch, DEMO_USERS[2].0, DEMO_USERS[2].1);

    maker.limit("M1", b'S', 200, "SPY", P100);
    let Ouch::Accepted {
        order_ref: m1_ref, ..
    } = maker.recv_ouch()
    else {
        panic!()
    };
    other.limit("O1", b'S', 200, "SPY", P100);
    assert!(matches!(other.recv_ouch(), Ouch::Accepted { .. }));

    // Same price, smaller size: keeps priority and its reference.
    maker.replace("M1", "M2", 150, P100);
    let Ouch::Replaced {
        token,
        shares,
        price,
        order_ref,
        previous_token,
    } = maker.recv_ouch()
    else {
        panic!("expected Replaced");
    };
    assert_eq!(
        (token.as_str(), shares, price, previous_token.as_str()),
        ("M2", 150, P100, "M1")
    );
    assert_eq!(order_ref, m1_ref, "priority kept: same order reference");

    taker.limit("T1", b'B', 100, "SPY", P100);
    let reply = taker.recv_ouch();
    assert!(matches!(reply, Ouch::Accepted { .. }), "{reply:?}");
    let Ouch::Executed { token, shares, .. } = maker.recv_ouch() else {
        panic!("maker first")
    };
    assert_eq!((token.as_str(), shares), ("M2", 100));
    assert!(matches!(
        taker.recv_ouch(),
        Ouch::Executed { shares: 100, .. }
    ));

    // Size increase: loses priority, new reference; the other order now goes first.
    maker.replace("M2", "M3", 300, P100);
    let Ouch::Replaced {
        order_ref: m3_ref, ..
    } = maker.recv_ouch()
    else {
        panic!()
    };
    assert_ne!(m3_ref, m1_ref);
    taker.limit("T2", b'B', 100, "SPY", P100);
    assert!(matches!(taker.recv_ouch(), Ouch::Accepted { .. }));
    let Ouch::Executed { token, .. } = other.recv_ouch() else {
        panic!("other goes first now")
    };
    assert_eq!(token, "O1");
}

#[test]
fn gateway_rejects_bad_orders_with_reasons() {
    let server = TestServer::start();
    let (mut client, _) = SoupClient::login_ok(server.ouch, DEMO_USERS[1].0, DEMO_USERS[1].1);
    client.limit("X1", b'B', 100, "NOPE", P100);
    assert_eq!(
        client.recv_ouch(),
        Ouch::Rejected {
            token: "X1".into(),
            reason: b'S'
        }
    );
    client.limit("X2", b'B', 100, "AAPL", P100 + 1);
    assert_eq!(
        client.recv_ouch(),
        Ouch::Rejected {
            token: "X2".into(),
            reason: b'X'
        },
        "off-tick price"
    );
    client.enter("X3", b'B', 100, "AAPL", P100, 99_999, b'?', 0);
    assert_eq!(
        client.recv_ouch(),
        Ouch::Rejected {
            token: "X3".into(),
            reason: b'D'
        }
    );
    client.limit("X4", b'B', 100, "AAPL", P100);
    assert!(matches!(client.recv_ouch(), Ouch::Accepted { .. }));
    client.limit("X4", b'B', 100, "AAPL", P100);
    assert_eq!(
        client.recv_ouch(),
        Ouch::Rejected {
            token: "X4".into(),
            reason: b'O'
        },
        "duplicate token"
    );
}

#[test]
fn relogin_replays_missed_messages() {
    let server = TestServer::start();
    // demo01: no cancel-on-disconnect, so logging out adds no messages.
    let (user, password) = DEMO_USERS[0];
    let (mut client, _) = SoupClient::login_ok(server.ouch, user, password);
    for index in 0..5 {
        client.limit(&format!("R{index}"), b'B', 100, "QQQ", P100 - index * CENT);
        assert!(matches!(client.recv_ouch(), Ouch::Accepted { .. }));
    }
    client.send_packet(b'O', &[]);
    assert!(client.closed_within(Duration::from_secs(5)));

    let mut again = SoupClient::connect(server.ouch);
    again.send_login(user, password, "", 3);
    let Packet::LoginAccepted { sequence, .. } = again.recv() else {
        panic!("login")
    };
    assert_eq!(sequence, 3);
    for index in 2..5 {
        let Ouch::Accepted { token, .. } = again.recv_ouch() else {
            panic!("replayed Accepted")
        };
        assert_eq!(token, format!("R{index}"));
    }
    again.send_packet(b'O', &[]);
    assert!(again.closed_within(Duration::from_secs(5)));

    let mut latest = SoupClient::connect(server.ouch);
    latest.send_login(user, password, "", 0);
    let reply = latest.recv();
    assert!(
        matches!(reply, Packet::LoginAccepted { sequence: 6, .. }),
        "0 = from the most recent: {reply:?}"
    );
}

#[test]
fn malformed_frames_disconnect_only_their_sender() {
    let server = TestServer::start();
    let (mut good, _) = SoupClient::login_ok(server.ouch, DEMO_USERS[1].0, DEMO_USERS[1].1);
    let (mut bad, _) = SoupClient::login_ok(server.ouch, DEMO_USERS[2].0, DEMO_USERS[2].1);
    bad.send_packet(b'U', b"Qgarbage");
    assert!(
        bad.closed_within(Duration::from_secs(5)),
        "unknown OUCH type closes the session"
    );

    let mut zero = SoupClient::login_ok(server.ouch, DEMO_USERS[3].0, DEMO_USERS[3].1).0;
    zero.send_raw(&[0, 0]);
    assert!(
        zero.closed_within(Duration::from_secs(5)),
        "zero-length frame closes the session"
    );

    let mut before_login = SoupClient::connect(server.ouch);
    before_login.send_packet(b'U', b"X");
    assert!(before_login.closed_within(Duration::from_secs(5)));

    good.limit("G1", b'B', 100, "AAPL", P100);
    assert!(
        matches!(good.recv_ouch(), Ouch::Accepted { .. }),
        "other sessions unaffected"
    );
}

#[test]
fn server_heartbeats_when_idle() {
    let server = TestServer::start();
    let (mut client, _) = SoupClient::login_ok(server.ouch, DEMO_USERS[1].0, DEMO_USERS[1].1);
    assert_eq!(
        client.recv_any(Duration::from_secs(5)),
        Some(Packet::Heartbeat)
    );
}

#[test]
fn cancel_on_disconnect_cancels_resting_orders() {
    let server = TestServer::start();
    // demo02 has cancel-on-disconnect in the default config.
    let (mut leaver, _) = SoupClient::login_ok(server.ouch, DEMO_USERS[1].0, DEMO_USERS[1].1);
    leaver.limit("L1", b'S', 100, "TSLA", P100);
    assert!(matches!(leaver.recv_ouch(), Ouch::Accepted { .. }));
    drop(leaver);
    std::thread::sleep(Duration::from_millis(300));
    let (mut taker, _) = SoupClient::login_ok(server.ouch, DEMO_USERS[2].0, DEMO_USERS[2].1);
    taker.enter("T1", b'B', 100, "TSLA", P100, 0, b'Y', 0);
    assert!(matches!(taker.recv_ouch(), Ouch::Accepted { .. }));
    assert_eq!(
        taker.recv_ouch(),
        Ouch::Canceled {
            token: "T1".into(),
            shares: 100,
            reason: b'I'
        },
        "nothing left to trade against"
    );
}

#[test]
fn sigterm_sends_end_of_session_and_exits_zero() {
    let server = TestServer::start();
    let (mut client, _) = SoupClient::login_ok(server.ouch, DEMO_USERS[1].0, DEMO_USERS[1].1);
    let status = server.terminate();
    assert_eq!(status, Some(0));
    let mut saw_end = false;
    while let Some(packet) = client.recv_any(Duration::from_secs(2)) {
        if packet == Packet::EndOfSession {
            saw_end = true;
        }
    }
    assert!(saw_end, "End of Session before the close");
}

#[test]
fn throttle_rejects_excess_then_disconnects_sustained_abuse() {
    // throttled.toml: 20 orders/s per session, burst 5.
    let server = TestServer::start_with(&support::fixture("throttled.toml"), &[]);
    let (mut client, _) = SoupClient::login_ok(server.ouch, DEMO_USERS[0].0, DEMO_USERS[0].1);
    for index in 0..15 {
        client.limit(&format!("T{index}"), b'B', 1, "AAPL", P100 - 10 * CENT);
    }
    let (mut accepted, mut rejected) = (0, 0);
    for _ in 0..15 {
        match client.recv_ouch() {
            Ouch::Accepted { .. } => accepted += 1,
            Ouch::Rejected { reason: b'O', .. } => rejected += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(accepted >= 5, "the burst is allowed ({accepted} accepted)");
    assert!(
        rejected >= 5,
        "the excess is rejected, not dropped ({rejected} rejected)"
    );
    assert_eq!(accepted + rejected, 15, "every order answered");

    for index in 0..60 {
        // The server may hang up part-way: that is the point.
        if !client.enter_ok(
            &format!("U{index}"),
            b'B',
            1,
            "AAPL",
            P100 - 10 * CENT,
            99_999,
            b'Y',
            0,
        ) {
            break;
        }
    }
    assert!(
        client.closed_within(Duration::from_secs(10)),
        "sustained excess gets the session logged out"
    );
}

#[test]
fn slow_consumer_is_disconnected_and_others_unaffected() {
    // slow.toml: 64 KiB outbound bound per session.
    let server = TestServer::start_with(&support::fixture("slow.toml"), &[]);
    let (mut slow, _) = SoupClient::login_ok(server.ouch, DEMO_USERS[0].0, DEMO_USERS[0].1);
    let mut writer = slow.try_clone_writer();
    let flood = std::thread::spawn(move || {
        // IOC orders on an empty book: two replies each, nothing rests.
        let mut sent = 0;
        for index in 0..60_000u32 {
            if !writer.enter_ok(
                &format!("F{index}"),
                b'B',
                1,
                "MSFT",
                90 * 10_000,
                0,
                b'Y',
                0,
            ) {
                break;
            }
            sent += 1;
        }
        sent
    });
    // Never read: the server must give up on this session.
    let _ = flood.join();
    let (mut good, _) = SoupClient::login_ok(server.ouch, DEMO_USERS[1].0, DEMO_USERS[1].1);
    good.limit("G1", b'B', 100, "AAPL", P100);
    assert!(
        matches!(good.recv_ouch(), Ouch::Accepted { .. }),
        "other sessions keep working"
    );
    assert!(
        slow.closed_within(Duration::from_secs(30)),
        "the slow consumer was disconnected"
    );
}

#[test]
fn port_in_use_is_a_clear_error_before_serving() {
    let server = TestServer::start();
    let port = server.ouch.port().to_string();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_rtes"))
        .args(["--config"])
        .arg(support::fixture("test.toml"))
        .args(["--ouch-port", &port])
        .output()
        .expect("run rtes");
    assert!(
        !output.status.success(),
        "a second server on the same port must fail"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("ouch.listen") && stderr.contains("in use"),
        "stderr: {stderr}"
    );
    assert!(output.stdout.is_empty(), "nothing announced as listening");
}
