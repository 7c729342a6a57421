//! FIX application messages ↔ engine commands and reports, without sockets:
//! the mapping of D/F/G/H/q onto engine commands and of engine reports onto
//! ExecutionReport, OrderCancelReject and OrderMassCancelReport bodies.

use rtes_engine::{
    AccountId, CancelReason, ClientOrderId, CommandKind, InstrumentId, Liquidity, MatchNumber,
    NewOrder, OrderRef, OrderType, OwnerId, Price, Qty, RejectReason, Report, ReportKind,
    SequenceNumber, Side, TimeInForce, TimestampNs,
};
use rtes_gateway::fix::application::{ExecIds, Inbound, OrderEntry, Times, Venue};
use rtes_gateway::fix::codec::{Decoder, Encoder};
use rtes_gateway::server::WireInstrument;

const TIMES: Times = Times {
    monotonic_ns: 1,
    utc_ns: 1_795_425_600_000_000_000,
};

struct Fixture {
    entry: OrderEntry,
    venue: Venue,
    exec_ids: ExecIds,
    body: Vec<u8>,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            entry: OrderEntry::new(AccountId(2), "acct", 16, 0),
            venue: Venue::new(vec![
                WireInstrument {
                    symbol: "AAPL".into(),
                    tick_size: 100,
                },
                WireInstrument {
                    symbol: "ODD".into(),
                    tick_size: 25,
                },
            ]),
            exec_ids: ExecIds::new(TIMES.utc_ns),
            body: Vec::new(),
        }
    }

    /// Sends `msg_type` with `fields` through the order-entry mapping.
    fn inbound(&mut self, msg_type: &str, fields: &[(u32, &str)]) -> Inbound {
        let mut encoder = Encoder::with_capacity(512);
        encoder.begin(msg_type.as_bytes());
        encoder.field_u64(34, 7);
        for (tag, value) in fields {
            encoder.field_bytes(*tag, value.as_bytes());
        }
        let bytes = encoder.finish().to_vec();
        let mut decoder = Decoder::new(64);
        let message = decoder.decode(&bytes).unwrap();
        self.entry.on_message(
            &message,
            &self.venue,
            &mut self.exec_ids,
            TIMES,
            &mut self.body,
        )
    }

    fn report(&mut self, client_order_id: u64, kind: ReportKind) -> Option<String> {
        let report = Report {
            seq: SequenceNumber(1),
            ts: TimestampNs(0),
            owner: OwnerId(9),
            client_order_id: ClientOrderId(client_order_id),
            kind,
        };
        self.entry
            .on_report(
                &report,
                &self.venue,
                &mut self.exec_ids,
                TIMES.utc_ns,
                &mut self.body,
            )
            .map(|msg_type| String::from_utf8(msg_type.to_vec()).unwrap())
    }

    /// The body as `tag=value|` text.
    fn body(&self) -> String {
        String::from_utf8(self.body.clone())
            .unwrap()
            .replace('\x01', "|")
    }

    fn has(&self, fields: &[&str]) {
        let body = self.body();
        for field in fields {
            assert!(
                body.starts_with(&format!("{field}|")) || body.contains(&format!("|{field}|")),
                "{field} missing from {body}"
            );
        }
    }
}

fn limit(id: &str, side: &str, qty: &str, price: &str) -> Vec<(u32, String)> {
    vec![
        (11, id.to_string()),
        (55, "AAPL".to_string()),
        (54, side.to_string()),
        (60, "20261123-09:20:00.000".to_string()),
        (38, qty.to_string()),
        (40, "2".to_string()),
        (44, price.to_string()),
    ]
}

fn borrowed(fields: &[(u32, String)]) -> Vec<(u32, &str)> {
    fields
        .iter()
        .map(|(tag, value)| (*tag, value.as_str()))
        .collect()
}

fn new_order(fixture: &mut Fixture, id: &str, side: &str, qty: &str, price: &str) -> NewOrder {
    match fixture.inbound("D", &borrowed(&limit(id, side, qty, price))) {
        Inbound::Command(CommandKind::New(order)) => order,
        other => panic!(
            "expected a new-order command, got {other:?}: {}",
            fixture.body()
        ),
    }
}

