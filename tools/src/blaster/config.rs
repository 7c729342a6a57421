//! What a blaster run does: protocol, target, logins, symbols, message mix,
//! limits.
//!
//! The same fields come from the command line or from a TOML file
//! (`--config`); defaults match RTES's `config/default.toml`.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

pub use super::protocol::Protocol;

/// OUCH 4.2 prices carry 4 implied decimals.
pub const PRICE_SCALE: u64 = 10_000;

/// One SoupBinTCP login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// Username (at most 6 characters).
    pub username: String,
    /// Password (at most 10 characters).
    pub password: String,
}

/// One FIX session: the SenderCompID RTES knows it by, and the Logon's
/// Username/Password when the session requires them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixSession {
    /// Our SenderCompID (49); RTES picks the session by it.
    pub sender_comp_id: String,
    /// Username (553), for a session that requires a password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password (554).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl FixSession {
    /// A session without credentials.
    pub fn new(sender_comp_id: &str) -> FixSession {
        FixSession {
            sender_comp_id: sender_comp_id.to_string(),
            username: None,
            password: None,
        }
    }

    /// (Username, Password) when both are set.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        Some((self.username.as_deref()?, self.password.as_deref()?))
    }
}

/// One instrument to trade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SymbolSpec {
    /// Stock symbol (at most 8 characters).
    pub symbol: String,
    /// Reference price, decimal string (e.g. "190.00").
    pub reference_price: String,
    /// Tick size, decimal string (e.g. "0.01").
    pub tick_size: String,
    /// The server's price band around the reference, percent.
    pub band_percent: u32,
}

impl SymbolSpec {
    /// Reference price in OUCH wire units (4 implied decimals).
    pub fn reference_wire(&self) -> Result<u32> {
        parse_price_wire(&self.reference_price)
            .with_context(|| format!("reference price of {}", self.symbol))
    }

    /// Tick size in OUCH wire units (4 implied decimals).
    pub fn tick_wire(&self) -> Result<u32> {
        let tick = parse_price_wire(&self.tick_size)
            .with_context(|| format!("tick size of {}", self.symbol))?;
        if tick == 0 {
            bail!("tick size of {} is zero", self.symbol);
        }
        Ok(tick)
    }
}

/// Relative weights of the message kinds the flow generator sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mix {
    /// New resting limit orders near the touch.
    pub new: u32,
    /// Cancels of live orders.
    pub cancel: u32,
    /// Replaces (new price and size) of live orders.
    pub replace: u32,
    /// Marketable immediate-or-cancel orders that cross the spread.
    pub ioc: u32,
}

impl Default for Mix {
    /// Most orders rest and are later cancelled or replaced; a few percent trade.
    fn default() -> Self {
        Mix {
            new: 45,
            cancel: 35,
            replace: 15,
            ioc: 5,
        }
    }
}

impl Mix {
    /// Sum of the weights.
    pub fn total(&self) -> u32 {
        self.new + self.cancel + self.replace + self.ioc
    }

    /// Parses `new=45,cancel=35,replace=15,ioc=5`; kinds left out weigh 0.
    pub fn parse(text: &str) -> Result<Mix> {
        let mut mix = Mix {
            new: 0,
            cancel: 0,
            replace: 0,
            ioc: 0,
        };
        for part in text.split(',').filter(|part| !part.trim().is_empty()) {
            let (name, weight) = part
                .split_once('=')
                .with_context(|| format!("mix entry {part:?} is not KIND=WEIGHT"))?;
            let weight: u32 = weight
                .trim()
                .parse()
                .with_context(|| format!("mix weight {weight:?}"))?;
            match name.trim() {
                "new" => mix.new = weight,
                "cancel" => mix.cancel = weight,
                "replace" => mix.replace = weight,
                "ioc" => mix.ioc = weight,
                other => bail!("unknown mix kind {other:?} (new, cancel, replace, ioc)"),
            }
        }
        mix.validate()?;
        Ok(mix)
    }

    /// Checks that something can be sent at all.
    pub fn validate(&self) -> Result<()> {
        if self.new + self.ioc == 0 {
            bail!("the mix needs new or ioc orders (cancels and replaces need live orders)");
        }
        Ok(())
    }
}

