//! End to end against the real `rtes` binary: 2 s at 2,000 orders/s on the
//! four demo sessions; every request must get its reply.
//!
//! The binary lives in another package, so it is found under
//! `$CARGO_TARGET_DIR` or `<workspace>/target/{release,debug}` and built
//! with `cargo build --bin rtes` when missing.

use rtes_tools::blaster::config::{symbols_from_rtes_config, Config};
use rtes_tools::blaster::run::run;

mod support;
use support::{workspace, RtesServer};

#[test]
fn every_order_gets_its_reply() {
    let dir = tempfile::tempdir().unwrap();
    let rtes_config = workspace().join("config/default.toml");
    let server = RtesServer::start(
        dir.path(),
        &rtes_config,
        &["--no-fix", "--ouch-port", "0", "--feed-port", "0"],
    );
    let config = Config {
        port: server.address("ouch").port(),
        rate: 2_000.0,
        duration_s: 2.0,
        warmup_s: 0.25,
        symbols: symbols_from_rtes_config(&rtes_config).unwrap(),
        drain_timeout_s: 10.0,
        ..Config::default()
    };
    let report = run(&config, |_| true).unwrap();
    println!("{}", report.summary_table());
    assert_eq!(report.sent.total, 4_000);
    assert_eq!(
        report.unacknowledged, 0,
        "{:?}",
        report.unacknowledged_tokens
    );
    // A replace of an order that filled meanwhile is rejected: a race the
    // flow allows. Nothing else may be refused.
    let rejected = report.rejected;
    assert_eq!(rejected.total, rejected.replace, "{rejected:?}");
    assert!(
        report.closed_sessions.is_empty(),
        "{:?}",
        report.closed_sessions
    );
    assert_eq!(report.malformed_replies, 0);
    let answered = report.acked + report.cancel_rejected + rejected.total;
    assert_eq!(answered, report.sent.total);
    assert!(report.executions > 0, "IOC orders should trade");
    assert!(report.latency[0].count > 1_000);
}
