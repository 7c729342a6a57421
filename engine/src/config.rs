//! Static configuration of instruments and accounts, validated once at
//! start-up. The engine allocates everything it will ever need from these.

use crate::types::{Price, Qty, SelfTradePrevention, TradingState};

/// Number of implied decimals in a wire price (ITCH/OUCH `Price(4)`).
pub const PRICE_SCALE_DECIMALS: u32 = 4;
/// One currency unit in wire-price units (10^4).
pub const PRICE_SCALE: i64 = 10_000;

/// One tradable instrument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentConfig {
    /// Symbol, ITCH style: 1–8 ASCII characters, upper case.
    pub symbol: String,
    /// Tick size in wire-price units (1/10,000 of a currency unit); 100 = 0.01.
    pub tick_size: i64,
    /// Shares per lot; order quantities must be multiples of it.
    pub lot_size: u64,
    /// Smallest order quantity.
    pub min_qty: Qty,
    /// Largest order quantity.
    pub max_qty: Qty,
    /// Reference price in ticks (centre of the band, collar reference, uncross tie-break).
    pub reference_price: Price,
    /// Lowest accepted limit price in ticks (inclusive).
    pub band_low: Price,
    /// Highest accepted limit price in ticks (inclusive).
    pub band_high: Price,
    /// State at start-up.
    pub initial_state: TradingState,
}

/// One account's pre-trade risk limits and self-trade prevention mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountConfig {
    /// Name (for logs and reports).
    pub name: String,
    /// Largest order quantity.
    pub max_order_qty: Qty,
    /// Largest order notional, in wire-price units × shares (price × 10^4 × qty).
    pub max_notional: u128,
    /// Largest distance of a limit price from the instrument's reference
    /// price, in basis points (10,000 = 100%).
    pub price_collar_bps: u32,
    /// Largest number of open (resting) orders across all instruments.
    pub max_open_orders: u32,
    /// Largest absolute net position per instrument, counting open orders on
    /// the side that would grow it.
    pub max_position: u64,
    /// Self-trade prevention mode.
    pub self_trade_prevention: SelfTradePrevention,
}

/// Everything the engine needs at construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// Instruments; `InstrumentId(i)` is `instruments[i]`.
    pub instruments: Vec<InstrumentConfig>,
    /// Accounts; `AccountId(i)` is `accounts[i]`.
    pub accounts: Vec<AccountConfig>,
    /// Capacity of the order slab shared by all books: the most resting
    /// orders at once. Beyond it new orders are rejected with `BookFull`.
    pub max_resting_orders: u32,
    /// Number of distinct owners (`OwnerId(0..max_owners)`).
    pub max_owners: u32,
}

/// A configuration the engine cannot run with.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A field has a value outside what the engine supports.
    #[error("{what}: {why}")]
    Invalid {
        /// Which item, e.g. `instruments[2].tick_size`.
        what: String,
        /// Why it is wrong.
        why: String,
    },
}
