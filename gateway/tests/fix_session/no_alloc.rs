//! The steady-state order path allocates nothing: frame, decode and
//! validate an inbound NewOrderSingle, deliver it, answer with an
//! ExecutionReport through the Replier and another through
//! `Session::send_application`, all with buffers sized at start.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use rtes_gateway::fix::codec::{tags, Message};
use rtes_gateway::fix::session::*;

use crate::support::*;

struct Counting;

thread_local! {
    // Per thread, so other tests running in parallel cannot disturb the
    // count; `const` initialisation keeps the counter allocation-free.
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

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Answers every order with an ExecutionReport; records nothing that
/// allocates.
struct Acknowledge {
    orders: usize,
    events: usize,
}

impl SessionHandler<MemoryStore> for Acknowledge {
    fn on_application(&mut self, message: &Message<'_>, reply: &mut Replier<'_, MemoryStore>) {
        self.orders += 1;
        let cl_ord_id = message.get(tags::CL_ORD_ID).unwrap_or(b"?");
        let transact = reply.now().utc_ns;
        reply
            .send_application(b"8", |encoder| {
                execution_report(encoder, cl_ord_id, transact)
            })
            .unwrap();
    }

    fn on_event(&mut self, _event: SessionEvent<'_>) {
        self.events += 1;
    }
}

#[test]
fn steady_state_order_path_does_not_allocate() {
    const ORDERS: usize = 200;
    // Set-up may allocate: the session's buffers, the store, the input.
    let store = MemoryStore::with_capacity(4 * ORDERS, 4 * ORDERS * 512);
    let mut session = Session::new(settings(), store);
    let now = Now::new(T0_MONOTONIC_NS, T0_UTC_NS);
    session.on_connect(now);
    let mut handler = Acknowledge {
        orders: 0,
        events: 0,
    };
    let mut output = Vec::with_capacity(64 * 1024);
    let mut client = Harness::new(settings());
    let logon = client.logon().bytes();
    session.on_bytes(&logon, now, &mut output, &mut handler);
    assert_eq!(session.state(), SessionState::Active);
    let orders: Vec<Vec<u8>> = (0..ORDERS)
        .map(|index| client.order(&format!("order-{index}")).bytes())
        .collect();
    // One warm-up order outside the count (lazy one-time initialisations).
    output.clear();
    session.on_bytes(&orders[0], now, &mut output, &mut handler);

    // The counter sees allocations on this thread.
    let probe = allocations();
    drop(std::hint::black_box(vec![0u8; 1]));
    assert_eq!(allocations(), probe + 1);

    let before = allocations();
    for order in &orders[1..] {
        output.clear();
        let consumed = session.on_bytes(order, now, &mut output, &mut handler);
        assert_eq!(consumed, order.len());
        session
            .send_application(b"8", now, &mut output, |encoder| {
                execution_report(encoder, b"fill", now.utc_ns)
            })
            .unwrap();
        session.on_timer(now, &mut output, &mut handler);
    }
    let allocated = allocations() - before;

    assert_eq!(
        allocated, 0,
        "the steady-state order path allocated {allocated} times"
    );
    assert_eq!(handler.orders, ORDERS);
    assert_eq!(handler.events, 1, "only LoggedOn");
    assert_eq!(session.store().next_target_seq(), ORDERS as u64 + 2);
    // Logon reply, one ExecutionReport per order, one more per counted order.
    assert_eq!(session.store().next_sender_seq(), 2 * ORDERS as u64 + 1);
}
