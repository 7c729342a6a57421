//! Proves the codec hot path does not allocate: a counting global allocator
//! watches framing, decoding, conversion and encoding of a busy stream.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use rtes_engine::{
    AccountId, ClientOrderId, InstrumentId, Liquidity, RejectReason as EngineRejectReason,
};
use rtes_gateway::ouch::convert::{
    enter_order_to_engine, liquidity_to_ouch, reject_reason_to_ouch, EntryContext, WireTick,
};
use rtes_gateway::ouch::*;
use rtes_gateway::soupbin::ascii::Alpha;
use rtes_gateway::soupbin::wire::LoginRequestRecord;
use rtes_gateway::soupbin::{write_header, FrameDecoder, FrameDecoderConfig, Packet, HEADER_LEN};

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

fn enter_order() -> EnterOrder {
    EnterOrder {
        order_token: Alpha::padded(b"TOKEN").unwrap(),
        side: Side::Buy,
        shares: 100,
        stock: Alpha::padded(b"AAPL").unwrap(),
        price: 1_000_000,
        time_in_force: 99_999,
        firm: Alpha::BLANK,
        display: Display::Anonymous,
        capacity: Capacity::Agency,
        intermarket_sweep: IntermarketSweep::NotEligible,
        minimum_quantity: 0,
        cross_type: CrossType::NoCross,
        customer_type: CustomerType::PortDefault,
    }
}

#[test]
fn codec_hot_path_does_not_allocate() {
    // Set-up may allocate: the decoder's buffer and the byte arrays.
    let mut decoder = FrameDecoder::new(FrameDecoderConfig::default());
    let mut stream = [0u8; 4096];
    let mut output = [0u8; 256];
    let context = EntryContext {
        client_order_id: ClientOrderId(1),
        account: AccountId(1),
        instrument: InstrumentId(0),
        tick: WireTick::new(100).unwrap(),
    };

    // The counter sees allocations on this thread.
    let probe = allocations();
    drop(std::hint::black_box(vec![0u8; 1]));
    assert!(allocations() > probe);

    let before = allocations();
    let mut length = 0;
    let login = LoginRequestRecord::new(b"USER", b"PASS", b"", 1).unwrap();
    length += Packet::LoginRequest {
        login: &login,
        heartbeat_timeout: None,
    }
    .encode_into(&mut stream)
    .unwrap();
    for _ in 0..20 {
        let body = &mut stream[length + HEADER_LEN..];
        let written = enter_order().encode(body).unwrap();
        write_header(&mut stream[length..], b'U', written).unwrap();
        length += HEADER_LEN + written;
        length += Packet::ClientHeartbeat
            .encode_into(&mut stream[length..])
            .unwrap();
    }
    let mut orders = 0;
    for chunk in stream[..length].chunks(7) {
        let mut rest = chunk;
        while !rest.is_empty() {
            let taken = decoder.feed(rest);
            rest = &rest[taken..];
            while let Some(packet) = decoder.next_frame().unwrap() {
                if let Packet::UnsequencedData(payload) = packet {
                    let InboundMessage::EnterOrder(record) = decode_inbound(payload).unwrap()
                    else {
                        panic!()
                    };
                    let order = enter_order_to_engine(record, &context).unwrap();
                    let reply = Executed {
                        timestamp_ns: 1,
                        order_token: Alpha(record.order_token),
                        executed_shares: order.qty.0 as u32,
                        execution_price: record.price.get(),
                        liquidity_flag: liquidity_to_ouch(Liquidity::Removed),
                        match_number: 5,
                    };
                    let written = reply.encode(&mut output[HEADER_LEN..]).unwrap();
                    write_header(&mut output, b'S', written).unwrap();
                    let rejected = Rejected {
                        timestamp_ns: 1,
                        order_token: Alpha(record.order_token),
                        reason: reject_reason_to_ouch(EngineRejectReason::InstrumentHalted),
                    };
                    rejected.encode(&mut output).unwrap();
                    orders += 1;
                }
            }
        }
    }
    let after = allocations();
    assert_eq!(orders, 20);
    assert_eq!(after - before, 0, "the codec allocated on the hot path");
}
