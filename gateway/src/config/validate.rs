//! Checks a parsed [`FileConfig`] and converts it into [`Settings`].
//!
//! Every check reports a [`Problem`] that names its key; all problems are
//! collected so one run of `rtes check-config` shows them all.

use super::credentials::{check_password_hash, Credentials, Login};
use super::decimal::{format_price_units, parse_fixed, parse_price_units};
use super::schema::{AccountSection, FileConfig, InstrumentSection, Percent, RuntimeSection};
use super::*;
use crate::runtime::{BackoffParams, IdleStrategy, RingCapacities};
use rtes_engine::config::PRICE_SCALE_DECIMALS;
use rtes_engine::{
    AccountConfig, AccountId, InstrumentConfig, OwnerId, Price, Qty, SelfTradePrevention,
    TradingState,
};
use std::collections::BTreeMap;

/// Thread names accepted under `[runtime.idle]` and `[runtime.pin]`.
pub const THREAD_NAMES: [&str; 4] = ["gateway", "engine", "mdfeed", "shared"];

/// Largest ring capacity accepted (records).
const RING_CAPACITY_MAX: u32 = 1 << 24;

/// Validates `file` and converts it; every problem names its key.
pub fn validate(file: &FileConfig) -> Result<Settings, ConfigError> {
    let mut problems = Problems::default();
    let runtime = runtime_settings(&file.runtime, file.engine.batch_commands, &mut problems);
    let ouch = ouch_settings(file, &mut problems);
    let feed = feed_settings(file, &mut problems);
    let admin = AdminSettings {
        enabled: file.admin.enabled,
        listen: problems.listen("admin.listen", &file.admin.listen),
    };
    let instruments = instruments(&file.instruments, &mut problems);
    let (accounts, credentials) = accounts(&file.accounts, &mut problems);
    let fix = fix_settings(file, &mut problems);
    check_port_conflicts(&ouch, &fix, &feed, &admin, &mut problems);
    if file.engine.max_resting_orders == 0 {
        problems.add("engine.max_resting_orders", "must be at least 1");
    }
    if !problems.list.is_empty() {
        return Err(ConfigError::Invalid {
            problems: problems.list,
        });
    }
    let engine = EngineConfig {
        max_owners: (accounts.len() + fix.sessions.len()) as u32,
        instruments,
        accounts,
        max_resting_orders: file.engine.max_resting_orders,
    };
    Ok(Settings {
        runtime,
        engine,
        ouch,
        fix,
        feed,
        admin,
        credentials,
    })
}

#[derive(Default)]
struct Problems {
    list: Vec<Problem>,
}

impl Problems {
    fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.list.push(Problem {
            key: key.into(),
            message: message.into(),
        });
    }

    /// Parses "host:port"; on error records it and returns a placeholder
    /// that is never used (validation fails as a whole).
    fn listen(&mut self, key: &str, text: &str) -> SocketAddr {
        match parse_listen(text) {
            Ok(address) => address,
            Err(message) => {
                self.add(key, message);
                SocketAddr::from(([0, 0, 0, 0], 0))
            }
        }
    }

    fn at_least(&mut self, key: &str, value: u64, minimum: u64) {
        if value < minimum {
            self.add(key, format!("{value} is below the minimum {minimum}"));
        }
    }
}

/// Parses "host:port" with an IP host (IPv6 in brackets); port 0 = ephemeral.
///
/// ```
/// use rtes_gateway::config::validate::parse_listen;
/// assert!(parse_listen("127.0.0.1:15000").is_ok());
/// assert_eq!(parse_listen("127.0.0.1:99999"), Err("invalid port 99999".to_string()));
/// ```
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(format!("{text:?} has no port (expected host:port)"));
    };
    let port: u16 = port.parse().map_err(|_| format!("invalid port {port}"))?;
    let host_text = host.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = host_text
        .parse()
        .map_err(|_| format!("invalid host {host:?} (expected an IP address)"))?;
    Ok(SocketAddr::new(ip, port))
}

