//! `order-blaster`: open-loop SoupBinTCP/OUCH 4.2 or FIX 4.4 load generator
//! for RTES.
//!
//! ```text
//! order-blaster [--config FILE] [--protocol ouch|fix] [--host H]
//!               [--port P] [--users u:p,...]                   (OUCH)
//!               [--fix-port P] [--fix-sessions COMPID[:USER:PW],...]
//!               [--fix-target-comp-id ID] [--fix-heartbeat S]  (FIX)
//!               [--sessions N] [--rate R] [--duration S | --count N]
//!               [--warmup S] [--symbols AAPL,MSFT|SYM=PRICE,...]
//!               [--rtes-config config/default.toml] [--mix new=..,cancel=..,replace=..,ioc=..]
//!               [--seed N] [--drain-timeout S] [--require-all-acked]
//!               [--json FILE] [--hgrm-dir DIR] [--baseline [--baseline-closed]]
//!               [--spin-us N] [--no-cancel-on-exit] [--quiet]
//! ```
//!
//! Ctrl-C stops sending, drains and reports; a second Ctrl-C exits at once.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use clap::Parser;
use rtes_tools::blaster::config::{
    parse_fix_sessions, parse_symbols, parse_users, symbols_from_rtes_config, Config, Mix, Protocol,
};
use rtes_tools::blaster::progress::ProgressDisplay;
use rtes_tools::blaster::run::run;

#[derive(Parser, Debug)]
#[command(
    name = "order-blaster",
    version,
    about = "Open-loop OUCH 4.2 / FIX 4.4 load generator for RTES (latency from the scheduled send time)"
)]
struct Cli {
    /// TOML file with any of the run's fields (flags override it).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Order-entry protocol: ouch or fix [default: ouch].
    #[arg(long)]
    protocol: Option<Protocol>,
    /// Server host [default: 127.0.0.1].
    #[arg(long)]
    host: Option<String>,
    /// Server SoupBinTCP/OUCH port [default: 15000].
    #[arg(long)]
    port: Option<u16>,
    /// OUCH logins, NAME:PASSWORD,... [default: demo01:demo01pw,...,demo04:demo04pw].
    #[arg(long)]
    users: Option<String>,
    /// Server FIX port [default: 15001].
    #[arg(long)]
    fix_port: Option<u16>,
    /// FIX sessions, SENDERCOMPID[:USERNAME:PASSWORD],...
    /// [default: DEMO01,DEMO02,DEMO03,DEMO04:demo04:demo04pw].
    #[arg(long, visible_alias = "fix-sender-comp-ids")]
    fix_sessions: Option<String>,
    /// The venue's CompID, our TargetCompID (56) [default: RTES].
    #[arg(long)]
    fix_target_comp_id: Option<String>,
    /// FIX HeartBtInt (108) asked for at Logon, seconds [default: 30].
    #[arg(long)]
    fix_heartbeat: Option<u32>,
    /// Sessions to open (≤ users or FIX sessions; one each) [default: one per login].
    #[arg(long)]
    sessions: Option<usize>,
    /// Target total send rate, messages/s [default: 1000].
    #[arg(long)]
    rate: Option<f64>,
    /// Measured send phase, seconds [default: 10].
    #[arg(long)]
    duration: Option<f64>,
    /// Measured messages to send (instead of --duration).
    #[arg(long)]
    count: Option<u64>,
    /// Warm-up seconds at the same rate, not recorded [default: 1].
    #[arg(long)]
    warmup: Option<f64>,
    /// Symbols: demo names (AAPL,MSFT,...) or SYM=REFERENCE_PRICE.
    #[arg(long)]
    symbols: Option<String>,
    /// Take symbols, ticks, reference prices and bands from an rtes config.
    #[arg(long)]
    rtes_config: Option<PathBuf>,
    /// Message mix weights [default: new=45,cancel=35,replace=15,ioc=5].
    #[arg(long)]
    mix: Option<String>,
    /// Seed of the flow [default: 1].
    #[arg(long)]
    seed: Option<u64>,
    /// Seconds to wait for outstanding replies after sending [default: 5].
    #[arg(long)]
    drain_timeout: Option<f64>,
    /// Most live orders kept per session [default: 2000].
    #[arg(long)]
    max_live: Option<usize>,
    /// Spin the last N µs before each send instead of sleeping [default: 0].
    #[arg(long)]
    spin_us: Option<u64>,
    /// Leave the run's live orders on the book at the end.
    #[arg(long)]
    no_cancel_on_exit: bool,
    /// Also measure a raw loopback TCP ping-pong (messages the size of the
    /// run's new order: 51 bytes for OUCH, ~150 for FIX).
    #[arg(long)]
    baseline: bool,
    /// Run the baseline closed-loop (one message in flight).
    #[arg(long)]
    baseline_closed: bool,
    /// Exit non-zero when any request is left unanswered.
    #[arg(long)]
    require_all_acked: bool,
    /// Write the JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write one .hgrm percentile distribution per kind into this directory.
    #[arg(long)]
    hgrm_dir: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

fn config_from(cli: &Cli) -> Result<Config> {
    let mut config = match &cli.config {
        Some(path) => Config::from_toml_file(path)?,
        None => Config::default(),
    };
    if let Some(protocol) = cli.protocol {
        config.protocol = protocol;
    }
    if let Some(host) = &cli.host {
        config.host = host.clone();
    }
    if let Some(port) = cli.port {
        config.port = port;
    }
    if let Some(users) = &cli.users {
        config.users = parse_users(users)?;
    }
    if let Some(port) = cli.fix_port {
        config.fix_port = port;
    }
    if let Some(sessions) = &cli.fix_sessions {
        config.fix_sessions = parse_fix_sessions(sessions)?;
    }
    if let Some(target) = &cli.fix_target_comp_id {
        config.fix_target_comp_id = target.clone();
    }
    if let Some(heartbeat) = cli.fix_heartbeat {
        config.fix_heartbeat_s = heartbeat;
    }
    if let Some(sessions) = cli.sessions {
        config.sessions = sessions;
    }
    if let Some(rate) = cli.rate {
        config.rate = rate;
    }
    if let Some(duration) = cli.duration {
        config.duration_s = duration;
        config.count = None;
    }
    if let Some(count) = cli.count {
        config.count = Some(count);
    }
    if let Some(warmup) = cli.warmup {
        config.warmup_s = warmup;
    }
    if let Some(path) = &cli.rtes_config {
        config.symbols = symbols_from_rtes_config(path)?;
    }
    if let Some(symbols) = &cli.symbols {
        config.symbols = parse_symbols(symbols)?;
    }
    if let Some(mix) = &cli.mix {
        config.mix = Mix::parse(mix)?;
    }
    if let Some(seed) = cli.seed {
        config.seed = seed;
    }
    if let Some(drain) = cli.drain_timeout {
        config.drain_timeout_s = drain;
    }
    if let Some(max_live) = cli.max_live {
        config.max_live_per_session = max_live;
    }
    if let Some(spin) = cli.spin_us {
        config.spin_us = spin;
    }
    if cli.no_cancel_on_exit {
        config.cancel_on_exit = false;
    }
    config.baseline |= cli.baseline || cli.baseline_closed;
    config.baseline_closed |= cli.baseline_closed;
    config.validate()?;
    Ok(config)
}

/// Set by the first Ctrl-C: stop sending, drain, report.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_signal: libc::c_int) {
    // Only async-signal-safe work here: an atomic swap, or _exit.
    if INTERRUPTED.swap(true, Ordering::Relaxed) {
        // SAFETY: _exit is async-signal-safe; a second Ctrl-C means "now".
        unsafe { libc::_exit(130) };
    }
}

