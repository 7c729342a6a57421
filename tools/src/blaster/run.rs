//! One blaster run, wired in one place:
//! 1. log every session in;
//! 2. start the receiver thread (replies → slots → histograms);
//! 3. start the sender thread (schedule → flow → sockets);
//! 4. show progress until both end (drain and clean-up included);
//! 5. optionally run the loopback baseline;
//! 6. assemble the [`Report`].

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::baseline::{run_baseline, BaselineOptions};
use super::config::Config;
use super::flow::FlowGenerator;
use super::progress::Snapshot;
use super::receiver::Receiver;
use super::report::Report;
use super::schedule::Schedule;
use super::sender::Sender;
use super::session::login;
use super::slots::Slots;
use super::token::TokenCodec;

/// Most messages one run may schedule: slots cost ~21 bytes each.
pub const MESSAGES_MAX: u64 = 50_000_000;
/// How long a login may take.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the progress callback is called.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

/// Counters and phase flags shared by the sender, the receiver and the
/// progress display.
#[derive(Debug, Default)]
pub struct Control {
    /// Messages sent so far (warm-up included).
    pub sent: AtomicU64,
    /// Requests answered so far.
    pub acked: AtomicU64,
    /// Rejected replies so far.
    pub rejected: AtomicU64,
    /// Running p99 over all kinds, ns.
    pub running_p99_ns: AtomicU64,
    /// Order numbers handed out so far.
    pub orders_used: AtomicU64,
    /// The sender has sent the whole schedule (or given up).
    pub sender_done: AtomicBool,
    /// The receiver has drained (or timed out) and taken its snapshot.
    pub drained: AtomicBool,
    /// The sender has sent its clean-up cancels.
    pub cleanup_done: AtomicBool,
    /// The receiver has finished.
    pub receiver_done: AtomicBool,
    /// Stop sending early (Ctrl-C, errors).
    pub abort: AtomicBool,
}

/// Runs `config` against the server; `progress` is called about four
/// times a second and returns false to stop sending early (the drain and
/// the report still happen).
pub fn run(config: &Config, mut progress: impl FnMut(&Snapshot) -> bool) -> Result<Report> {
    config.validate()?;
    let schedule = Schedule::new(
        config.rate,
        config.warmup_messages() + config.measured_messages(),
        config.warmup_messages(),
    );
    if schedule.total() > MESSAGES_MAX {
        bail!(
            "{} messages scheduled; at most {MESSAGES_MAX} per run",
            schedule.total()
        );
    }
    let generator = FlowGenerator::new(config)?;
    let mut read_halves = Vec::new();
    let mut write_halves = Vec::new();
    for user in config.users.iter().take(config.session_count()) {
        let session = login(&config.host, config.port, user, LOGIN_TIMEOUT)?;
        let writer = session.stream.try_clone().context("cloning the socket")?;
        read_halves.push((session.stream, session.decoder));
        write_halves.push(writer);
    }
    let codec = TokenCodec::from_clock();
    // Each message creates at most one order number.
    let slots = Arc::new(Slots::new(schedule.total() as usize + 1));
    let control = Arc::new(Control::default());
    let drain_timeout = Duration::from_secs_f64(config.drain_timeout_s);
    let start = Instant::now();
    let receiver = Receiver::new(
        read_halves,
        codec,
        Arc::clone(&slots),
        Arc::clone(&control),
        start,
        drain_timeout,
    )?;
    let sender = Sender::new(
        write_halves,
        generator,
        codec,
        Arc::clone(&slots),
        Arc::clone(&control),
        schedule,
        start,
        Duration::from_micros(config.spin_us),
        config.max_live_per_session,
        config.cancel_on_exit,
    );
    let receiver_thread = std::thread::Builder::new()
        .name("blaster-recv".into())
        .spawn(move || receiver.run())?;
    let sender_thread = std::thread::Builder::new()
        .name("blaster-send".into())
        .spawn(move || sender.run())?;
    while !(sender_thread.is_finished() && receiver_thread.is_finished()) {
        std::thread::sleep(PROGRESS_INTERVAL);
        let go_on = progress(&Snapshot {
            elapsed: start.elapsed(),
            sent: control.sent.load(Ordering::Relaxed),
            total: schedule.total(),
            acked: control.acked.load(Ordering::Relaxed),
            rejected: control.rejected.load(Ordering::Relaxed),
            running_p99_ns: control.running_p99_ns.load(Ordering::Relaxed),
            draining: control.sender_done.load(Ordering::Relaxed),
        });
        if !go_on {
            control.abort.store(true, Ordering::Relaxed);
        }
    }
    let sent = sender_thread
        .join()
        .map_err(|_| anyhow::anyhow!("sender thread panicked"))?;
    let received = receiver_thread
        .join()
        .map_err(|_| anyhow::anyhow!("receiver thread panicked"))??;
    let sent = sent?;
    let baseline = if config.baseline {
        Some(run_baseline(&BaselineOptions {
            rate: config.rate,
            total: schedule.total(),
            warmup: schedule.warmup(),
            closed_loop: config.baseline_closed,
            spin: Duration::from_micros(config.spin_us),
            drain_timeout,
        })?)
    } else {
        None
    };
    Ok(Report::build(
        config, &schedule, &sent, &received, &codec, baseline,
    ))
}