fn runtime_settings(
    section: &RuntimeSection,
    batch_commands: u32,
    problems: &mut Problems,
) -> RuntimeSettings {
    let threading = match section.threads.as_str() {
        "shared" => ThreadingMode::Shared,
        "dedicated" => ThreadingMode::Dedicated,
        other => {
            problems.add(
                "runtime.threads",
                format!("{other:?} is not one of \"shared\", \"dedicated\""),
            );
            ThreadingMode::Shared
        }
    };
    if !(1..=64).contains(&section.gateway_threads) {
        problems.add("runtime.gateway_threads", "must be between 1 and 64");
    }
    let params = backoff_params(section, problems);
    for name in section.idle.keys().chain(section.pin.keys()) {
        if !THREAD_NAMES.contains(&name.as_str()) {
            let table = if section.idle.contains_key(name) {
                "idle"
            } else {
                "pin"
            };
            problems.add(
                format!("runtime.{table}.{name}"),
                format!(
                    "unknown thread; expected one of {}",
                    THREAD_NAMES.join(", ")
                ),
            );
        }
    }
    let thread = |name: &str, problems: &mut Problems| {
        let idle_name = section.idle.get(name).map_or("backoff", String::as_str);
        let idle = IdleStrategy::from_name(idle_name, params).unwrap_or_else(|| {
            problems.add(
                format!("runtime.idle.{name}"),
                format!(
                    "{idle_name:?} is not one of {}",
                    IdleStrategy::NAMES.join(", ")
                ),
            );
            IdleStrategy::Backoff(params)
        });
        let core = section.pin.get(name).map(|core| *core as usize);
        ThreadSettings { idle, core }
    };
    let rings = ring_capacities(section, problems);
    if batch_commands == 0 {
        problems.add("engine.batch_commands", "must be at least 1");
    }
    RuntimeSettings {
        threading,
        gateway_threads: section.gateway_threads as usize,
        gateway: thread("gateway", problems),
        engine: thread("engine", problems),
        mdfeed: thread("mdfeed", problems),
        shared: thread("shared", problems),
        rings,
        engine_batch_commands: batch_commands as usize,
    }
}

fn backoff_params(section: &RuntimeSection, problems: &mut Problems) -> BackoffParams {
    let backoff = &section.backoff;
    if backoff.max_park_us == 0 {
        problems.add("runtime.backoff.max_park_us", "must be at least 1");
    }
    if backoff.min_park_us > backoff.max_park_us {
        problems.add(
            "runtime.backoff.min_park_us",
            format!(
                "{} is larger than max_park_us {}",
                backoff.min_park_us, backoff.max_park_us
            ),
        );
    }
    BackoffParams {
        spins: backoff.spins,
        yields: backoff.yields,
        min_park: Duration::from_micros(backoff.min_park_us.max(1)),
        max_park: Duration::from_micros(backoff.max_park_us.max(1)),
    }
}

fn ring_capacities(section: &RuntimeSection, problems: &mut Problems) -> RingCapacities {
    let rings = &section.rings;
    let mut capacity = |key: &str, value: u32| {
        if !(1..=RING_CAPACITY_MAX).contains(&value) {
            problems.add(
                format!("runtime.rings.{key}"),
                format!("{value} is outside 1..={RING_CAPACITY_MAX}"),
            );
        }
        value as usize
    };
    RingCapacities {
        command: capacity("command_capacity", rings.command_capacity),
        report: capacity("report_capacity", rings.report_capacity),
        market: capacity("market_capacity", rings.market_capacity),
        engine_staging: capacity("engine_staging_capacity", rings.engine_staging_capacity),
    }
}

