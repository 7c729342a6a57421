//! A scripted FIX client, a recording handler and a harness that drives a
//! session on simulated time. Every message the session writes is checked
//! against the dictionary (`validate_outbound`), so each scenario also
//! proves RTES only sends what FIX 4.4 allows.

use rtes_gateway::fix::codec::{frame, tags, Decoder, Encoder, Frame, Message};
use rtes_gateway::fix::dictionary::validate_outbound;
use rtes_gateway::fix::session::*;

/// 2026-11-23 09:20:00 UTC.
pub const T0_UTC_NS: u64 = 1_795_425_600_000_000_000;
/// An arbitrary monotonic origin.
pub const T0_MONOTONIC_NS: u64 = 5_000_000_000;
pub const SECOND_NS: u64 = 1_000_000_000;

pub fn settings() -> SessionSettings {
    let mut settings = SessionSettings::new("RTES", "CLIENT");
    settings.credential_check = CredentialCheck::None;
    settings
}

/// One message as the client builds it.
#[derive(Debug, Clone)]
pub struct Build {
    msg_type: Vec<u8>,
    seq: Option<u64>,
    sender: Vec<u8>,
    target: Vec<u8>,
    sending_time_ns: Option<u64>,
    header: Vec<(u32, Vec<u8>)>,
    body: Vec<(u32, Vec<u8>)>,
    begin_string: Option<Vec<u8>>,
}

impl Build {
    pub fn new(msg_type: &str, seq: u64, sending_time_ns: u64) -> Build {
        Build {
            msg_type: msg_type.as_bytes().to_vec(),
            seq: Some(seq),
            sender: b"CLIENT".to_vec(),
            target: b"RTES".to_vec(),
            sending_time_ns: Some(sending_time_ns),
            header: Vec::new(),
            body: Vec::new(),
            begin_string: None,
        }
    }

    pub fn field(mut self, tag: u32, value: &str) -> Build {
        self.body.push((tag, value.as_bytes().to_vec()));
        self
    }

    pub fn fields(mut self, fields: &[(u32, &str)]) -> Build {
        for (tag, value) in fields {
            self.body.push((*tag, value.as_bytes().to_vec()));
        }
        self
    }

    pub fn header_field(mut self, tag: u32, value: &str) -> Build {
        self.header.push((tag, value.as_bytes().to_vec()));
        self
    }

    /// PossDupFlag=Y with OrigSendingTime.
    pub fn poss_dup(self, orig_sending_time_ns: u64) -> Build {
        let mut original = Vec::new();
        rtes_gateway::fix::codec::format_utc_timestamp(orig_sending_time_ns, &mut original);
        let original = String::from_utf8(original).unwrap();
        self.header_field(tags::POSS_DUP_FLAG, "Y")
            .header_field(tags::ORIG_SENDING_TIME, &original)
    }

    pub fn without_seq(mut self) -> Build {
        self.seq = None;
        self
    }

    pub fn without_sending_time(mut self) -> Build {
        self.sending_time_ns = None;
        self
    }

    pub fn comp_ids(mut self, sender: &str, target: &str) -> Build {
        self.sender = sender.as_bytes().to_vec();
        self.target = target.as_bytes().to_vec();
        self
    }

    pub fn begin_string(mut self, begin_string: &str) -> Build {
        self.begin_string = Some(begin_string.as_bytes().to_vec());
        self
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut encoder = Encoder::with_capacity(1024);
        encoder.begin(&self.msg_type);
        encoder.field_bytes(tags::SENDER_COMP_ID, &self.sender);
        encoder.field_bytes(tags::TARGET_COMP_ID, &self.target);
        if let Some(seq) = self.seq {
            encoder.field_u64(tags::MSG_SEQ_NUM, seq);
        }
        if let Some(time) = self.sending_time_ns {
            encoder.field_timestamp(tags::SENDING_TIME, time);
        }
        for (tag, value) in self.header.iter().chain(&self.body) {
            raw_field(&mut encoder, *tag, value);
        }
        let message = encoder.finish().to_vec();
        match &self.begin_string {
            None => message,
            Some(begin_string) => rewrite_begin_string(&message, begin_string),
        }
    }
}