/// Everything a run needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Order-entry protocol: `ouch` (SoupBinTCP/OUCH 4.2) or `fix` (FIX 4.4).
    pub protocol: Protocol,
    /// Server host.
    pub host: String,
    /// Server SoupBinTCP/OUCH port.
    pub port: u16,
    /// OUCH logins; session `i` uses `users[i]` (one live session per user).
    pub users: Vec<User>,
    /// Server FIX port.
    pub fix_port: u16,
    /// The venue's CompID: our TargetCompID (56).
    pub fix_target_comp_id: String,
    /// HeartBtInt (108) asked for at Logon, seconds; the blaster heartbeats
    /// after this long without sending.
    pub fix_heartbeat_s: u32,
    /// FIX sessions; session `i` uses `fix_sessions[i]` (one live
    /// connection per session).
    pub fix_sessions: Vec<FixSession>,
    /// Sessions to open; 0 = one per user (OUCH) or FIX session.
    pub sessions: usize,
    /// Target total send rate over all sessions, messages per second.
    pub rate: f64,
    /// Measured send phase, seconds (ignored when `count` is set).
    pub duration_s: f64,
    /// Measured messages to send instead of a duration.
    pub count: Option<u64>,
    /// Seconds sent at the same rate before measuring starts (not recorded).
    pub warmup_s: f64,
    /// Instruments to trade.
    pub symbols: Vec<SymbolSpec>,
    /// Message mix.
    pub mix: Mix,
    /// Seed of the flow generator (same seed, same flow).
    pub seed: u64,
    /// Seconds to wait for outstanding replies after the send phase.
    pub drain_timeout_s: f64,
    /// Most live orders the blaster keeps per session; beyond it, new
    /// orders turn into cancels so the book stays a realistic size.
    pub max_live_per_session: usize,
    /// Spin (instead of sleeping) for the last microseconds before a
    /// scheduled send; 0 = sleep only (best on small shared machines).
    pub spin_us: u64,
    /// Cancel every order still live at the end (not recorded).
    pub cancel_on_exit: bool,
    /// Also measure a raw loopback TCP ping-pong.
    pub baseline: bool,
    /// Run the baseline closed-loop (one message in flight) instead.
    pub baseline_closed: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            protocol: Protocol::Ouch,
            host: "127.0.0.1".to_string(),
            port: 15000,
            users: (1..=4)
                .map(|n| User {
                    username: format!("demo{n:02}"),
                    password: format!("demo{n:02}pw"),
                })
                .collect(),
            fix_port: 15001,
            fix_target_comp_id: "RTES".to_string(),
            fix_heartbeat_s: 30,
            fix_sessions: default_fix_sessions(),
            sessions: 0,
            rate: 1000.0,
            duration_s: 10.0,
            count: None,
            warmup_s: 1.0,
            symbols: default_symbols(),
            mix: Mix::default(),
            seed: 1,
            drain_timeout_s: 5.0,
            max_live_per_session: 2000,
            spin_us: 0,
            cancel_on_exit: true,
            baseline: false,
            baseline_closed: false,
        }
    }
}

impl Config {
    /// Reads a TOML file holding any of the fields.
    pub fn from_toml_file(path: &std::path::Path) -> Result<Config> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// Logins configured for the run's protocol (users or FIX sessions).
    pub fn login_count(&self) -> usize {
        match self.protocol {
            Protocol::Ouch => self.users.len(),
            Protocol::Fix => self.fix_sessions.len(),
        }
    }

    /// Sessions actually opened.
    pub fn session_count(&self) -> usize {
        if self.sessions == 0 {
            self.login_count()
        } else {
            self.sessions
        }
    }

    /// The port of the run's protocol.
    pub fn server_port(&self) -> u16 {
        match self.protocol {
            Protocol::Ouch => self.port,
            Protocol::Fix => self.fix_port,
        }
    }

    /// Session `index`'s name in reports (OUCH username or FIX SenderCompID).
    pub fn session_name(&self, index: usize) -> &str {
        match self.protocol {
            Protocol::Ouch => self.users.get(index).map_or("?", |user| &user.username),
            Protocol::Fix => self
                .fix_sessions
                .get(index)
                .map_or("?", |session| &session.sender_comp_id),
        }
    }