#[test]
fn new_order_single_becomes_an_engine_order_in_ticks() {
    let mut fixture = Fixture::new();
    let mut fields = limit("a", "2", "300", "190.25");
    fields.push((59, "3".into()));
    fields.push((110, "100".into()));
    match fixture.inbound("D", &borrowed(&fields)) {
        Inbound::Command(CommandKind::New(order)) => {
            assert_eq!(order.account, AccountId(2));
            assert_eq!(order.instrument, InstrumentId(0));
            assert_eq!(order.side, Side::Sell);
            assert_eq!(order.order_type, OrderType::Limit);
            assert_eq!(order.price, Price(19_025));
            assert_eq!(order.qty, Qty(300));
            assert_eq!(order.min_qty, Qty(100));
            assert_eq!(order.time_in_force, TimeInForce::Ioc);
            assert!(!order.post_only);
        }
        other => panic!("{other:?}"),
    }
    let mut post_only = limit("b", "1", "1", "1");
    post_only.push((18, "M 6".into()));
    match fixture.inbound("D", &borrowed(&post_only)) {
        Inbound::Command(CommandKind::New(order)) => assert!(order.post_only),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_price_off_the_tick_is_rejected_never_rounded() {
    let mut fixture = Fixture::new();
    let reply = fixture.inbound("D", &borrowed(&limit("a", "1", "10", "190.255")));
    assert_eq!(reply, Inbound::Reply(b"8"));
    fixture.has(&["150=8", "39=8", "11=a", "37=NONE"]);
    assert!(fixture
        .body()
        .contains("not a multiple of the tick size 0.01"));

    let mut odd = limit("b", "1", "10", "10.0025");
    odd[1].1 = "ODD".into();
    assert!(matches!(
        fixture.inbound("D", &borrowed(&odd)),
        Inbound::Command(CommandKind::New(NewOrder {
            price: Price(4001),
            ..
        }))
    ));
    odd[0].1 = "c".into();
    odd[6].1 = "10.0030".into();
    assert_eq!(fixture.inbound("D", &borrowed(&odd)), Inbound::Reply(b"8"));
}

#[test]
fn unsupported_values_and_foreign_accounts_are_rejected_with_reasons() {
    let mut fixture = Fixture::new();
    let cases: [(&str, (u32, &str), &str); 5] = [
        ("s1", (40, "3"), "103=11"),
        ("s2", (59, "6"), "103=11"),
        ("s3", (55, "MSFT"), "103=1"),
        ("s4", (1, "someone-else"), "103=99"),
        ("s5", (38, "1.5"), "103=13"),
    ];
    for (id, (tag, value), expected) in cases {
        let mut fields = limit(id, "1", "10", "100");
        match fields.iter_mut().find(|(field, _)| *field == tag) {
            Some(field) => field.1 = value.to_string(),
            None => fields.push((tag, value.to_string())),
        }
        assert_eq!(
            fixture.inbound("D", &borrowed(&fields)),
            Inbound::Reply(b"8")
        );
        fixture.has(&["150=8", expected]);
    }
}

#[test]
fn fills_accumulate_cum_qty_and_average_price() {
    let mut fixture = Fixture::new();
    let order = new_order(&mut fixture, "a", "1", "300", "190.25");
    let id = order.client_order_id.0;
    let accepted = ReportKind::Accepted {
        order_ref: OrderRef(77),
        order,
    };
    assert_eq!(fixture.report(id, accepted).as_deref(), Some("8"));
    fixture.has(&[
        "37=77",
        "150=0",
        "39=0",
        "11=a",
        "151=300",
        "14=0",
        "44=190.25",
    ]);

    let fill = |qty: u64, price: i64, leaves: u64| ReportKind::Executed {
        order_ref: OrderRef(77),
        instrument: InstrumentId(0),
        side: Side::Buy,
        qty: Qty(qty),
        price: Price(price),
        leaves: Qty(leaves),
        match_number: MatchNumber(5),
        liquidity: Liquidity::Removed,
    };
    fixture.report(id, fill(100, 19_000, 200));
    fixture.has(&[
        "150=F", "39=1", "31=190", "32=100", "14=100", "151=200", "6=190", "527=5", "851=2",
    ]);
    fixture.report(id, fill(200, 19_025, 0));
    // (100 × 190 + 200 × 190.25) / 300 = 190.1666…, to six places.
    fixture.has(&["39=2", "14=300", "151=0", "6=190.166667"]);
}

#[test]
fn cancel_and_replace_follow_the_cl_ord_id_chain() {
    let mut fixture = Fixture::new();
    let order = new_order(&mut fixture, "a", "2", "100", "101");
    let id = order.client_order_id.0;
    fixture.report(
        id,
        ReportKind::Accepted {
            order_ref: OrderRef(5),
            order,
        },
    );

    let replace = [
        (41, "a"),
        (11, "b"),
        (55, "AAPL"),
        (54, "2"),
        (60, "20261123-09:20:00"),
        (38, "80"),
        (40, "2"),
        (44, "101.5"),
    ];
    match fixture.inbound("G", &replace) {
        Inbound::Command(CommandKind::Replace(request)) => {
            assert_eq!(request.client_order_id.0, id);
            assert_eq!((request.price, request.qty), (Price(10_150), Qty(80)));
        }
        other => panic!("{other:?}"),
    }
    // A second request while the first is pending is refused (CxlRejReason 3).
    let mut again = replace;
    again[1] = (11, "c");
    assert_eq!(fixture.inbound("G", &again), Inbound::Reply(b"9"));
    fixture.has(&["102=3", "434=2", "11=c", "41=a"]);

    let replaced = ReportKind::Replaced {
        previous_client_order_id: ClientOrderId(id),
        previous_order_ref: OrderRef(5),
        order_ref: OrderRef(6),
        instrument: InstrumentId(0),
        side: Side::Sell,
        price: Price(10_150),
        qty: Qty(80),
    };
    fixture.report(id, replaced);
    fixture.has(&[
        "150=5", "11=b", "41=a", "37=6", "38=80", "44=101.5", "151=80",
    ]);

    let cancel = [
        (41, "b"),
        (11, "d"),
        (55, "AAPL"),
        (54, "2"),
        (60, "20261123-09:20:00"),
    ];
    assert!(matches!(
        fixture.inbound("F", &cancel),
        Inbound::Command(CommandKind::Cancel(_))
    ));
    fixture.report(
        id,
        ReportKind::CancelRejected {
            reason: RejectReason::UnknownOrder,
        },
    );
    fixture.has(&["102=0", "434=1", "11=d", "41=b"]);

    let cancel = [
        (41, "b"),
        (11, "e"),
        (55, "AAPL"),
        (54, "2"),
        (60, "20261123-09:20:00"),
    ];
    assert!(matches!(
        fixture.inbound("F", &cancel),
        Inbound::Command(CommandKind::Cancel(_))
    ));
    let canceled = ReportKind::Canceled {
        order_ref: OrderRef(6),
        instrument: InstrumentId(0),
        qty: Qty(80),
        leaves: Qty(0),
        reason: CancelReason::User,
    };
    fixture.report(id, canceled);
    fixture.has(&["150=4", "39=4", "11=e", "41=b"]);

    // Unknown and superseded ids get an OrderCancelReject.
    let stale = [
        (41, "a"),
        (11, "f"),
        (55, "AAPL"),
        (54, "2"),
        (60, "20261123-09:20:00"),
    ];
    assert_eq!(fixture.inbound("F", &stale), Inbound::Reply(b"9"));
    fixture.has(&["102=1"]);
    let unknown = [
        (41, "zz"),
        (11, "g"),
        (55, "AAPL"),
        (54, "2"),
        (60, "20261123-09:20:00"),
    ];
    assert_eq!(fixture.inbound("F", &unknown), Inbound::Reply(b"9"));
    fixture.has(&["102=1", "37=NONE"]);
}

#[test]
fn status_and_mass_cancel_reports() {
    let mut fixture = Fixture::new();
    let order = new_order(&mut fixture, "a", "1", "10", "100");
    let id = order.client_order_id.0;
    fixture.report(
        id,
        ReportKind::Accepted {
            order_ref: OrderRef(9),
            order,
        },
    );
    assert_eq!(
        fixture.inbound("H", &[(11, "a"), (55, "AAPL"), (54, "1"), (790, "q1")]),
        Inbound::Reply(b"8")
    );
    fixture.has(&["150=I", "39=0", "37=9", "790=q1", "151=10"]);
    assert_eq!(
        fixture.inbound("H", &[(11, "nope"), (55, "AAPL"), (54, "1")]),
        Inbound::Reply(b"8")
    );
    fixture.has(&["150=I", "39=8", "58=unknown order"]);

    match fixture.inbound(
        "q",
        &[
            (11, "m"),
            (530, "1"),
            (55, "AAPL"),
            (60, "20261123-09:20:00"),
        ],
    ) {
        Inbound::Command(CommandKind::MassCancel(request)) => {
            assert_eq!(request.account, AccountId(2));
            assert_eq!(request.instrument, Some(InstrumentId(0)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        fixture
            .report(0, ReportKind::MassCanceled { count: 3 })
            .as_deref(),
        Some("r")
    );
    fixture.has(&["11=m", "530=1", "531=1", "533=3"]);
    // Cancel-on-disconnect's MassCanceled answers no request: no message.
    assert_eq!(
        fixture.report(0, ReportKind::MassCanceled { count: 1 }),
        None
    );

    assert_eq!(
        fixture.inbound("q", &[(11, "n"), (530, "5"), (60, "20261123-09:20:00")]),
        Inbound::Reply(b"r")
    );
    fixture.has(&["531=0", "532=1"]);
}
