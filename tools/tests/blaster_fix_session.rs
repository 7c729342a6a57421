//! The blaster's FIX mode end to end against a scripted venue written here
//! on the gateway's codec (no RTES process): Logon with 141=Y and the
//! configured credentials, contiguous sequence numbers, unique ClOrdIDs,
//! cancels and replaces only of orders the venue holds, every request
//! answered and measured, a TestRequest answered with its TestReqID, and a
//! venue Logout closing that session with its reason in the report.

use std::collections::HashMap;
use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;

use rtes_gateway::fix::codec::{frame, tags, Decoder, Encoder, Frame, Message};
use rtes_tools::blaster::config::{parse_fix_sessions, Config, Protocol};
use rtes_tools::blaster::run::run;

/// What a venue connection does beyond answering.
#[derive(Debug, Clone, Copy, Default)]
struct Script {
    /// Send a TestRequest after this many orders.
    test_request_after: Option<u64>,
    /// Log the session out after this many orders.
    logout_after: Option<u64>,
}

/// What a venue connection saw.
#[derive(Debug, Default)]
struct Seen {
    sender_comp_id: String,
    reset_requested: bool,
    credentials: Option<(String, String)>,
    orders: u64,
    cancels: u64,
    replaces: u64,
    heartbeats: u64,
    test_request_answered: bool,
    logged_out: bool,
    /// Anything a correct initiator would not have sent.
    errors: Vec<String>,
}

struct Venue {
    out_sequence: u64,
    in_sequence: u64,
    sender_comp_id: Vec<u8>,
    /// Open orders by ClOrdID: OrderQty.
    orders: HashMap<Vec<u8>, u64>,
    used_ids: HashSet<Vec<u8>>,
    encoder: Encoder,
    seen: Seen,
}

impl Venue {
    fn send(&mut self, stream: &mut TcpStream, msg_type: &[u8], body: &[(u32, &[u8])]) {
        self.encoder.begin(msg_type);
        self.encoder.field_bytes(tags::SENDER_COMP_ID, b"RTES");
        self.encoder
            .field_bytes(tags::TARGET_COMP_ID, &self.sender_comp_id);
        self.encoder.field_u64(tags::MSG_SEQ_NUM, self.out_sequence);
        self.encoder
            .field_bytes(tags::SENDING_TIME, b"20261123-09:20:00.000");
        for (tag, value) in body {
            self.encoder.field_bytes(*tag, value);
        }
        self.out_sequence += 1;
        stream.write_all(self.encoder.finish()).unwrap();
    }

    fn error(&mut self, text: String) {
        if self.seen.errors.len() < 20 {
            self.seen.errors.push(text);
        }
    }

    /// A ClOrdID must be new to the session.
    fn fresh_id(&mut self, id: &[u8]) {
        if id.len() > 40 || !self.used_ids.insert(id.to_vec()) {
            self.error(format!("ClOrdID {} reused or too long", lossy(id)));
        }
    }

