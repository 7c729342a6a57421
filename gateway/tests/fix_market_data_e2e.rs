//! FIX market data end to end: real QuickFIX initiators subscribe to AAPL's
//! full book with incremental updates (one from the start, one joining in
//! the middle) while a random order flow runs through OUCH and FIX; the
//! price-level books they rebuild from W + X must equal the book the ITCH
//! feed shows (rebuilt independently by the rtes-mdfeed subscriber), and
//! QuickFIX must not reject anything RTES sends. Also: a security list, and
//! a depth-1 subscription that only ever sees the top of the book.

mod support;

#[path = "support/fix_client.rs"]
mod fix_client;
#[path = "support/quickfix.rs"]
mod quickfix;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fix_client::FixClient;
use quickfix::{FixMessage, Initiator, InitiatorOptions, QuickFixVenv, WAIT};
use rtes_mdfeed::subscriber::{Subscriber, SubscriberConfig};
use support::{fixture, json_address, SoupClient, TestServer};

const SHORT: Duration = Duration::from_secs(10);
const SETTLE: Duration = Duration::from_secs(30);
/// $100.00 in OUCH price units.
const P100: u32 = 1_000_000;

/// (side '0' bid / '1' offer, price text as RTES writes it) → (size, orders).
type Levels = BTreeMap<(char, String), (u64, u64)>;

fn subscribe(fix: &mut Initiator, id: &str, depth: &str) {
    fix.send_with_groups(
        "V",
        &[(262, id), (263, "1"), (264, depth), (265, "1")],
        &[
            (
                267,
                269,
                vec![vec![(269, "0")], vec![(269, "1")], vec![(269, "2")]],
            ),
            (146, 55, vec![vec![(55, "AAPL")]]),
        ],
    )
    .unwrap();
}

/// Applies every W and X of request `id`, in arrival order, to a level book.
fn rebuild(messages: &[FixMessage], id: &str) -> Levels {
    let mut levels = Levels::new();
    for message in messages {
        if message
            .fields
            .iter()
            .all(|(tag, value)| *tag != 262 || value != id)
        {
            continue;
        }
        let snapshot = match message.msg_type.as_str() {
            "W" => true,
            "X" => false,
            _ => continue,
        };
        if snapshot {
            levels.clear();
        }
        // Entries start at their group's first field: 269 in W, 279 in X.
        let first = if snapshot { 269 } else { 279 };
        let mut entries: Vec<BTreeMap<u32, String>> = Vec::new();
        let mut in_group = false;
        for (tag, value) in &message.fields {
            if *tag == 268 {
                in_group = true;
                continue;
            }
            if !in_group || *tag == 10 {
                continue;
            }
            if *tag == first {
                entries.push(BTreeMap::new());
            }
            if let Some(entry) = entries.last_mut() {
                entry.insert(*tag, value.clone());
            }
        }
        for entry in entries {
            let side = match entry.get(&269).map(String::as_str) {
                Some("0") => '0',
                Some("1") => '1',
                _ => continue, // trades
            };
            let key = (side, entry[&270].clone());
            match entry.get(&279).map(String::as_str) {
                Some("2") => {
                    levels.remove(&key);
                }
                _ => {
                    let size = entry[&271].parse().unwrap();
                    let orders = entry.get(&346).map_or(0, |count| count.parse().unwrap());
                    levels.insert(key, (size, orders));
                }
            }
        }
    }
    levels
}

/// The ITCH book of AAPL, aggregated to price levels in FIX's price text.
fn itch_levels(subscriber: &Subscriber) -> Levels {
    let mut levels = Levels::new();
    let books = subscriber.books();
    let Some(locate) = books.locate_of("AAPL") else {
        return levels;
    };
    for order in books.book(locate).unwrap().orders().values() {
        let side = if order.side == b'B' { '0' } else { '1' };
        let price = price_text(order.price);
        let level = levels.entry((side, price)).or_insert((0, 0));
        level.0 += u64::from(order.shares);
        level.1 += 1;
    }
    levels
}

