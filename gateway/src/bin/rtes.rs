//! `rtes`: the exchange simulator.
//!
//! ```text
//! rtes [--config PATH] [--threads shared|dedicated] [--pin engine=1 ...]
//!      [--idle engine=busy-spin ...] [--log-level info] [--ouch-port N]
//!      [--ports-file PATH] [--feed | --no-feed] [--feed-port N]
//!      [--feed-drop-fraction F] [--fix | --no-fix] [--fix-port N]
//!      [--fix-store-dir DIR]
//! rtes hash-password [--password PW]     (else reads one line from stdin)
//! rtes check-config [--config PATH]
//! ```

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use rtes_gateway::config::credentials::{hash_password, random_salt};
use rtes_gateway::config::{self, default_config_path, parse_assignment, Overrides, Settings};
use rtes_gateway::feed::ItchFeed;
use rtes_gateway::runtime::{run_server, BoundPorts, CountingFeed};
use rtes_gateway::server::order_entry::OrderEntryFrontend;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "rtes",
    version,
    about = "RTES: a real-time trading exchange simulator"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the argon2 PHC hash of a password (from --password or stdin).
    HashPassword {
        /// The password (else one line is read from stdin).
        #[arg(long)]
        password: Option<String>,
    },
    /// Load and validate a configuration, print a summary, exit.
    CheckConfig {
        /// Configuration file (default: config/default.toml).
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Configuration file (default: config/default.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Threading mode: shared or dedicated.
    #[arg(long)]
    threads: Option<String>,
    /// Pin a thread to a core: NAME=CORE (gateway, engine, mdfeed, shared).
    #[arg(long, value_name = "NAME=CORE")]
    pin: Vec<String>,
    /// Idle strategy of a thread: NAME=busy-spin|yielding|backoff.
    #[arg(long, value_name = "NAME=STRATEGY")]
    idle: Vec<String>,
    /// Log filter (error, warn, info, debug, trace, or a tracing directive).
    #[arg(long, default_value = "info")]
    log_level: String,
    /// OUCH listen port override (0 = ephemeral).
    #[arg(long)]
    ouch_port: Option<u16>,
    /// Also write the bound ports (JSON) to this file.
    #[arg(long)]
    ports_file: Option<PathBuf>,
    /// Run the ITCH/MoldUDP64 feed whatever `[feed] enabled` says.
    #[arg(long, conflicts_with = "no_feed")]
    feed: bool,
    /// Do not run the feed (market events are only counted).
    #[arg(long)]
    no_feed: bool,
    /// Multicast port override; 0 = ephemeral, and then the re-request and
    /// replay listeners use ephemeral ports too (tests).
    #[arg(long)]
    feed_port: Option<u16>,
    /// Fault injection: fraction of multicast packets dropped (0 to <1).
    #[arg(long)]
    feed_drop_fraction: Option<f64>,
    /// Run the FIX acceptor whatever `[fix] enabled` says.
    #[arg(long, conflicts_with = "no_fix")]
    fix: bool,
    /// Do not run the FIX acceptor.
    #[arg(long)]
    no_fix: bool,
    /// FIX listen port override (0 = ephemeral).
    #[arg(long)]
    fix_port: Option<u16>,
    /// Directory of the FIX message stores (overrides `fix.store_dir`).
    #[arg(long)]
    fix_store_dir: Option<PathBuf>,
}

fn main() {
    let cli = Cli::parse();
    if let Err(error) = run(cli) {
        eprintln!("rtes: error: {error:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Some(Command::HashPassword { password }) => hash_password_command(password),
        Some(Command::CheckConfig { config }) => {
            let path = config
                .or(cli.serve.config)
                .unwrap_or_else(default_config_path);
            check_config(&path)
        }
        None => serve(cli.serve),
    }
}

fn hash_password_command(password: Option<String>) -> Result<()> {
    let password = match password {
        Some(password) => password,
        None => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    if password.is_empty() {
        bail!("empty password");
    }
    let salt = random_salt().context("reading random salt")?;
    let hash = hash_password(&password, &salt).map_err(anyhow::Error::msg)?;
    println!("{hash}");
    Ok(())
}

fn load_settings(path: &Path, overrides: &Overrides) -> Result<Settings> {
    config::load(path, overrides).with_context(|| format!("configuration {}", path.display()))
}

fn check_config(path: &Path) -> Result<()> {
    let settings = load_settings(path, &Overrides::default())?;
    println!("{}: ok", path.display());
    println!(
        "  threads: {:?}, gateway threads: {}",
        settings.runtime.threading, settings.runtime.gateway_threads
    );
    println!("  ouch: {}", settings.ouch.listen);
    if settings.fix.enabled {
        println!(
            "  fix: {} as {}, stores in {}",
            settings.fix.listen,
            settings.fix.sender_comp_id,
            settings.fix.store_dir.display()
        );
        for session in &settings.fix.sessions {
            println!(
                "  fix session {} -> account {}{}{}",
                session.target_comp_id,
                session.account.0,
                if session.username.is_some() {
                    ", password required"
                } else {
                    ""
                },
                if session.reflector { ", reflector" } else { "" }
            );
        }
    } else {
        println!("  fix: disabled");
    }
    for instrument in &settings.engine.instruments {
        println!(
            "  instrument {}: tick {} units, band [{}, {}] ticks, {:?}",
            instrument.symbol,
            instrument.tick_size,
            instrument.band_low.0,
            instrument.band_high.0,
            instrument.initial_state
        );
    }
    for login in settings.credentials.iter() {
        println!("  login {} -> account {}", login.username, login.account.0);
    }
    Ok(())
}

fn overrides(args: &ServeArgs) -> Result<Overrides> {
    let mut pins = Vec::with_capacity(args.pin.len());
    for text in &args.pin {
        let (name, core) = parse_assignment(text).map_err(anyhow::Error::msg)?;
        let core = core
            .parse()
            .with_context(|| format!("--pin {text}: core must be a number"))?;
        pins.push((name, core));
    }
    let idle = args
        .idle
        .iter()
        .map(|text| parse_assignment(text).map_err(anyhow::Error::msg))
        .collect::<Result<Vec<_>>>()?;
    let feed_drop_per_million = match args.feed_drop_fraction {
        Some(fraction) if (0.0..1.0).contains(&fraction) => {
            Some((fraction * 1_000_000.0).round() as u32)
        }
        Some(fraction) => bail!("--feed-drop-fraction {fraction}: must be at least 0 and below 1"),
        None => None,
    };
    let feed_enabled = match (args.feed, args.no_feed) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    Ok(Overrides {
        threads: args.threads.clone(),
        pins,
        idle,
        ouch_port: args.ouch_port,
        feed_enabled,
        feed_port: args.feed_port,
        feed_drop_per_million,
        fix_enabled: match (args.fix, args.no_fix) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        fix_port: args.fix_port,
        fix_store_dir: args
            .fix_store_dir
            .as_ref()
            .map(|path| path.to_string_lossy().into_owned()),
    })
}

fn serve(args: ServeArgs) -> Result<()> {
    init_logging(&args.log_level)?;
    let path = args.config.clone().unwrap_or_else(default_config_path);
    let settings = load_settings(&path, &overrides(&args)?)?;
    tracing::info!(config = %path.display(), threads = ?settings.runtime.threading, "starting");

    let shutdown = Arc::new(AtomicBool::new(false));
    let handler_flag = Arc::clone(&shutdown);
    ctrlc::set_handler(move || handler_flag.store(true, Ordering::Release))
        .context("installing the SIGINT/SIGTERM handler")?;

    let mut ports_error = None;
    let on_bound = |ports: &BoundPorts| {
        let line = ports.to_json_line();
        println!("{line}");
        if let Some(file) = &args.ports_file {
            if let Err(error) = write_atomically(file, &format!("{line}\n")) {
                ports_error = Some(anyhow::anyhow!("writing {}: {error}", file.display()));
                shutdown.store(true, Ordering::Release);
            }
        }
        tracing::info!(ports = %line, "running; Ctrl-C to stop");
    };
    // The network gateway plugs in here as a `Frontend`, the market-data
    // publisher as a `FeedStage` (see runtime::server).
    let report = if settings.feed.enabled {
        run_server(
            &settings,
            OrderEntryFrontend::default(),
            ItchFeed::default(),
            &shutdown,
            on_bound,
        )
    } else {
        run_server(
            &settings,
            OrderEntryFrontend::default(),
            CountingFeed,
            &shutdown,
            on_bound,
        )
    }
    .context("running the server")?;
    print!("{}", report.render());
    tracing::info!("stopped");
    match ports_error {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Writes via a temporary file and a rename, so a reader polling for the
/// file never sees it half written.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path)
}

fn init_logging(level: &str) -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .with_context(|| format!("--log-level {level}"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init()
        .map_err(|error| anyhow::anyhow!("initialising logging: {error}"))
}
