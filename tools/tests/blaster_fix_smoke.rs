//! End to end against the real `rtes` binary's FIX acceptor: 2 s at 2,000
//! orders/s on the four demo FIX sessions (DEMO04 with its Username and
//! Password); every request must get its reply.
//!
//! The binary lives in another package, so it is found under
//! `$CARGO_TARGET_DIR` or `<workspace>/target/{release,debug}` and built
//! with `cargo build --bin rtes` when missing.

use rtes_tools::blaster::config::{symbols_from_rtes_config, Config, Protocol};
use rtes_tools::blaster::run::run;

mod support;
use support::{workspace, RtesServer};

#[test]
fn every_fix_order_gets_its_reply() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("fix-store");
    let rtes_config = workspace().join("config/default.toml");
    let server = RtesServer::start(
        dir.path(),
        &rtes_config,
        &[
            "--fix-port",
            "0",
            "--fix-store-dir",
            store.to_str().unwrap(),
            "--ouch-port",
            "0",
            "--feed-port",
            "0",
        ],
    );
    let config = Config {
        protocol: Protocol::Fix,
        fix_port: server.address("fix").port(),
        rate: 2_000.0,
        duration_s: 2.0,
        warmup_s: 0.25,
        symbols: symbols_from_rtes_config(&rtes_config).unwrap(),
        drain_timeout_s: 10.0,
        ..Config::default()
    };
    let report = run(&config, |_| true).unwrap();
    println!("{}", report.summary_table());
    assert_eq!(report.config.session_count(), 4);
    assert_eq!(report.sent.total, 4_000);
    assert_eq!(
        report.unacknowledged, 0,
        "{:?}",
        report.unacknowledged_tokens
    );
    // A replace of an order that filled meanwhile is refused: a race the
    // flow allows. Nothing else may be refused.
    let rejected = report.rejected;
    assert_eq!(rejected.total, rejected.replace, "{rejected:?}");
    assert!(
        report.closed_sessions.is_empty(),
        "{:?}",
        report.closed_sessions
    );
    assert_eq!(report.not_sent, 0);
    assert_eq!(report.malformed_replies, 0);
    assert_eq!(report.foreign_replies, 0);
    let answered = report.acked + report.cancel_rejected + rejected.total;
    assert_eq!(answered, report.sent.total);
    assert!(report.executions > 0, "IOC orders should trade");
    assert!(report.latency[0].count > 1_000);

    // A rerun against the same live server: new ClOrdIDs, sequence numbers
    // reset by 141=Y, the same outcome.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let again = run(
        &Config {
            duration_s: 0.5,
            sessions: 1,
            ..config
        },
        |_| true,
    )
    .unwrap();
    assert_eq!(again.unacknowledged, 0, "{:?}", again.unacknowledged_tokens);
    assert!(
        again.closed_sessions.is_empty(),
        "{:?}",
        again.closed_sessions
    );
    assert_eq!(again.rejected.total, again.rejected.replace);
}