    /// Answers one message; false once the connection is to close.
    fn on_message(
        &mut self,
        stream: &mut TcpStream,
        message: &Message<'_>,
        script: Script,
    ) -> bool {
        let sequence = message.get_u64(tags::MSG_SEQ_NUM).unwrap().unwrap();
        if sequence != self.in_sequence {
            self.error(format!(
                "MsgSeqNum {sequence}, expected {}",
                self.in_sequence
            ));
        }
        self.in_sequence = sequence + 1;
        let field = |tag| message.get(tag).unwrap_or_default();
        match message.msg_type() {
            b"A" => {
                self.sender_comp_id = field(tags::SENDER_COMP_ID).to_vec();
                self.seen.sender_comp_id = lossy(&self.sender_comp_id);
                self.seen.reset_requested = field(tags::RESET_SEQ_NUM_FLAG) == b"Y";
                if let (Some(user), Some(password)) =
                    (message.get(tags::USERNAME), message.get(tags::PASSWORD))
                {
                    self.seen.credentials = Some((lossy(user), lossy(password)));
                }
                if sequence != 1 || field(tags::TARGET_COMP_ID) != b"RTES" {
                    self.error("Logon not at 1 or not to RTES".to_string());
                }
                let heartbeat = field(tags::HEART_BT_INT).to_vec();
                self.send(stream, b"A", &[(98, b"0"), (108, &heartbeat), (141, b"Y")]);
            }
            b"D" => {
                let id = field(tags::CL_ORD_ID).to_vec();
                self.fresh_id(&id);
                for tag in [55, 54, 60, 38, 40, 44, 59] {
                    if message.get(tag).is_none() {
                        self.error(format!("D without tag {tag}"));
                    }
                }
                let qty = field(tags::ORDER_QTY).to_vec();
                self.send(
                    stream,
                    b"8",
                    &[
                        (37, b"1"),
                        (17, b"e"),
                        (150, b"0"),
                        (39, b"0"),
                        (11, &id),
                        (151, &qty),
                        (14, b"0"),
                    ],
                );
                if field(tags::TIME_IN_FORCE) == b"3" {
                    // Nothing rests here to trade with: the IOC is canceled.
                    self.send(
                        stream,
                        b"8",
                        &[
                            (37, b"1"),
                            (17, b"e"),
                            (150, b"4"),
                            (39, b"4"),
                            (11, &id),
                            (151, b"0"),
                            (14, b"0"),
                        ],
                    );
                } else {
                    let qty = std::str::from_utf8(&qty).unwrap().parse().unwrap();
                    self.orders.insert(id, qty);
                }
                self.seen.orders += 1;
                if script.test_request_after == Some(self.seen.orders) {
                    self.send(stream, b"1", &[(112, b"TR-1")]);
                }
                if script.logout_after == Some(self.seen.orders) {
                    self.send(stream, b"5", &[(58, b"scripted logout")]);
                    self.seen.logged_out = true;
                    return false;
                }
            }
            b"F" => {
                let (id, orig) = (
                    field(tags::CL_ORD_ID).to_vec(),
                    field(tags::ORIG_CL_ORD_ID).to_vec(),
                );
                self.fresh_id(&id);
                if self.orders.remove(&orig).is_none() {
                    self.error(format!("cancel of unknown order {}", lossy(&orig)));
                }
                self.send(
                    stream,
                    b"8",
                    &[
                        (37, b"1"),
                        (17, b"e"),
                        (150, b"4"),
                        (39, b"4"),
                        (11, &id),
                        (41, &orig),
                        (151, b"0"),
                    ],
                );
                self.seen.cancels += 1;
            }
            b"G" => {
                let (id, orig) = (
                    field(tags::CL_ORD_ID).to_vec(),
                    field(tags::ORIG_CL_ORD_ID).to_vec(),
                );
                self.fresh_id(&id);
                if self.orders.remove(&orig).is_none() {
                    self.error(format!("replace of unknown order {}", lossy(&orig)));
                }
                let qty = field(tags::ORDER_QTY).to_vec();
                self.orders.insert(
                    id.clone(),
                    std::str::from_utf8(&qty).unwrap().parse().unwrap(),
                );
                self.send(
                    stream,
                    b"8",
                    &[
                        (37, b"2"),
                        (17, b"e"),
                        (150, b"5"),
                        (39, b"0"),
                        (11, &id),
                        (41, &orig),
                        (151, &qty),
                    ],
                );
                self.seen.replaces += 1;
            }
            b"0" => {
                self.seen.heartbeats += 1;
                self.seen.test_request_answered |= field(tags::TEST_REQ_ID) == b"TR-1";
            }
            b"5" => {
                self.send(stream, b"5", &[]);
                return false;
            }
            other => self.error(format!("unexpected MsgType {}", lossy(other))),
        }
        true
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Serves one connection until the initiator leaves (or the script logs it out).
fn serve(mut stream: TcpStream, script: Script) -> Seen {
    let mut venue = Venue {
        out_sequence: 1,
        in_sequence: 1,
        sender_comp_id: Vec::new(),
        orders: HashMap::new(),
        used_ids: HashSet::new(),
        encoder: Encoder::with_capacity(512),
        seen: Seen::default(),
    };
    let mut decoder = Decoder::new(256);
    let mut buffer = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        loop {
            let length = match frame(&buffer, 64 * 1024) {
                Frame::Complete(length) => length,
                Frame::Incomplete => break,
                other => {
                    venue.error(format!("bad framing: {other:?}"));
                    return venue.seen;
                }
            };
            let message = decoder.decode(&buffer[..length]).unwrap();
            let go_on = venue.on_message(&mut stream, &message, script);
            buffer.drain(..length);
            if !go_on {
                return venue.seen;
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return venue.seen,
            Ok(count) => buffer.extend_from_slice(&chunk[..count]),
        }
    }
}

/// A venue on an ephemeral port serving `scripts.len()` connections, the
/// i-th accepted one with `scripts[i]`.
fn start_venue(scripts: Vec<Script>) -> (u16, JoinHandle<Vec<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let servers: Vec<_> = scripts
            .into_iter()
            .map(|script| {
                let (stream, _) = listener.accept().unwrap();
                stream.set_nodelay(true).unwrap();
                std::thread::spawn(move || serve(stream, script))
            })
            .collect();
        servers
            .into_iter()
            .map(|server| server.join().unwrap())
            .collect()
    });
    (port, handle)
}

