//! Reading `perf/sweep.sh` results and drawing them (plotters, SVG).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use plotters::prelude::*;

/// One offered load of a sweep.
#[derive(Debug, Clone)]
pub struct LoadPoint {
    /// Offered rate, messages/s.
    pub target_rate: f64,
    /// Achieved send rate, messages/s.
    pub achieved_rate: f64,
    /// Requests without a reply at the end.
    pub unacknowledged: u64,
    /// Client-observed percentiles of the kind, µs: p50, p90, p99, p99.9, max.
    pub client_us: [f64; 5],
    /// Client-observed mean, µs.
    pub client_mean_us: f64,
    /// Same-run loopback baseline p50 and p99, µs, when measured.
    pub baseline_us: Option<(f64, f64)>,
    /// Server stage lines (`latency …`) as printed at shutdown.
    pub server_stages: Vec<String>,
    /// Percentile distribution of the kind: (percentile, value µs).
    pub distribution: Vec<(f64, f64)>,
}

fn number(value: &serde_json::Value, key: &str) -> f64 {
    value
        .get(key)
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(f64::NAN)
}

/// Reads every `rate-*` folder of a run.
pub fn load_run(run: &Path, kind: &str) -> Result<Vec<LoadPoint>> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(run)?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("rate-"))
        })
        .collect();
    folders.sort();
    let mut points = Vec::new();
    for folder in folders {
        let json_path = folder.join("blaster.json");
        let Ok(text) = std::fs::read_to_string(&json_path) else {
            continue;
        };
        let report: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("parsing {}", json_path.display()))?;
        let latency = report["latency"]
            .as_array()
            .and_then(|kinds| kinds.iter().find(|entry| entry["kind"] == kind))
            .cloned()
            .unwrap_or_default();
        let baseline = report.get("baseline").filter(|value| !value.is_null());
        let server_stages = std::fs::read_to_string(folder.join("server.txt"))
            .unwrap_or_default()
            .lines()
            .filter(|line| line.starts_with("latency") || line.starts_with("counter"))
            .map(str::to_string)
            .collect();
        points.push(LoadPoint {
            target_rate: number(&report, "target_rate"),
            achieved_rate: number(&report, "achieved_rate"),
            unacknowledged: report["unacknowledged"].as_u64().unwrap_or(0),
            client_us: [
                number(&latency, "p50_us"),
                number(&latency, "p90_us"),
                number(&latency, "p99_us"),
                number(&latency, "p99_9_us"),
                number(&latency, "max_us"),
            ],
            client_mean_us: number(&latency, "mean_us"),
            baseline_us: baseline.map(|value| {
                let stats = value.get("latency").unwrap_or(value);
                (number(stats, "p50_us"), number(stats, "p99_us"))
            }),
            server_stages,
            distribution: read_hgrm(&folder.join("hgrm").join(format!("{kind}.hgrm"))),
        });
    }
    points.sort_by(|a, b| a.target_rate.total_cmp(&b.target_rate));
    Ok(points)
}

/// Reads an HdrHistogram percentile-distribution file: (percentile, value).
/// Values in the files are microseconds.
pub fn read_hgrm(path: &Path) -> Vec<(f64, f64)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let value: f64 = fields.next()?.parse().ok()?;
            let percentile: f64 = fields.next()?.parse().ok()?;
            Some((percentile, value))
        })
        .collect()
}

/// A markdown table of the sweep.
pub fn summary_markdown(points: &[LoadPoint], kind: &str) -> String {
    let mut out = format!(
        "| offered/s | achieved/s | unacked | {kind} mean µs | p50 | p90 | p99 | p99.9 | max | baseline p50 | baseline p99 |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
    );
    for point in points {
        let [p50, p90, p99, p999, max] = point.client_us;
        let (base50, base99) = point
            .baseline_us
            .map(|(p50, p99)| (format!("{p50:.1}"), format!("{p99:.1}")))
            .unwrap_or(("–".into(), "–".into()));
        out.push_str(&format!(
            "| {:.0} | {:.0} | {} | {:.1} | {p50:.1} | {p90:.1} | {p99:.1} | {p999:.1} | {max:.1} | {base50} | {base99} |\n",
            point.target_rate, point.achieved_rate, point.unacknowledged, point.client_mean_us
        ));
    }
    out.push_str("\nServer stage histograms (printed by `rtes` at shutdown) per offered load:\n\n");
    for point in points {
        out.push_str(&format!("offered {:.0}/s:\n```\n", point.target_rate));
        for line in &point.server_stages {
            out.push_str(line);
            out.push('\n');
        }
        out.push_str("```\n");
    }
    out
}

