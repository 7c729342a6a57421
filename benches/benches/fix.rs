//! Criterion micro-benches of the FIX 4.4 path: frame + decode + validate
//! of a typical NewOrderSingle, encode of an ExecutionReport, and the whole
//! session turn (an order in, validated, sequenced, delivered, answered with
//! an ExecutionReport that is stored and written). Reports messages/s.
//!
//! ```sh
//! cargo bench -p rtes-benches --bench fix -- --quick
//! ```

use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rtes_gateway::fix::codec::{frame, tags, Decoder, Encoder, Frame, Message};
use rtes_gateway::fix::dictionary::validate_inbound;
use rtes_gateway::fix::session::{
    CredentialCheck, MemoryStore, Now, Replier, Session, SessionEvent, SessionHandler,
    SessionSettings,
};

/// 2026-11-23 09:20:00 UTC.
const UTC_NS: u64 = 1_795_425_600_000_000_000;

/// A NewOrderSingle as a typical client sends it (header, account, limit
/// order, day).
fn new_order_single(seq: u64, encoder: &mut Encoder) -> Vec<u8> {
    encoder.begin(b"D");
    encoder.field_bytes(tags::SENDER_COMP_ID, b"CLIENT");
    encoder.field_bytes(tags::TARGET_COMP_ID, b"RTES");
    encoder.field_u64(tags::MSG_SEQ_NUM, seq);
    encoder.field_timestamp(tags::SENDING_TIME, UTC_NS);
    encoder.field_bytes(tags::CL_ORD_ID, b"ORDER-000123456");
    encoder.field_bytes(tags::ACCOUNT, b"ACCT-7");
    encoder.field_bytes(tags::SYMBOL, b"AAPL");
    encoder.field_char(tags::SIDE, b'1');
    encoder.field_timestamp(tags::TRANSACT_TIME, UTC_NS);
    encoder.field_u64(tags::ORDER_QTY, 100);
    encoder.field_char(tags::ORD_TYPE, b'2');
    encoder.field_decimal(tags::PRICE, 1_902_500, 4);
    encoder.field_char(tags::TIME_IN_FORCE, b'0');
    encoder.finish().to_vec()
}

/// The body of a New ExecutionReport.
fn execution_report(encoder: &mut Encoder, cl_ord_id: &[u8]) {
    encoder.field_bytes(tags::ORDER_ID, b"1234567");
    encoder.field_bytes(tags::CL_ORD_ID, cl_ord_id);
    encoder.field_bytes(tags::EXEC_ID, b"1234567-1");
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
    encoder.field_timestamp(tags::TRANSACT_TIME, UTC_NS);
}

fn codec(c: &mut Criterion) {
    let mut group = c.benchmark_group("fix");
    group.throughput(Throughput::Elements(1));
    let mut encoder = Encoder::with_capacity(1024);
    let order = new_order_single(2, &mut encoder);
    let mut decoder = Decoder::new(128);
    group.bench_function("decode_validate_new_order_single", |b| {
        b.iter(|| {
            let bytes = black_box(&order[..]);
            let Frame::Complete(length) = frame(bytes, 8192) else {
                unreachable!()
            };
            let message = decoder.decode(&bytes[..length]).unwrap();
            validate_inbound(&message).unwrap();
            black_box(message.fields().len())
        })
    });
    group.bench_function("encode_execution_report", |b| {
        b.iter(|| {
            encoder.begin(b"8");
            encoder.raw_fields(b"49=RTES\x0156=CLIENT\x01");
            encoder.field_u64(tags::MSG_SEQ_NUM, black_box(123_456));
            encoder.field_timestamp(tags::SENDING_TIME, black_box(UTC_NS));
            execution_report(&mut encoder, black_box(b"ORDER-000123456"));
            black_box(encoder.finish().len())
        })
    });
    group.finish();
}

/// Answers every order with an ExecutionReport.
struct Acknowledge;

impl SessionHandler<MemoryStore> for Acknowledge {
    fn on_application(&mut self, message: &Message<'_>, reply: &mut Replier<'_, MemoryStore>) {
        let cl_ord_id = message.get(tags::CL_ORD_ID).unwrap_or(b"?");
        reply
            .send_application(b"8", |encoder| execution_report(encoder, cl_ord_id))
            .unwrap();
    }

    fn on_event(&mut self, _event: SessionEvent<'_>) {}
}

fn session(c: &mut Criterion) {
    const BATCH: u64 = 10_000;
    let mut settings = SessionSettings::new("RTES", "CLIENT");
    settings.credential_check = CredentialCheck::None;
    let now = Now::new(1, UTC_NS);
    let mut encoder = Encoder::with_capacity(1024);
    let mut group = c.benchmark_group("fix_session");
    group.throughput(Throughput::Elements(1));
    group.bench_function("order_in_execution_report_out", |b| {
        b.iter_custom(|iterations| {
            let mut elapsed = Duration::ZERO;
            let mut done = 0;
            while done < iterations {
                let count = BATCH.min(iterations - done);
                // Untimed: a fresh session (so the in-memory store stays
                // small) and its orders.
                let store =
                    MemoryStore::with_capacity(count as usize + 8, (count as usize + 8) * 512);
                let mut session = Session::new(settings.clone(), store);
                session.on_connect(now);
                let mut output = Vec::with_capacity(1 << 16);
                encoder.begin(b"A");
                encoder.raw_fields(b"49=CLIENT\x0156=RTES\x0134=1\x01");
                encoder.field_timestamp(tags::SENDING_TIME, UTC_NS);
                encoder.raw_fields(b"98=0\x01108=30\x01");
                let logon = encoder.finish().to_vec();
                session.on_bytes(&logon, now, &mut output, &mut Acknowledge);
                let orders: Vec<Vec<u8>> = (0..count)
                    .map(|index| new_order_single(index + 2, &mut encoder))
                    .collect();
                let start = Instant::now();
                for order in &orders {
                    output.clear();
                    black_box(session.on_bytes(order, now, &mut output, &mut Acknowledge));
                }
                elapsed += start.elapsed();
                done += count;
            }
            elapsed
        })
    });
    group.finish();
}

criterion_group!(benches, codec, session);
criterion_main!(benches);
