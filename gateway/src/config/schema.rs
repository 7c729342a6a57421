//! The configuration file exactly as written (TOML, via serde).
//!
//! Every struct rejects unknown keys, so a typo is an error rather than a
//! silently ignored setting. Values are still raw here (addresses and
//! decimals are strings); [`super::validate`] turns them into checked
//! [`super::Settings`] and names the key of every problem it finds.

use serde::Deserialize;
use std::collections::BTreeMap;

/// The whole file.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Threads, idle strategies, pinning, rings.
    #[serde(default)]
    pub runtime: RuntimeSection,
    /// Engine capacities.
    #[serde(default)]
    pub engine: EngineSection,
    /// SoupBinTCP/OUCH order entry.
    #[serde(default)]
    pub ouch: OuchSection,
    /// FIX 4.4 acceptor.
    #[serde(default)]
    pub fix: FixSection,
    /// ITCH/MoldUDP64 market data (reserved).
    #[serde(default)]
    pub feed: FeedSection,
    /// HTTP admin and metrics (reserved).
    #[serde(default)]
    pub admin: AdminSection,
    /// Instruments, in `InstrumentId` order.
    #[serde(default, rename = "instrument")]
    pub instruments: Vec<InstrumentSection>,
    /// Accounts, in `AccountId` order.
    #[serde(default, rename = "account")]
    pub accounts: Vec<AccountSection>,
}

/// `[runtime]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimeSection {
    /// "shared" (every stage on one thread) or "dedicated" (one per stage).
    pub threads: String,
    /// Number of gateway threads (dedicated mode), each with its own rings.
    pub gateway_threads: u32,
    /// Idle strategy per thread name: gateway, engine, mdfeed, shared.
    pub idle: BTreeMap<String, String>,
    /// Core per thread name (gateway thread i uses `gateway + i`).
    pub pin: BTreeMap<String, u32>,
    /// Parameters of the "backoff" idle strategy.
    pub backoff: BackoffSection,
    /// Ring capacities.
    pub rings: RingsSection,
}

impl Default for RuntimeSection {
    fn default() -> Self {
        RuntimeSection {
            threads: "shared".to_string(),
            gateway_threads: 1,
            idle: BTreeMap::new(),
            pin: BTreeMap::new(),
            backoff: BackoffSection::default(),
            rings: RingsSection::default(),
        }
    }
}

/// `[runtime.backoff]`: spin, then yield, then park with doubling sleeps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackoffSection {
    /// Idle rounds spent spinning before yielding.
    pub spins: u32,
    /// Idle rounds spent yielding before parking.
    pub yields: u32,
    /// First park duration, microseconds.
    pub min_park_us: u64,
    /// Longest park duration, microseconds.
    pub max_park_us: u64,
}

impl Default for BackoffSection {
    fn default() -> Self {
        BackoffSection {
            spins: 100,
            yields: 10,
            min_park_us: 1,
            max_park_us: 1_000,
        }
    }
}

/// `[runtime.rings]`: capacities in records; each is allocated once.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RingsSection {
    /// Gateway → engine commands, per gateway thread.
    pub command_capacity: u32,
    /// Engine → gateway reports, per gateway thread.
    pub report_capacity: u32,
    /// Engine → market-data events.
    pub market_capacity: u32,
    /// Engine staging buffer for events that did not fit their ring.
    pub engine_staging_capacity: u32,
}

impl Default for RingsSection {
    fn default() -> Self {
        RingsSection {
            command_capacity: 16_384,
            report_capacity: 65_536,
            market_capacity: 65_536,
            engine_staging_capacity: 65_536,
        }
    }
}

/// `[engine]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineSection {
    /// Most resting orders at once across all books.
    pub max_resting_orders: u32,
    /// Most commands the engine applies per `do_work` round (fairness).
    pub batch_commands: u32,
}

impl Default for EngineSection {
    fn default() -> Self {
        EngineSection {
            max_resting_orders: 1_000_000,
            batch_commands: 256,
        }
    }
}

/// `[ouch]`: SoupBinTCP 4.00 + OUCH 4.2.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OuchSection {
    /// "host:port"; port 0 = ephemeral.
    pub listen: String,
    /// Server heartbeat interval, milliseconds.
    pub heartbeat_interval_ms: u64,
    /// A client silent this long is disconnected, milliseconds.
    pub idle_timeout_ms: u64,
    /// Largest SoupBinTCP packet accepted, bytes (payload + type).
    pub max_frame_bytes: u32,
    /// Bound on a session's unsent output, bytes; beyond it the client is cut.
    pub outbound_buffer_bytes: u32,
    /// Inbound messages per second per session (0 = unlimited).
    pub throttle_msgs_per_sec: u32,
}

