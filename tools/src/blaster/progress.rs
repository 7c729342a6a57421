//! Live progress: an indicatif bar with the send rate and running p99,
//! drawn on stderr only when it is a terminal and not `--quiet`.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Where a run stands, sampled about four times a second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// Time since the start.
    pub elapsed: Duration,
    /// Messages sent (warm-up included).
    pub sent: u64,
    /// Messages scheduled.
    pub total: u64,
    /// Requests answered.
    pub acked: u64,
    /// Rejected replies.
    pub rejected: u64,
    /// Running p99 over all kinds, ns.
    pub running_p99_ns: u64,
    /// The send phase is over; waiting for replies.
    pub draining: bool,
}

/// The progress bar (or nothing).
#[derive(Debug)]
pub struct ProgressDisplay {
    bar: Option<ProgressBar>,
    last_sent: u64,
    last_elapsed: Duration,
}

impl ProgressDisplay {
    /// A bar for `total` messages, unless `quiet` or stderr is no terminal.
    pub fn new(total: u64, quiet: bool) -> ProgressDisplay {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(4));
            bar.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
                    .expect("static template")
                    .progress_chars("=> "),
            );
            bar
        });
        ProgressDisplay {
            bar,
            last_sent: 0,
            last_elapsed: Duration::ZERO,
        }
    }

    /// Shows `snapshot`.
    pub fn update(&mut self, snapshot: &Snapshot) {
        let interval = snapshot
            .elapsed
            .saturating_sub(self.last_elapsed)
            .as_secs_f64();
        let rate = if interval > 0.0 {
            (snapshot.sent - self.last_sent) as f64 / interval
        } else {
            0.0
        };
        self.last_sent = snapshot.sent;
        self.last_elapsed = snapshot.elapsed;
        if let Some(bar) = &self.bar {
            bar.set_position(snapshot.sent);
            bar.set_message(format!(
                "{:>8.0} msg/s  p99 {:>9.1} µs  acked {}  rejected {}{}",
                rate,
                snapshot.running_p99_ns as f64 / 1000.0,
                snapshot.acked,
                snapshot.rejected,
                if snapshot.draining { "  draining" } else { "" }
            ));
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