fn ouch_settings(file: &FileConfig, problems: &mut Problems) -> OuchSettings {
    let ouch = &file.ouch;
    problems.at_least("ouch.heartbeat_interval_ms", ouch.heartbeat_interval_ms, 1);
    if ouch.idle_timeout_ms <= ouch.heartbeat_interval_ms {
        problems.add(
            "ouch.idle_timeout_ms",
            format!(
                "{} must be longer than heartbeat_interval_ms {}",
                ouch.idle_timeout_ms, ouch.heartbeat_interval_ms
            ),
        );
    }
    if !(64..=65_535).contains(&ouch.max_frame_bytes) {
        problems.add("ouch.max_frame_bytes", "must be between 64 and 65535");
    }
    if ouch.outbound_buffer_bytes < ouch.max_frame_bytes {
        problems.add(
            "ouch.outbound_buffer_bytes",
            "must be at least max_frame_bytes",
        );
    }
    OuchSettings {
        listen: problems.listen("ouch.listen", &ouch.listen),
        heartbeat_interval: Duration::from_millis(ouch.heartbeat_interval_ms),
        idle_timeout: Duration::from_millis(ouch.idle_timeout_ms),
        max_frame_bytes: ouch.max_frame_bytes as usize,
        outbound_buffer_bytes: ouch.outbound_buffer_bytes as usize,
        throttle_msgs_per_sec: ouch.throttle_msgs_per_sec,
    }
}

fn fix_settings(file: &FileConfig, problems: &mut Problems) -> FixSettings {
    let fix = &file.fix;
    if fix.sender_comp_id.is_empty() || !is_fix_text(&fix.sender_comp_id) {
        problems.add("fix.sender_comp_id", "must be non-empty printable ASCII");
    }
    if fix.heartbeat_min_s == 0 || fix.heartbeat_min_s > fix.heartbeat_max_s {
        problems.add(
            "fix.heartbeat_min_s",
            "must be at least 1 and at most fix.heartbeat_max_s",
        );
    }
    problems.at_least("fix.logon_timeout_ms", fix.logon_timeout_ms, 1);
    problems.at_least("fix.logout_timeout_ms", fix.logout_timeout_ms, 1);
    problems.at_least(
        "fix.sending_time_tolerance_ms",
        fix.sending_time_tolerance_ms,
        1,
    );
    if !(256..=1 << 20).contains(&fix.max_message_bytes) {
        problems.add("fix.max_message_bytes", "must be between 256 and 1048576");
    }
    if !(16..=4_096).contains(&fix.max_fields) {
        problems.add("fix.max_fields", "must be between 16 and 4096");
    }
    if fix.outbound_buffer_bytes < fix.max_message_bytes.saturating_mul(4) {
        problems.add(
            "fix.outbound_buffer_bytes",
            "must be at least four times fix.max_message_bytes",
        );
    }
    problems.at_least(
        "fix.max_orders_per_session",
        u64::from(fix.max_orders_per_session),
        16,
    );
    problems.at_least(
        "fix.max_subscriptions_per_session",
        u64::from(fix.max_subscriptions_per_session),
        1,
    );
    problems.at_least(
        "fix.max_pending_updates_per_session",
        u64::from(fix.max_pending_updates_per_session),
        16,
    );
    if fix.market_data_backlog_bytes >= fix.outbound_buffer_bytes {
        problems.add(
            "fix.market_data_backlog_bytes",
            "must be below fix.outbound_buffer_bytes (a backlogged session is conflated before it is dropped)",
        );
    }
    if fix.store_dir.is_empty() {
        problems.add("fix.store_dir", "must not be empty");
    }
    FixSettings {
        enabled: fix.enabled,
        listen: problems.listen("fix.listen", &fix.listen),
        sender_comp_id: fix.sender_comp_id.clone(),
        store_dir: std::path::PathBuf::from(&fix.store_dir),
        store_fsync: fix.store_fsync,
        heartbeat_range_s: (fix.heartbeat_min_s, fix.heartbeat_max_s),
        sending_time_tolerance: Duration::from_millis(fix.sending_time_tolerance_ms),
        logon_timeout: Duration::from_millis(fix.logon_timeout_ms),
        logout_timeout: Duration::from_millis(fix.logout_timeout_ms),
        max_message_bytes: fix.max_message_bytes as usize,
        max_fields: fix.max_fields as usize,
        outbound_buffer_bytes: fix.outbound_buffer_bytes as usize,
        throttle_msgs_per_sec: fix.throttle_msgs_per_sec,
        max_orders_per_session: fix.max_orders_per_session as usize,
        market_data: fix.market_data,
        market_data_extension_fields: fix.market_data_extension_fields,
        max_subscriptions_per_session: fix.max_subscriptions_per_session as usize,
        max_pending_updates_per_session: fix.max_pending_updates_per_session as usize,
        market_data_backlog_bytes: fix.market_data_backlog_bytes as usize,
        sessions: fix_sessions(file, problems),
    }
}

