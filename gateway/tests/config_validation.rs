//! Configuration: the shipped files load, and every error names its key.

use rtes_engine::{Price, SelfTradePrevention, TradingState};
use rtes_gateway::config::{self, ConfigError, Overrides, ThreadingMode};
use rtes_gateway::runtime::IdleStrategy;
use std::path::PathBuf;

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$ieus9JcdlxqgShn4jVRLnQ$4fBcItGzpM0fH40vwbQKKqao62S0WEfv7rqJeY0FhnI";

fn config_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../config")
        .join(name)
}

fn instrument(symbol: &str, tick: &str, reference: &str, band: &str) -> String {
    format!(
        "[[instrument]]\nsymbol = \"{symbol}\"\ntick_size = \"{tick}\"\nreference_price = \"{reference}\"\nband_percent = {band}\n\n"
    )
}

fn account(name: &str, stp: &str) -> String {
    format!(
        "[[account]]\nname = \"{name}\"\nusername = \"{name}\"\npassword_hash = \"{HASH}\"\nmax_order_qty = 1000\nmax_notional = \"1000000\"\nprice_collar_percent = 10\nmax_open_orders = 100\nmax_position = 10000\nself_trade_prevention = \"{stp}\"\n\n"
    )
}

fn minimal() -> String {
    instrument("AAPL", "0.01", "100.00", "10") + &account("demo01", "off")
}

/// Loads `text` and returns the error message (panics if it loads).
fn error_of(text: &str) -> String {
    match config::load_str(text, &Overrides::default()) {
        Ok(_) => panic!("configuration accepted:\n{text}"),
        Err(error) => error.to_string(),
    }
}

fn assert_error(text: &str, expected: &str) {
    let message = error_of(text);
    assert!(
        message.contains(expected),
        "expected {expected:?} in:\n{message}"
    );
}

#[test]
fn default_config_loads_and_converts() {
    let settings = config::load(&config_file("default.toml"), &Overrides::default()).unwrap();
    assert_eq!(settings.runtime.threading, ThreadingMode::Shared);
    assert_eq!(settings.ouch.listen.to_string(), "127.0.0.1:15000");
    assert_eq!(settings.fix.listen.port(), 15001);
    assert_eq!(settings.feed.replay_listen.port(), 15002);
    assert_eq!(settings.feed.rerequest_listen.port(), 15003);
    assert_eq!(settings.feed.multicast.to_string(), "239.255.0.1:26400");
    assert_eq!(settings.admin.listen.port(), 15080);

    let symbols: Vec<&str> = settings
        .engine
        .instruments
        .iter()
        .map(|instrument| instrument.symbol.as_str())
        .collect();
    assert_eq!(symbols, ["AAPL", "MSFT", "SPY", "QQQ", "TSLA"]);
    let aapl = &settings.engine.instruments[0];
    assert_eq!(aapl.tick_size, 100);
    assert_eq!(aapl.reference_price, Price(19_000));
    assert_eq!(aapl.band_low, Price(15_200));
    assert_eq!(aapl.band_high, Price(22_800));
    assert_eq!(aapl.initial_state, TradingState::Continuous);

    assert_eq!(settings.engine.accounts.len(), 4);
    // One owner per account (OUCH) and one per FIX session, after them.
    assert_eq!(settings.fix.sessions.len(), 5);
    assert_eq!(settings.engine.max_owners, 9);
    assert!(settings.fix.enabled);
    let demo04 = &settings.fix.sessions[3];
    assert_eq!(demo04.target_comp_id, "DEMO04");
    assert_eq!(demo04.owner, rtes_engine::OwnerId(7));
    assert_eq!(demo04.account, rtes_engine::AccountId(3));
    assert_eq!(demo04.username.as_deref(), Some("demo04"));
    assert!(demo04.cancel_on_disconnect, "inherited from the account");
    assert!(settings.fix.sessions[4].reflector);
    assert_eq!(
        settings.engine.accounts[0].self_trade_prevention,
        SelfTradePrevention::Off
    );
    let modes: std::collections::HashSet<_> = settings
        .engine
        .accounts
        .iter()
        .map(|account| account.self_trade_prevention)
        .collect();
    assert_eq!(modes.len(), 4, "each demo account has its own STP mode");

    assert_eq!(settings.credentials.len(), 4);
    let demo02 = settings.credentials.get("demo02").unwrap();
    assert_eq!(demo02.account.0, 1);
    assert_eq!(demo02.owner.0, 1);
    assert!(demo02.cancel_on_disconnect);
}