fn config(port: u16) -> Config {
    Config {
        protocol: Protocol::Fix,
        fix_port: port,
        fix_sessions: parse_fix_sessions("DEMO01,DEMO04:demo04:demo04pw").unwrap(),
        rate: 2_000.0,
        duration_s: 1.0,
        warmup_s: 0.25,
        drain_timeout_s: 2.0,
        ..Config::default()
    }
}

#[test]
fn every_request_is_answered_and_test_requests_get_their_heartbeat() {
    let script = Script {
        test_request_after: Some(200),
        logout_after: None,
    };
    let (port, venue) = start_venue(vec![script, script]);
    let report = run(&config(port), |_| true).unwrap();
    println!("{}", report.summary_table());
    let seen = venue.join().unwrap();
    for session in &seen {
        assert!(session.errors.is_empty(), "{session:?}");
        assert!(session.reset_requested, "{session:?}");
        assert!(session.test_request_answered, "{session:?}");
        assert!(
            session.orders > 500 && session.cancels > 200 && session.replaces > 50,
            "{session:?}"
        );
    }
    let credentials: Vec<_> = seen.iter().map(|s| s.credentials.clone()).collect();
    assert!(credentials.contains(&Some(("demo04".into(), "demo04pw".into()))));
    assert!(credentials.contains(&None));
    assert_eq!(report.sent.total, 2_000);
    assert_eq!(
        report.unacknowledged, 0,
        "{:?}",
        report.unacknowledged_tokens
    );
    assert_eq!(report.rejected.total + report.cancel_rejected, 0);
    assert_eq!(report.acked, report.sent.total);
    assert_eq!((report.malformed_replies, report.foreign_replies), (0, 0));
    assert_eq!(report.test_requests, 2);
    assert!(
        report.closed_sessions.is_empty(),
        "{:?}",
        report.closed_sessions
    );
    let counts: Vec<u64> = report.latency.iter().map(|kind| kind.count).collect();
    // new, ioc (never filled here), ioc_unfilled, cancel, replace
    assert!(
        counts[0] > 500 && counts[2] > 0 && counts[3] > 300 && counts[4] > 100,
        "{counts:?}"
    );
    assert_eq!(counts[1], 0);
    assert!(report.cleanup_cancels > 0);
}

#[test]
fn a_venue_logout_closes_that_session_with_its_reason() {
    let (port, venue) = start_venue(vec![
        Script::default(),
        Script {
            test_request_after: None,
            logout_after: Some(300),
        },
    ]);
    let report = run(&config(port), |_| true).unwrap();
    println!("{}", report.summary_table());
    let seen = venue.join().unwrap();
    assert!(
        seen.iter().all(|session| session.errors.is_empty()),
        "{seen:?}"
    );
    assert_eq!(seen.iter().filter(|session| session.logged_out).count(), 1);
    assert_eq!(
        report.closed_sessions.len(),
        1,
        "{:?}",
        report.closed_sessions
    );
    assert!(
        report.closed_sessions[0].ends_with("venue logged out: scripted logout"),
        "{:?}",
        report.closed_sessions
    );
    // The other session carried on; the closed one's share was not sent.
    assert!(report.not_sent > 500, "{}", report.not_sent);
    assert_eq!(report.sent.total + report.not_sent, 2_000);
    assert!(report.acked > 1_000);
}