/// Printable ASCII without `=` or SOH, as FIX CompIDs must be.
fn is_fix_text(text: &str) -> bool {
    text.bytes()
        .all(|byte| (0x21..0x7f).contains(&byte) && byte != b'=')
}

fn fix_sessions(file: &FileConfig, problems: &mut Problems) -> Vec<FixSessionSettings> {
    let first_owner = file.accounts.len() as u32;
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut sessions = Vec::with_capacity(file.fix.sessions.len());
    for (index, section) in file.fix.sessions.iter().enumerate() {
        let key = format!("fix.session[{index}]");
        let comp_id = section.target_comp_id.as_str();
        if comp_id.is_empty() || !is_fix_text(comp_id) {
            problems.add(
                format!("{key}.target_comp_id"),
                "must be non-empty printable ASCII",
            );
        }
        if comp_id == file.fix.sender_comp_id {
            problems.add(
                format!("{key}.target_comp_id"),
                "must differ from fix.sender_comp_id",
            );
        }
        if let Some(first) = seen.insert(comp_id, index) {
            problems.add(
                format!("{key}.target_comp_id"),
                format!("duplicate {comp_id} (first at fix.session[{first}])"),
            );
        }
        let reset_policy = match section.reset_on_logon.as_str() {
            "honour" => FixResetPolicy::Honour,
            "always" => FixResetPolicy::Always,
            "never" => FixResetPolicy::Never,
            other => {
                problems.add(
                    format!("{key}.reset_on_logon"),
                    format!("{other:?} is not one of honour, always, never"),
                );
                FixResetPolicy::Honour
            }
        };
        let Some(account_index) = file
            .accounts
            .iter()
            .position(|account| account.name == section.account)
        else {
            problems.add(
                format!("{key}.account"),
                format!("no [[account]] named {:?}", section.account),
            );
            continue;
        };
        let account = &file.accounts[account_index];
        sessions.push(FixSessionSettings {
            target_comp_id: section.target_comp_id.clone(),
            account: AccountId(account_index as u32),
            owner: OwnerId(first_owner + index as u32),
            username: section.require_password.then(|| account.username.clone()),
            reset_policy,
            reflector: section.reflector,
            cancel_on_disconnect: section
                .cancel_on_disconnect
                .unwrap_or(account.cancel_on_disconnect),
        });
    }
    sessions
}

