//! End to end against the real `rtes` binary: 2 s at 2,000 orders/s on the
//! four demo sessions; every request must get its reply.
//!
//! The binary lives in another package, so it is found under
//! `$CARGO_TARGET_DIR` or `<workspace>/target/{release,debug}` and built
//! with `cargo build --bin rtes` when missing.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rtes_tools::blaster::config::{symbols_from_rtes_config, Config};
use rtes_tools::blaster::run::run;

mod support;
use support::{rtes_binary, workspace};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(dir: &Path, config: &Path) -> Server {
    let ports_file = dir.join("ports.json");
    let child = Command::new(rtes_binary())
        .arg("--config")
        .arg(config)
        .args([
            "--no-fix",
            "--ouch-port",
            "0",
            "--feed-port",
            "0",
            "--log-level",
            "warn",
            "--ports-file",
        ])
        .arg(&ports_file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn rtes");
    let mut server = Server { child, port: 0 };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(&ports_file) {
            if let Ok(ports) = serde_json::from_str::<serde_json::Value>(&text) {
                if let Some(address) = ports["ouch"].as_str() {
                    let address: std::net::SocketAddr = address.parse().unwrap();
                    server.port = address.port();
                    return server;
                }
            }
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("rtes exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("rtes did not write {}", ports_file.display());
}

#[test]
fn every_order_gets_its_reply() {
    let dir = tempfile::tempdir().unwrap();
    let rtes_config = workspace().join("config/default.toml");
    let server = start_server(dir.path(), &rtes_config);
    let config = Config {
        port: server.port,
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