fn install_interrupt_handler() {
    let handler: extern "C" fn(libc::c_int) = on_interrupt;
    // SAFETY: the handler only touches an atomic or calls _exit, both
    // async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler as libc::sighandler_t);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match blast(&cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("order-blaster: error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn blast(cli: &Cli) -> Result<ExitCode> {
    let config = config_from(cli)?;
    let total = config.warmup_messages() + config.measured_messages();
    let mut display = ProgressDisplay::new(total, cli.quiet);
    install_interrupt_handler();
    let report = run(&config, |snapshot| {
        display.update(snapshot);
        !INTERRUPTED.load(Ordering::Relaxed)
    })?;
    if INTERRUPTED.load(Ordering::Relaxed) {
        eprintln!("order-blaster: interrupted; the report covers what was sent (exit 130)");
    }
    display.finish();
    print!("{}", report.summary_table());
    if let Some(path) = &cli.json {
        report.write_json(path)?;
        eprintln!("JSON report: {}", path.display());
    }
    if let Some(directory) = &cli.hgrm_dir {
        let files = report.write_hgrm_files(directory)?;
        eprintln!("{} .hgrm files in {}", files.len(), directory.display());
    }
    if INTERRUPTED.load(Ordering::Relaxed) {
        return Ok(ExitCode::from(130));
    }
    if cli.require_all_acked && report.unacknowledged > 0 {
        eprintln!(
            "order-blaster: {} requests unacknowledged (--require-all-acked)",
            report.unacknowledged
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
