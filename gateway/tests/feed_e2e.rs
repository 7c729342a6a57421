//! End to end: the real `rtes` binary with the ITCH feed on an ephemeral
//! multicast port (loopback only), orders over OUCH, and a subscriber
//! (rtes-mdfeed) that rebuilds the book — live, with 5 % of packets
//! dropped and recovered by re-request, and by late join over SoupBinTCP.

mod support;

use rtes_mdfeed::itch::Message;
use rtes_mdfeed::subscriber::{Books, Subscriber, SubscriberConfig};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, SocketAddrV4, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{fixture, Ouch, SoupClient, DEMO_USERS};

/// $100.00 in OUCH/ITCH price units.
const P100: u32 = 1_000_000;
const CENT: u32 = 100;
const DEADLINE: Duration = Duration::from_secs(30);

/// `rtes` with the feed, killed when dropped.
struct FeedServer {
    child: Child,
    ouch: SocketAddr,
    group: SocketAddrV4,
    rerequest: SocketAddr,
    replay: SocketAddr,
    ports_file: std::path::PathBuf,
}

fn json_address(text: &str, key: &str) -> Option<SocketAddr> {
    let pattern = format!("\"{key}\":\"");
    let start = text.find(&pattern)? + pattern.len();
    let end = start + text[start..].find('"')?;
    text[start..end].parse().ok()
}

impl FeedServer {
    fn start(extra: &[&str]) -> FeedServer {
        FeedServer::start_with(&fixture("test.toml"), extra)
    }

