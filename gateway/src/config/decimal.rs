//! Exact decimal strings ("0.01", "187.50") to fixed-point integers.
//!
//! Prices in the configuration are written as decimal *strings* so that no
//! float ever touches them: "0.01" becomes exactly 100 wire units
//! (`PRICE_SCALE` = 10^4), and "0.00015" is an error rather than a rounding.

use rtes_engine::config::{PRICE_SCALE, PRICE_SCALE_DECIMALS};

/// Parses a non-negative decimal string into units of `10^-decimals`.
///
/// Returns a message (without the key; the caller adds it) on failure.
///
/// ```
/// use rtes_gateway::config::decimal::parse_fixed;
/// assert_eq!(parse_fixed("0.01", 4), Ok(100));
/// assert_eq!(parse_fixed("187.5", 4), Ok(1_875_000));
/// assert!(parse_fixed("0.00015", 4).is_err());
/// ```
pub fn parse_fixed(text: &str, decimals: u32) -> Result<u128, String> {
    let not_decimal = || format!("{text:?} is not a decimal number");
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return Err(not_decimal());
    }
    if text.ends_with('.') {
        return Err(not_decimal());
    }
    let significant = fraction.trim_end_matches('0');
    if significant.len() > decimals as usize {
        return Err(format!(
            "{text} is not a multiple of {}",
            unit_text(decimals)
        ));
    }
    let scale = 10u128.pow(decimals);
    let whole_value: u128 = whole.parse().map_err(|_| format!("{text} is too large"))?;
    let mut fraction_value: u128 = 0;
    for position in 0..decimals as usize {
        let digit = significant.as_bytes().get(position).map_or(0, |b| b - b'0');
        fraction_value = fraction_value * 10 + u128::from(digit);
    }
    whole_value
        .checked_mul(scale)
        .and_then(|value| value.checked_add(fraction_value))
        .ok_or_else(|| format!("{text} is too large"))
}

/// Parses a price string into wire units (4 implied decimals).
///
/// ```
/// use rtes_gateway::config::decimal::parse_price_units;
/// assert_eq!(parse_price_units("100"), Ok(1_000_000));
/// ```
pub fn parse_price_units(text: &str) -> Result<i64, String> {
    let value = parse_fixed(text, PRICE_SCALE_DECIMALS)?;
    i64::try_from(value).map_err(|_| format!("{text} is too large"))
}

/// Formats wire units back as a decimal with at least two decimals
/// ("90.00", "0.0125"), for error messages.
///
/// ```
/// use rtes_gateway::config::decimal::format_price_units;
/// assert_eq!(format_price_units(900_000), "90.00");
/// assert_eq!(format_price_units(125), "0.0125");
/// ```
pub fn format_price_units(units: i64) -> String {
    let sign = if units < 0 { "-" } else { "" };
    let magnitude = units.unsigned_abs();
    let scale = PRICE_SCALE as u64;
    let mut fraction = format!("{:04}", magnitude % scale);
    while fraction.len() > 2 && fraction.ends_with('0') {
        fraction.pop();
    }
    format!("{sign}{}.{fraction}", magnitude / scale)
}

fn unit_text(decimals: u32) -> String {
    if decimals == 0 {
        return "1".to_string();
    }
    format!("0.{}1", "0".repeat(decimals as usize - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_fixed("0", 4), Ok(0));
        assert_eq!(parse_fixed("0.0001", 4), Ok(1));
        assert_eq!(parse_fixed("12.3400", 4), Ok(123_400));
        assert_eq!(parse_fixed("7.5", 2), Ok(750));
    }

    #[test]
    fn rejects_malformed() {
        for text in ["", ".5", "1.", "-1", "1e3", "1.2.3", " 1", "abc"] {
            assert!(parse_fixed(text, 4).is_err(), "{text:?} accepted");
        }
        assert_eq!(
            parse_fixed("0.00015", 4),
            Err("0.00015 is not a multiple of 0.0001".to_string())
        );
    }

    #[test]
    fn formats_round_trip() {
        for text in ["90.00", "0.0125", "110.50", "0.01"] {
            let units = parse_price_units(text).unwrap();
            assert_eq!(format_price_units(units), text);
        }
    }
}