/// Writes `tag=value<SOH>` even when the value is empty.
fn raw_field(encoder: &mut Encoder, tag: u32, value: &[u8]) {
    let mut field = format!("{tag}=").into_bytes();
    field.extend_from_slice(value);
    field.push(1);
    encoder.raw_fields(&field);
}

/// The same message with another BeginString (BodyLength and CheckSum
/// recomputed).
fn rewrite_begin_string(message: &[u8], begin_string: &[u8]) -> Vec<u8> {
    let body_start = message.iter().position(|byte| *byte == 1).unwrap() + 1;
    let mut out = b"8=".to_vec();
    out.extend_from_slice(begin_string);
    out.push(1);
    out.extend_from_slice(&message[body_start..]);
    with_checksum(&out[..out.len() - 7])
}

/// Appends a correct CheckSum to `message_without_trailer`.
pub fn with_checksum(message_without_trailer: &[u8]) -> Vec<u8> {
    let sum = message_without_trailer
        .iter()
        .fold(0u8, |sum, byte| sum.wrapping_add(*byte));
    let mut out = message_without_trailer.to_vec();
    out.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    out
}

/// A message the session wrote, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub bytes: Vec<u8>,
    pub fields: Vec<(u32, String)>,
}

impl Parsed {
    pub fn msg_type(&self) -> &str {
        self.get(tags::MSG_TYPE).unwrap()
    }

    pub fn get(&self, tag: u32) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field_tag, _)| *field_tag == tag)
            .map(|(_, value)| value.as_str())
    }

    pub fn get_u64(&self, tag: u32) -> Option<u64> {
        self.get(tag).map(|value| value.parse().unwrap())
    }

    pub fn seq(&self) -> u64 {
        self.get_u64(tags::MSG_SEQ_NUM).unwrap()
    }
}

/// Splits and checks everything in `output`.
pub fn parse_output(output: &[u8]) -> Vec<Parsed> {
    let mut parsed = Vec::new();
    let mut rest = output;
    let mut decoder = Decoder::new(1024);
    while !rest.is_empty() {
        let Frame::Complete(length) = frame(rest, 1 << 20) else {
            panic!(
                "session wrote an unframed message: {:?}",
                String::from_utf8_lossy(rest)
            );
        };
        let bytes = &rest[..length];
        if let Err(error) = validate_outbound(bytes) {
            panic!(
                "session wrote a message the dictionary refuses ({error}): {}",
                String::from_utf8_lossy(bytes).replace('\x01', "|")
            );
        }
        let message = decoder.decode(bytes).unwrap();
        let fields = message
            .fields()
            .iter()
            .map(|field| {
                (
                    field.tag,
                    String::from_utf8(message.value(field).to_vec()).unwrap(),
                )
            })
            .collect();
        parsed.push(Parsed {
            bytes: bytes.to_vec(),
            fields,
        });
        rest = &rest[length..];
    }
    parsed
}

/// An application message delivered to the handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub seq: u64,
    pub msg_type: String,
    pub cl_ord_id: Option<String>,
}

/// Records what the session hands over; optionally answers each
/// NewOrderSingle with an ExecutionReport through the Replier.
#[derive(Default)]
pub struct Recorder {
    pub delivered: Vec<Delivered>,
    pub events: Vec<String>,
    pub acknowledge_orders: bool,
}

impl Recorder {
    pub fn has_event(&self, needle: &str) -> bool {
        self.events.iter().any(|event| event.contains(needle))
    }
}

