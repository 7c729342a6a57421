//! A plain FIX 4.4 initiator for integration tests: it sends exactly the
//! bytes a test asks for (wrong sequence numbers, garbage, duplicates) so
//! the acceptor's session rules can be driven over a real socket. Messages
//! are built and parsed with simple string code here, not the gateway's
//! codec, so a codec bug cannot hide itself.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The venue's CompID in the test configs.
pub const VENUE: &str = "RTES";

/// A received message: its type and fields in wire order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixMessage {
    /// MsgType (35).
    pub msg_type: String,
    /// Every field, header and trailer included.
    pub fields: Vec<(u32, String)>,
}

impl FixMessage {
    /// The first value of `tag`.
    pub fn get(&self, tag: u32) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| *field == tag)
            .map(|(_, value)| value.as_str())
    }

    /// The value of `tag`, panicking with the message when absent.
    pub fn field(&self, tag: u32) -> &str {
        self.get(tag)
            .unwrap_or_else(|| panic!("tag {tag} missing from {self:?}"))
    }

    /// True when every `(tag, value)` pair is present.
    pub fn matches(&self, expected: &[(u32, &str)]) -> bool {
        expected
            .iter()
            .all(|(tag, value)| self.get(*tag) == Some(*value))
    }
}

/// UTCTimestamp of now, milliseconds.
pub fn utc_timestamp() -> String {
    utc_timestamp_at(SystemTime::now())
}

/// UTCTimestamp of `time`, milliseconds.
pub fn utc_timestamp_at(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap();
    let seconds = since.as_secs();
    let days = (seconds / 86_400) as i64;
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let second_of_day = seconds % 86_400;
    format!(
        "{year:04}{month:02}{day:02}-{:02}:{:02}:{:02}.{:03}",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
        since.subsec_millis()
    )
}

/// Builds a complete message: BeginString, BodyLength and CheckSum computed here.
pub fn build(msg_type: &str, header_and_body: &[(u32, String)]) -> Vec<u8> {
    let mut body = format!("35={msg_type}\x01");
    for (tag, value) in header_and_body {
        body.push_str(&format!("{tag}={value}\x01"));
    }
    let mut message = format!("8=FIX.4.4\x019={}\x01{body}", body.len()).into_bytes();
    let sum = message
        .iter()
        .fold(0u32, |sum, byte| sum + u32::from(*byte))
        % 256;
    message.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    message
}

/// Parses one message (no validation beyond tag=value).
pub fn parse(bytes: &[u8]) -> FixMessage {
    let text = String::from_utf8_lossy(bytes);
    let fields: Vec<(u32, String)> = text
        .split('\x01')
        .filter(|field| !field.is_empty())
        .map(|field| {
            let (tag, value) = field.split_once('=').expect("tag=value");
            (tag.parse().expect("numeric tag"), value.to_string())
        })
        .collect();
    let msg_type = fields
        .iter()
        .find(|(tag, _)| *tag == 35)
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    FixMessage { msg_type, fields }
}

/// A raw FIX initiator.
pub struct FixClient {
    stream: TcpStream,
    /// Our CompID.
    pub sender: String,
    /// MsgSeqNum of the next message we send.
    pub next_seq: u64,
    buffer: Vec<u8>,
    /// Every message received so far (for failure messages).
    pub received: Vec<FixMessage>,
}

impl FixClient {
    /// Connects as `sender`.
    pub fn connect(address: SocketAddr, sender: &str) -> FixClient {
        let stream = TcpStream::connect(address).expect("connect to the FIX acceptor");
        stream.set_nodelay(true).unwrap();
        FixClient {
            stream,
            sender: sender.to_string(),
            next_seq: 1,
            buffer: Vec::new(),
            received: Vec::new(),
        }
    }

    /// Standard header fields for MsgSeqNum `seq`.
    pub fn header(&self, seq: u64) -> Vec<(u32, String)> {
        vec![
            (49, self.sender.clone()),
            (56, VENUE.to_string()),
            (34, seq.to_string()),
            (52, utc_timestamp()),
        ]
    }

