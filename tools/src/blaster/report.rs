//! The result of a run: summary table, JSON, and HdrHistogram `.hgrm`
//! percentile distributions (the text `outputPercentileDistribution`
//! writes, which HdrHistogram's plotters read).

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::baseline::BaselineOutcome;
use super::config::{Config, Protocol};
use super::receiver::ReceiverOutcome;
use super::schedule::Schedule;
use super::sender::{SenderOutcome, SentCounts};
use super::slots::RequestKind;
use super::stats::LatencyKind;
use super::token::TokenCodec;

/// Latency percentiles of one kind, microseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindSummary {
    /// Kind name (`new`, `ioc`, `ioc_unfilled`, `cancel`, `replace`, `baseline`).
    pub kind: String,
    /// Latencies recorded.
    pub count: u64,
    /// Mean, µs.
    pub mean_us: f64,
    /// Median, µs.
    pub p50_us: f64,
    /// 90th percentile, µs.
    pub p90_us: f64,
    /// 99th percentile, µs.
    pub p99_us: f64,
    /// 99.9th percentile, µs.
    pub p99_9_us: f64,
    /// 99.99th percentile, µs.
    pub p99_99_us: f64,
    /// Largest, µs.
    pub max_us: f64,
}

impl KindSummary {
    /// Percentiles of a histogram of nanoseconds.
    pub fn from_histogram(kind: &str, histogram: &Histogram<u64>) -> KindSummary {
        let us = |ns: u64| ns as f64 / 1000.0;
        let at = |quantile: f64| us(histogram.value_at_quantile(quantile));
        KindSummary {
            kind: kind.to_string(),
            count: histogram.len(),
            mean_us: if histogram.is_empty() {
                0.0
            } else {
                histogram.mean() / 1000.0
            },
            p50_us: at(0.5),
            p90_us: at(0.9),
            p99_us: at(0.99),
            p99_9_us: at(0.999),
            p99_99_us: at(0.9999),
            max_us: us(histogram.max()),
        }
    }
}

/// Counts by request kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCounts {
    /// Resting orders.
    pub new: u64,
    /// Marketable IOC orders.
    pub ioc: u64,
    /// Cancels.
    pub cancel: u64,
    /// Replaces.
    pub replace: u64,
    /// All of them.
    pub total: u64,
}

impl KindCounts {
    fn from_array(counts: [u64; 4]) -> KindCounts {
        KindCounts {
            new: counts[0],
            ioc: counts[1],
            cancel: counts[2],
            replace: counts[3],
            total: counts.iter().sum(),
        }
    }
}

impl From<SentCounts> for KindCounts {
    fn from(sent: SentCounts) -> KindCounts {
        KindCounts::from_array([sent.new, sent.ioc, sent.cancel, sent.replace])
    }
}

/// The loopback baseline beside RTES.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineSummary {
    /// "open" or "closed".
    pub mode: String,
    /// Pings sent.
    pub sent: u64,
    /// Echoes received.
    pub received: u64,
    /// Round-trip percentiles.
    pub latency: KindSummary,
    /// RTES `new` (order → Accepted) p50 ÷ baseline p50.
    pub ratio_p50: f64,
    /// RTES `new` p99 ÷ baseline p99.
    pub ratio_p99: f64,
    /// Bytes per ping (the size of the run's new order on the wire).
    #[serde(default)]
    pub message_bytes: usize,
}

