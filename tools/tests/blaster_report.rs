//! The report's JSON shape and the `.hgrm` files, from a synthetic run.

use rtes_tools::blaster::config::Config;
use rtes_tools::blaster::receiver::ReceiverOutcome;
use rtes_tools::blaster::report::Report;
use rtes_tools::blaster::schedule::Schedule;
use rtes_tools::blaster::sender::{SenderOutcome, SentCounts};
use rtes_tools::blaster::slots::{Request, RequestKind};
use rtes_tools::blaster::stats::{LatencyKind, Stats};
use rtes_tools::blaster::token::TokenCodec;

fn synthetic_report() -> Report {
    let config = Config::default();
    let schedule = Schedule::new(1000.0, 11_000, 1_000);
    let mut send_lag_ns = rtes_tools::blaster::stats::latency_histogram();
    send_lag_ns.record(5_000).unwrap();
    let sent = SenderOutcome {
        send_lag_ns,
        measured: SentCounts {
            new: 4_500,
            ioc: 500,
            cancel: 3_500,
            replace: 1_500,
        },
        warmup: 1_000,
        measured_start_ns: 1_000_000_000,
        send_end_ns: 10_999_000_000,
        cleanup_cancels: 7,
        not_sent: 0,
    };
    let mut stats = Stats::default();
    for value in 1..=4_500u64 {
        stats.record(LatencyKind::New, 20_000 + value * 10);
    }
    for value in 1..=3_500u64 {
        stats.record(LatencyKind::Cancel, 15_000 + value);
    }
    stats.record(LatencyKind::Ioc, 40_000);
    stats.rejected[0] = 2;
    let received = ReceiverOutcome {
        stats,
        unanswered_count: 1,
        unanswered_first: vec![(
            42,
            Request {
                kind: RequestKind::Replace,
                measured: true,
                scheduled_ns: 5_000_000_000,
            },
        )],
        closed_sessions: vec![],
    };
    Report::build(
        &config,
        &schedule,
        &sent,
        &received,
        &TokenCodec::new(1),
        None,
    )
}

#[test]
fn json_has_the_documented_shape() {
    let report = synthetic_report();
    let json: serde_json::Value = serde_json::to_value(&report).unwrap();
    for key in [
        "config",
        "target_rate",
        "achieved_rate",
        "sent",
        "acked",
        "rejected",
        "cancel_rejected",
        "unacknowledged",
        "unacknowledged_tokens",
        "latency",
        "send_lag",
        "baseline",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert!((json["achieved_rate"].as_f64().unwrap() - 1000.0).abs() < 1.0);
    assert_eq!(json["sent"]["total"], 10_000);
    assert_eq!(json["rejected"]["new"], 2);
    assert_eq!(json["unacknowledged"], 1);
    let token = json["unacknowledged_tokens"][0].as_str().unwrap();
    assert!(token.starts_with("00000100000016 (replace"), "{token}");
    assert_eq!(json["config"]["rate"], 1000.0);
    let latency = json["latency"].as_array().unwrap();
    let kinds: Vec<&str> = latency
        .iter()
        .map(|k| k["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["new", "ioc", "ioc_unfilled", "cancel", "replace"]);
    let new = &latency[0];
    assert_eq!(new["count"], 4_500);
    for field in [
        "mean_us",
        "p50_us",
        "p90_us",
        "p99_us",
        "p99_9_us",
        "p99_99_us",
        "max_us",
    ] {
        assert!(new[field].as_f64().unwrap() > 20.0, "{field}");
    }
    assert!(new["p50_us"].as_f64() <= new["p99_us"].as_f64());
    assert_eq!(report.acked, 4_500 + 3_500 + 1);
    // The JSON reads back into a report (minus the histograms).
    let back: Report = serde_json::from_value(json).unwrap();
    assert_eq!(back.latency, report.latency);
    let table = report.summary_table();
    assert!(table.contains("UNACKNOWLEDGED: 1"), "{table}");
    assert!(table.contains("p99.99"));
}

/// Parses a `.hgrm` file the way HdrHistogram's plotter does: data lines
/// of value, percentile, total count (and 1/(1-p)), then `#[` footers.
#[test]
fn hgrm_files_parse_like_hdrhistogram_output() {
    let report = synthetic_report();
    let dir = tempfile::tempdir().unwrap();
    let files = report.write_hgrm_files(dir.path()).unwrap();
    assert_eq!(files.len(), 6, "five kinds and send_lag");
    let text = std::fs::read_to_string(dir.path().join("new.hgrm")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["Value", "Percentile", "TotalCount", "1/(1-Percentile)"]
    );
    assert_eq!(lines.next(), Some(""));
    let mut last = (0.0f64, 0.0f64, 0u64);
    let mut rows = 0;
    let mut footer = Vec::new();
    for line in lines {
        if line.starts_with("#[") {
            footer.push(line);
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert!(fields.len() == 4 || fields.len() == 3, "{line}");
        let value: f64 = fields[0].parse().unwrap();
        let percentile: f64 = fields[1].parse().unwrap();
        let count: u64 = fields[2].parse().unwrap();
        assert!(
            value >= last.0 && percentile >= last.1 && count >= last.2,
            "{line}"
        );
        if fields.len() == 4 {
            let inverse: f64 = fields[3].parse().unwrap();
            assert!((inverse - 1.0 / (1.0 - percentile)).abs() / inverse < 0.01);
        } else {
            assert_eq!(percentile, 1.0);
        }
        last = (value, percentile, count);
        rows += 1;
    }
    assert!(rows > 20, "{rows} rows");
    assert_eq!(last.1, 1.0);
    assert_eq!(last.2, 4_500);
    assert!((last.0 - 65.0).abs() < 0.1, "max ≈ 65 µs, got {}", last.0);
    assert_eq!(footer.len(), 3);
    assert!(footer[0].starts_with("#[Mean    ="));
    assert!(footer[1].contains("Total count    =         4500]"));
    assert!(footer[2].contains("SubBuckets     =         2048]"));
    // An empty kind still yields a well-formed file.
    let empty = std::fs::read_to_string(dir.path().join("replace.hgrm")).unwrap();
    assert!(empty.contains("Total count    =            0]"));
}