fn feed_settings(file: &FileConfig, problems: &mut Problems) -> FeedSettings {
    let feed = &file.feed;
    let multicast = problems.listen("feed.multicast", &feed.multicast);
    // Port 0 is allowed: the feed then uses its sender's ephemeral port
    // number (tests), reported in the ports file.
    if !feed.multicast.is_empty()
        && parse_listen(&feed.multicast).is_ok()
        && !multicast.ip().is_multicast()
    {
        problems.add(
            "feed.multicast",
            format!("{} is not a multicast address", multicast.ip()),
        );
    }
    let interface = feed.interface.parse().unwrap_or_else(|_| {
        problems.add(
            "feed.interface",
            format!("invalid address {:?}", feed.interface),
        );
        IpAddr::from([127, 0, 0, 1])
    });
    if feed.ttl > 255 {
        problems.add("feed.ttl", "must be at most 255");
    }
    if !(64..=9_000).contains(&feed.mtu_bytes) {
        problems.add("feed.mtu_bytes", "must be between 64 and 9000");
    }
    problems.at_least("feed.flush_interval_us", feed.flush_interval_us, 1);
    problems.at_least("feed.heartbeat_interval_ms", feed.heartbeat_interval_ms, 1);
    if !(48..=(1u64 << 32)).contains(&feed.history_bytes) {
        problems.add("feed.history_bytes", "must be between 48 and 4294967296");
    }
    if !(0.0..1.0).contains(&feed.drop_fraction) {
        problems.add("feed.drop_fraction", "must be at least 0 and below 1");
    }
    if !interface.is_loopback() {
        problems.add(
            "feed.interface",
            "must be a loopback address (RTES multicasts on loopback only)",
        );
    }
    FeedSettings {
        enabled: feed.enabled,
        multicast,
        interface,
        ttl: feed.ttl,
        replay_listen: problems.listen("feed.replay_listen", &feed.replay_listen),
        rerequest_listen: problems.listen("feed.rerequest_listen", &feed.rerequest_listen),
        mtu_bytes: feed.mtu_bytes as usize,
        flush_interval: Duration::from_micros(feed.flush_interval_us),
        heartbeat_interval: Duration::from_millis(feed.heartbeat_interval_ms),
        history_bytes: feed.history_bytes as usize,
        drop_per_million: (feed.drop_fraction.clamp(0.0, 1.0) * 1_000_000.0).round() as u32,
        drop_seed: feed.drop_seed,
    }
}

/// Two TCP listeners on one address and a fixed port cannot both bind.
fn check_port_conflicts(
    ouch: &OuchSettings,
    fix: &FixSettings,
    feed: &FeedSettings,
    admin: &AdminSettings,
    problems: &mut Problems,
) {
    let tcp = [
        ("ouch.listen", ouch.listen),
        ("fix.listen", fix.listen),
        ("feed.replay_listen", feed.replay_listen),
        ("admin.listen", admin.listen),
    ];
    let mut seen: BTreeMap<SocketAddr, &str> = BTreeMap::new();
    for (key, address) in tcp {
        if address.port() == 0 {
            continue;
        }
        if let Some(first) = seen.insert(address, key) {
            seen.insert(address, first);
            problems.add(key, format!("{address} is already used by {first}"));
        }
    }
}

fn instruments(sections: &[InstrumentSection], problems: &mut Problems) -> Vec<InstrumentConfig> {
    if sections.is_empty() {
        problems.add("instrument", "at least one [[instrument]] is required");
    }
    let mut first_index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(sections.len());
    for (index, section) in sections.iter().enumerate() {
        let key = format!("instrument[{index}]");
        if let Some(first) = first_index.get(section.symbol.as_str()) {
            problems.add(
                format!("{key}.symbol"),
                format!(
                    "duplicate symbol {} at {key} (first at instrument[{first}])",
                    section.symbol
                ),
            );
        } else {
            first_index.insert(&section.symbol, index);
        }
        if let Some(instrument) = instrument(&key, section, problems) {
            out.push(instrument);
        }
    }
    out
}