    fn start_with(config: &std::path::Path, extra: &[&str]) -> FeedServer {
        let ports_file = std::env::temp_dir().join(format!(
            "rtes-feed-e2e-{}-{}.json",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let mut child = Command::new(env!("CARGO_BIN_EXE_rtes"))
            .arg("--config")
            .arg(config)
            .args([
                "--ouch-port",
                "0",
                "--feed",
                "--feed-port",
                "0",
                "--ports-file",
            ])
            .arg(&ports_file)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn rtes");
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Ok(text) = std::fs::read_to_string(&ports_file) {
                let group = match json_address(&text, "feed_multicast") {
                    Some(SocketAddr::V4(group)) => group,
                    _ => panic!("no feed_multicast in {text}"),
                };
                return FeedServer {
                    ouch: json_address(&text, "ouch").unwrap(),
                    group,
                    rerequest: json_address(&text, "feed_rerequest").unwrap(),
                    replay: json_address(&text, "feed_replay").unwrap(),
                    child,
                    ports_file,
                };
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("rtes exited early: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "rtes did not write its ports file"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn terminate(mut self) -> Option<i32> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success());
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "rtes did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.ports_file);
    }
}

/// What the book should hold: order ref → (side, price, shares).
type Expected = BTreeMap<u64, (u8, u32, u32)>;

fn next_ouch(client: &mut SoupClient, wanted: impl Fn(&Ouch) -> bool) -> Ouch {
    loop {
        let message = client.recv_ouch();
        if wanted(&message) {
            return message;
        }
    }
}

fn accepted_ref(client: &mut SoupClient) -> u64 {
    match next_ouch(client, |m| {
        matches!(m, Ouch::Accepted { .. } | Ouch::Rejected { .. })
    }) {
        Ouch::Accepted { order_ref, .. } => order_ref,
        other => panic!("order rejected: {other:?}"),
    }
}

/// Sends resting orders, cancels, reductions, replaces and one crossing
/// order on AAPL; returns the book the feed must show.
fn trade(server: &FeedServer, orders: u32) -> Expected {
    let (user, password) = DEMO_USERS[0];
    let (mut client, _) = SoupClient::login_ok(server.ouch, user, password);
    let mut expected = Expected::new();
    let mut tokens = Vec::new();
    for i in 0..orders {
        let (side, price) = if i % 2 == 0 {
            (b'B', P100 - CENT * (1 + i % 20))
        } else {
            (b'S', P100 + CENT * (1 + i % 20))
        };
        let shares = 100 + i;
        let token = format!("T{i}");
        client.limit(&token, side, shares, "AAPL", price);
        let order_ref = accepted_ref(&mut client);
        expected.insert(order_ref, (side, price, shares));
        tokens.push((token, order_ref));
    }
    for (i, (token, order_ref)) in tokens.iter().enumerate() {
        match i % 7 {
            0 => {
                client.cancel(token, 0);
                next_ouch(&mut client, |m| matches!(m, Ouch::Canceled { .. }));
                expected.remove(order_ref);
            }
            3 => {
                client.cancel(token, 40);
                next_ouch(&mut client, |m| matches!(m, Ouch::Canceled { .. }));
                expected.get_mut(order_ref).unwrap().2 = 40;
            }
            5 => {
                let (side, price, _) = expected[order_ref];
                // A price change: the order loses priority and gets a new ref.
                let new_price = if side == b'B' {
                    price - 25 * CENT
                } else {
                    price + 25 * CENT
                };
                client.replace(token, &format!("R{i}"), 77, new_price);
                let new_ref = match next_ouch(&mut client, |m| matches!(m, Ouch::Replaced { .. })) {
                    Ouch::Replaced { order_ref, .. } => order_ref,
                    _ => unreachable!(),
                };
                expected.remove(order_ref);
                expected.insert(new_ref, (side, new_price, 77));
            }
            _ => {}
        }
    }
    // A sell at the best bid takes 30 shares from the first order there.
    let (&best_ref, &(_, best_price, best_shares)) = expected
        .iter()
        .filter(|(_, (side, _, _))| *side == b'B')
        .max_by_key(|(order_ref, (_, price, _))| (*price, std::cmp::Reverse(**order_ref)))
        .unwrap();
    assert!(best_shares > 30);
    client.limit("CROSS", b'S', 30, "AAPL", best_price);
    let mut executions = 0;
    while executions < 2 {
        if let Ouch::Executed { .. } = client.recv_ouch() {
            executions += 1;
        }
    }
    expected.get_mut(&best_ref).unwrap().2 -= 30;
    expected
}

fn book_of(books: &Books) -> Expected {
    let Some(locate) = books.locate_of("AAPL") else {
        return Expected::new();
    };
    books
        .book(locate)
        .unwrap()
        .orders()
        .iter()
        .map(|(order_ref, o)| (*order_ref, (o.side, o.price, o.shares)))
        .collect()
}

fn subscribe(server: &FeedServer) -> Subscriber {
    Subscriber::join(SubscriberConfig::new(server.group, Some(server.rerequest))).expect("join")
}

fn wait_for_book(subscriber: &mut Subscriber, expected: &Expected) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        subscriber
            .poll(Duration::from_millis(50), |_, _| {})
            .unwrap();
        if !subscriber.in_gap() && book_of(subscriber.books()) == *expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "feed book never matched: stats {:?}\n got {:?}\nwant {:?}",
            subscriber.stats(),
            book_of(subscriber.books()),
            expected
        );
    }
}

#[test]
fn feed_rebuilds_the_book_sent_over_ouch() {
    let server = FeedServer::start(&[]);
    // Malformed and foreign-session requests are ignored, not fatal.
    let junk = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    junk.send_to(b"nonsense", server.rerequest).unwrap();
    let mut foreign = rtes_mdfeed::moldudp::header_packet(*b"OTHER00001", 1, 5);
    junk.send_to(&foreign, server.rerequest).unwrap();
    foreign[0] = b'X';
    junk.send_to(&foreign, server.rerequest).unwrap();
    let mut subscriber = subscribe(&server);
    let expected = trade(&server, 60);
    wait_for_book(&mut subscriber, &expected);
    let books = subscriber.books();
    let locate = books.locate_of("AAPL").unwrap();
    assert_eq!(locate, 1, "Stock Locate = instrument index + 1");
    assert_eq!(books.instrument(locate).unwrap().trading_state, b'T');
    assert_eq!(books.unknown_orders(), 0);
    let best_bid = books.book(locate).unwrap().best_bid().unwrap();
    let want_best = expected
        .values()
        .filter(|o| o.0 == b'B')
        .map(|o| o.1)
        .max()
        .unwrap();
    assert_eq!(best_bid.price, want_best);

    // End of session reaches the subscriber on shutdown.
    assert_eq!(server.terminate(), Some(0));
    let deadline = Instant::now() + DEADLINE;
    while subscriber.stats().tracker.end_of_session == 0 {
        assert!(Instant::now() < deadline, "no end of session");
        subscriber
            .poll(Duration::from_millis(50), |_, _| {})
            .unwrap();
    }
}

#[test]
fn feed_works_on_its_own_thread_in_dedicated_mode() {
    let server = FeedServer::start(&["--threads", "dedicated"]);
    let mut subscriber = subscribe(&server);
    let expected = trade(&server, 30);
    wait_for_book(&mut subscriber, &expected);
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn dropped_packets_are_recovered_by_rerequest() {
    let server = FeedServer::start(&["--feed-drop-fraction", "0.05"]);
    let mut subscriber = subscribe(&server);
    let expected = trade(&server, 200);
    wait_for_book(&mut subscriber, &expected);
    let stats = subscriber.stats();
    // Losses close together merge into one open gap, so count requests
    // and answers rather than gaps.
    assert!(stats.tracker.gaps_recovered >= 1, "{stats:?}");
    assert!(stats.tracker.requests >= 2, "{stats:?}");
    assert!(stats.retransmission_packets >= 2, "{stats:?}");
    assert_eq!(subscriber.books().unknown_orders(), 0);
    assert_eq!(server.terminate(), Some(0));
}

/// Reads SoupBinTCP frames; returns (type, payload).
fn read_frame(stream: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut length = [0u8; 2];
    stream.read_exact(&mut length).ok()?;
    let mut frame = vec![0u8; u16::from_be_bytes(length) as usize];
    stream.read_exact(&mut frame).ok()?;
    Some((frame[0], frame[1..].to_vec()))
}

fn login(stream: &mut TcpStream, sequence: u64) {
    let mut payload = Vec::new();
    payload.extend_from_slice(b"anyone");
    payload.extend_from_slice(b"          ");
    payload.extend_from_slice(b"          ");
    payload.extend_from_slice(format!("{sequence:>20}").as_bytes());
    let mut frame = ((payload.len() + 1) as u16).to_be_bytes().to_vec();
    frame.push(b'L');
    frame.extend_from_slice(&payload);
    stream.write_all(&frame).unwrap();
}

#[test]
fn late_joiner_replays_from_sequence_one_then_goes_live() {
    let server = FeedServer::start(&[]);
    let mut subscriber = subscribe(&server);
    let expected = trade(&server, 40);
    wait_for_book(&mut subscriber, &expected);
    let published = subscriber.next_sequence() - 1;

    let mut stream = TcpStream::connect(server.replay).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    login(&mut stream, 1);
    let (kind, payload) = read_frame(&mut stream).unwrap();
    assert_eq!(kind, b'A', "login accepted");
    assert_eq!(String::from_utf8_lossy(&payload[10..]).trim(), "1");
    let mut books = Books::default();
    let mut received = 0u64;
    while received < published {
        let (kind, payload) = read_frame(&mut stream).expect("replay stream");
        if kind == b'S' {
            books.apply(&Message::decode(&payload).unwrap());
            received += 1;
        }
    }
    assert_eq!(book_of(&books), expected);

    // Live after the replay: a new order arrives on the same connection.
    let (user, password) = DEMO_USERS[1];
    let (mut client, _) = SoupClient::login_ok(server.ouch, user, password);
    client.limit("LIVE", b'B', 5, "AAPL", P100 - 50 * CENT);
    let order_ref = accepted_ref(&mut client);
    loop {
        let (kind, payload) = read_frame(&mut stream).expect("live stream");
        if kind == b'S' {
            let message = Message::decode(&payload).unwrap();
            books.apply(&message);
            if let rtes_mdfeed::itch::Body::AddOrder { order_ref: r, .. } = message.body {
                assert_eq!(r, order_ref);
                break;
            }
        }
    }
    // Another session's name is refused.
    let mut foreign = TcpStream::connect(server.replay).unwrap();
    foreign.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut payload = b"anyone          OTHERSESS1".to_vec();
    payload.extend_from_slice(format!("{:>20}", 1).as_bytes());
    let mut frame = ((payload.len() + 1) as u16).to_be_bytes().to_vec();
    frame.push(b'L');
    frame.extend_from_slice(&payload);
    foreign.write_all(&frame).unwrap();
    assert_eq!(read_frame(&mut foreign), Some((b'J', b"S".to_vec())));
    // A sequence past the end starts live.
    let mut late = TcpStream::connect(server.replay).unwrap();
    late.set_read_timeout(Some(DEADLINE)).unwrap();
    login(&mut late, 1_000_000);
    let (kind, _) = read_frame(&mut late).unwrap();
    assert_eq!(kind, b'A');
    assert_eq!(server.terminate(), Some(0));
    // End of Session after shutdown.
    let mut saw_end = false;
    while let Some((kind, _)) = read_frame(&mut stream) {
        saw_end |= kind == b'Z';
    }
    assert!(saw_end, "End of Session on shutdown");
}

/// The test config with a `messages`-message history, written to a
/// temporary file (removed by the caller).
fn small_history_config(messages: usize) -> std::path::PathBuf {
    let text = std::fs::read_to_string(fixture("test.toml"))
        .unwrap()
        .replace(
            "heartbeat_interval_ms = 1000\n\n[admin]",
            &format!(
                "heartbeat_interval_ms = 1000\nhistory_bytes = {}\n\n[admin]",
                48 * messages
            ),
        );
    let path = std::env::temp_dir().join(format!(
        "rtes-feed-small-history-{}-{}.toml",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn replay_sends_a_snapshot_once_the_history_has_rolled() {
    let path = small_history_config(10);
    let server = FeedServer::start_with(&path, &[]);
    let (user, password) = DEMO_USERS[0];
    let (mut client, _) = SoupClient::login_ok(server.ouch, user, password);
    let mut expected = Expected::new();
    for i in 0..20u32 {
        let price = P100 - CENT * (1 + i % 4);
        client.limit(&format!("H{i}"), b'B', 100 + i, "AAPL", price);
        expected.insert(accepted_ref(&mut client), (b'B', price, 100 + i));
    }
    // 3 + 5 × 2 start-of-day messages + 20 adds = 33 published; the
    // history holds the last 10 once the feed has caught up.
    std::thread::sleep(Duration::from_millis(300));

    // Sequence 1 is gone: a snapshot as of 34, numbered just before it.
    let mut old = TcpStream::connect(server.replay).unwrap();
    old.set_read_timeout(Some(DEADLINE)).unwrap();
    login(&mut old, 1);
    let (kind, payload) = read_frame(&mut old).unwrap();
    assert_eq!(kind, b'A', "a snapshot, not a reject");
    // System Event + 5 × (directory, trading action) + 20 adds + End of Snapshot.
    let snapshot_len = 1 + 5 * 2 + 20 + 1;
    let first: u64 = String::from_utf8_lossy(&payload[10..])
        .trim()
        .parse()
        .unwrap();
    assert_eq!(first, 34 - snapshot_len);
    let mut books = Books::default();
    let mut adds = Vec::new();
    let mut received = Vec::new();
    loop {
        let (kind, payload) = read_frame(&mut old).expect("snapshot stream");
        assert_eq!(kind, b'S');
        let message = Message::decode(&payload).unwrap();
        received.push(message.body);
        if let rtes_mdfeed::itch::Body::EndOfSnapshot { sequence } = message.body {
            assert_eq!(sequence, 34);
            break;
        }
        if let rtes_mdfeed::itch::Body::AddOrder { order_ref, .. } = message.body {
            adds.push(order_ref);
        }
        books.apply(&message);
    }
    assert_eq!(received.len() as u64, snapshot_len);
    assert_eq!(
        received[0],
        rtes_mdfeed::itch::Body::SystemEvent { event_code: b'Q' }
    );
    assert_eq!(book_of(&books), expected);
    // Price-time priority: best price first, then the order of arrival.
    let mut by_priority: Vec<(u64, (u8, u32, u32))> =
        expected.iter().map(|(r, o)| (*r, *o)).collect();
    by_priority.sort_by_key(|(order_ref, (_, price, _))| (std::cmp::Reverse(*price), *order_ref));
    assert_eq!(
        adds,
        by_priority.iter().map(|(r, _)| *r).collect::<Vec<_>>()
    );

    // Then live from 34, numbered like the multicast stream.
    client.limit("LIVE", b'S', 7, "AAPL", P100 + CENT);
    let live_ref = accepted_ref(&mut client);
    let (kind, payload) = read_frame(&mut old).expect("live stream");
    assert_eq!(kind, b'S');
    match Message::decode(&payload).unwrap().body {
        rtes_mdfeed::itch::Body::AddOrder { order_ref, .. } => assert_eq!(order_ref, live_ref),
        other => panic!("unexpected {other:?}"),
    }

    // A recent number still replays from the history.
    let mut recent = TcpStream::connect(server.replay).unwrap();
    recent.set_read_timeout(Some(DEADLINE)).unwrap();
    login(&mut recent, 30);
    let (kind, payload) = read_frame(&mut recent).unwrap();
    assert_eq!(kind, b'A');
    assert_eq!(String::from_utf8_lossy(&payload[10..]).trim(), "30");
    for expected_ref in 17..=20u64 {
        let (kind, payload) = read_frame(&mut recent).unwrap();
        assert_eq!(kind, b'S');
        match Message::decode(&payload).unwrap().body {
            rtes_mdfeed::itch::Body::AddOrder { order_ref, .. } => {
                assert_eq!(order_ref, expected_ref)
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    // The SNAPSHOT session asks for a snapshot whatever the number.
    let snapshot = rtes_mdfeed::subscriber::fetch_snapshot(server.replay, DEADLINE).unwrap();
    assert_eq!(snapshot.live_from, 35);
    let mut books = Books::default();
    snapshot.messages.iter().for_each(|m| books.apply(m));
    expected.insert(live_ref, (b'S', P100 + CENT, 7));
    assert_eq!(book_of(&books), expected);
    assert_eq!(server.terminate(), Some(0));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn late_subscriber_rebuilds_the_book_from_a_snapshot_once_the_history_rolled() {
    let path = small_history_config(16);
    let server = FeedServer::start_with(&path, &[]);
    let expected = trade(&server, 80);
    // Joins after the history rolled: message 1 cannot be re-requested.
    let mut config = SubscriberConfig::new(server.group, Some(server.rerequest));
    config.replay = Some(server.replay);
    config.request_retry = Duration::from_millis(50);
    let mut subscriber = Subscriber::join(config).expect("join");
    wait_for_book(&mut subscriber, &expected);
    let stats = subscriber.stats();
    assert_eq!(stats.snapshots, 1, "{stats:?}");
    assert!(stats.tracker.requests >= 3, "{stats:?}");
    assert_eq!(subscriber.books().unknown_orders(), 0);
    assert_eq!(
        subscriber.books().instrument(1).unwrap().trading_state,
        b'T'
    );

    // And it stays exact live, over more than a history's worth.
    let (user, password) = DEMO_USERS[1];
    let (mut client, _) = SoupClient::login_ok(server.ouch, user, password);
    let mut expected = expected;
    for i in 0..40u32 {
        client.limit(
            &format!("L{i}"),
            b'S',
            10 + i,
            "AAPL",
            P100 + CENT * (30 + i),
        );
        expected.insert(
            accepted_ref(&mut client),
            (b'S', P100 + CENT * (30 + i), 10 + i),
        );
    }
    wait_for_book(&mut subscriber, &expected);
    assert_eq!(subscriber.stats().snapshots, 1);
    assert_eq!(server.terminate(), Some(0));
    std::fs::remove_file(&path).unwrap();
}