/// Everything a run found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The configuration used.
    pub config: Config,
    /// Target send rate, messages/s.
    pub target_rate: f64,
    /// Measured messages sent ÷ measured send-phase time, messages/s.
    pub achieved_rate: f64,
    /// Length of the measured send phase, s.
    pub measured_seconds: f64,
    /// Warm-up messages sent (not recorded).
    pub warmup_sent: u64,
    /// Measured messages sent, by kind.
    pub sent: KindCounts,
    /// Measured requests answered as expected (latencies recorded).
    pub acked: u64,
    /// Measured requests answered with Rejected, by kind.
    pub rejected: KindCounts,
    /// Measured cancels answered with Cancel Reject (the order had just
    /// filled: a race, not an error).
    pub cancel_rejected: u64,
    /// Requests (warm-up included) with no answer by the end of the drain.
    pub unacknowledged: u64,
    /// The first few unanswered tokens, with what they waited for.
    pub unacknowledged_tokens: Vec<String>,
    /// Executed messages received (all phases).
    pub executions: u64,
    /// Replies for tokens not of this run.
    pub foreign_replies: u64,
    /// Messages that did not decode.
    pub malformed_replies: u64,
    /// Clean-up cancels sent after the drain (not recorded).
    pub cleanup_cancels: u64,
    /// Scheduled messages not sent because their session had closed.
    #[serde(default)]
    pub not_sent: u64,
    /// FIX TestRequests the venue sent (each answered with a Heartbeat).
    #[serde(default)]
    pub test_requests: u64,
    /// Sessions the server closed (or the blaster gave up on), with why.
    pub closed_sessions: Vec<String>,
    /// Latency percentiles per kind.
    pub latency: Vec<KindSummary>,
    /// How late the blaster itself sent each measured message (included
    /// in every latency above): large values mean the blaster, not the
    /// server, was short of CPU.
    pub send_lag: KindSummary,
    /// The loopback baseline, when run.
    pub baseline: Option<BaselineSummary>,
    /// `/proc/loadavg` at the end (the machine may be shared).
    pub load_average: Option<String>,
    /// Histograms behind `latency` (for `.hgrm` files), not serialized.
    #[serde(skip)]
    pub histograms: Vec<(String, Histogram<u64>)>,
}

fn kind_name(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::New => "new",
        RequestKind::Ioc => "ioc",
        RequestKind::Cancel => "cancel",
        RequestKind::Replace => "replace",
        RequestKind::ReplaceSource => "replace-source",
    }
}

impl Report {
    /// Assembles the report of a finished run.
    pub fn build(
        config: &Config,
        schedule: &Schedule,
        sent: &SenderOutcome,
        received: &ReceiverOutcome,
        codec: &TokenCodec,
        baseline: Option<BaselineOutcome>,
    ) -> Report {
        let stats = &received.stats;
        let measured_ns = sent.send_end_ns.saturating_sub(sent.measured_start_ns);
        // n messages span n - 1 intervals.
        let measured_total = sent.measured.total();
        let achieved_rate = if measured_ns > 0 && measured_total > 1 {
            (measured_total - 1) as f64 * 1e9 / measured_ns as f64
        } else {
            0.0
        };
        let mut histograms: Vec<(String, Histogram<u64>)> = LatencyKind::ALL
            .iter()
            .map(|&kind| (kind.name().to_string(), stats.histogram(kind).clone()))
            .collect();
        let latency: Vec<KindSummary> = histograms
            .iter()
            .map(|(name, histogram)| KindSummary::from_histogram(name, histogram))
            .collect();
        let send_lag = KindSummary::from_histogram("send_lag", &sent.send_lag_ns);
        histograms.push(("send_lag".to_string(), sent.send_lag_ns.clone()));
        let baseline = baseline.map(|outcome| {
            let summary = KindSummary::from_histogram("baseline", &outcome.latency_ns);
            let rtes = &latency[LatencyKind::New as usize];
            let ratio = |ours: f64, floor: f64| if floor > 0.0 { ours / floor } else { 0.0 };
            let result = BaselineSummary {
                mode: if outcome.closed_loop {
                    "closed"
                } else {
                    "open"
                }
                .to_string(),
                sent: outcome.sent,
                received: outcome.received,
                ratio_p50: ratio(rtes.p50_us, summary.p50_us),
                ratio_p99: ratio(rtes.p99_us, summary.p99_us),
                message_bytes: outcome.message_bytes,
                latency: summary,
            };
            histograms.push(("baseline".to_string(), outcome.latency_ns));
            result
        });
        let prefix_token =
            |number: u64| String::from_utf8_lossy(&codec.encode(number)).into_owned();
        Report {
            config: config.clone(),
            target_rate: config.rate,
            achieved_rate,
            measured_seconds: measured_ns as f64 / 1e9,
            warmup_sent: sent.warmup,
            sent: sent.measured.into(),
            acked: latency.iter().map(|kind| kind.count).sum(),
            rejected: KindCounts::from_array(stats.rejected),
            cancel_rejected: stats.cancel_rejected,
            unacknowledged: received.unanswered_count,
            unacknowledged_tokens: received
                .unanswered_first
                .iter()
                .map(|(number, request)| {
                    format!(
                        "{} ({}, scheduled at {:.6} s)",
                        prefix_token(*number),
                        kind_name(request.kind),
                        request.scheduled_ns as f64 / 1e9
                    )
                })
                .collect(),
            executions: stats.executions,
            foreign_replies: stats.foreign,
            malformed_replies: stats.malformed,
            cleanup_cancels: sent.cleanup_cancels,
            not_sent: sent.not_sent,
            test_requests: stats.test_requests,
            closed_sessions: received.closed_sessions.clone(),
            latency,
            send_lag,
            baseline,
            load_average: std::fs::read_to_string("/proc/loadavg")
                .ok()
                .map(|text| text.trim().to_string()),
            histograms,
        }
        .checked(schedule)
    }