const SERIES: [(&str, RGBColor); 4] = [
    ("p50", RGBColor(31, 119, 180)),
    ("p90", RGBColor(44, 160, 44)),
    ("p99", RGBColor(255, 127, 14)),
    ("p99.9", RGBColor(214, 39, 40)),
];

fn plot_error(error: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("plotting: {error}")
}

/// Latency percentiles (log scale) against offered load.
pub fn plot_latency_vs_load(points: &[LoadPoint], kind: &str, path: &Path) -> Result<()> {
    let root = SVGBackend::new(path, (960, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let max_rate = points.iter().map(|p| p.target_rate).fold(1.0, f64::max) * 1.05;
    let max_us = points
        .iter()
        .map(|p| p.client_us[3])
        .filter(|v| v.is_finite())
        .fold(10.0, f64::max)
        * 2.0;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("order-blaster: {kind} → ack latency vs offered load"),
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..max_rate, (1.0..max_us).log_scale())
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("offered load (messages/s)")
        .y_desc("latency (µs, log)")
        .draw()
        .map_err(plot_error)?;
    for (index, (name, color)) in SERIES.iter().enumerate() {
        let series: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.client_us[index].is_finite())
            .map(|p| (p.target_rate, p.client_us[index].max(1.0)))
            .collect();
        chart
            .draw_series(LineSeries::new(series.clone(), color.stroke_width(2)))
            .map_err(plot_error)?
            .label(*name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart
            .draw_series(
                series
                    .iter()
                    .map(|&(x, y)| Circle::new((x, y), 3, color.filled())),
            )
            .map_err(plot_error)?;
    }
    let baseline: Vec<(f64, f64)> = points
        .iter()
        .filter_map(|p| p.baseline_us.map(|(p50, _)| (p.target_rate, p50.max(1.0))))
        .collect();
    if !baseline.is_empty() {
        chart
            .draw_series(LineSeries::new(baseline, BLACK.stroke_width(1)))
            .map_err(plot_error)?
            .label("loopback baseline p50")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(plot_error)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

/// Percentile distribution (x: 1/(1−p) on a log scale) at each offered load.
pub fn plot_distribution(points: &[LoadPoint], kind: &str, path: &Path) -> Result<()> {
    let root = SVGBackend::new(path, (960, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let max_us = points
        .iter()
        .flat_map(|p| p.distribution.iter().map(|&(_, v)| v))
        .fold(10.0, f64::max)
        * 1.5;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("order-blaster: {kind} latency percentile distribution"),
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d((1.0..100_000.0).log_scale(), (1.0..max_us).log_scale())
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("1/(1−percentile): 10 = p90, 100 = p99, 1000 = p99.9")
        .y_desc("latency (µs, log)")
        .draw()
        .map_err(plot_error)?;
    for (index, point) in points.iter().enumerate() {
        let color = Palette99::pick(index).to_rgba();
        let series: Vec<(f64, f64)> = point
            .distribution
            .iter()
            .filter(|&&(p, _)| p < 1.0)
            .map(|&(p, v)| (1.0 / (1.0 - p), v.max(1.0)))
            .filter(|&(x, _)| x <= 100_000.0)
            .collect();
        chart
            .draw_series(LineSeries::new(series, color.stroke_width(2)))
            .map_err(plot_error)?
            .label(format!("{:.0}/s", point.target_rate))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(plot_error)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hdrhistogram_percentile_files() {
        let dir = std::env::temp_dir().join(format!("rtes-hgrm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("new.hgrm");
        std::fs::write(
            &path,
            "       Value     Percentile TotalCount 1/(1-Percentile)\n\n      12.000 0.000000000000          1           1.00\n      40.500 0.990000000000        990         100.00\n#[Mean    =       15.000, StdDeviation   =        2.000]\n",
        )
        .unwrap();
        assert_eq!(read_hgrm(&path), vec![(0.0, 12.0), (0.99, 40.5)]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
