//! Feeds the identical mixed flow to RTES and to the fastest Rust order
//! books on crates.io, checks that their trades and final books agree with
//! RTES's, and prints commands/s (median of several runs) and the ratio to
//! RTES.
//!
//! ```sh
//! cargo bench -p rtes-benches --bench peers            # 1M commands, median of 5
//! cargo bench -p rtes-benches --bench peers -- --quick # 200k commands, median of 3
//! RTES_PEERS_COMMANDS=200000 RTES_PEERS_REPS=3 cargo bench -p rtes-benches --bench peers
//! ```
//!
//! Each run builds a fresh book, applies the warm-up (untimed), then times
//! the flow; the flow is translated into each engine's API inside the timed
//! loop (for RTES too), and each engine produces its own outputs (RTES into
//! a counting sink).

mod lobster_peer;
mod matchcore_peer;
mod orderbook_rs_peer;
mod rtes_peer;

use std::time::{Duration, Instant};

use rtes_benches::flow::{FlowCommand, FlowMix};
use rtes_benches::outcome::{Agreement, Fill, Levels, Outcome};
use rtes_benches::shadow;
use rtes_benches::workload::{self, Flow, FlowSpec};

/// One engine under test, driven by flow commands.
pub trait Peer {
    /// Name and version in the table.
    const NAME: &'static str;
    /// How the flow maps onto its API.
    const NOTES: &'static str;
    /// False when moves and reductions are emulated as cancel + new.
    const REPLACE_KEEPS_PRIORITY: bool = true;
    /// An empty book.
    fn new() -> Self;
    /// Applies one command (the timed path).
    fn apply(&mut self, command: &FlowCommand);
    /// Applies one command and appends its fills (maker view).
    fn apply_recording(&mut self, command: &FlowCommand, fills: &mut Vec<Fill>);
    /// Final book, `(bids best first, asks best first)`.
    fn levels(&self) -> (Levels, Levels);
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn timed_run<P: Peer>(flow: &Flow) -> Duration {
    let mut peer = P::new();
    for command in &flow.warmup {
        peer.apply(command);
    }
    let start = Instant::now();
    for command in &flow.commands {
        peer.apply(std::hint::black_box(command));
    }
    let elapsed = start.elapsed();
    std::hint::black_box(&peer);
    drop(peer);
    elapsed
}

fn recorded_outcome<P: Peer>(flow: &Flow) -> Outcome {
    let mut peer = P::new();
    let mut fills = Vec::new();
    for command in &flow.warmup {
        peer.apply_recording(command, &mut fills);
    }
    assert!(fills.is_empty(), "{}: the warm-up does not trade", P::NAME);
    for command in &flow.commands {
        peer.apply_recording(command, &mut fills);
    }
    let (bids, asks) = peer.levels();
    Outcome { fills, bids, asks }
}

struct Row {
    name: &'static str,
    notes: &'static str,
    agreement: Agreement,
    /// Agreement with the shadow book run under this engine's own replace
    /// model (only differs from `agreement` for cancel + new emulation).
    own_model: Agreement,
    fills: usize,
    volume: u64,
    runs: Vec<Duration>,
}

struct Candidate {
    check: fn(&Flow, &Outcome) -> Row,
    time: fn(&Flow) -> Duration,
}

fn candidate<P: Peer>() -> Candidate {
    Candidate {
        check: |flow, rtes| {
            let outcome = recorded_outcome::<P>(flow);
            let (model, _) =
                shadow::replay(&flow.warmup, &flow.commands, P::REPLACE_KEEPS_PRIORITY);
            let agreement = rtes.compare(&outcome);
            if !agreement.all() {
                if let Some(index) = rtes.first_fill_difference(&outcome) {
                    eprintln!(
                        "{}: first fill difference at #{index}: rtes {:?} vs {:?}",
                        P::NAME,
                        rtes.fills.get(index),
                        outcome.fills.get(index)
                    );
                }
            }
            Row {
                name: P::NAME,
                notes: P::NOTES,
                agreement,
                own_model: model.compare(&outcome),
                fills: outcome.fills.len(),
                volume: outcome.volume(),
                runs: Vec::new(),
            }
        },
        time: timed_run::<P>,
    }
}

fn median(runs: &[Duration]) -> Duration {
    let mut sorted = runs.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; CI adds `--quick`; `cargo test
    // --benches` passes neither and only wants a smoke run.
    let arguments: Vec<String> = std::env::args().collect();
    let has = |flag: &str| arguments.iter().any(|argument| argument == flag);
    let (commands_default, repetitions_default) = match (has("--bench"), has("--quick")) {
        (false, _) => (20_000, 1),
        (true, true) => (200_000, 3),
        (true, false) => (1_000_000, 5),
    };
    let commands = env_usize("RTES_PEERS_COMMANDS", commands_default);
    let repetitions = env_usize("RTES_PEERS_REPS", repetitions_default).max(1);
    let flow = workload::generate(&FlowSpec::exchange_core_like(commands));
    let mix = FlowMix::of(&flow.commands);
    println!(
        "flow: {} warm-up orders, {} commands ({mix:?}); live at end {}; IOC levels swept {}",
        flow.warmup.len(),
        flow.commands.len(),
        flow.live_orders_end,
        flow.ioc_levels_swept
    );

    if std::env::var("RTES_PEERS_BISECT").is_ok() {
        bisect::<lobster_peer::Lobster>(&flow);
        return;
    }
    let candidates = [
        candidate::<rtes_peer::Rtes>(),
        candidate::<matchcore_peer::Matchcore>(),
        candidate::<orderbook_rs_peer::OrderbookRs>(),
        candidate::<lobster_peer::Lobster>(),
    ];
    let (reference, _) = shadow::replay(&flow.warmup, &flow.commands, true);
    let rtes = recorded_outcome::<rtes_peer::Rtes>(&flow);
    assert!(
        reference.compare(&rtes).all(),
        "RTES disagrees with the shadow book"
    );
    let mut rows: Vec<Row> = candidates
        .iter()
        .map(|candidate| (candidate.check)(&flow, &rtes))
        .collect();
    // Round-robin so that a noisy moment hurts every engine alike.
    for _ in 0..repetitions {
        for (row, candidate) in rows.iter_mut().zip(&candidates) {
            row.runs.push((candidate.time)(&flow));
        }
    }
    print_table(&rows, flow.commands.len());
}

fn print_table(rows: &[Row], commands: usize) {
    let rate = |row: &Row| commands as f64 / median(&row.runs).as_secs_f64();
    let rtes_rate = rate(&rows[0]);
    println!();
    println!("| engine | commands/s (median of {}) | vs RTES | fills | volume | agrees with RTES | agrees with own replace model | flow mapping |", rows[0].runs.len());
    println!("|---|---:|---:|---:|---:|---|---|---|");
    for row in rows {
        let rate = rate(row);
        println!(
            "| {} | {:.0} | {:.3} | {} | {} | {} | {} | {} |",
            row.name,
            rate,
            rate / rtes_rate,
            row.fills,
            row.volume,
            row.agreement,
            row.own_model,
            row.notes
        );
    }
    println!();
    for row in rows {
        let runs: Vec<String> = row
            .runs
            .iter()
            .map(|run| format!("{:.1}", run.as_secs_f64() * 1e3))
            .collect();
        println!("{} runs (ms): {}", row.name, runs.join(" "));
    }
}

/// Steps a peer and the shadow book (under the peer's replace model) side by
/// side and reports the first command after which they differ.
fn bisect<P: Peer>(flow: &Flow) {
    let mut peer = P::new();
    let mut model = if P::REPLACE_KEEPS_PRIORITY {
        shadow::ShadowBook::new()
    } else {
        shadow::ShadowBook::with_reduce_losing_priority()
    };
    let (mut peer_fills, mut model_fills) = (Vec::new(), Vec::new());
    for (index, command) in flow.warmup.iter().chain(&flow.commands).enumerate() {
        peer.apply_recording(command, &mut peer_fills);
        model.apply(command, &mut model_fills);
        let book_agrees = || {
            let (bids, asks) = peer.levels();
            let expected = model.outcome(Vec::new());
            bids == expected.bids && asks == expected.asks
        };
        if peer_fills != model_fills || (index % 256 == 0 && !book_agrees()) {
            println!(
                "{}: first difference after command #{index}: {command:?}",
                P::NAME
            );
            println!("  fills {peer_fills:?}\n  model {model_fills:?}");
            let (bids, asks) = peer.levels();
            let expected = model.outcome(Vec::new());
            println!(
                "  bids {:?}\n  model {:?}",
                &bids[..bids.len().min(6)],
                &expected.bids[..expected.bids.len().min(6)]
            );
            println!(
                "  asks {:?}\n  model {:?}",
                &asks[..asks.len().min(6)],
                &expected.asks[..expected.asks.len().min(6)]
            );
            return;
        }
        peer_fills.clear();
        model_fills.clear();
    }
    println!("{}: no difference", P::NAME);
}
