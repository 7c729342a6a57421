//! An independent decoder checks RTES's bytes: tshark's SoupBinTCP and OUCH
//! dissectors (written by Wireshark's authors, not us) must decode every
//! packet of a captured session with the field values we sent and received.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Ouch, SoupClient, TestServer, DEMO_USERS};

const P100: u32 = 1_000_000;

/// Finds tshark, installing it with apt when it is missing and we may.
fn tshark_available() -> bool {
    let present = || {
        Command::new("tshark")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if present() {
        return true;
    }
    eprintln!("tshark not found: trying `apt-get install -y tshark`");
    let _ = Command::new("sh")
        .args(["-c", "echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tshark || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tshark)"])
        .status();
    present()
}

struct Capture {
    child: Child,
}

impl Capture {
    fn start(port: u16, pcap: &Path) -> Option<Capture> {
        let mut child = Command::new("tshark")
            .args(["-i", "lo", "-f", &format!("tcp port {port}"), "-w"])
            .arg(pcap)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .ok()?;
        let stderr = child.stderr.take()?;
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("Capturing on") {
                    let _ = ready_tx.send(true);
                }
            }
        });
        match ready_rx.recv_timeout(Duration::from_secs(20)) {
            Ok(_) => {
                // "Capturing on" comes slightly before the filter is live.
                std::thread::sleep(Duration::from_millis(700));
                Some(Capture { child })
            }
            Err(_) => {
                let _ = child.kill();
                None
            }
        }
    }

    fn stop(mut self) {
        std::thread::sleep(Duration::from_millis(500));
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every value of `fields` per packet, decoded with SoupBinTCP on `port`.
fn decode(pcap: &Path, port: u16, filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    let mut command = Command::new("tshark");
    command
        .arg("-r")
        .arg(pcap)
        .args([
            "-d",
            &format!("tcp.port=={port},soupbintcp"),
            "-Y",
            filter,
            "-T",
            "fields",
        ])
        .args([
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=|",
            "-E",
            "separator=\t",
        ]);
    for field in fields {
        command.args(["-e", field]);
    }
    let output = command.output().expect("run tshark -r");
    assert!(
        output.status.success(),
        "tshark -r failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| line.split('\t').map(str::to_string).collect())
        .collect()
}

/// Flattens tshark's per-frame aggregated values into one list per field.
fn all_values(rows: &[Vec<String>], column: usize) -> Vec<String> {
    rows.iter()
        .filter_map(|row| row.get(column))
        .flat_map(|cell| {
            // Character fields print quoted ('A'); strip the quotes.
            cell.split('|')
                .filter(|v| !v.is_empty())
                .map(|v| v.trim_matches('\'').to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn tshark_decodes_every_packet_of_a_session() {
    if !tshark_available() {
        eprintln!("\n\n*** SKIPPED: tshark is not installed and could not be installed; the independent-decoder check did not run ***\n");
        return;
    }
    let server = TestServer::start();
    let port = server.ouch.port();
    let pcap = std::env::temp_dir().join(format!("rtes-ouch-{}-{port}.pcap", std::process::id()));
    let Some(capture) = Capture::start(port, &pcap) else {
        eprintln!("\n\n*** SKIPPED: tshark cannot capture on the loopback interface here (no permission?) ***\n");
        return;
    };

    let (mut seller, _) = SoupClient::login_ok(server.ouch, DEMO_USERS[1].0, DEMO_USERS[1].1);
    let (mut buyer, _) = SoupClient::login_ok(server.ouch, DEMO_USERS[2].0, DEMO_USERS[2].1);
    seller.limit("SELL1", b'S', 300, "AAPL", P100);
    let Ouch::Accepted { order_ref, .. } = seller.recv_ouch() else {
        panic!("Accepted")
    };
    buyer.limit("BUY1", b'B', 100, "AAPL", P100);
    assert!(matches!(buyer.recv_ouch(), Ouch::Accepted { .. }));
    let Ouch::Executed { match_number, .. } = buyer.recv_ouch() else {
        panic!("Executed")
    };
    assert!(matches!(seller.recv_ouch(), Ouch::Executed { .. }));
    seller.cancel("SELL1", 0);
    assert!(matches!(
        seller.recv_ouch(),
        Ouch::Canceled { shares: 200, .. }
    ));
    capture.stop();

    let malformed = decode(
        &pcap,
        port,
        "_ws.malformed || _ws.expert.severity >= error",
        &["frame.number"],
    );
    assert!(
        malformed.is_empty(),
        "tshark found malformed packets: {malformed:?}"
    );

    let rows = decode(
        &pcap,
        port,
        "soupbintcp",
        &[
            "soupbintcp.packet_type",
            "soupbintcp.username",
            "ouch.packet_type",
            "ouch.order_token",
            "ouch.shares",
            "ouch.stock",
            "ouch.price",
            "ouch.order_reference_number",
            "ouch.match_number",
            "ouch.decrement_shares",
            "ouch.executed_shares",
        ],
    );
    let soup_types = all_values(&rows, 0);
    for expected in ["L", "A", "U", "S"] {
        assert!(
            soup_types.iter().any(|t| t == expected),
            "no SoupBinTCP {expected} in {soup_types:?}"
        );
    }
    let usernames = all_values(&rows, 1);
    for user in [DEMO_USERS[1].0, DEMO_USERS[2].0] {
        assert!(
            usernames.iter().any(|u| u.trim() == user),
            "usernames {usernames:?} lack {user}"
        );
    }
    let ouch_types = all_values(&rows, 2);
    for expected in ["O", "A", "E", "X", "C"] {
        assert!(
            ouch_types.iter().any(|t| t == expected),
            "no OUCH {expected} in {ouch_types:?}"
        );
    }
    let tokens: Vec<String> = all_values(&rows, 3)
        .iter()
        .map(|t| t.trim().to_string())
        .collect();
    assert!(
        tokens.contains(&"SELL1".to_string()) && tokens.contains(&"BUY1".to_string()),
        "tokens {tokens:?}"
    );
    let stocks = all_values(&rows, 5);
    assert!(
        stocks.iter().all(|s| s.trim() == "AAPL"),
        "stocks {stocks:?}"
    );
    let prices = all_values(&rows, 6);
    assert!(
        prices.iter().any(|p| p == &P100.to_string()),
        "prices {prices:?}"
    );
    let refs = all_values(&rows, 7);
    assert!(
        refs.contains(&order_ref.to_string()),
        "order refs {refs:?} lack {order_ref}"
    );
    let matches = all_values(&rows, 8);
    assert_eq!(
        matches,
        vec![match_number.to_string(); 2],
        "both Executed carry the match number"
    );
    assert_eq!(
        all_values(&rows, 9),
        vec!["200".to_string()],
        "decrement shares"
    );
    assert_eq!(
        all_values(&rows, 10),
        vec!["100".to_string(); 2],
        "executed shares"
    );
    let _ = std::fs::remove_file(&pcap);
}