fn instrument(
    key: &str,
    section: &InstrumentSection,
    problems: &mut Problems,
) -> Option<InstrumentConfig> {
    let symbol = &section.symbol;
    let symbol_ok = (1..=8).contains(&symbol.len())
        && symbol
            .bytes()
            .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit());
    if !symbol_ok {
        problems.add(
            format!("{key}.symbol"),
            format!("{symbol:?} must be 1-8 characters A-Z or 0-9"),
        );
    }
    check_quantities(key, section, problems);
    let initial_state = trading_state(&format!("{key}.initial_state"), section, problems);
    let tick_size = price_units(&format!("{key}.tick_size"), &section.tick_size, problems)?;
    if tick_size == 0 {
        problems.add(format!("{key}.tick_size"), "must be positive");
        return None;
    }
    let reference = price_units(
        &format!("{key}.reference_price"),
        &section.reference_price,
        problems,
    )?;
    let (band_low, band_high) = band(key, section, reference, tick_size, problems)?;
    if reference % tick_size != 0 {
        problems.add(
            format!("{key}.reference_price"),
            format!(
                "{} is not a multiple of the tick size {}",
                section.reference_price, section.tick_size
            ),
        );
    }
    Some(InstrumentConfig {
        symbol: symbol.clone(),
        tick_size,
        lot_size: section.lot_size,
        min_qty: Qty(section.min_qty),
        max_qty: Qty(section.max_qty),
        reference_price: Price(reference / tick_size),
        band_low: Price(band_low / tick_size),
        band_high: Price(band_high / tick_size),
        initial_state: initial_state?,
    })
}

fn check_quantities(key: &str, section: &InstrumentSection, problems: &mut Problems) {
    let lot = section.lot_size;
    if lot == 0 {
        problems.add(format!("{key}.lot_size"), "must be at least 1");
        return;
    }
    for (name, value) in [("min_qty", section.min_qty), ("max_qty", section.max_qty)] {
        if value == 0 || value % lot != 0 {
            problems.add(
                format!("{key}.{name}"),
                format!("{value} is not a positive multiple of the lot size {lot}"),
            );
        }
    }
    if section.min_qty > section.max_qty {
        problems.add(
            format!("{key}.min_qty"),
            format!(
                "{} is larger than max_qty {}",
                section.min_qty, section.max_qty
            ),
        );
    }
}

fn trading_state(
    key: &str,
    section: &InstrumentSection,
    problems: &mut Problems,
) -> Option<TradingState> {
    match section.initial_state.as_str() {
        "closed" => Some(TradingState::Closed),
        "pre-open" => Some(TradingState::PreOpen),
        "continuous" => Some(TradingState::Continuous),
        "halted" => Some(TradingState::Halted),
        other => {
            problems.add(
                key,
                format!("{other:?} is not one of closed, pre-open, continuous, halted"),
            );
            None
        }
    }
}

fn price_units(key: &str, text: &str, problems: &mut Problems) -> Option<i64> {
    match parse_price_units(text) {
        Ok(units) => Some(units),
        Err(message) => {
            problems.add(key, message);
            None
        }
    }
}

/// The band [reference - p%, reference + p%] in wire units; it must be
/// exact (no rounding) and both edges must be whole ticks.
fn band(
    key: &str,
    section: &InstrumentSection,
    reference: i64,
    tick_size: i64,
    problems: &mut Problems,
) -> Option<(i64, i64)> {
    let percent_key = format!("{key}.band_percent");
    // Percent with 4 decimals: 20% = 200_000.
    let percent = percent_fixed(
        &percent_key,
        &section.band_percent,
        PRICE_SCALE_DECIMALS,
        problems,
    )?;
    if percent == 0 || percent >= 100 * 10_000 {
        problems.add(percent_key, "must be above 0 and below 100");
        return None;
    }
    let scaled = i128::from(reference) * percent as i128;
    let divisor = 100 * 10_000;
    if scaled % divisor != 0 {
        problems.add(
            percent_key,
            format!(
                "{}% of {} is not a whole number of 0.0001",
                percent_text(&section.band_percent),
                section.reference_price
            ),
        );
        return None;
    }
    let offset = (scaled / divisor) as i64;
    let (low, high) = (reference - offset, reference + offset);
    if low % tick_size != 0 || high % tick_size != 0 {
        problems.add(
            key,
            format!(
                "tick size {} does not divide the band [{}, {}]",
                section.tick_size,
                format_price_units(low),
                format_price_units(high)
            ),
        );
        return None;
    }
    Some((low, high))
}