#[test]
fn default_passwords_verify() {
    let settings = config::load(&config_file("default.toml"), &Overrides::default()).unwrap();
    for number in 1..=4 {
        let username = format!("demo0{number}");
        let password = format!("demo0{number}pw");
        assert!(
            settings
                .credentials
                .authenticate(&username, &password)
                .is_some(),
            "{username}"
        );
    }
    assert!(settings
        .credentials
        .authenticate("demo01", "wrong")
        .is_none());
    assert!(settings
        .credentials
        .authenticate("nobody", "demo01pw")
        .is_none());
}

#[test]
fn dedicated_example_loads() {
    let settings = config::load(
        &config_file("example-dedicated.toml"),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(settings.runtime.threading, ThreadingMode::Dedicated);
    assert_eq!(settings.runtime.engine.idle, IdleStrategy::BusySpin);
    assert_eq!(settings.runtime.engine.core, Some(4));
}

#[test]
fn minimal_config_gets_defaults() {
    let settings = config::load_str(&minimal(), &Overrides::default()).unwrap();
    assert_eq!(settings.runtime.gateway_threads, 1);
    assert_eq!(settings.engine.instruments[0].lot_size, 1);
    assert_eq!(settings.engine.instruments[0].band_low, Price(9_000));
}

#[test]
fn unknown_keys_are_rejected() {
    assert_error(&(minimal() + "[bogus]\nx = 1\n"), "bogus");
    let typo = minimal().replace("tick_size", "tick_sise");
    assert_error(&typo, "tick_sise");
    assert_error(
        &format!("[ouch]\nlisten_addr = \"127.0.0.1:1\"\n{}", minimal()),
        "listen_addr",
    );
    assert_error(
        &format!("[runtime.rings]\ncommand_capacty = 4\n{}", minimal()),
        "command_capacty",
    );
}

#[test]
fn tick_size_must_be_whole_wire_units() {
    let text = instrument("AAPL", "0.00015", "100.00", "10") + &account("demo01", "off");
    assert_error(
        &text,
        "instrument[0].tick_size: 0.00015 is not a multiple of 0.0001",
    );
    let text = instrument("AAPL", "abc", "100.00", "10") + &account("demo01", "off");
    assert_error(
        &text,
        "instrument[0].tick_size: \"abc\" is not a decimal number",
    );
}

#[test]
fn error_names_the_instrument_index() {
    let text = instrument("AAPL", "0.01", "100.00", "10")
        + &instrument("MSFT", "0.01", "100.00", "10")
        + &instrument("SPY", "0.00001", "100.00", "10")
        + &account("demo01", "off");
    assert_error(&text, "instrument[2].tick_size");
}

#[test]
fn duplicate_symbol_is_rejected() {
    let text = instrument("AAPL", "0.01", "100.00", "10")
        + &instrument("MSFT", "0.01", "100.00", "10")
        + &instrument("AAPL", "0.01", "100.00", "10")
        + &account("demo01", "off");
    assert_error(
        &text,
        "instrument[2].symbol: duplicate symbol AAPL at instrument[2]",
    );
}

#[test]
fn tick_must_divide_the_band() {
    let text = instrument("AAPL", "0.03", "100.00", "10") + &account("demo01", "off");
    assert_error(
        &text,
        "instrument[0]: tick size 0.03 does not divide the band [90.00, 110.00]",
    );
}

#[test]
fn decimal_band_percent_is_exact() {
    let text = instrument("AAPL", "0.01", "100.00", "\"7.5\"") + &account("demo01", "off");
    let settings = config::load_str(&text, &Overrides::default()).unwrap();
    assert_eq!(settings.engine.instruments[0].band_low, Price(9_250));
    assert_eq!(settings.engine.instruments[0].band_high, Price(10_750));
    let text = instrument("AAPL", "0.01", "100.00", "100") + &account("demo01", "off");
    assert_error(&text, "instrument[0].band_percent");
}

#[test]
fn bad_symbol_and_quantities_are_named() {
    let text = instrument("aapl", "0.01", "100.00", "10") + &account("demo01", "off");
    assert_error(&text, "instrument[0].symbol");
    let text = minimal().replace(
        "band_percent = 10",
        "band_percent = 10\nlot_size = 100\nmin_qty = 50",
    );
    assert_error(
        &text,
        "instrument[0].min_qty: 50 is not a positive multiple of the lot size 100",
    );
    let text = minimal().replace(
        "band_percent = 10",
        "band_percent = 10\ninitial_state = \"open\"",
    );
    assert_error(&text, "instrument[0].initial_state");
}

#[test]
fn listen_addresses_are_checked() {
    let with_ouch = |listen: &str| format!("[ouch]\nlisten = \"{listen}\"\n{}", minimal());
    assert_error(&with_ouch("127.0.0.1:99999"), "ouch.listen: invalid port");
    assert_error(&with_ouch("localhost:15000"), "ouch.listen: invalid host");
    assert_error(&with_ouch("127.0.0.1"), "ouch.listen");
    let conflict = format!("[fix]\nlisten = \"127.0.0.1:15000\"\n{}", minimal());
    assert_error(
        &conflict,
        "fix.listen: 127.0.0.1:15000 is already used by ouch.listen",
    );
    let not_multicast = format!("[feed]\nmulticast = \"10.0.0.1:26400\"\n{}", minimal());
    assert_error(
        &not_multicast,
        "feed.multicast: 10.0.0.1 is not a multicast address",
    );
}

#[test]
fn account_errors_are_named() {
    let text = instrument("AAPL", "0.01", "100.00", "10") + &account("demo01", "sometimes");
    assert_error(&text, "account[0].self_trade_prevention");
    let text = minimal().replace(HASH, "plaintext");
    assert_error(&text, "account[0].password_hash");
    let text = instrument("AAPL", "0.01", "100.00", "10")
        + &account("demo01", "off")
        + &account("demo01", "off");
    assert_error(&text, "account[1].username: duplicate username demo01");
    let text = instrument("AAPL", "0.01", "100.00", "10") + &account("toolongname", "off");
    assert_error(&text, "account[0].username");
}

#[test]
fn runtime_errors_are_named() {
    let runtime = |body: &str| format!("[runtime]\n{body}\n{}", minimal());
    assert_error(&runtime("threads = \"many\""), "runtime.threads");
    assert_error(
        &runtime("[runtime.idle]\nengine = \"nap\""),
        "runtime.idle.engine: \"nap\" is not one of busy-spin, yielding, backoff",
    );
    assert_error(
        &runtime("[runtime.pin]\nturbo = 3"),
        "runtime.pin.turbo: unknown thread",
    );
    assert_error(
        &runtime("[runtime.rings]\nmarket_capacity = 0"),
        "runtime.rings.market_capacity",
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = format!(
        "[ouch]\nlisten = \"127.0.0.1:99999\"\n{}",
        instrument("AAPL", "0.03", "100.00", "10") + &account("demo01", "sometimes")
    );
    let error = config::load_str(&text, &Overrides::default()).unwrap_err();
    let ConfigError::Invalid { problems } = error else {
        panic!("expected validation problems");
    };
    let keys: Vec<&str> = problems
        .iter()
        .map(|problem| problem.key.as_str())
        .collect();
    assert!(keys.contains(&"ouch.listen"), "{keys:?}");
    assert!(keys.contains(&"instrument[0]"), "{keys:?}");
    assert!(
        keys.contains(&"account[0].self_trade_prevention"),
        "{keys:?}"
    );
}

#[test]
fn no_instruments_or_accounts_is_an_error() {
    assert_error(&account("demo01", "off"), "instrument: at least one");
    assert_error(
        &instrument("AAPL", "0.01", "100.00", "10"),
        "account: at least one",
    );
}

#[test]
fn command_line_overrides_apply_before_validation() {
    let overrides = Overrides {
        threads: Some("dedicated".to_string()),
        pins: vec![("engine".to_string(), 1)],
        idle: vec![("engine".to_string(), "busy-spin".to_string())],
        ouch_port: Some(0),
        ..Overrides::default()
    };
    let settings = config::load_str(&minimal(), &overrides).unwrap();
    assert_eq!(settings.runtime.threading, ThreadingMode::Dedicated);
    assert_eq!(settings.runtime.engine.core, Some(1));
    assert_eq!(settings.runtime.engine.idle, IdleStrategy::BusySpin);
    assert_eq!(settings.ouch.listen.to_string(), "127.0.0.1:0");

    let bad = Overrides {
        idle: vec![("engine".to_string(), "snooze".to_string())],
        ..Overrides::default()
    };
    let message = config::load_str(&minimal(), &bad).unwrap_err().to_string();
    assert!(message.contains("runtime.idle.engine"), "{message}");
}

#[test]
fn missing_file_is_a_read_error() {
    let error =
        config::load(&config_file("does-not-exist.toml"), &Overrides::default()).unwrap_err();
    assert!(matches!(error, ConfigError::Read { .. }));
    assert!(error.to_string().contains("does-not-exist.toml"));
}

#[test]
fn feed_settings_are_checked_and_overridable() {
    let feed = |body: &str| format!("[feed]\n{body}\n{}", minimal());
    assert_error(
        &feed("interface = \"10.1.2.3\""),
        "feed.interface: must be a loopback address",
    );
    assert_error(&feed("drop_fraction = 1.5"), "feed.drop_fraction");
    assert_error(&feed("history_bytes = 10"), "feed.history_bytes");
    let settings = config::load_str(&feed("drop_fraction = 0.05"), &Overrides::default()).unwrap();
    assert_eq!(settings.feed.drop_per_million, 50_000);
    assert_eq!(settings.feed.history_bytes, 16 << 20);

    let overrides = Overrides {
        feed_enabled: Some(true),
        feed_port: Some(0),
        feed_drop_per_million: Some(10_000),
        ..Overrides::default()
    };
    let settings = config::load_str(&minimal(), &overrides).unwrap();
    assert!(settings.feed.enabled);
    assert_eq!(settings.feed.multicast.to_string(), "239.255.0.1:0");
    assert_eq!(settings.feed.rerequest_listen.port(), 0);
    assert_eq!(settings.feed.replay_listen.port(), 0);
    assert_eq!(settings.feed.drop_per_million, 10_000);
}

#[test]
fn fix_session_problems_name_their_keys() {
    let text = format!(
        "{}\n[fix]\nenabled = true\n[[fix.session]]\ntarget_comp_id = \"A\"\naccount = \"nobody\"\n\
         [[fix.session]]\ntarget_comp_id = \"A\"\naccount = \"demo01\"\nreset_on_logon = \"sometimes\"\n",
        minimal()
    );
    let message = config::load_str(&text, &Overrides::default())
        .unwrap_err()
        .to_string();
    for key in [
        "fix.session[0].account",
        "fix.session[1].target_comp_id",
        "fix.session[1].reset_on_logon",
    ] {
        assert!(message.contains(key), "{key} missing from: {message}");
    }
}
