//! `perf-plot`: turns a `perf/sweep.sh` run directory into a summary table
//! and two SVG plots (latency percentiles against offered load, and the
//! percentile distribution at each load).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;

/// Summarise and plot one sweep run.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// The run directory written by perf/sweep.sh (holds rate-*/ folders).
    run: PathBuf,
    /// Message kind to plot (new, cancel, replace, ioc).
    #[arg(long, default_value = "new")]
    kind: String,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let points = rtes_tools::perf::load_run(&args.run, &args.kind)
        .with_context(|| format!("reading {}", args.run.display()))?;
    anyhow::ensure!(
        !points.is_empty(),
        "no rate-*/blaster.json under {}",
        args.run.display()
    );
    let summary = rtes_tools::perf::summary_markdown(&points, &args.kind);
    std::fs::write(args.run.join("summary.md"), &summary)?;
    rtes_tools::perf::plot_latency_vs_load(
        &points,
        &args.kind,
        &args.run.join("latency-vs-load.svg"),
    )?;
    rtes_tools::perf::plot_distribution(
        &points,
        &args.kind,
        &args.run.join("percentile-distribution.svg"),
    )?;
    print!("{summary}");
    println!(
        "wrote summary.md, latency-vs-load.svg, percentile-distribution.svg in {}",
        args.run.display()
    );
    Ok(())
}
