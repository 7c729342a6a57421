//! Test harness: starts the real `rtes` binary on ephemeral ports and talks
//! to it over TCP with a small SoupBinTCP/OUCH 4.2 client written here from
//! the public layouts (deliberately independent of the gateway's codecs).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Demo credentials from config/default.toml.
pub const DEMO_USERS: [(&str, &str); 4] = [
    ("demo01", "demo01pw"),
    ("demo02", "demo02pw"),
    ("demo03", "demo03pw"),
    ("demo04", "demo04pw"),
];

/// How long a test waits for any single expected reply.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// A running `rtes` process, killed when dropped.
pub struct TestServer {
    child: Child,
    /// OUCH order-entry address.
    pub ouch: SocketAddr,
    /// FIX acceptor address, when the config enables it.
    pub fix: Option<SocketAddr>,
    _dir: tempdir::TempDir,
}

mod tempdir {
    use std::path::{Path, PathBuf};

    /// A directory removed when dropped.
    pub struct TempDir(PathBuf);

    impl TempDir {
        pub fn new(tag: &str) -> TempDir {
            let unique = format!(
                "rtes-test-{tag}-{}-{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos()
            );
            let path = std::env::temp_dir().join(unique);
            std::fs::create_dir_all(&path).unwrap();
            TempDir(path)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Path of the workspace's default config.
pub fn default_config() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../config/default.toml")
}

/// A test config: the default one with every instrument at 100.00 ±50%.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

impl TestServer {
    /// Starts `rtes` on the test config with ephemeral ports.
    pub fn start() -> TestServer {
        TestServer::start_with(&fixture("test.toml"), &[])
    }

