//! Replays the mixed flow through RTES and records every command's latency
//! in an HDR histogram, after subtracting the measured cost of reading the
//! clock. Prints commands/s (untimed-per-command pass) and p50/p99/p99.9/max.
//!
//! ```sh
//! cargo run --release -p rtes-benches --bin engine_latency -- [commands] [--json PATH]
//! ```

use std::time::Instant;

use hdrhistogram::Histogram;
use rtes_benches::rtes::{self, CountingSink};
use rtes_benches::workload::{self, FlowSpec};
use rtes_engine::Command;

/// Default flow length.
const COMMANDS_DEFAULT: usize = 2_000_000;
/// Highest latency the histogram tracks (anything above is clamped).
const LATENCY_NS_MAX: u64 = 10_000_000;
/// Samples taken to estimate the cost of one `Instant::now()` pair.
const TIMER_SAMPLES: usize = 1_000_000;

struct Arguments {
    commands: usize,
    json_path: Option<String>,
}

fn arguments() -> Result<Arguments, String> {
    let mut parsed = Arguments {
        commands: COMMANDS_DEFAULT,
        json_path: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => parsed.json_path = Some(args.next().ok_or("--json needs a path")?),
            number => {
                parsed.commands = number
                    .replace('_', "")
                    .parse()
                    .map_err(|error| format!("commands {number:?}: {error}"))?
            }
        }
    }
    Ok(parsed)
}

/// Median cost in ns of two back-to-back clock reads: what a timed empty
/// section measures, and what is subtracted from every sample.
fn timer_overhead_ns() -> u64 {
    let mut samples: Vec<u64> = (0..TIMER_SAMPLES)
        .map(|_| {
            let start = Instant::now();
            let end = Instant::now();
            (end - start).as_nanos() as u64
        })
        .collect();
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn throughput(warmup: &[Command], timed: &[Command]) -> f64 {
    let mut engine = rtes::warmed_engine(warmup);
    let mut sink = CountingSink::default();
    let start = Instant::now();
    for command in timed {
        engine.apply(std::hint::black_box(command), &mut sink);
    }
    let elapsed = start.elapsed();
    assert_eq!(sink.refusals, 0, "the flow is valid for RTES");
    timed.len() as f64 / elapsed.as_secs_f64()
}

fn latencies(warmup: &[Command], timed: &[Command], overhead_ns: u64) -> Histogram<u64> {
    let mut histogram =
        Histogram::<u64>::new_with_bounds(1, LATENCY_NS_MAX, 3).expect("valid bounds");
    let mut engine = rtes::warmed_engine(warmup);
    let mut sink = CountingSink::default();
    for command in timed {
        let start = Instant::now();
        engine.apply(std::hint::black_box(command), &mut sink);
        let elapsed_ns = start.elapsed().as_nanos() as u64;
        let latency_ns = elapsed_ns
            .saturating_sub(overhead_ns)
            .clamp(1, LATENCY_NS_MAX);
        histogram.record(latency_ns).expect("clamped into range");
    }
    histogram
}

fn main() {
    let arguments = match arguments() {
        Ok(arguments) => arguments,
        Err(error) => {
            eprintln!("engine_latency: {error}");
            std::process::exit(2);
        }
    };
    let flow = workload::generate(&FlowSpec::exchange_core_like(arguments.commands));
    let warmup = rtes::to_commands(&flow.warmup, 1);
    let timed = rtes::to_commands(&flow.commands, 1 + warmup.len() as u64);
    let overhead_ns = timer_overhead_ns();
    // One pass to warm caches and branch predictors, then the measured ones.
    throughput(&warmup, &timed);
    let commands_per_second = throughput(&warmup, &timed);
    let histogram = latencies(&warmup, &timed, overhead_ns);
    let percentile = |q: f64| histogram.value_at_quantile(q);
    let (p50, p99, p999, max) = (
        percentile(0.50),
        percentile(0.99),
        percentile(0.999),
        histogram.max(),
    );
    println!(
        "commands {} (after {} warm-up orders)",
        timed.len(),
        warmup.len()
    );
    println!("throughput {commands_per_second:.0} commands/s (no per-command timing)");
    println!("timer overhead {overhead_ns} ns per Instant::now() pair (subtracted)");
    println!(
        "latency ns: p50 {p50} p90 {} p99 {p99} p99.9 {p999} p99.99 {} max {max} mean {:.1}",
        percentile(0.90),
        percentile(0.9999),
        histogram.mean()
    );
    if let Some(path) = arguments.json_path {
        let json = format!(
            "{{\"commands\":{},\"commands_per_second\":{commands_per_second:.0},\"timer_overhead_ns\":{overhead_ns},\"latency_ns\":{{\"p50\":{p50},\"p99\":{p99},\"p99_9\":{p999},\"max\":{max}}}}}\n",
            timed.len()
        );
        if let Err(error) = std::fs::write(&path, json) {
            eprintln!("engine_latency: writing {path}: {error}");
            std::process::exit(1);
        }
    }
}