impl SessionHandler<MemoryStore> for Recorder {
    fn on_application(&mut self, message: &Message<'_>, reply: &mut Replier<'_, MemoryStore>) {
        self.delivered.push(Delivered {
            seq: message.get_u64(tags::MSG_SEQ_NUM).unwrap().unwrap(),
            msg_type: String::from_utf8(message.msg_type().to_vec()).unwrap(),
            cl_ord_id: message
                .get(tags::CL_ORD_ID)
                .map(|value| String::from_utf8(value.to_vec()).unwrap()),
        });
        if self.acknowledge_orders && message.msg_type() == b"D" {
            let cl_ord_id = message.get(tags::CL_ORD_ID).unwrap_or(b"?");
            reply
                .send_application(b"8", |encoder| execution_report(encoder, cl_ord_id, 0))
                .unwrap();
        }
    }

    fn on_event(&mut self, event: SessionEvent<'_>) {
        self.events.push(format!("{event:?}"));
    }
}

/// The body of a New ExecutionReport.
pub fn execution_report(encoder: &mut Encoder, cl_ord_id: &[u8], transact_time_ns: u64) {
    encoder.field_bytes(tags::ORDER_ID, b"O-1");
    encoder.field_bytes(tags::CL_ORD_ID, cl_ord_id);
    encoder.field_bytes(tags::EXEC_ID, b"E-1");
    encoder.field_char(tags::EXEC_TYPE, b'0');
    encoder.field_char(tags::ORD_STATUS, b'0');
    encoder.field_bytes(tags::SYMBOL, b"AAPL");
    encoder.field_char(tags::SIDE, b'1');
    encoder.field_u64(tags::ORDER_QTY, 100);
    encoder.field_char(tags::ORD_TYPE, b'2');
    encoder.field_decimal(tags::PRICE, 1_902_500, 4);
    encoder.field_u64(tags::LEAVES_QTY, 100);
    encoder.field_u64(tags::CUM_QTY, 0);
    encoder.field_u64(tags::AVG_PX, 0);
    encoder.field_timestamp(tags::TRANSACT_TIME, transact_time_ns);
}

/// A NewOrderSingle body.
pub fn new_order_fields(cl_ord_id: &str) -> Vec<(u32, String)> {
    vec![
        (tags::CL_ORD_ID, cl_ord_id.to_string()),
        (tags::SYMBOL, "AAPL".into()),
        (tags::SIDE, "1".into()),
        (tags::TRANSACT_TIME, "20261123-09:20:00.000".into()),
        (tags::ORDER_QTY, "100".into()),
        (tags::ORD_TYPE, "2".into()),
        (tags::PRICE, "190.25".into()),
    ]
}

/// A session on simulated time with a scripted client.
pub struct Harness {
    pub session: Session<MemoryStore>,
    pub recorder: Recorder,
    pub now: Now,
    /// The client's next MsgSeqNum.
    pub client_seq: u64,
    /// Everything the session wrote, parsed, in order.
    pub sent: Vec<Parsed>,
}

impl Harness {
    pub fn new(settings: SessionSettings) -> Harness {
        Harness::with_store(settings, MemoryStore::new())
    }

    pub fn with_store(settings: SessionSettings, store: MemoryStore) -> Harness {
        let now = Now::new(T0_MONOTONIC_NS, T0_UTC_NS);
        let mut session = Session::new(settings, store);
        session.on_connect(now);
        Harness {
            session,
            recorder: Recorder::default(),
            now,
            client_seq: 1,
            sent: Vec::new(),
        }
    }

    /// Connected and logged on (HeartBtInt 30) with the default settings.
    pub fn logged_on() -> Harness {
        let mut harness = Harness::new(settings());
        let logon = harness.logon().bytes();
        let replies = harness.send(&logon);
        assert_eq!(replies.len(), 1, "{replies:?}");
        assert_eq!(harness.session.state(), SessionState::Active);
        harness
    }

    /// The standard Logon, numbered with the client's next seq.
    pub fn logon(&mut self) -> Build {
        self.next("A")
            .fields(&[(tags::ENCRYPT_METHOD, "0"), (tags::HEART_BT_INT, "30")])
    }

    /// A message with the client's next seq and the current time.
    pub fn next(&mut self, msg_type: &str) -> Build {
        let build = Build::new(msg_type, self.client_seq, self.now.utc_ns);
        self.client_seq += 1;
        build
    }