    /// Messages sent during the warm-up.
    pub fn warmup_messages(&self) -> u64 {
        (self.warmup_s * self.rate).round() as u64
    }

    /// Messages sent during the measured phase.
    pub fn measured_messages(&self) -> u64 {
        self.count
            .unwrap_or_else(|| (self.duration_s * self.rate).round() as u64)
    }

    /// Checks the limits a run relies on.
    pub fn validate(&self) -> Result<()> {
        if !(self.rate > 0.0 && self.rate.is_finite()) {
            bail!("rate must be a positive number of messages per second");
        }
        if self.session_count() == 0 {
            bail!("no sessions (give at least one user or FIX session)");
        }
        if self.session_count() > self.login_count() {
            bail!(
                "{} sessions but only {} {}: RTES allows one live session per login",
                self.session_count(),
                self.login_count(),
                match self.protocol {
                    Protocol::Ouch => "users",
                    Protocol::Fix => "FIX sessions",
                }
            );
        }
        if self.symbols.is_empty() {
            bail!("no symbols");
        }
        for symbol in &self.symbols {
            if symbol.symbol.is_empty() || symbol.symbol.len() > 8 {
                bail!("symbol {:?} must be 1 to 8 characters", symbol.symbol);
            }
            let tick = symbol.tick_wire()?;
            let reference = symbol.reference_wire()?;
            if reference % tick != 0 {
                bail!("reference price of {} is not on a tick", symbol.symbol);
            }
            if symbol.band_percent == 0 || symbol.band_percent >= 100 {
                bail!("band_percent of {} must be 1..99", symbol.symbol);
            }
        }
        match self.protocol {
            Protocol::Ouch => self.validate_users()?,
            Protocol::Fix => self.validate_fix()?,
        }
        self.mix.validate()?;
        if self.measured_messages() == 0 {
            bail!("nothing to send: duration × rate or count is 0");
        }
        Ok(())
    }
}

impl Config {
    fn validate_users(&self) -> Result<()> {
        for user in &self.users {
            if user.username.len() > 6 || user.password.len() > 10 {
                bail!(
                    "user {:?}: username ≤ 6, password ≤ 10 chars",
                    user.username
                );
            }
        }
        Ok(())
    }

    fn validate_fix(&self) -> Result<()> {
        if !is_fix_text(&self.fix_target_comp_id) {
            bail!(
                "fix_target_comp_id {:?} must be 1 to {FIX_TEXT_MAX} printable ASCII characters",
                self.fix_target_comp_id
            );
        }
        if !(1..=FIX_HEARTBEAT_MAX_S).contains(&self.fix_heartbeat_s) {
            bail!("fix_heartbeat_s must be 1 to {FIX_HEARTBEAT_MAX_S}");
        }
        for session in &self.fix_sessions {
            let name = &session.sender_comp_id;
            if !is_fix_text(name) {
                bail!(
                    "FIX SenderCompID {name:?} must be 1 to {FIX_TEXT_MAX} printable ASCII characters"
                );
            }
            match (&session.username, &session.password) {
                (None, None) => {}
                (Some(username), Some(password))
                    if is_fix_text(username) && is_fix_text(password) => {}
                _ => bail!(
                    "FIX session {name}: give both username and password                      (1 to {FIX_TEXT_MAX} printable ASCII characters each) or neither"
                ),
            }
        }
        Ok(())
    }
}

/// Longest CompID, username or password accepted (FIX sets no limit; RTES's
/// are short).
const FIX_TEXT_MAX: usize = 64;
/// Longest HeartBtInt asked for (RTES's default `heartbeat_max_s`).
const FIX_HEARTBEAT_MAX_S: u32 = 300;

/// Printable ASCII (no SOH, no control characters): safe as a FIX value.
fn is_fix_text(text: &str) -> bool {
    (1..=FIX_TEXT_MAX).contains(&text.len())
        && text
            .bytes()
            .all(|byte| byte.is_ascii_graphic() || byte == b' ')
}

/// The FIX sessions of `config/default.toml`: DEMO01 to DEMO04, the last
/// one requiring Username/Password.
pub fn default_fix_sessions() -> Vec<FixSession> {
    let mut sessions: Vec<FixSession> = (1..=4)
        .map(|n| FixSession::new(&format!("DEMO{n:02}")))
        .collect();
    sessions[3].username = Some("demo04".to_string());
    sessions[3].password = Some("demo04pw".to_string());
    sessions
}