    /// Sends a message with the next sequence number; returns that number.
    pub fn send(&mut self, msg_type: &str, body: &[(u32, &str)]) -> u64 {
        let seq = self.next_seq;
        self.send_with_seq(msg_type, seq, body);
        self.next_seq += 1;
        seq
    }

    /// Sends a message with an explicit MsgSeqNum (does not advance `next_seq`).
    pub fn send_with_seq(&mut self, msg_type: &str, seq: u64, body: &[(u32, &str)]) {
        let mut fields = self.header(seq);
        fields.extend(body.iter().map(|(tag, value)| (*tag, value.to_string())));
        self.send_raw(&build(msg_type, &fields));
    }

    /// Writes bytes as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write to the acceptor");
    }

    /// Logon with HeartBtInt and optional reset; returns the acceptor's Logon.
    pub fn logon(&mut self, heartbeat_s: u32, reset: bool, extra: &[(u32, &str)]) -> FixMessage {
        if reset {
            self.next_seq = 1;
        }
        let heartbeat = heartbeat_s.to_string();
        let mut body: Vec<(u32, &str)> = vec![(98, "0"), (108, heartbeat.as_str())];
        if reset {
            body.push((141, "Y"));
        }
        body.extend_from_slice(extra);
        self.send("A", &body);
        self.expect("A", &[], Duration::from_secs(10))
    }

    /// Reads one message within `timeout`; `None` on timeout or close.
    pub fn receive(&mut self, timeout: Duration) -> Option<FixMessage> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(length) = complete_length(&self.buffer) {
                let message = parse(&self.buffer[..length]);
                self.buffer.drain(..length);
                self.received.push(message.clone());
                return Some(message);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            self.stream
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .unwrap();
            let mut chunk = [0u8; 8192];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(count) => self.buffer.extend_from_slice(&chunk[..count]),
                Err(error)
                    if matches!(
                        error.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return None
                }
                Err(_) => return None,
            }
        }
    }

    /// Waits for a `msg_type` message with the given field values, skipping
    /// heartbeats and anything else; panics with what was seen on timeout.
    pub fn expect(
        &mut self,
        msg_type: &str,
        fields: &[(u32, &str)],
        timeout: Duration,
    ) -> FixMessage {
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.receive(left) {
                Some(message) if message.msg_type == msg_type && message.matches(fields) => {
                    return message
                }
                Some(_) => continue,
                None => break,
            }
        }
        panic!(
            "{}: no {msg_type} with {fields:?} within {timeout:?}; received: {:#?}",
            self.sender, self.received
        );
    }

    /// True if the acceptor closes the connection within `timeout`
    /// (messages before the close are kept in `received`).
    pub fn closed_within(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if complete_length(&self.buffer).is_some() {
                self.receive(Duration::from_millis(1));
                continue;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            self.stream
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .unwrap();
            let mut chunk = [0u8; 8192];
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(count) => self.buffer.extend_from_slice(&chunk[..count]),
                Err(error)
                    if matches!(
                        error.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return false
                }
                Err(_) => return true,
            }
        }
    }

    /// Logout handshake: sends Logout, waits for the reply and the close.
    pub fn logout(&mut self) {
        self.send("5", &[]);
        self.expect("5", &[], Duration::from_secs(10));
        assert!(
            self.closed_within(Duration::from_secs(10)),
            "acceptor did not close after the Logout handshake"
        );
    }
}

/// Length of the first complete message in `buffer`, if one is there.
fn complete_length(buffer: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(buffer.get(..buffer.len().min(32))?).ok()?;
    let length_start = text.find("\x019=")? + 3;
    let length_end = length_start + text[length_start..].find('\x01')?;
    let body_length: usize = text[length_start..length_end].parse().ok()?;
    let total = length_end + 1 + body_length + 7;
    (buffer.len() >= total).then_some(total)
}