fn percent_fixed(
    key: &str,
    percent: &Percent,
    decimals: u32,
    problems: &mut Problems,
) -> Option<u128> {
    let result = match percent {
        Percent::Whole(whole) => Ok(u128::from(*whole) * 10u128.pow(decimals)),
        Percent::Decimal(text) => parse_fixed(text, decimals),
    };
    result.map_err(|message| problems.add(key, message)).ok()
}

fn percent_text(percent: &Percent) -> String {
    match percent {
        Percent::Whole(whole) => whole.to_string(),
        Percent::Decimal(text) => text.clone(),
    }
}

fn accounts(
    sections: &[AccountSection],
    problems: &mut Problems,
) -> (Vec<AccountConfig>, Credentials) {
    if sections.is_empty() {
        problems.add("account", "at least one [[account]] is required");
    }
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    let mut usernames: BTreeMap<&str, usize> = BTreeMap::new();
    let mut configs = Vec::with_capacity(sections.len());
    let mut logins = Vec::with_capacity(sections.len());
    for (index, section) in sections.iter().enumerate() {
        let key = format!("account[{index}]");
        if let Some(first) = names.insert(&section.name, index) {
            problems.add(
                format!("{key}.name"),
                format!(
                    "duplicate account name {} (first at account[{first}])",
                    section.name
                ),
            );
        }
        if let Some(first) = usernames.insert(&section.username, index) {
            problems.add(
                format!("{key}.username"),
                format!(
                    "duplicate username {} (first at account[{first}])",
                    section.username
                ),
            );
        }
        if let Some(config) = account(&key, section, problems) {
            configs.push(config);
        }
        logins.push(Login {
            username: section.username.clone(),
            owner: OwnerId(index as u32),
            account: AccountId(index as u32),
            password_hash: section.password_hash.clone(),
            cancel_on_disconnect: section.cancel_on_disconnect,
        });
    }
    (configs, Credentials::new(logins))
}

fn account(key: &str, section: &AccountSection, problems: &mut Problems) -> Option<AccountConfig> {
    let username = &section.username;
    let username_ok = (1..=6).contains(&username.len())
        && username.bytes().all(|byte| byte.is_ascii_alphanumeric());
    if !username_ok {
        problems.add(
            format!("{key}.username"),
            format!("{username:?} must be 1-6 ASCII letters or digits (SoupBinTCP limit)"),
        );
    }
    if let Err(message) = check_password_hash(&section.password_hash) {
        problems.add(format!("{key}.password_hash"), message);
    }
    problems.at_least(&format!("{key}.max_order_qty"), section.max_order_qty, 1);
    problems.at_least(
        &format!("{key}.max_open_orders"),
        u64::from(section.max_open_orders),
        1,
    );
    let notional = parse_fixed(&section.max_notional, PRICE_SCALE_DECIMALS)
        .map_err(|message| problems.add(format!("{key}.max_notional"), message))
        .ok();
    // Basis points: percent with 2 decimals.
    let collar_key = format!("{key}.price_collar_percent");
    let collar =
        percent_fixed(&collar_key, &section.price_collar_percent, 2, problems).and_then(|bps| {
            u32::try_from(bps)
                .map_err(|_| problems.add(&collar_key, "too large"))
                .ok()
        });
    let stp = match section.self_trade_prevention.as_str() {
        "off" => Some(SelfTradePrevention::Off),
        "cancel-newest" => Some(SelfTradePrevention::CancelNewest),
        "cancel-oldest" => Some(SelfTradePrevention::CancelOldest),
        "cancel-both" => Some(SelfTradePrevention::CancelBoth),
        other => {
            problems.add(
                format!("{key}.self_trade_prevention"),
                format!("{other:?} is not one of off, cancel-newest, cancel-oldest, cancel-both"),
            );
            None
        }
    };
    Some(AccountConfig {
        name: section.name.clone(),
        max_order_qty: Qty(section.max_order_qty),
        max_notional: notional?,
        price_collar_bps: collar?,
        max_open_orders: section.max_open_orders,
        max_position: section.max_position,
        self_trade_prevention: stp?,
    })
}
