//! Configuration: the TOML file, command-line overrides, validation, and
//! conversion into the engine's [`EngineConfig`] and the gateway's settings.
//!
//! Flow: [`load_file`] reads the [`schema::FileConfig`] (unknown keys are
//! errors), [`Overrides::apply`] layers the command line on top, and
//! [`validate::validate`] checks everything at once, naming the key of each
//! problem (`instrument[2].tick_size: ...`), and returns [`Settings`].
//!
//! ```
//! let text = r#"
//! [[instrument]]
//! symbol = "AAPL"
//! tick_size = "0.01"
//! reference_price = "100.00"
//! band_percent = 10
//!
//! [[account]]
//! name = "demo"
//! username = "demo01"
//! password_hash = "$argon2id$v=19$m=19456,t=2,p=1$ieus9JcdlxqgShn4jVRLnQ$4fBcItGzpM0fH40vwbQKKqao62S0WEfv7rqJeY0FhnI"
//! max_order_qty = 1000
//! max_notional = "1000000"
//! price_collar_percent = 10
//! max_open_orders = 100
//! max_position = 10000
//! self_trade_prevention = "off"
//! "#;
//! let settings = rtes_gateway::config::load_str(text, &Default::default()).unwrap();
//! assert_eq!(settings.engine.instruments[0].band_low.0, 9_000); // 90.00 in 0.01 ticks
//! ```

pub mod credentials;
pub mod decimal;
pub mod schema;
pub mod validate;

pub use credentials::{Credentials, Login};
pub use schema::FileConfig;

use crate::runtime::{IdleStrategy, RingCapacities};
use rtes_engine::EngineConfig;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything RTES needs at start-up, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Threads, idle strategies, pins, rings.
    pub runtime: RuntimeSettings,
    /// The engine's instruments, accounts and capacities.
    pub engine: EngineConfig,
    /// OUCH order entry.
    pub ouch: OuchSettings,
    /// FIX acceptor.
    pub fix: FixSettings,
    /// Market-data feed.
    pub feed: FeedSettings,
    /// HTTP admin (RESERVED: nothing listens yet).
    pub admin: AdminSettings,
    /// Logins.
    pub credentials: Credentials,
}

/// One stage per thread (dedicated) or all stages on one thread (shared).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadingMode {
    /// Gateway, engine and market data each on their own thread.
    Dedicated,
    /// Every agent on one thread; best on a machine with few cores.
    Shared,
}

/// Idle strategy and optional core of one thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadSettings {
    /// What the thread does when idle.
    pub idle: IdleStrategy,
    /// Core to pin to, if any.
    pub core: Option<usize>,
}

/// `[runtime]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeSettings {
    /// Threading mode.
    pub threading: ThreadingMode,
    /// Number of gateway threads (each gets its own pair of rings).
    pub gateway_threads: usize,
    /// Gateway thread 0 (thread i is pinned to `core + i`).
    pub gateway: ThreadSettings,
    /// Engine thread.
    pub engine: ThreadSettings,
    /// Market-data thread.
    pub mdfeed: ThreadSettings,
    /// The single thread of shared mode.
    pub shared: ThreadSettings,
    /// Ring capacities.
    pub rings: RingCapacities,
    /// Most commands the engine applies per round.
    pub engine_batch_commands: usize,
}

/// `[ouch]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OuchSettings {
    /// Listen address (port 0 = ephemeral).
    pub listen: SocketAddr,
    /// Server heartbeat interval.
    pub heartbeat_interval: Duration,
    /// Silence after which a client is disconnected.
    pub idle_timeout: Duration,
    /// Largest SoupBinTCP packet accepted.
    pub max_frame_bytes: usize,
    /// Bound on a session's unsent output.
    pub outbound_buffer_bytes: usize,
    /// Inbound messages per second per session (0 = unlimited).
    pub throttle_msgs_per_sec: u32,
}