/// Parses `DEMO01,DEMO04:demo04:demo04pw` (SenderCompID, optionally with
/// Username and Password).
///
/// ```
/// use rtes_tools::blaster::config::parse_fix_sessions;
/// let sessions = parse_fix_sessions("DEMO01, DEMO04:demo04:demo04pw").unwrap();
/// assert_eq!(sessions[0].credentials(), None);
/// assert_eq!(sessions[1].credentials(), Some(("demo04", "demo04pw")));
/// assert!(parse_fix_sessions("DEMO04:demo04").is_err());
/// ```
pub fn parse_fix_sessions(text: &str) -> Result<Vec<FixSession>> {
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let fields: Vec<&str> = part.trim().split(':').collect();
            match fields[..] {
                [comp_id] => Ok(FixSession::new(comp_id)),
                [comp_id, username, password] => Ok(FixSession {
                    sender_comp_id: comp_id.to_string(),
                    username: Some(username.to_string()),
                    password: Some(password.to_string()),
                }),
                _ => bail!("FIX session {part:?} is not COMPID or COMPID:USERNAME:PASSWORD"),
            }
        })
        .collect()
}

/// The five demo instruments of `config/default.toml`.
pub fn default_symbols() -> Vec<SymbolSpec> {
    [
        ("AAPL", "190.00"),
        ("MSFT", "420.00"),
        ("SPY", "500.00"),
        ("QQQ", "430.00"),
        ("TSLA", "250.00"),
    ]
    .into_iter()
    .map(|(symbol, price)| SymbolSpec {
        symbol: symbol.to_string(),
        reference_price: price.to_string(),
        tick_size: "0.01".to_string(),
        band_percent: 20,
    })
    .collect()
}

/// Parses `demo01:demo01pw,demo02:demo02pw`.
pub fn parse_users(text: &str) -> Result<Vec<User>> {
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (username, password) = part
                .split_once(':')
                .with_context(|| format!("user {part:?} is not NAME:PASSWORD"))?;
            Ok(User {
                username: username.trim().to_string(),
                password: password.trim().to_string(),
            })
        })
        .collect()
}

/// Parses `AAPL,MSFT` (known demo symbols) or `XYZ=12.34` (reference price,
/// tick 0.01, band 20 %).
pub fn parse_symbols(text: &str) -> Result<Vec<SymbolSpec>> {
    let known = default_symbols();
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| match part.split_once('=') {
            Some((symbol, price)) => Ok(SymbolSpec {
                symbol: symbol.trim().to_string(),
                reference_price: price.trim().to_string(),
                tick_size: "0.01".to_string(),
                band_percent: 20,
            }),
            None => known
                .iter()
                .find(|spec| spec.symbol == part.trim())
                .cloned()
                .with_context(|| {
                    format!("unknown symbol {part:?}: give its reference price as {part}=PRICE")
                }),
        })
        .collect()
}

/// Reads the `[[instrument]]` tables of an RTES server configuration.
pub fn symbols_from_rtes_config(path: &std::path::Path) -> Result<Vec<SymbolSpec>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let value: toml::Value =
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let instruments = value
        .get("instrument")
        .and_then(|list| list.as_array())
        .with_context(|| format!("{} has no [[instrument]]", path.display()))?;
    instruments
        .iter()
        .map(|table| {
            let text = |key: &str| {
                table
                    .get(key)
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
                    .with_context(|| format!("instrument without {key}"))
            };
            Ok(SymbolSpec {
                symbol: text("symbol")?,
                reference_price: text("reference_price")?,
                tick_size: text("tick_size")?,
                band_percent: table
                    .get("band_percent")
                    .and_then(|v| v.as_integer())
                    .unwrap_or(20) as u32,
            })
        })
        .collect()
}