    /// Starts `rtes` with a config file and extra arguments.
    pub fn start_with(config: &std::path::Path, extra_args: &[&str]) -> TestServer {
        let dir = tempdir::TempDir::new("server");
        let ports_file = dir.path().join("ports.json");
        let mut command = Command::new(env!("CARGO_BIN_EXE_rtes"));
        command
            .arg("--config")
            .arg(config)
            .args(["--ouch-port", "0", "--fix-port", "0", "--ports-file"])
            .arg(&ports_file);
        if !extra_args.contains(&"--fix-store-dir") {
            command
                .arg("--fix-store-dir")
                .arg(dir.path().join("fix-store"));
        }
        let child = command
            .args(extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn rtes");
        let mut server = TestServer {
            child,
            ouch: "127.0.0.1:1".parse().unwrap(),
            fix: None,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(text) = std::fs::read_to_string(&ports_file) {
                if let Some(address) = json_address(&text, "ouch") {
                    server.ouch = address;
                    server.fix = json_address(&text, "fix");
                    return server;
                }
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("rtes exited early: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "rtes did not write its ports file"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM and waits for a clean exit; returns the exit status code.
    pub fn terminate(mut self) -> Option<i32> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "rtes did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `"key":"address"` out of the flat JSON object `rtes` writes.
fn json_address(text: &str, key: &str) -> Option<SocketAddr> {
    let pattern = format!("\"{key}\":\"");
    let start = text.find(&pattern)? + pattern.len();
    let end = start + text[start..].find('"')?;
    text[start..end].parse().ok()
}

/// A SoupBinTCP packet as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// 'A'
    LoginAccepted { session: String, sequence: u64 },
    /// 'J'
    LoginRejected(u8),
    /// 'S' with its OUCH message.
    Sequenced(Ouch),
    /// 'H'
    Heartbeat,
    /// 'Z'
    EndOfSession,
    /// '+'
    Debug(String),
    /// Anything else.
    Other(u8, Vec<u8>),
}

/// An outbound OUCH 4.2 message, decoded by hand from the spec's offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ouch {
    /// 'S'
    SystemEvent { code: u8 },
    /// 'A'
    Accepted {
        token: String,
        side: u8,
        shares: u32,
        stock: String,
        price: u32,
        order_ref: u64,
        state: u8,
    },
    /// 'U'
    Replaced {
        token: String,
        shares: u32,
        price: u32,
        order_ref: u64,
        previous_token: String,
    },
    /// 'C'
    Canceled {
        token: String,
        shares: u32,
        reason: u8,
    },
    /// 'E'
    Executed {
        token: String,
        shares: u32,
        price: u32,
        liquidity: u8,
        match_number: u64,
    },
    /// 'J'
    Rejected { token: String, reason: u8 },
    /// Unknown type.
    Unknown(Vec<u8>),
}

fn be_u32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes(bytes[..4].try_into().unwrap())
}

fn be_u64(bytes: &[u8]) -> u64 {
    u64::from_be_bytes(bytes[..8].try_into().unwrap())
}

fn alpha(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_string()
}

fn pad<const N: usize>(text: &str) -> [u8; N] {
    let mut out = [b' '; N];
    out[..text.len()].copy_from_slice(text.as_bytes());
    out
}

impl Ouch {
    fn decode(m: &[u8]) -> Ouch {
        match m[0] {
            b'S' if m.len() == 10 => Ouch::SystemEvent { code: m[9] },
            b'A' if m.len() == 66 => Ouch::Accepted {
                token: alpha(&m[9..23]),
                side: m[23],
                shares: be_u32(&m[24..]),
                stock: alpha(&m[28..36]),
                price: be_u32(&m[36..]),
                order_ref: be_u64(&m[49..]),
                state: m[64],
            },
            b'U' if m.len() == 80 => Ouch::Replaced {
                token: alpha(&m[9..23]),
                shares: be_u32(&m[24..]),
                price: be_u32(&m[36..]),
                order_ref: be_u64(&m[49..]),
                previous_token: alpha(&m[65..79]),
            },
            b'C' if m.len() == 28 => Ouch::Canceled {
                token: alpha(&m[9..23]),
                shares: be_u32(&m[23..]),
                reason: m[27],
            },
            b'E' if m.len() == 40 => Ouch::Executed {
                token: alpha(&m[9..23]),
                shares: be_u32(&m[23..]),
                price: be_u32(&m[27..]),
                liquidity: m[31],
                match_number: be_u64(&m[32..]),
            },
            b'J' if m.len() == 24 => Ouch::Rejected {
                token: alpha(&m[9..23]),
                reason: m[23],
            },
            _ => Ouch::Unknown(m.to_vec()),
        }
    }
}

/// A raw SoupBinTCP client.
pub struct SoupClient {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl SoupClient {
    /// Connects.
    pub fn connect(addr: SocketAddr) -> SoupClient {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).unwrap();
        SoupClient {
            stream,
            buffer: Vec::new(),
        }
    }

    /// Connects and logs in, asserting acceptance; returns the next sequence number.
    pub fn login_ok(addr: SocketAddr, user: &str, password: &str) -> (SoupClient, u64) {
        let mut client = SoupClient::connect(addr);
        client.send_login(user, password, "", 0);
        match client.recv() {
            Packet::LoginAccepted { sequence, .. } => (client, sequence),
            other => panic!("expected Login Accepted, got {other:?}"),
        }
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// A second handle on the same socket for writing from another thread.
    pub fn try_clone_writer(&self) -> SoupClient {
        SoupClient {
            stream: self.stream.try_clone().expect("clone socket"),
            buffer: Vec::new(),
        }
    }

    /// Like [`SoupClient::enter`], but false instead of a panic when the
    /// server has closed the connection.
    #[allow(clippy::too_many_arguments)]
    pub fn enter_ok(
        &mut self,
        token: &str,
        side: u8,
        shares: u32,
        stock: &str,
        price: u32,
        tif: u32,
        display: u8,
        min_qty: u32,
    ) -> bool {
        let frame = enter_frame(token, side, shares, stock, price, tif, display, min_qty);
        self.stream.write_all(&frame).is_ok()
    }

    /// Sends one SoupBinTCP packet.
    pub fn send_packet(&mut self, kind: u8, payload: &[u8]) {
        let mut frame = Vec::with_capacity(3 + payload.len());
        frame.extend_from_slice(&((payload.len() + 1) as u16).to_be_bytes());
        frame.push(kind);
        frame.extend_from_slice(payload);
        self.send_raw(&frame);
    }

    /// Login Request.
    pub fn send_login(&mut self, user: &str, password: &str, session: &str, sequence: u64) {
        let mut payload = Vec::new();
        payload.extend_from_slice(&pad::<6>(user));
        payload.extend_from_slice(&pad::<10>(password));
        payload.extend_from_slice(&pad::<10>(session));
        payload.extend_from_slice(format!("{sequence:>20}").as_bytes());
        self.send_packet(b'L', &payload);
    }

    /// OUCH Enter Order inside an Unsequenced packet.
    #[allow(clippy::too_many_arguments)]
    pub fn enter(
        &mut self,
        token: &str,
        side: u8,
        shares: u32,
        stock: &str,
        price: u32,
        tif: u32,
        display: u8,
        min_qty: u32,
    ) {
        let frame = enter_frame(token, side, shares, stock, price, tif, display, min_qty);
        self.send_raw(&frame);
    }

    /// A displayed day limit order.
    pub fn limit(&mut self, token: &str, side: u8, shares: u32, stock: &str, price: u32) {
        self.enter(token, side, shares, stock, price, 99_999, b'Y', 0);
    }
    /// OUCH Replace Order.
    pub fn replace(&mut self, token: &str, new_token: &str, shares: u32, price: u32) {
        let mut m = Vec::with_capacity(47);
        m.push(b'U');
        m.extend_from_slice(&pad::<14>(token));
        m.extend_from_slice(&pad::<14>(new_token));
        m.extend_from_slice(&shares.to_be_bytes());
        m.extend_from_slice(&price.to_be_bytes());
        m.extend_from_slice(&99_999u32.to_be_bytes());
        m.push(b'Y');
        m.push(b'N');
        m.extend_from_slice(&0u32.to_be_bytes());
        assert_eq!(m.len(), 47);
        self.send_packet(b'U', &m);
    }

    /// OUCH Cancel Order.
    pub fn cancel(&mut self, token: &str, shares: u32) {
        let mut m = Vec::with_capacity(19);
        m.push(b'X');
        m.extend_from_slice(&pad::<14>(token));
        m.extend_from_slice(&shares.to_be_bytes());
        self.send_packet(b'U', &m);
    }

    /// Receives the next packet other than a heartbeat, or panics after the timeout.
    pub fn recv(&mut self) -> Packet {
        loop {
            match self.recv_any(REPLY_TIMEOUT) {
                Some(Packet::Heartbeat) => continue,
                Some(packet) => return packet,
                None => panic!("no packet within {REPLY_TIMEOUT:?}"),
            }
        }
    }

    /// Receives the next OUCH message, or panics.
    pub fn recv_ouch(&mut self) -> Ouch {
        match self.recv() {
            Packet::Sequenced(message) => message,
            other => panic!("expected sequenced data, got {other:?}"),
        }
    }

    /// Receives any packet (heartbeats included) within `timeout`; `None` on
    /// timeout or when the server closed the connection.
    pub fn recv_any(&mut self, timeout: Duration) -> Option<Packet> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.buffer.len() >= 2 {
                let len = u16::from_be_bytes([self.buffer[0], self.buffer[1]]) as usize;
                if self.buffer.len() >= 2 + len {
                    let frame: Vec<u8> = self.buffer.drain(..2 + len).collect();
                    return Some(parse_packet(&frame[2..]));
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            self.stream.set_read_timeout(Some(deadline - now)).unwrap();
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    return None
                }
                Err(_) => return None,
            }
        }
    }

    /// True when the server has closed the connection (EOF) within `timeout`,
    /// skipping any packets before it.
    pub fn closed_within(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.recv_any(Duration::from_millis(200)).is_none() {
                let mut probe = [0u8; 1];
                self.stream
                    .set_read_timeout(Some(Duration::from_millis(50)))
                    .unwrap();
                if let Ok(0) = self.stream.read(&mut probe) {
                    return true;
                }
            }
        }
        false
    }
}

/// A SoupBinTCP Unsequenced Data packet carrying an OUCH Enter Order.
#[allow(clippy::too_many_arguments)]
fn enter_frame(
    token: &str,
    side: u8,
    shares: u32,
    stock: &str,
    price: u32,
    tif: u32,
    display: u8,
    min_qty: u32,
) -> Vec<u8> {
    let mut m = Vec::with_capacity(52);
    m.extend_from_slice(&50u16.to_be_bytes());
    m.push(b'U');
    m.push(b'O');
    m.extend_from_slice(&pad::<14>(token));
    m.push(side);
    m.extend_from_slice(&shares.to_be_bytes());
    m.extend_from_slice(&pad::<8>(stock));
    m.extend_from_slice(&price.to_be_bytes());
    m.extend_from_slice(&tif.to_be_bytes());
    m.extend_from_slice(b"TEST");
    m.push(display);
    m.push(b'A');
    m.push(b'N');
    m.extend_from_slice(&min_qty.to_be_bytes());
    m.push(b'N');
    m.push(b'R');
    assert_eq!(m.len(), 52);
    m
}

fn parse_packet(body: &[u8]) -> Packet {
    match body.first() {
        Some(b'A') if body.len() == 31 => Packet::LoginAccepted {
            session: alpha(&body[1..11]),
            sequence: alpha(&body[11..31]).parse().unwrap(),
        },
        Some(b'J') if body.len() == 2 => Packet::LoginRejected(body[1]),
        Some(b'S') => Packet::Sequenced(Ouch::decode(&body[1..])),
        Some(b'H') => Packet::Heartbeat,
        Some(b'Z') => Packet::EndOfSession,
        Some(b'+') => Packet::Debug(String::from_utf8_lossy(&body[1..]).into_owned()),
        Some(&kind) => Packet::Other(kind, body[1..].to_vec()),
        None => Packet::Other(0, Vec::new()),
    }
}
