//! End to end: the real `rtes` binary with its feed on an ephemeral
//! multicast port, one order over OUCH, and `md-listen` printing it (JSON
//! lines and text) with its counters.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod support;
use support::{rtes_binary, workspace};

/// Kills its process when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn field(text: &str, key: &str) -> String {
    let ports: serde_json::Value = serde_json::from_str(text).unwrap();
    ports[key].as_str().unwrap().to_string()
}

fn pad(text: &str, len: usize) -> Vec<u8> {
    let mut out = text.as_bytes().to_vec();
    out.resize(len, b' ');
    out
}

fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = ((payload.len() + 1) as u16).to_be_bytes().to_vec();
    out.push(kind);
    out.extend_from_slice(payload);
    out
}

/// Logs in as demo01 and enters one AAPL buy of 123 at 190.25.
fn send_order(ouch: &str) {
    let mut stream = TcpStream::connect(ouch).unwrap();
    let mut login = pad("demo01", 6);
    login.extend(pad("demo01pw", 10));
    login.extend(pad("", 10));
    login.extend(format!("{:>20}", 0).bytes());
    stream.write_all(&frame(b'L', &login)).unwrap();
    let mut order = vec![b'O'];
    order.extend(pad("MDL1", 14));
    order.push(b'B');
    order.extend(123u32.to_be_bytes());
    order.extend(pad("AAPL", 8));
    order.extend(1_902_500u32.to_be_bytes());
    order.extend(99_999u32.to_be_bytes());
    order.extend(pad("", 4));
    order.extend([b'Y', b'A', b'N']);
    order.extend(0u32.to_be_bytes());
    order.extend([b'N', b'R']);
    stream.write_all(&frame(b'U', &order)).unwrap();
    // Wait for the Accepted so the order is in before the listener stops.
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut seen = Vec::new();
    let mut chunk = [0u8; 512];
    while !seen.windows(4).any(|w| w == b"MDL1") {
        let count = stream.read(&mut chunk).unwrap();
        assert!(count > 0, "server closed");
        seen.extend_from_slice(&chunk[..count]);
    }
}

#[test]
fn md_listen_prints_the_feed() {
    let dir = std::env::temp_dir().join(format!("rtes-md-listen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ports_file = dir.join("ports.json");
    let server = Killed(
        Command::new(rtes_binary())
            .arg("--config")
            .arg(workspace().join("config/default.toml"))
            .args([
                "--no-fix",
                "--ouch-port",
                "0",
                "--feed-port",
                "0",
                "--log-level",
                "warn",
            ])
            .arg("--ports-file")
            .arg(&ports_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn rtes"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let ports = loop {
        if let Ok(text) = std::fs::read_to_string(&ports_file) {
            break text;
        }
        assert!(Instant::now() < deadline, "rtes wrote no ports file");
        std::thread::sleep(Duration::from_millis(20));
    };
    let listen = |format: &str| {
        Killed(
            Command::new(env!("CARGO_BIN_EXE_md-listen"))
                .args(["--group", &field(&ports, "feed_multicast")])
                .args(["--rerequest", &field(&ports, "feed_rerequest")])
                .args(["--format", format, "--symbols", "AAPL", "--duration", "3"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn md-listen"),
        )
    };
    let json = listen("json");
    let text = listen("text");
    std::thread::sleep(Duration::from_millis(300));
    send_order(&field(&ports, "ouch"));
    let output = |mut listener: Killed| {
        let child = std::mem::replace(
            &mut listener.0,
            Command::new("true").spawn().expect("spawn true"),
        );
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{output:?}");
        (
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let (json_out, json_err) = output(json);
    let (text_out, _) = output(text);
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();

    assert!(
        json_out
            .lines()
            .next()
            .unwrap()
            .contains("\"event_code\":\"O\""),
        "{json_out}"
    );
    let add = json_out
        .lines()
        .find(|line| line.contains("\"type\":\"A\""))
        .unwrap_or_else(|| panic!("no Add Order in:\n{json_out}"));
    assert!(add.contains("\"symbol\":\"AAPL\""), "{add}");
    assert!(
        add.contains("\"side\":\"B\",\"shares\":123,\"price\":\"190.2500\""),
        "{add}"
    );
    assert!(!json_out.contains("MSFT"), "symbol filter: {json_out}");
    assert!(json_err.contains("gaps_recovered"), "{json_err}");
    assert!(
        text_out.contains("AAPL     bid 123@190.2500  ask -"),
        "{text_out}"
    );
}