    /// A message with an explicit seq (the client counter is unchanged).
    pub fn numbered(&self, msg_type: &str, seq: u64) -> Build {
        Build::new(msg_type, seq, self.now.utc_ns)
    }

    /// A NewOrderSingle with the client's next seq.
    pub fn order(&mut self, cl_ord_id: &str) -> Build {
        let build = self.next("D");
        add_fields(build, &new_order_fields(cl_ord_id))
    }

    /// Feeds bytes; asserts they are all consumed; returns what the session wrote.
    pub fn send(&mut self, bytes: &[u8]) -> Vec<Parsed> {
        let (consumed, replies) = self.feed(bytes);
        assert_eq!(consumed, bytes.len(), "not all input consumed");
        replies
    }

    /// Feeds bytes; returns bytes consumed and what the session wrote.
    pub fn feed(&mut self, bytes: &[u8]) -> (usize, Vec<Parsed>) {
        let mut output = Vec::new();
        let consumed = self
            .session
            .on_bytes(bytes, self.now, &mut output, &mut self.recorder);
        let replies = parse_output(&output);
        self.sent.extend(replies.iter().cloned());
        (consumed, replies)
    }

    /// Moves simulated time on and runs the timers.
    pub fn wait(&mut self, ns: u64) -> Vec<Parsed> {
        self.now = self.now.plus_ns(ns);
        let mut output = Vec::new();
        self.session
            .on_timer(self.now, &mut output, &mut self.recorder);
        let replies = parse_output(&output);
        self.sent.extend(replies.iter().cloned());
        replies
    }

    /// Sends an application message from outside the handler.
    pub fn send_execution_report(&mut self, cl_ord_id: &str) -> (u64, Vec<Parsed>) {
        let mut output = Vec::new();
        let transact = self.now.utc_ns;
        let seq = self
            .session
            .send_application(b"8", self.now, &mut output, |encoder| {
                execution_report(encoder, cl_ord_id.as_bytes(), transact)
            })
            .unwrap();
        let replies = parse_output(&output);
        self.sent.extend(replies.iter().cloned());
        (seq, replies)
    }

    pub fn expected(&self) -> u64 {
        self.session.store().next_target_seq()
    }

    pub fn next_sender(&self) -> u64 {
        self.session.store().next_sender_seq()
    }

    pub fn delivered_ids(&self) -> Vec<String> {
        self.recorder
            .delivered
            .iter()
            .map(|delivered| delivered.cl_ord_id.clone().unwrap_or_default())
            .collect()
    }
}

pub fn add_fields(mut build: Build, fields: &[(u32, String)]) -> Build {
    for (tag, value) in fields {
        build = build.field(*tag, value);
    }
    build
}

/// Asserts `replies` is exactly one Reject with these 45/371/372/373.
pub fn assert_reject(
    replies: &[Parsed],
    ref_seq: u64,
    ref_tag: Option<u32>,
    ref_msg_type: &str,
    reason: u32,
) {
    let rejects: Vec<_> = replies
        .iter()
        .filter(|reply| reply.msg_type() == "3")
        .collect();
    assert_eq!(rejects.len(), 1, "expected one Reject in {replies:#?}");
    let reject = rejects[0];
    assert_eq!(
        reject.get_u64(tags::REF_SEQ_NUM),
        Some(ref_seq),
        "{reject:?}"
    );
    assert_eq!(
        reject.get_u64(tags::REF_TAG_ID).map(|tag| tag as u32),
        ref_tag,
        "{reject:?}"
    );
    assert_eq!(
        reject.get(tags::REF_MSG_TYPE),
        Some(ref_msg_type),
        "{reject:?}"
    );
    assert_eq!(
        reject.get_u64(tags::SESSION_REJECT_REASON),
        Some(u64::from(reason)),
        "{reject:?}"
    );
}

/// Message types of `replies`, in order.
pub fn types(replies: &[Parsed]) -> Vec<&str> {
    replies.iter().map(Parsed::msg_type).collect()
}