impl Default for OuchSection {
    fn default() -> Self {
        OuchSection {
            listen: "127.0.0.1:15000".to_string(),
            heartbeat_interval_ms: 1_000,
            idle_timeout_ms: 15_000,
            max_frame_bytes: 1_024,
            outbound_buffer_bytes: 1 << 20,
            throttle_msgs_per_sec: 0,
        }
    }
}

/// `[fix]`: the FIX 4.4 acceptor and its sessions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FixSection {
    /// Whether the acceptor runs.
    pub enabled: bool,
    /// "host:port".
    pub listen: String,
    /// Our SenderCompID.
    pub sender_comp_id: String,
    /// Directory of the per-session message stores (sequence numbers and sent messages).
    pub store_dir: String,
    /// fsync the message store after every event-loop round that wrote to it.
    pub store_fsync: bool,
    /// Smallest HeartBtInt (108) a client may ask for, seconds.
    pub heartbeat_min_s: u32,
    /// Largest HeartBtInt a client may ask for, seconds.
    pub heartbeat_max_s: u32,
    /// Largest allowed difference between SendingTime (52) and our clock, ms.
    pub sending_time_tolerance_ms: u64,
    /// A connection must log on within this, ms.
    pub logon_timeout_ms: u64,
    /// Our Logout waits this long for the client's, ms.
    pub logout_timeout_ms: u64,
    /// Largest inbound message, bytes.
    pub max_message_bytes: u32,
    /// Most fields in an inbound message.
    pub max_fields: u32,
    /// Bound on a session's unsent output, bytes (over it: slow consumer, disconnected).
    pub outbound_buffer_bytes: u32,
    /// Orders, replaces and cancels per second per session (0 = unlimited).
    pub throttle_msgs_per_sec: u32,
    /// Orders a session remembers (live ones plus the most recent done ones) for
    /// ClOrdID uniqueness, OrderStatusRequest and executions.
    pub max_orders_per_session: u32,
    /// Serve market data over FIX (V/W/X/Y, x/y, g/h, R/S/AG).
    pub market_data: bool,
    /// Add the fields QuickFIX's stock FIX44.xml lacks (RptSeq in market-data
    /// entries; tick, max quantity, band and state in the security list).
    pub market_data_extension_fields: bool,
    /// Symbol subscriptions one session may hold.
    pub max_subscriptions_per_session: u32,
    /// Conflated changes a backlogged session may be owed before it is
    /// resent snapshots.
    pub max_pending_updates_per_session: u32,
    /// Unsent output (bytes) above which a session counts as backlogged for
    /// market data: its changes are conflated, not queued.
    pub market_data_backlog_bytes: u32,
    /// The sessions that may log on.
    #[serde(rename = "session")]
    pub sessions: Vec<FixSessionSection>,
}

impl Default for FixSection {
    fn default() -> Self {
        FixSection {
            enabled: false,
            listen: "127.0.0.1:15001".to_string(),
            sender_comp_id: "RTES".to_string(),
            store_dir: "rtes-data/fix".to_string(),
            store_fsync: false,
            heartbeat_min_s: 1,
            heartbeat_max_s: 300,
            sending_time_tolerance_ms: 120_000,
            logon_timeout_ms: 10_000,
            logout_timeout_ms: 2_000,
            max_message_bytes: 4_096,
            max_fields: 256,
            outbound_buffer_bytes: 4 << 20,
            throttle_msgs_per_sec: 0,
            max_orders_per_session: 1 << 18,
            market_data: true,
            market_data_extension_fields: false,
            max_subscriptions_per_session: 64,
            max_pending_updates_per_session: 4_096,
            market_data_backlog_bytes: 256 << 10,
            sessions: Vec::new(),
        }
    }
}

/// `[[fix.session]]`: one client session the acceptor knows.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixSessionSection {
    /// The client's CompID (its SenderCompID, our TargetCompID).
    pub target_comp_id: String,
    /// Name of the `[[account]]` it trades for (risk, self-trade prevention).
    pub account: String,
    /// Logon must carry Username (553) = the account's username and Password (554).
    #[serde(default)]
    pub require_password: bool,
    /// "honour" (ResetSeqNumFlag=Y resets, the default), "always" or "never".
    #[serde(default = "default_reset_policy")]
    pub reset_on_logon: String,
    /// Echo application messages back instead of trading.
    #[serde(default)]
    pub reflector: bool,
    /// Cancel the session's orders when it disconnects (default: the account's setting).
    #[serde(default)]
    pub cancel_on_disconnect: Option<bool>,
}

