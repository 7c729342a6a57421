//! `fix-md-sink` against the real `rtes`: two market-data sessions subscribe
//! to every book while OUCH orders arrive; both must receive refreshes.

use std::io::Write;
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

mod support;
use support::{workspace, RtesServer};

/// A SoupBinTCP login and `count` resting OUCH orders on AAPL.
fn send_orders(address: std::net::SocketAddr, count: u32) -> TcpStream {
    let mut stream = TcpStream::connect(address).unwrap();
    let mut login = vec![b'L'];
    login.extend_from_slice(b"demo01");
    login.extend_from_slice(b"demo01pw  ");
    login.extend_from_slice(&[b' '; 10]);
    login.extend_from_slice(format!("{:>20}", 0).as_bytes());
    let mut frame = (login.len() as u16).to_be_bytes().to_vec();
    frame.extend_from_slice(&login);
    stream.write_all(&frame).unwrap();
    for i in 0..count {
        let mut order = vec![b'O'];
        order.extend_from_slice(format!("{:<14}", format!("SINK{i}")).as_bytes());
        order.push(b'B');
        order.extend_from_slice(&100u32.to_be_bytes());
        order.extend_from_slice(b"AAPL    ");
        order.extend_from_slice(&(1_800_000u32 + i * 100).to_be_bytes());
        order.extend_from_slice(&99_999u32.to_be_bytes());
        order.extend_from_slice(b"RTES");
        order.push(b'Y');
        order.push(b'A');
        order.push(b'N');
        order.extend_from_slice(&0u32.to_be_bytes());
        order.push(b'N');
        order.push(b'R');
        let mut frame = ((order.len() + 1) as u16).to_be_bytes().to_vec();
        frame.push(b'U');
        frame.extend_from_slice(&order);
        stream.write_all(&frame).unwrap();
    }
    stream
}

#[test]
fn sink_sessions_receive_refreshes() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("fix-store");
    let server = RtesServer::start(
        dir.path(),
        &workspace().join("perf/fix-md.toml"),
        &[
            "--fix-port",
            "0",
            "--fix-store-dir",
            store.to_str().unwrap(),
            "--ouch-port",
            "0",
            "--no-feed",
        ],
    );
    let port = server.address("fix").port().to_string();
    let sink = Command::new(env!("CARGO_BIN_EXE_fix-md-sink"))
        .args([
            "--port",
            &port,
            "--sessions",
            "MD01,MD02",
            "--duration",
            "3",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn fix-md-sink");
    std::thread::sleep(Duration::from_millis(800));
    let _orders = send_orders(server.address("ouch"), 50);
    let output = sink.wait_with_output().unwrap();
    assert!(output.status.success(), "fix-md-sink failed");
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    for line in lines {
        let report: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            report["entries"].as_u64().unwrap() >= 50,
            "every added order reaches the subscriber: {line}"
        );
    }
}
