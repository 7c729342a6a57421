//! Per-stage latency histograms.
//!
//! Each agent owns its recorders (no locks, no sharing on the hot path; the
//! histogram's counts array is allocated once at start-up). When a thread
//! ends, its agent hands its histograms back ([`super::Agent::stats`]) and
//! [`ShutdownReport`] merges same-named stages and prints percentiles.

use hdrhistogram::Histogram;
use std::fmt::Write as _;

/// Highest latency tracked: 60 s; larger values are clamped to it.
const LATENCY_NS_MAX: u64 = 60_000_000_000;
/// Three significant digits: 0.1% resolution.
const SIGNIFICANT_DIGITS: u8 = 3;

/// One stage's latency histogram, in nanoseconds.
#[derive(Debug, Clone)]
pub struct LatencyRecorder {
    stage: &'static str,
    histogram: Histogram<u64>,
}

impl LatencyRecorder {
    /// An empty recorder for `stage` (allocates its buckets now, once).
    ///
    /// ```
    /// use rtes_gateway::runtime::LatencyRecorder;
    /// let mut recorder = LatencyRecorder::new("engine.apply");
    /// recorder.record_ns(1_500);
    /// assert_eq!(recorder.summary().count, 1);
    /// ```
    pub fn new(stage: &'static str) -> LatencyRecorder {
        let histogram = Histogram::new_with_bounds(1, LATENCY_NS_MAX, SIGNIFICANT_DIGITS)
            .expect("constant histogram bounds are valid");
        LatencyRecorder { stage, histogram }
    }

    /// Records one sample; clamps to the tracked range, never fails.
    pub fn record_ns(&mut self, latency_ns: u64) {
        self.histogram
            .saturating_record(latency_ns.clamp(1, LATENCY_NS_MAX));
    }

    /// Stage name.
    pub fn stage(&self) -> &'static str {
        self.stage
    }

    /// The histogram.
    pub fn histogram(&self) -> &Histogram<u64> {
        &self.histogram
    }

    /// Percentiles.
    pub fn summary(&self) -> LatencySummary {
        LatencySummary::of(self.stage, &self.histogram)
    }
}

/// Percentiles of one stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencySummary {
    /// Stage name.
    pub stage: &'static str,
    /// Samples.
    pub count: u64,
    /// Mean, ns (rounded).
    pub mean_ns: u64,
    /// Median, ns.
    pub p50_ns: u64,
    /// 99th percentile, ns.
    pub p99_ns: u64,
    /// 99.9th percentile, ns.
    pub p999_ns: u64,
    /// Maximum, ns.
    pub max_ns: u64,
}

impl LatencySummary {
    fn of(stage: &'static str, histogram: &Histogram<u64>) -> LatencySummary {
        LatencySummary {
            stage,
            count: histogram.len(),
            mean_ns: histogram.mean().round() as u64,
            p50_ns: histogram.value_at_quantile(0.50),
            p99_ns: histogram.value_at_quantile(0.99),
            p999_ns: histogram.value_at_quantile(0.999),
            max_ns: histogram.max(),
        }
    }
}

impl std::fmt::Display for LatencySummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<24} count={:<10} mean={}ns p50={}ns p99={}ns p99.9={}ns max={}ns",
            self.stage,
            self.count,
            self.mean_ns,
            self.p50_ns,
            self.p99_ns,
            self.p999_ns,
            self.max_ns
        )
    }
}

/// What one agent hands back when its thread ends.
#[derive(Debug, Clone)]
pub struct AgentStats {
    /// Agent name.
    pub agent: String,
    /// Its latency histograms.
    pub latencies: Vec<LatencyRecorder>,
    /// Its counters (name, value).
    pub counters: Vec<(&'static str, u64)>,
}

/// Everything the stages handed back at shutdown.
#[derive(Debug, Clone, Default)]
pub struct ShutdownReport {
    /// One entry per agent.
    pub agents: Vec<AgentStats>,
}

impl ShutdownReport {
    /// Latency per stage, merging stages of the same name (e.g. several
    /// gateway threads), in first-seen order.
    pub fn latency_summaries(&self) -> Vec<LatencySummary> {
        let mut merged: Vec<LatencyRecorder> = Vec::new();
        for recorder in self.agents.iter().flat_map(|agent| &agent.latencies) {
            match merged.iter_mut().find(|seen| seen.stage == recorder.stage) {
                Some(seen) => {
                    // Same bounds on both sides: add cannot fail.
                    let _ = seen.histogram.add(&recorder.histogram);
                }
                None => merged.push(recorder.clone()),
            }
        }
        merged.iter().map(LatencyRecorder::summary).collect()
    }

    /// A counter summed over agents.
    pub fn counter(&self, name: &str) -> u64 {
        self.agents
            .iter()
            .flat_map(|agent| &agent.counters)
            .filter(|(counter, _)| *counter == name)
            .map(|(_, value)| value)
            .sum()
    }

    /// Human-readable table: one line per stage and per counter.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for summary in self.latency_summaries() {
            let _ = writeln!(text, "latency {summary}");
        }
        for agent in &self.agents {
            for (name, value) in &agent.counters {
                let _ = writeln!(text, "counter {}.{name} = {value}", agent.agent);
            }
        }
        text
    }
}
