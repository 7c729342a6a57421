//! Bounds and options of the market-data hub, fixed at construction: every
//! table the hub will ever use is sized from these numbers.

use rtes_engine::InstrumentConfig;

/// Most bytes of an MDReqID (262) a subscription keeps; longer ids are rejected.
pub const MD_REQ_ID_MAX: usize = 64;

/// Capacities of every table of the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketDataLimits {
    /// Sessions are numbered `0..max_sessions` (the acceptor's session slots).
    pub max_sessions: usize,
    /// Symbol subscriptions one session may hold at once: a MarketDataRequest
    /// for three symbols uses three.
    pub max_subscriptions_per_session: usize,
    /// Displayed resting orders the hub can track (at least the engine's
    /// `max_resting_orders`, or the books diverge once it is full).
    pub max_orders: usize,
    /// Price levels one side of one book may hold. Must cover every
    /// instrument's band (`band_high - band_low + 1`): resting prices always
    /// lie inside the band, so the level table can then never overflow.
    pub max_levels_per_side: usize,
    /// Conflated changes (one per price level, one per trade) a session may
    /// owe while it is backlogged; past it the session is resent snapshots.
    pub max_pending_updates_per_session: usize,
    /// Largest MarketDepth (264) N a client may ask for (0, the full book,
    /// is always accepted).
    pub max_depth: usize,
    /// Most entries in one MarketDataIncrementalRefresh or SecurityList;
    /// more are split over several messages.
    pub max_entries_per_message: usize,
    /// Trades (all instruments) one engine batch may hold before
    /// [`super::BatchStatus::Full`] asks the acceptor to end the batch.
    pub max_trades_per_batch: usize,
}

impl MarketDataLimits {
    /// Limits that fit `instruments`: levels cover the widest band; the other
    /// bounds are generous defaults for a simulator.
    ///
    /// ```
    /// use rtes_gateway::fix::market_data::MarketDataLimits;
    /// let limits = MarketDataLimits::for_instruments(&[], 8, 1_000);
    /// assert_eq!(limits.max_sessions, 8);
    /// ```
    pub fn for_instruments(
        instruments: &[InstrumentConfig],
        max_sessions: usize,
        max_orders: usize,
    ) -> MarketDataLimits {
        let widest_band = instruments.iter().map(band_levels).max().unwrap_or(1);
        MarketDataLimits {
            max_sessions,
            max_subscriptions_per_session: 64,
            max_orders,
            max_levels_per_side: widest_band,
            max_pending_updates_per_session: 4_096,
            max_depth: 50,
            max_entries_per_message: 64,
            max_trades_per_batch: 16_384,
        }
    }
}

/// Behaviour switches and the values the hub needs from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketDataOptions {
    /// Send the fields FIX 4.4's QuickFIX dictionary lacks: RptSeq (83) in
    /// market-data entries, and MinPriceIncrement (969), MaxTradeVol (1140),
    /// LowLimitPrice (1148), HighLimitPrice (1149), TradingReferencePrice
    /// (1150) and SecurityTradingStatus (326) in the security list. Off: the
    /// messages validate against the stock FIX44.xml, and the security list
    /// carries those facts in Text (58) instead.
    pub extension_fields: bool,
    /// ValidUntilTime (62) of an indicative Quote is this long after the request.
    pub quote_valid_for_ns: u64,
    /// Greet every session at logon with one TradingSessionStatus (h) per
    /// instrument. Off by default: a client asks with g when it wants the
    /// states, and changes are always sent.
    pub status_on_logon: bool,
    /// Start of the process (UTC ns): QuoteID and SecurityResponseID are
    /// `<this in ms>.<counter>`, unique across restarts.
    pub start_utc_ns: u64,
}

impl Default for MarketDataOptions {
    fn default() -> MarketDataOptions {
        MarketDataOptions {
            extension_fields: true,
            quote_valid_for_ns: 1_000_000_000,
            status_on_logon: false,
            start_utc_ns: 0,
        }
    }
}

/// A configuration the hub cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MarketDataConfigError {
    /// A limit is zero.
    #[error("market data limit {0} must be at least 1")]
    ZeroLimit(&'static str),
    /// An instrument's band has more price levels than one side may hold.
    #[error("instrument {symbol}: band of {band_levels} levels exceeds max_levels_per_side {max_levels_per_side}")]
    BandWiderThanLevels {
        /// The instrument.
        symbol: String,
        /// `band_high - band_low + 1`.
        band_levels: usize,
        /// The limit.
        max_levels_per_side: usize,
    },
    /// An instrument's band or tick cannot be used.
    #[error("instrument {symbol}: {why}")]
    Instrument {
        /// The instrument.
        symbol: String,
        /// What is wrong.
        why: &'static str,
    },
}

/// Number of price levels inside an instrument's band.
pub(crate) fn band_levels(instrument: &InstrumentConfig) -> usize {
    (instrument.band_high.0 - instrument.band_low.0 + 1).max(0) as usize
}

/// Checks `limits` against `instruments`.
pub(crate) fn check(
    instruments: &[InstrumentConfig],
    limits: &MarketDataLimits,
) -> Result<(), MarketDataConfigError> {
    let named = [
        ("max_sessions", limits.max_sessions),
        (
            "max_subscriptions_per_session",
            limits.max_subscriptions_per_session,
        ),
        ("max_orders", limits.max_orders),
        ("max_levels_per_side", limits.max_levels_per_side),
        (
            "max_pending_updates_per_session",
            limits.max_pending_updates_per_session,
        ),
        ("max_depth", limits.max_depth),
        ("max_entries_per_message", limits.max_entries_per_message),
        ("max_trades_per_batch", limits.max_trades_per_batch),
    ];
    if let Some((name, _)) = named.iter().find(|(_, value)| *value == 0) {
        return Err(MarketDataConfigError::ZeroLimit(name));
    }
    for instrument in instruments {
        let invalid = |why| MarketDataConfigError::Instrument {
            symbol: instrument.symbol.clone(),
            why,
        };
        if instrument.tick_size <= 0 {
            return Err(invalid("tick_size must be positive"));
        }
        if instrument.band_high.0 < instrument.band_low.0 {
            return Err(invalid("band_high is below band_low"));
        }
        if band_levels(instrument) > limits.max_levels_per_side {
            return Err(MarketDataConfigError::BandWiderThanLevels {
                symbol: instrument.symbol.clone(),
                band_levels: band_levels(instrument),
                max_levels_per_side: limits.max_levels_per_side,
            });
        }
    }
    Ok(())
}