fn default_reset_policy() -> String {
    "honour".to_string()
}

/// `[feed]`: ITCH 5.0 over MoldUDP64 multicast, re-request and replay.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeedSection {
    /// Whether the publisher should run once it exists.
    pub enabled: bool,
    /// Multicast "group:port" of the ITCH/MoldUDP64 stream.
    pub multicast: String,
    /// Local interface address to send from.
    pub interface: String,
    /// Multicast TTL (1 = stay on the host/LAN).
    pub ttl: u32,
    /// ITCH replay for late joiners (SoupBinTCP), "host:port".
    pub replay_listen: String,
    /// MoldUDP64 re-request server (UDP), "host:port".
    pub rerequest_listen: String,
    /// Largest UDP payload, bytes.
    pub mtu_bytes: u32,
    /// Longest a partly filled packet waits, microseconds.
    pub flush_interval_us: u64,
    /// Heartbeat when idle, milliseconds.
    pub heartbeat_interval_ms: u64,
    /// Bound on the retransmission/replay history, bytes (48 per message).
    pub history_bytes: u64,
    /// Fault injection: fraction of multicast packets not sent (0 = off),
    /// chosen by a seeded generator so runs repeat. They stay in the
    /// history, so subscribers recover them by re-request.
    pub drop_fraction: f64,
    /// Seed of the drop generator.
    pub drop_seed: u64,
}

impl Default for FeedSection {
    fn default() -> Self {
        FeedSection {
            enabled: false,
            multicast: "239.255.0.1:26400".to_string(),
            interface: "127.0.0.1".to_string(),
            ttl: 1,
            replay_listen: "127.0.0.1:15002".to_string(),
            rerequest_listen: "127.0.0.1:15003".to_string(),
            mtu_bytes: 1_400,
            flush_interval_us: 100,
            heartbeat_interval_ms: 1_000,
            history_bytes: 16 << 20,
            drop_fraction: 0.0,
            drop_seed: 1,
        }
    }
}

/// `[admin]` (RESERVED: parsed and validated; nothing listens yet).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSection {
    /// Whether the HTTP listener should run once it exists.
    pub enabled: bool,
    /// "host:port".
    pub listen: String,
}

impl Default for AdminSection {
    fn default() -> Self {
        AdminSection {
            enabled: false,
            listen: "127.0.0.1:15080".to_string(),
        }
    }
}

/// A percentage written as an integer (`20`) or a decimal string (`"7.5"`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Percent {
    /// Whole percent.
    Whole(u32),
    /// Decimal string, up to 4 decimals.
    Decimal(String),
}

/// One `[[instrument]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentSection {
    /// 1–8 characters, A–Z and 0–9.
    pub symbol: String,
    /// Decimal string, e.g. "0.01".
    pub tick_size: String,
    /// Shares per lot.
    #[serde(default = "one")]
    pub lot_size: u64,
    /// Smallest order, shares.
    #[serde(default = "one")]
    pub min_qty: u64,
    /// Largest order, shares.
    #[serde(default = "default_max_qty")]
    pub max_qty: u64,
    /// Decimal string, a multiple of the tick size.
    pub reference_price: String,
    /// Price band half-width around the reference, percent.
    pub band_percent: Percent,
    /// "closed", "pre-open", "continuous" or "halted".
    #[serde(default = "default_state")]
    pub initial_state: String,
}

/// One `[[account]]`, with its single login.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSection {
    /// Account name (logs, reports).
    pub name: String,
    /// Login user name (OUCH: up to 6 characters).
    pub username: String,
    /// Argon2 PHC string (`rtes hash-password`).
    pub password_hash: String,
    /// Largest order, shares.
    pub max_order_qty: u64,
    /// Largest order notional, decimal string in currency units.
    pub max_notional: String,
    /// Largest distance from the reference price, percent (0.01 steps).
    pub price_collar_percent: Percent,
    /// Most open orders.
    pub max_open_orders: u32,
    /// Largest absolute position per instrument, shares.
    pub max_position: u64,
    /// "off", "cancel-newest", "cancel-oldest" or "cancel-both".
    pub self_trade_prevention: String,
    /// Cancel the account's orders when its session drops.
    #[serde(default)]
    pub cancel_on_disconnect: bool,
}

fn one() -> u64 {
    1
}

fn default_max_qty() -> u64 {
    1_000_000
}

fn default_state() -> String {
    "continuous".to_string()
}
