//! Validation of an `EngineConfig` before anything is allocated from it.

use crate::config::{ConfigError, EngineConfig, InstrumentConfig};

/// Most price levels one instrument's ladder may have (each side is a dense
/// array over the band, 32 bytes a level).
pub const MAX_LEVELS_PER_INSTRUMENT: i64 = 4_000_000;

fn invalid(what: String, why: &str) -> ConfigError {
    ConfigError::Invalid {
        what,
        why: why.to_string(),
    }
}

/// Checks every item; the error names the first bad one.
pub(crate) fn check(config: &EngineConfig) -> Result<(), ConfigError> {
    // A bound like every other: 2^28 orders is 16 GiB of slab already.
    if config.max_resting_orders == 0 || config.max_resting_orders > 1 << 28 {
        return Err(invalid(
            "max_resting_orders".into(),
            "must be between 1 and 2^28",
        ));
    }
    if config.instruments.len() > u32::MAX as usize {
        return Err(invalid("instruments".into(), "too many instruments"));
    }
    if config.accounts.len() > u32::MAX as usize {
        return Err(invalid("accounts".into(), "too many accounts"));
    }
    for (index, instrument) in config.instruments.iter().enumerate() {
        check_instrument(instrument, config.max_resting_orders)
            .map_err(|(field, why)| invalid(format!("instruments[{index}].{field}"), why))?;
    }
    Ok(())
}

fn check_instrument(
    instrument: &InstrumentConfig,
    max_resting_orders: u32,
) -> Result<(), (&'static str, &'static str)> {
    let symbol = instrument.symbol.as_bytes();
    if symbol.is_empty() || symbol.len() > 8 {
        return Err(("symbol", "must be 1 to 8 characters"));
    }
    if !symbol
        .iter()
        .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit())
    {
        return Err(("symbol", "must be ASCII upper-case letters and digits"));
    }
    if instrument.tick_size <= 0 {
        return Err(("tick_size", "must be positive"));
    }
    if instrument.lot_size == 0 {
        return Err(("lot_size", "must be positive"));
    }
    if instrument.min_qty > instrument.max_qty {
        return Err(("min_qty", "must not exceed max_qty"));
    }
    // Level and open-quantity totals are u64: the whole slab at max_qty must fit.
    if instrument
        .max_qty
        .0
        .checked_mul(u64::from(max_resting_orders))
        .is_none()
    {
        return Err(("max_qty", "times max_resting_orders must fit in 64 bits"));
    }
    let (low, reference, high) = (
        instrument.band_low.0,
        instrument.reference_price.0,
        instrument.band_high.0,
    );
    if low <= 0 {
        return Err(("band_low", "must be positive"));
    }
    if low > reference {
        return Err(("reference_price", "must not be below band_low"));
    }
    if reference > high {
        return Err(("band_high", "must not be below reference_price"));
    }
    if high - low + 1 > MAX_LEVELS_PER_INSTRUMENT {
        return Err((
            "band_high",
            "band has more than MAX_LEVELS_PER_INSTRUMENT levels",
        ));
    }
    Ok(())
}