/// `[fix]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixSettings {
    /// Whether the acceptor runs.
    pub enabled: bool,
    /// Listen address.
    pub listen: SocketAddr,
    /// SenderCompID.
    pub sender_comp_id: String,
    /// Directory of the per-session message stores.
    pub store_dir: std::path::PathBuf,
    /// fsync the stores after each round that wrote.
    pub store_fsync: bool,
    /// Accepted HeartBtInt range, seconds.
    pub heartbeat_range_s: (u32, u32),
    /// SendingTime tolerance.
    pub sending_time_tolerance: Duration,
    /// Time allowed from connect to Logon.
    pub logon_timeout: Duration,
    /// How long our Logout waits for the reply.
    pub logout_timeout: Duration,
    /// Largest inbound message, bytes.
    pub max_message_bytes: usize,
    /// Most fields per inbound message.
    pub max_fields: usize,
    /// Bound on a session's unsent output, bytes.
    pub outbound_buffer_bytes: usize,
    /// Order messages per second per session (0 = unlimited).
    pub throttle_msgs_per_sec: u32,
    /// Orders remembered per session.
    pub max_orders_per_session: usize,
    /// Serve market data over FIX.
    pub market_data: bool,
    /// Fields beyond QuickFIX's stock FIX44.xml in market data.
    pub market_data_extension_fields: bool,
    /// Symbol subscriptions per session.
    pub max_subscriptions_per_session: usize,
    /// Conflated changes a backlogged session may be owed.
    pub max_pending_updates_per_session: usize,
    /// Unsent output above which a session is backlogged for market data.
    pub market_data_backlog_bytes: usize,
    /// The configured sessions; session `i` trades as `OwnerId(first_owner + i)`.
    pub sessions: Vec<FixSessionSettings>,
}

/// What a Logon with ResetSeqNumFlag (141) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixResetPolicy {
    /// 141=Y resets both sequence numbers (QuickFIX's behaviour).
    Honour,
    /// Every logon resets, whatever the client asks.
    Always,
    /// 141=Y is refused: sequence numbers only ever continue.
    Never,
}

/// One `[[fix.session]]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixSessionSettings {
    /// The client's CompID.
    pub target_comp_id: String,
    /// Account it trades for.
    pub account: rtes_engine::AccountId,
    /// Engine owner of its orders (after every account's OUCH owner).
    pub owner: rtes_engine::OwnerId,
    /// Username the Logon must carry (with a password), when required.
    pub username: Option<String>,
    /// Reset policy.
    pub reset_policy: FixResetPolicy,
    /// Echo application messages instead of trading.
    pub reflector: bool,
    /// Cancel the session's orders when it disconnects.
    pub cancel_on_disconnect: bool,
}

/// `[feed]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedSettings {
    /// Whether the ITCH publisher runs (else events are only counted).
    pub enabled: bool,
    /// Multicast group and port (port 0: the sender's ephemeral port).
    pub multicast: SocketAddr,
    /// Interface to send from.
    pub interface: IpAddr,
    /// Multicast TTL.
    pub ttl: u32,
    /// ITCH replay (SoupBinTCP) listen address.
    pub replay_listen: SocketAddr,
    /// MoldUDP64 re-request (UDP) listen address.
    pub rerequest_listen: SocketAddr,
    /// Largest UDP payload.
    pub mtu_bytes: usize,
    /// Longest a partly filled packet waits.
    pub flush_interval: Duration,
    /// Heartbeat when idle.
    pub heartbeat_interval: Duration,
    /// Bound on the retransmission/replay history, bytes.
    pub history_bytes: usize,
    /// Fault injection: multicast packets dropped per million (0 = off).
    pub drop_per_million: u32,
    /// Seed of the drop generator.
    pub drop_seed: u64,
}

/// `[admin]`, validated. RESERVED: parsed so the file format is stable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminSettings {
    /// Whether the HTTP listener should run once it exists.
    pub enabled: bool,
    /// Listen address.
    pub listen: SocketAddr,
}

/// A configuration problem, with the key it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key, e.g. `instrument[2].tick_size`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not fit the schema.
    #[error("{origin}: {message}")]
    Parse {
        /// File name (or `<string>`).
        origin: String,
        /// The parser's message (it names the key and line).
        message: String,
    },
    /// The values are inconsistent; one line per problem.
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

