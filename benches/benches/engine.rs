//! Criterion micro-benches of the RTES engine: add (non-marketable),
//! cancel, an aggressive sweep of several levels, replace (move) and the
//! realistic mixed flow. Every bench reports commands/s.
//!
//! ```sh
//! cargo bench -p rtes-benches --bench engine -- --quick
//! ```
//!
//! Set-up work (refilling the book, cancelling what a bench added) runs
//! outside the timed sections via `iter_custom`.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rtes_benches::flow::FlowCommand;
use rtes_benches::micro;
use rtes_benches::rtes::{self, CountingSink};
use rtes_benches::workload::{self, FlowSpec};
use rtes_engine::{Command, Engine};

/// Levels per side and orders per level of the resting book most benches use.
const BOOK_LEVELS: i64 = 250;
const BOOK_PER_LEVEL: u64 = 10;
/// Commands timed in one stretch before untimed clean-up: small, so the
/// add bench keeps the book near its 5,000 orders (a deeper book is slower).
const CHUNK: usize = 512;

fn commands(flow: &[FlowCommand]) -> Vec<Command> {
    rtes::to_commands(flow, 1)
}

/// An engine holding the 5,000-order two-sided book (ids `1..=5000`).
fn booked_engine() -> Engine {
    rtes::warmed_engine(&commands(&micro::two_sided_book(
        BOOK_LEVELS,
        BOOK_PER_LEVEL,
        1,
    )))
}

fn apply_all(engine: &mut Engine, commands: &[Command], sink: &mut CountingSink) {
    for command in commands {
        engine.apply(std::hint::black_box(command), sink);
    }
}

/// Times `timed[..n]` in chunks, running `untimed` after each chunk.
fn chunked(
    iters: u64,
    engine: &mut Engine,
    before: &[Command],
    timed: &[Command],
    after: &[Command],
) -> Duration {
    let mut sink = CountingSink::default();
    let mut total = Duration::ZERO;
    let mut done = 0u64;
    while done < iters {
        let count = (iters - done).min(timed.len() as u64) as usize;
        apply_all(engine, before, &mut sink);
        let start = Instant::now();
        apply_all(engine, &timed[..count], &mut sink);
        total += start.elapsed();
        apply_all(engine, after, &mut sink);
        done += count as u64;
    }
    std::hint::black_box(sink);
    total
}

fn add_and_cancel(c: &mut Criterion) {
    let first_id = 1_000_000;
    let adds = commands(&micro::passive_adds(CHUNK, BOOK_LEVELS, first_id, 7));
    let cancels = commands(&micro::cancels_of(
        &micro::passive_adds(CHUNK, BOOK_LEVELS, first_id, 7),
        11,
    ));
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(1));
    group.bench_function("add_passive", |b| {
        b.iter_custom(|iters| {
            let mut engine = booked_engine();
            // Cancels of orders not added (a short last chunk) are
            // rejected harmlessly, outside the timing.
            chunked(iters, &mut engine, &[], &adds, &cancels)
        })
    });
    group.bench_function("cancel", |b| {
        b.iter_custom(|iters| {
            let mut engine = booked_engine();
            // Each chunk re-adds every order, so the cancels always hit.
            let mut sink = CountingSink::default();
            let mut total = Duration::ZERO;
            let mut done = 0u64;
            while done < iters {
                let count = (iters - done).min(cancels.len() as u64) as usize;
                apply_all(&mut engine, &adds, &mut sink);
                let start = Instant::now();
                apply_all(&mut engine, &cancels[..count], &mut sink);
                total += start.elapsed();
                apply_all(&mut engine, &cancels[count..], &mut sink);
                done += count as u64;
            }
            total
        })
    });
    group.finish();
}

fn sweep(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(1));
    for levels in [1_i64, 5] {
        let (setup, ioc) = micro::sweep(levels, 4, 1);
        let setup = commands(&setup);
        let ioc = rtes::to_command(&ioc, 1);
        group.bench_function(BenchmarkId::new("ioc_sweep_4_per_level", levels), |b| {
            b.iter_custom(|iters| {
                let mut engine = rtes::new_engine();
                let mut sink = CountingSink::default();
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    apply_all(&mut engine, &setup, &mut sink);
                    let start = Instant::now();
                    engine.apply(std::hint::black_box(&ioc), &mut sink);
                    total += start.elapsed();
                }
                assert_eq!(engine.resting_order_count(), 0, "the IOC took everything");
                total
            })
        });
    }
    group.finish();
}

fn replace_move(c: &mut Criterion) {
    // Every order of the book one tick away from the touch, then back: a
    // steady state however many times it repeats.
    let book = micro::two_sided_book(BOOK_LEVELS, BOOK_PER_LEVEL, 1);
    let mut moves = Vec::new();
    for away in [true, false] {
        for command in &book {
            let FlowCommand::New {
                id,
                side,
                price,
                qty,
            } = *command
            else {
                unreachable!("the book is new orders")
            };
            let step = match (side, away) {
                (rtes_engine::Side::Buy, true) | (rtes_engine::Side::Sell, false) => -1,
                _ => 1,
            };
            let price = if away { price + step } else { price };
            moves.push(FlowCommand::Move {
                id,
                side,
                price,
                qty,
            });
        }
    }
    let moves = commands(&moves);
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(1));
    group.bench_function("replace_move", |b| {
        b.iter_custom(|iters| {
            let mut engine = booked_engine();
            chunked(iters, &mut engine, &[], &moves, &[])
        })
    });
    group.finish();
}

fn mixed_flow(c: &mut Criterion) {
    let flow = workload::generate(&FlowSpec::exchange_core_like(200_000));
    let warmup = rtes::to_commands(&flow.warmup, 1);
    let timed = rtes::to_commands(&flow.commands, 1 + warmup.len() as u64);
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(1));
    group.bench_function("mixed_flow", |b| {
        b.iter_custom(|iters| {
            let mut sink = CountingSink::default();
            let mut total = Duration::ZERO;
            let mut done = 0u64;
            while done < iters {
                // The flow only makes sense from its warm-up: restart it
                // on a fresh engine when it runs out.
                let mut engine = rtes::warmed_engine(&warmup);
                let count = (iters - done).min(timed.len() as u64) as usize;
                let start = Instant::now();
                apply_all(&mut engine, &timed[..count], &mut sink);
                total += start.elapsed();
                done += count as u64;
            }
            assert_eq!(sink.refusals, 0);
            total
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = add_and_cancel, sweep, replace_move, mixed_flow
}
criterion_main!(benches);
