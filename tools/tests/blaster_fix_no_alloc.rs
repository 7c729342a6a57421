//! Proves the blaster's FIX hot path does not allocate once its buffers have
//! grown: a counting global allocator watches the session encoder (new
//! orders, cancels, replaces, heartbeats) and the reader turning a stream
//! of ExecutionReports and OrderCancelRejects into replies.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use rtes_gateway::fix::codec::{tags, Encoder};
use rtes_gateway::ouch::Side;
use rtes_tools::blaster::fix::{FixOutbound, FixReader};
use rtes_tools::blaster::protocol::{
    CancelRequest, EnterRequest, Event, ReplaceRequest, SessionEncoder,
};
use rtes_tools::blaster::session::RECEIVE_BUFFER_BYTES;
use rtes_tools::blaster::token::TokenCodec;

struct Counting;

thread_local! {
    // Per thread, so the test harness's own threads cannot disturb the
    // count; `const` initialisation keeps the counter itself allocation-free.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: defers every call to the system allocator unchanged; it only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const CODEC: TokenCodec = TokenCodec::new_const(*b"NOALLC");

/// One round of everything the sender writes on a FIX session.
fn encode_round(encoder: &mut SessionEncoder, out: &mut Vec<u8>, number: u64) {
    let token = CODEC.encode(number);
    let replacement = CODEC.encode(number + 1);
    let stock = b"AAPL    ";
    encoder
        .enter(
            out,
            &EnterRequest {
                token: &token,
                stock,
                side: Side::Buy,
                price: 1_900_100,
                shares: 300,
                ioc: number.is_multiple_of(2),
            },
        )
        .unwrap();
    encoder
        .replace(
            out,
            &ReplaceRequest {
                existing: &token,
                replacement: &replacement,
                stock,
                side: Side::Buy,
                price: 1_900_200,
                shares: 200,
            },
        )
        .unwrap();
    encoder
        .cancel(
            out,
            &CancelRequest {
                token: &replacement,
                stock,
                side: Side::Buy,
            },
        )
        .unwrap();
    encoder.heartbeat(out, b"TEST-REQUEST-7").unwrap();
}

/// Venue replies to `rounds` orders, built before counting starts.
fn venue_stream(rounds: u64) -> Vec<u8> {
    let mut encoder = Encoder::with_capacity(512);
    let mut stream = Vec::new();
    let mut sequence = 1;
    let mut message = |msg_type: &[u8], body: &[(u32, &[u8])]| {
        encoder.begin(msg_type);
        encoder.field_bytes(tags::SENDER_COMP_ID, b"RTES");
        encoder.field_bytes(tags::TARGET_COMP_ID, b"DEMO01");
        encoder.field_u64(tags::MSG_SEQ_NUM, sequence);
        encoder.field_bytes(tags::SENDING_TIME, b"20261123-09:20:00.000");
        for (tag, value) in body {
            encoder.field_bytes(*tag, value);
        }
        sequence += 1;
        stream.extend_from_slice(encoder.finish());
    };
    for number in 0..rounds {
        let token = CODEC.encode(number);
        let next = CODEC.encode(number + 1);
        let mut cancel_id = next.to_vec();
        cancel_id.push(b'C');
        message(
            b"8",
            &[
                (37, b"17"),
                (17, b"1.1"),
                (150, b"0"),
                (39, b"0"),
                (11, &token),
                (151, b"300"),
                (14, b"0"),
            ],
        );
        message(
            b"8",
            &[
                (150, b"F"),
                (39, b"1"),
                (11, &token),
                (31, b"190.01"),
                (32, b"100"),
                (151, b"200"),
            ],
        );
        message(
            b"8",
            &[
                (150, b"5"),
                (39, b"1"),
                (11, &next),
                (41, &token),
                (151, b"100"),
            ],
        );
        message(
            b"8",
            &[
                (150, b"4"),
                (39, b"4"),
                (11, &cancel_id),
                (41, &next),
                (151, b"0"),
            ],
        );
        message(
            b"9",
            &[
                (11, &cancel_id),
                (41, &next),
                (39, b"4"),
                (434, b"1"),
                (102, b"0"),
            ],
        );
        message(b"1", &[(112, b"TEST-7")]);
        message(b"0", &[]);
    }
    stream
}

/// Feeds `stream` in 1,500-byte reads (split messages included) and
/// consumes every event; returns how many replies it saw.
fn read_all(reader: &mut FixReader, stream: &[u8]) -> usize {
    let mut replies = 0;
    for chunk in stream.chunks(1_500) {
        reader.spare_capacity()[..chunk.len()].copy_from_slice(chunk);
        reader.commit(chunk.len());
        loop {
            match reader.next_event() {
                Event::Pending => break,
                Event::Reply(_) => replies += 1,
                Event::TestRequest(_) | Event::Ignored => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    replies
}

#[test]
fn fix_encoding_and_reply_mapping_do_not_allocate() {
    let mut encoder = SessionEncoder::Fix(FixOutbound::new("DEMO01", "RTES", 30));
    let mut out = Vec::with_capacity(64 * 1024);
    let warm = venue_stream(100);
    let measured = venue_stream(2_000);
    let mut reader = FixReader::new(RECEIVE_BUFFER_BYTES);
    // Warm-up: buffers reach their working size.
    for number in 0..100 {
        encode_round(&mut encoder, &mut out, number);
        out.clear();
    }
    assert_eq!(read_all(&mut reader, &warm), 500);
    // A new session: MsgSeqNum 1 again, as `measured` starts.
    let mut reader = FixReader::new(RECEIVE_BUFFER_BYTES);

    let before = allocations();
    for number in 0..10_000 {
        encode_round(&mut encoder, &mut out, number);
        if out.len() > 32 * 1024 {
            out.clear();
        }
    }
    let replies = read_all(&mut reader, &measured);
    let during = allocations() - before;
    assert_eq!(replies, 10_000);
    assert_eq!(during, 0, "{during} allocations on the FIX hot path");
}
