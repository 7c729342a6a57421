//! Proves the publish hot path does not allocate: a counting global
//! allocator watches the publisher map, encode, pack, flush, heartbeat and
//! retransmit a busy stream after start-up.

use rtes_engine::{
    InstrumentId, MarketEvent, MarketEventKind, MatchNumber, OrderRef, Price, Qty, SequenceNumber,
    Side, TimestampNs, TradingState,
};
use rtes_mdfeed::itch::{stock_field, Message};
use rtes_mdfeed::moldudp::{Packet, Request};
use rtes_mdfeed::publisher::{InstrumentInfo, PacketSink, Publisher, PublisherConfig};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    // Per thread, so the harness's own threads cannot disturb the count.
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

/// Decodes each packet (checking it is valid) without keeping it.
#[derive(Default)]
struct CheckingSink {
    packets: u64,
    messages: u64,
}

impl PacketSink for CheckingSink {
    fn send(&mut self, packet: &[u8]) {
        let packet = Packet::decode(packet).expect("valid packet");
        for (_, message) in packet.messages() {
            Message::decode(message).expect("valid message");
            self.messages += 1;
        }
        self.packets += 1;
    }
}

#[test]
fn publishing_does_not_allocate_after_start_up() {
    let mut publisher = Publisher::new(
        PublisherConfig {
            session: *b"TEST000001",
            payload_len_max: 1_400,
            history_bytes: 1 << 16,
            flush_interval_ns: 1_000,
            heartbeat_interval_ns: 1_000_000,
            book_orders_max: 1_000,
        },
        vec![InstrumentInfo {
            stock: stock_field("AAPL"),
            tick_size: 100,
            lot_size: 1,
            initial_state: TradingState::Continuous,
        }],
    );
    let mut sink = CheckingSink::default();
    publisher.start_of_day(0, 0, &mut sink);
    let before = allocations();
    let mut now_ns = 0;
    for i in 1..=20_000u64 {
        now_ns += 300;
        let kind = match i % 4 {
            0 => MarketEventKind::Add {
                order_ref: OrderRef(i),
                side: Side::Buy,
                price: Price(10_000),
                qty: Qty(100),
            },
            1 => MarketEventKind::Execute {
                order_ref: OrderRef(i),
                qty: Qty(10),
                match_number: MatchNumber(i),
            },
            2 => MarketEventKind::Reduce {
                order_ref: OrderRef(i),
                qty: Qty(10),
            },
            _ => MarketEventKind::Delete {
                order_ref: OrderRef(i),
            },
        };
        let event = MarketEvent {
            seq: SequenceNumber(i),
            ts: TimestampNs(i),
            instrument: InstrumentId(0),
            kind,
        };
        publisher.publish(&event, now_ns, &mut sink);
        publisher.on_idle(now_ns, i % 7 == 0, &mut sink);
        if i % 1_000 == 0 {
            let request = Request {
                session: *b"TEST000001",
                sequence_number: publisher.next_sequence() - 500,
                message_count: 400,
            };
            publisher.retransmit(&request, 1_000, |packet| {
                sink.send(packet);
            });
        }
    }
    publisher.on_idle(now_ns + 10_000_000, true, &mut sink);
    publisher.on_idle(now_ns + 20_000_000, true, &mut sink);
    assert_eq!(allocations() - before, 0, "the publish path allocated");
    assert!(sink.messages > 20_000);
    assert!(publisher.stats().heartbeats >= 1);
}