/// ITCH price units (1/10,000) as RTES writes a FIX price.
fn price_text(units: u32) -> String {
    let whole = units / 10_000;
    let fraction = units % 10_000;
    if fraction == 0 {
        return whole.to_string();
    }
    let digits = format!("{fraction:04}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// A small deterministic generator (xorshift) for the order flow.
struct Flow(u64);

impl Flow {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// Sends `orders` random AAPL orders alternately over OUCH and FIX: limits
/// around $100 (some crossing), cancels of earlier ones.
fn random_flow(
    flow: &mut Flow,
    ouch: &mut SoupClient,
    fix: &mut FixClient,
    orders: u32,
    tag: &str,
) {
    for i in 0..orders {
        let buy = flow.next(2) == 0;
        // Mostly resting orders 5 cents apart within a dollar of $100; one
        // in ten crosses the spread.
        let steps = flow.next(20) as u32 * 500;
        let crossing = flow.next(10) == 0;
        let price = match (buy, crossing) {
            (true, false) => P100 - 10_000 + steps,
            (false, false) => P100 + 500 + steps,
            (true, true) => P100 + 5_000,
            (false, true) => P100 - 5_000,
        };
        let shares = 1 + flow.next(300) as u32;
        if i % 2 == 0 {
            ouch.limit(
                &format!("{tag}O{i}"),
                if buy { b'B' } else { b'S' },
                shares,
                "AAPL",
                price,
            );
            if flow.next(4) == 0 && i >= 2 {
                ouch.cancel(&format!("{tag}O{}", i - 2), 0);
            }
        } else {
            let id = format!("{tag}F{i}");
            let side = if buy { "1" } else { "2" };
            let price = price_text(price);
            let qty = shares.to_string();
            fix.send(
                "D",
                &[
                    (11, &id),
                    (55, "AAPL"),
                    (54, side),
                    (60, &fix_client::utc_timestamp()),
                    (38, &qty),
                    (40, "2"),
                    (44, &price),
                ],
            );
            if flow.next(4) == 0 && i >= 2 {
                let cancel = format!("{tag}C{i}");
                fix.send(
                    "F",
                    &[
                        (41, &format!("{tag}F{}", i - 2)),
                        (11, &cancel),
                        (55, "AAPL"),
                        (54, "1"),
                        (60, &fix_client::utc_timestamp()),
                    ],
                );
            }
        }
    }
}

/// Waits until both order-entry connections have had everything they sent
/// processed: an OUCH marker order cancelled, a FIX status request answered.
fn sync(ouch: &mut SoupClient, fix: &mut FixClient, tag: &str) {
    let marker = format!("{tag}SYNC");
    ouch.limit(&marker, b'B', 1, "AAPL", P100 - 200_000);
    ouch.cancel(&marker, 0);
    let deadline = Instant::now() + SHORT;
    loop {
        match ouch.recv_ouch() {
            support::Ouch::Canceled { token, .. } if token.trim_end() == marker => break,
            _ => assert!(Instant::now() < deadline, "OUCH marker never cancelled"),
        }
    }
    fix.send("H", &[(11, "none"), (55, "AAPL"), (54, "1")]);
    fix.expect("8", &[(150, "I"), (11, "none")], SHORT);
}

#[test]
fn quickfix_subscribers_rebuild_the_itch_book_from_w_and_x() {
    let Some(venv) = QuickFixVenv::require() else {
        return;
    };
    let server = TestServer::start_with(&fixture("fix.toml"), &["--feed", "--feed-port", "0"]);
    let port = server.fix.expect("fix listener").port();
    let group = match json_address(&server.ports_json, "feed_multicast") {
        Some(SocketAddr::V4(group)) => group,
        other => panic!("no multicast group in {}: {other:?}", server.ports_json),
    };
    let rerequest = json_address(&server.ports_json, "feed_rerequest");
    let mut itch =
        Subscriber::join(SubscriberConfig::new(group, rerequest)).expect("join the feed");

    let mut early = Initiator::spawn(
        &venv,
        InitiatorOptions::new(port, "FIXA").reset_on_logon(true),
    );
    early.wait_logon(WAIT).unwrap();
    subscribe(&mut early, "early", "0");
    early
        .wait("W", &[(262, "early")], SHORT)
        .expect("a snapshot of the empty book");

    let mut top = Initiator::spawn(
        &venv,
        InitiatorOptions::new(port, "FIXPW")
            .credentials("demo04", "demo04pw")
            .reset_on_logon(true),
    );
    top.wait_logon(WAIT).unwrap();
    subscribe(&mut top, "top", "1");
    top.wait("W", &[(262, "top")], SHORT).unwrap();

    let (mut ouch, _) = SoupClient::login_ok(server.ouch, "demo03", "demo03pw");
    let mut trader = FixClient::connect(server.fix.unwrap(), "FIXB");
    trader.logon(30, true, &[]);
    let mut flow = Flow(0x9E37_79B9_7F4A_7C15);
    random_flow(&mut flow, &mut ouch, &mut trader, 300, "a");
    sync(&mut ouch, &mut trader, "a");

    // A subscriber joining in the middle.
    let mut late = Initiator::spawn(&venv, InitiatorOptions::new(port, "FIXC"));
    late.wait_logon(WAIT).unwrap();
    subscribe(&mut late, "late", "0");
    late.wait("W", &[(262, "late")], SHORT).unwrap();
    random_flow(&mut flow, &mut ouch, &mut trader, 300, "b");
    sync(&mut ouch, &mut trader, "b");

    let deadline = Instant::now() + SETTLE;
    loop {
        itch.poll(Duration::from_millis(50), |_, _| {}).unwrap();
        let reference = itch_levels(&itch);
        let from_early = rebuild(&early.received(), "early");
        let from_late = rebuild(&late.received(), "late");
        if !itch.in_gap()
            && !reference.is_empty()
            && from_early == reference
            && from_late == reference
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "FIX books never matched the ITCH book\nitch  {reference:?}\nearly {from_early:?}\nlate  {from_late:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Depth 1: never more than one level per side, and it is the top.
    let reference = itch_levels(&itch);
    let increments: usize = early
        .received()
        .iter()
        .filter(|message| message.msg_type == "X")
        .map(|message| message.fields.iter().filter(|(tag, _)| *tag == 279).count())
        .sum();
    eprintln!(
        "{} levels; the early subscriber applied {increments} X entries",
        reference.len()
    );
    assert!(
        reference.len() >= 10,
        "a book worth comparing: {reference:?}"
    );
    assert!(increments >= 100, "built from increments: {increments}");
    let best_bid = reference
        .keys()
        .filter(|(side, _)| *side == '0')
        .max_by(|a, b| {
            a.1.parse::<f64>()
                .unwrap()
                .total_cmp(&b.1.parse::<f64>().unwrap())
        });
    let from_top = rebuild(&top.received(), "top");
    assert!(
        from_top.keys().filter(|(side, _)| *side == '0').count() <= 1,
        "{from_top:?}"
    );
    assert!(
        from_top.keys().filter(|(side, _)| *side == '1').count() <= 1,
        "{from_top:?}"
    );
    if let Some(best_bid) = best_bid {
        assert!(
            from_top.contains_key(best_bid),
            "top {from_top:?} lacks the best bid {best_bid:?}"
        );
    }

    // The security list names every instrument.
    early.send("x", &[(320, "sec-1"), (559, "4")]).unwrap();
    let list = early.wait("y", &[(320, "sec-1")], SHORT).unwrap();
    let symbols: Vec<&str> = list
        .fields
        .iter()
        .filter(|(tag, _)| *tag == 55)
        .map(|(_, value)| value.as_str())
        .collect();
    for symbol in ["AAPL", "MSFT", "SPY", "QQQ", "TSLA"] {
        assert!(
            symbols.contains(&symbol),
            "{symbol} missing from {symbols:?}"
        );
    }

    for fix in [&early, &top, &late] {
        fix.assert_no_rejects_sent();
    }
    assert!(
        !early
            .received()
            .iter()
            .any(|message| message.msg_type == "Y"),
        "no MarketDataRequestReject"
    );
}

/// A level book from the W and X messages a raw client received.
fn rebuild_raw(messages: &[fix_client::FixMessage], id: &str) -> Levels {
    let converted: Vec<FixMessage> = messages
        .iter()
        .map(|message| FixMessage {
            msg_type: message.msg_type.clone(),
            fields: message.fields.clone(),
            raw: String::new(),
            admin: false,
        })
        .collect();
    rebuild(&converted, id)
}

#[test]
fn a_subscriber_that_stops_reading_catches_up_by_conflation() {
    let server = TestServer::start_with(&fixture("fix.toml"), &["--feed", "--feed-port", "0"]);
    let group = match json_address(&server.ports_json, "feed_multicast") {
        Some(SocketAddr::V4(group)) => group,
        other => panic!("no multicast group in {}: {other:?}", server.ports_json),
    };
    let rerequest = json_address(&server.ports_json, "feed_rerequest");
    let mut itch =
        Subscriber::join(SubscriberConfig::new(group, rerequest)).expect("join the feed");

    let mut slow = FixClient::connect_with_small_buffer(server.fix.unwrap(), "FIXA");
    slow.logon(60, true, &[]);
    slow.send(
        "V",
        &[
            (262, "slow"),
            (263, "1"),
            (264, "0"),
            (265, "1"),
            (267, "2"),
            (269, "0"),
            (269, "1"),
            (146, "1"),
            (55, "AAPL"),
        ],
    );
    slow.expect("W", &[(262, "slow")], SHORT);

    // Thousands of changes while the subscriber reads nothing.
    let (mut ouch, _) = SoupClient::login_ok(server.ouch, "demo03", "demo03pw");
    let mut trader = FixClient::connect(server.fix.unwrap(), "FIXB");
    trader.logon(30, true, &[]);
    let mut flow = Flow(0x2545_F491_4F6C_DD1D);
    for round in 0..4 {
        random_flow(&mut flow, &mut ouch, &mut trader, 500, &format!("s{round}"));
        sync(&mut ouch, &mut trader, &format!("s{round}"));
    }

    let deadline = Instant::now() + SETTLE;
    loop {
        itch.poll(Duration::from_millis(20), |_, _| {}).unwrap();
        while slow.receive(Duration::from_millis(20)).is_some() {}
        let reference = itch_levels(&itch);
        let rebuilt = rebuild_raw(&slow.received, "slow");
        if !itch.in_gap() && reference.len() >= 10 && rebuilt == reference {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the slow subscriber's book never matched\nitch {reference:?}\nfix  {rebuilt:?}"
        );
    }
    // It really fell behind: far fewer increments than book changes reached it.
    let entries: usize = slow
        .received
        .iter()
        .filter(|message| message.msg_type == "X")
        .map(|message| message.fields.iter().filter(|(tag, _)| *tag == 279).count())
        .sum();
    let snapshots = slow
        .received
        .iter()
        .filter(|message| message.msg_type == "W")
        .count();
    eprintln!("slow subscriber: {entries} X entries, {snapshots} W");
    // The trader's own acks were never held up by the stalled subscriber.
    trader.send("H", &[(11, "final"), (55, "AAPL"), (54, "1")]);
    trader.expect("8", &[(150, "I")], SHORT);
}