    fn checked(self, schedule: &Schedule) -> Report {
        debug_assert!(self.sent.total + self.warmup_sent <= schedule.total());
        self
    }

    /// The human summary table.
    pub fn summary_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} to {}:{}, {} session(s)",
            match self.config.protocol {
                Protocol::Ouch => "SoupBinTCP/OUCH 4.2",
                Protocol::Fix => "FIX 4.4",
            },
            self.config.host,
            self.config.server_port(),
            self.config.session_count()
        );
        let _ = writeln!(
            out,
            "{:<14} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "latency (µs)", "count", "mean", "p50", "p90", "p99", "p99.9", "p99.99", "max"
        );
        let rows = self
            .latency
            .iter()
            .chain(std::iter::once(&self.send_lag))
            .chain(self.baseline.iter().map(|baseline| &baseline.latency));
        for row in rows {
            let _ = writeln!(
                out,
                "{:<14} {:>9} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
                row.kind,
                row.count,
                row.mean_us,
                row.p50_us,
                row.p90_us,
                row.p99_us,
                row.p99_9_us,
                row.p99_99_us,
                row.max_us
            );
        }
        let _ = writeln!(
            out,
            "rate: target {:.0}/s, achieved {:.0}/s over {:.2} s ({} warm-up messages not recorded)",
            self.target_rate, self.achieved_rate, self.measured_seconds, self.warmup_sent
        );
        let _ = writeln!(
            out,
            "sent {} (new {}, ioc {}, cancel {}, replace {}); acked {}; rejected {}; \
             cancel-rejected {}; unacknowledged {}; executions {}",
            self.sent.total,
            self.sent.new,
            self.sent.ioc,
            self.sent.cancel,
            self.sent.replace,
            self.acked,
            self.rejected.total,
            self.cancel_rejected,
            self.unacknowledged,
            self.executions
        );
        if let Some(baseline) = &self.baseline {
            let _ = writeln!(
                out,
                "baseline ({}-loop TCP ping-pong, {} B): RTES/baseline p50 ×{:.2}, p99 ×{:.2}",
                baseline.mode, baseline.message_bytes, baseline.ratio_p50, baseline.ratio_p99
            );
        }
        if self.unacknowledged > 0 {
            let _ = writeln!(
                out,
                "UNACKNOWLEDGED: {} requests, first: {}",
                self.unacknowledged,
                self.unacknowledged_tokens.join(", ")
            );
        }
        if self.not_sent > 0 {
            let _ = writeln!(
                out,
                "NOT SENT: {} scheduled messages (their session had closed)",
                self.not_sent
            );
        }
        if self.test_requests > 0 {
            let _ = writeln!(out, "test requests answered: {}", self.test_requests);
        }
        for closed in &self.closed_sessions {
            let _ = writeln!(out, "closed: {closed}");
        }
        if let Some(load) = &self.load_average {
            let _ = writeln!(out, "load average at the end: {load}");
        }
        out
    }

    /// Writes the JSON report.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        let file =
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        serde_json::to_writer_pretty(std::io::BufWriter::new(file), self)
            .with_context(|| format!("writing {}", path.display()))
    }

    /// Writes `<kind>.hgrm` per kind (values in µs) into `directory`.
    pub fn write_hgrm_files(&self, directory: &Path) -> Result<Vec<std::path::PathBuf>> {
        std::fs::create_dir_all(directory)
            .with_context(|| format!("creating {}", directory.display()))?;
        let mut written = Vec::new();
        for (name, histogram) in &self.histograms {
            let path = directory.join(format!("{name}.hgrm"));
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(&path)
                    .with_context(|| format!("creating {}", path.display()))?,
            );
            write_percentile_distribution(histogram, 1000.0, &mut file)?;
            file.flush()?;
            written.push(path);
        }
        Ok(written)
    }
}