/// Parses a decimal price ("190.00", "0.01", "7") into OUCH wire units
/// (4 implied decimals), exactly: no floats.
///
/// ```
/// use rtes_tools::blaster::config::parse_price_wire;
/// assert_eq!(parse_price_wire("190.00").unwrap(), 1_900_000);
/// assert_eq!(parse_price_wire("0.01").unwrap(), 100);
/// assert!(parse_price_wire("0.00001").is_err());
/// ```
pub fn parse_price_wire(text: &str) -> Result<u32> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty() {
        bail!("empty price");
    }
    if fraction.len() > 4 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        bail!("price {text:?} needs at most 4 decimals");
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().with_context(|| format!("price {text:?}"))?
    };
    let mut fraction_units: u64 = 0;
    for position in 0..4 {
        let digit = fraction.as_bytes().get(position).map_or(0, |b| b - b'0');
        fraction_units = fraction_units * 10 + u64::from(digit);
    }
    let wire = whole
        .checked_mul(PRICE_SCALE)
        .and_then(|units| units.checked_add(fraction_units))
        .with_context(|| format!("price {text:?} is too large"))?;
    u32::try_from(wire).with_context(|| format!("price {text:?} does not fit OUCH's u32"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_parses_and_rejects() {
        let mix = Mix::parse("new=50,cancel=30,replace=10,ioc=10").unwrap();
        assert_eq!(mix.total(), 100);
        assert_eq!(Mix::parse("ioc=1").unwrap().new, 0);
        assert!(Mix::parse("cancel=1").is_err());
        assert!(Mix::parse("foo=1").is_err());
    }

    #[test]
    fn users_and_symbols_parse() {
        let users = parse_users("a:b, c:d").unwrap();
        assert_eq!(users[1].password, "d");
        assert!(parse_users("nocolon").is_err());
        let symbols = parse_symbols("AAPL,XYZ=12.34").unwrap();
        assert_eq!(symbols[0].reference_wire().unwrap(), 1_900_000);
        assert_eq!(symbols[1].reference_wire().unwrap(), 123_400);
        assert!(parse_symbols("NOPE").is_err());
    }

    #[test]
    fn fix_sessions_parse_and_validate() {
        let mut config = Config {
            protocol: Protocol::Fix,
            ..Config::default()
        };
        config.validate().unwrap();
        assert_eq!(config.session_count(), 4);
        assert_eq!(config.server_port(), 15001);
        assert_eq!(config.session_name(3), "DEMO04");
        config.fix_sessions = parse_fix_sessions("DEMO02").unwrap();
        config.sessions = 2;
        assert!(config.validate().is_err(), "two sessions, one CompID");
        config.sessions = 1;
        config.validate().unwrap();
        config.fix_sessions[0].username = Some("u".into());
        assert!(config.validate().is_err(), "a username needs a password");
        config.fix_sessions = vec![FixSession::new("DÉMO")];
        assert!(config.validate().is_err());
        // OUCH's user limits do not apply to a FIX run.
        config.fix_sessions = default_fix_sessions();
        config.users = parse_users("muchtoolongname:x").unwrap();
        config.validate().unwrap();
        config.protocol = Protocol::Ouch;
        assert!(config.validate().is_err());
    }

    #[test]
    fn example_file_parses() {
        let text = include_str!("../../order-blaster.example.toml");
        let config: Config = toml::from_str(text).unwrap();
        config.validate().unwrap();
        assert_eq!(config.rate, 5000.0);
        assert_eq!(config.symbols.len(), 2);
        assert_eq!(config.users.len(), 4);
        assert_eq!(config.protocol, Protocol::Ouch);
        assert_eq!(config.fix_sessions, default_fix_sessions());
        let fix = Config {
            protocol: Protocol::Fix,
            ..config
        };
        fix.validate().unwrap();
    }

    #[test]
    fn rtes_default_config_symbols() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/default.toml");
        let symbols = symbols_from_rtes_config(&path).unwrap();
        assert_eq!(symbols, default_symbols());
    }

    #[test]
    fn defaults_validate_and_round_trip_toml() {
        let config = Config::default();
        config.validate().unwrap();
        assert_eq!(config.session_count(), 4);
        let text = toml::to_string(&config).unwrap();
        let back: Config = toml::from_str(&text).unwrap();
        assert_eq!(back, config);
        let partial: Config = toml::from_str("rate = 5.0\nport = 1").unwrap();
        assert_eq!(partial.port, 1);
        assert_eq!(partial.users.len(), 4);
    }
}
