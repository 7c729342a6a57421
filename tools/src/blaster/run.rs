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

use super::baseline::{run_baseline, BaselineOptions, MESSAGE_BYTES};
use super::config::{Config, Protocol};
use super::fix::FixOutbound;
use super::flow::FlowGenerator;
use super::progress::Snapshot;
use super::protocol::EnterRequest;
use super::receiver::{ReadHalf, Receiver};
use super::report::Report;
use super::schedule::Schedule;
use super::sender::{Sender, WriteHalf};
use super::session::{login, SessionLink};
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
    for index in 0..config.session_count() {
        let session = login(config, index, LOGIN_TIMEOUT)?;
        write_halves.push(WriteHalf {
            stream: session.stream.try_clone().context("cloning the socket")?,
            encoder: session.encoder,
        });
        read_halves.push(ReadHalf {
            stream: session.stream,
            reader: session.reader,
            name: session.name,
        });
    }
    let links: Arc<[SessionLink]> = (0..read_halves.len())
        .map(|_| SessionLink::default())
        .collect();
    let codec = TokenCodec::from_clock();
    // Each message creates at most one order number.
    let slots = Arc::new(Slots::new(schedule.total() as usize + 1));
    let control = Arc::new(Control::default());
    let drain_timeout = Duration::from_secs_f64(config.drain_timeout_s);
    let start = Instant::now();
    let receiver = Receiver::new(
        read_halves,
        Arc::clone(&links),
        codec,
        Arc::clone(&slots),
        Arc::clone(&control),
        start,
        drain_timeout,
    )?;
    let sender = Sender::new(
        write_halves,
        links,
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
            message_bytes: baseline_message_bytes(config),
        })?)
    } else {
        None
    };
    Ok(Report::build(
        config, &schedule, &sent, &received, &codec, baseline,
    ))
}

/// Bytes per baseline ping: the size of the run's typical new order on the
/// wire (a framed OUCH Enter Order, or a FIX NewOrderSingle as this run's
/// first session writes it), so the floor moves the same bytes.
fn baseline_message_bytes(config: &Config) -> usize {
    match config.protocol {
        Protocol::Ouch => MESSAGE_BYTES,
        Protocol::Fix => {
            let session = &config.fix_sessions[0].sender_comp_id;
            let mut fix = FixOutbound::new(session, &config.fix_target_comp_id, 30);
            let mut stock = [b' '; 8];
            let symbol = config.symbols[0].symbol.as_bytes();
            stock[..symbol.len()].copy_from_slice(symbol);
            let mut out = Vec::new();
            fix.new_order(
                &mut out,
                &EnterRequest {
                    token: &TokenCodec::new(0).encode(0),
                    stock: &stock,
                    side: rtes_gateway::ouch::Side::Buy,
                    price: config.symbols[0].reference_wire().unwrap_or(0),
                    shares: 100,
                    ioc: false,
                },
                super::protocol::utc_now_ns(),
            );
            out.len().max(MESSAGE_BYTES)
        }
    }
}