/// Writes `histogram` as HdrHistogram's `outputPercentileDistribution`
/// does (5 percentile ticks per half distance), values divided by
/// `unit_ratio` (1000 turns ns into µs).
///
/// ```
/// use rtes_tools::blaster::report::write_percentile_distribution;
/// let mut histogram = hdrhistogram::Histogram::<u64>::new(3).unwrap();
/// histogram.record(1_000).unwrap();
/// let mut out = Vec::new();
/// write_percentile_distribution(&histogram, 1000.0, &mut out).unwrap();
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with("       Value     Percentile TotalCount 1/(1-Percentile)"));
/// assert!(text.contains("#[Max     =        1.000, Total count    =            1]"));
/// ```
pub fn write_percentile_distribution(
    histogram: &Histogram<u64>,
    unit_ratio: f64,
    out: &mut impl Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    )?;
    let mut total = 0u64;
    if !histogram.is_empty() {
        for step in histogram.iter_quantiles(5) {
            total += step.count_since_last_iteration();
            let value = histogram.highest_equivalent(step.value_iterated_to()) as f64 / unit_ratio;
            let quantile = step.quantile_iterated_to();
            if quantile < 1.0 {
                writeln!(
                    out,
                    "{:>12.3} {:>2.12} {:>10} {:>14.2}",
                    value,
                    quantile,
                    total,
                    1.0 / (1.0 - quantile)
                )?;
            } else {
                writeln!(out, "{value:>12.3} {quantile:>2.12} {total:>10}")?;
            }
        }
    }
    let mean = if histogram.is_empty() {
        0.0
    } else {
        histogram.mean() / unit_ratio
    };
    let deviation = if histogram.is_empty() {
        0.0
    } else {
        histogram.stdev() / unit_ratio
    };
    writeln!(
        out,
        "#[Mean    = {mean:>12.3}, StdDeviation   = {deviation:>12.3}]"
    )?;
    writeln!(
        out,
        "#[Max     = {:>12.3}, Total count    = {:>12}]",
        histogram.max() as f64 / unit_ratio,
        histogram.len()
    )?;
    writeln!(
        out,
        "#[Buckets = {:>12}, SubBuckets     = {:>12}]",
        histogram.buckets(),
        // Java's subBucketCount: the power of two covering 2 × 10^digits.
        (2 * 10u32.pow(u32::from(histogram.sigfig()))).next_power_of_two()
    )?;
    Ok(())
}
