//! Proves the hot path does not allocate: a counting global allocator
//! watches this thread while a long random mixed stream (new, cancel,
//! replace, IOC, hidden, mass cancels, state changes with uncrosses) runs
//! through a warmed-up engine.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use rtes_engine::*;

mod random;
use random::*;

struct CountingAllocator;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Only this test thread's allocations count (libtest's own threads may allocate).
    static WATCHING: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: forwards every call unchanged to the system allocator; the
// counting has no effect on the memory handed out.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if WATCHING.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if WATCHING.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Counts events without storing them.
#[derive(Default)]
struct CountingSink {
    reports: u64,
    market: u64,
}

impl EventSink for CountingSink {
    fn report(&mut self, _report: &Report) {
        self.reports += 1;
    }
    fn market(&mut self, _event: &MarketEvent) {
        self.market += 1;
    }
}

fn config() -> EngineConfig {
    config_with(4_000)
}

#[test]
fn no_allocation_per_command_after_warm_up() {
    const WARM_UP: usize = 50_000;
    const MEASURED: usize = 400_000;
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let commands: Vec<Command> = (0..WARM_UP + MEASURED)
        .map(|i| random_command(&mut rng, i as u64))
        .collect();
    let mut engine = Engine::new(config()).expect("valid config");
    let mut sink = CountingSink::default();
    for command in &commands[..WARM_UP] {
        engine.apply(command, &mut sink);
    }
    engine.validate();
    // The counter itself works: one deliberate allocation is seen.
    WATCHING.with(|watching| watching.set(true));
    let probe_before = ALLOCATIONS.load(Ordering::Relaxed);
    drop(std::hint::black_box(Vec::<u8>::with_capacity(16)));
    assert_eq!(
        ALLOCATIONS.load(Ordering::Relaxed) - probe_before,
        1,
        "allocation counter is blind"
    );
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for command in &commands[WARM_UP..] {
        engine.apply(command, &mut sink);
    }
    WATCHING.with(|watching| watching.set(false));
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    engine.validate();
    assert!(
        sink.market > 100_000 && sink.reports > 100_000,
        "the stream did real work: {} market, {} reports",
        sink.market,
        sink.reports
    );
    assert_eq!(
        allocations, 0,
        "{allocations} allocations over {MEASURED} commands"
    );
}