/// Settings given on the command line; they replace the file's values
/// before validation, so their errors name the same keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--threads`.
    pub threads: Option<String>,
    /// `--pin NAME=CORE`.
    pub pins: Vec<(String, u32)>,
    /// `--idle NAME=STRATEGY`.
    pub idle: Vec<(String, String)>,
    /// `--ouch-port` (0 = ephemeral).
    pub ouch_port: Option<u16>,
    /// `--feed` / `--no-feed`: force the feed on or off.
    pub feed_enabled: Option<bool>,
    /// `--feed-port` multicast port (0 = ephemeral); also puts the feed's
    /// re-request and replay listeners on ephemeral ports when 0.
    pub feed_port: Option<u16>,
    /// `--feed-drop-fraction`, in packets per million (an integer so the
    /// overrides stay `Eq`).
    pub feed_drop_per_million: Option<u32>,
    /// `--fix` / `--no-fix`: force the FIX acceptor on or off.
    pub fix_enabled: Option<bool>,
    /// `--fix-port` (0 = ephemeral).
    pub fix_port: Option<u16>,
    /// `--fix-store-dir`: where the FIX message stores live.
    pub fix_store_dir: Option<String>,
}

impl Overrides {
    /// Writes the overrides into a parsed file.
    pub fn apply(&self, file: &mut FileConfig) {
        if let Some(threads) = &self.threads {
            file.runtime.threads = threads.clone();
        }
        for (name, core) in &self.pins {
            file.runtime.pin.insert(name.clone(), *core);
        }
        for (name, strategy) in &self.idle {
            file.runtime.idle.insert(name.clone(), strategy.clone());
        }
        if let Some(port) = self.ouch_port {
            let host = match file.ouch.listen.rsplit_once(':') {
                Some((host, _)) => host.to_string(),
                None => file.ouch.listen.clone(),
            };
            file.ouch.listen = format!("{host}:{port}");
        }
        if let Some(enabled) = self.feed_enabled {
            file.feed.enabled = enabled;
        }
        if let Some(port) = self.feed_port {
            file.feed.multicast = with_port(&file.feed.multicast, port);
            if port == 0 {
                file.feed.rerequest_listen = with_port(&file.feed.rerequest_listen, 0);
                file.feed.replay_listen = with_port(&file.feed.replay_listen, 0);
            }
        }
        if let Some(per_million) = self.feed_drop_per_million {
            file.feed.drop_fraction = f64::from(per_million) / 1_000_000.0;
        }
        if let Some(enabled) = self.fix_enabled {
            file.fix.enabled = enabled;
        }
        if let Some(port) = self.fix_port {
            file.fix.listen = with_port(&file.fix.listen, port);
        }
        if let Some(directory) = &self.fix_store_dir {
            file.fix.store_dir = directory.clone();
        }
    }
}

/// `host:port` with the port replaced.
fn with_port(address: &str, port: u16) -> String {
    let host = match address.rsplit_once(':') {
        Some((host, _)) => host,
        None => address,
    };
    format!("{host}:{port}")
}

/// Parses `NAME=VALUE` (for `--pin` and `--idle`).
pub fn parse_assignment(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() && !value.is_empty() => {
            Ok((name.to_string(), value.to_string()))
        }
        _ => Err(format!("expected NAME=VALUE, got {text:?}")),
    }
}

/// Parses TOML text (no validation).
pub fn parse_str(text: &str, origin: &str) -> Result<FileConfig, ConfigError> {
    toml::from_str(text).map_err(|error| ConfigError::Parse {
        origin: origin.to_string(),
        message: error.to_string(),
    })
}

/// Reads and parses a file (no validation).
pub fn load_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_str(&text, &path.display().to_string())
}

/// Parses, applies overrides and validates TOML text.
pub fn load_str(text: &str, overrides: &Overrides) -> Result<Settings, ConfigError> {
    let mut file = parse_str(text, "<string>")?;
    overrides.apply(&mut file);
    validate::validate(&file)
}

/// Reads, applies overrides and validates a file.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Settings, ConfigError> {
    let mut file = load_file(path)?;
    overrides.apply(&mut file);
    validate::validate(&file)
}

/// The configuration file used when none is given: `config/default.toml`
/// in the current directory if it exists, else the one in the source tree
/// this binary was built from.
pub fn default_config_path() -> PathBuf {
    let local = PathBuf::from("config/default.toml");
    if local.exists() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/default.toml")
}
