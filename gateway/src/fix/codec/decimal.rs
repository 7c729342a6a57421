//! Exact decimal strings on the wire to fixed-point integers and back.
//! A value with more fractional digits than the scale is an error, never a
//! rounding: a price off the tick is rejected with a reason.

/// Why a decimal field could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecimalError {
    /// Not `[-]digits[.digits]`.
    #[error("not a decimal number")]
    Format,
    /// More fractional digits than the scale holds.
    #[error("more than {0} decimal places")]
    TooPrecise(u32),
    /// Out of the i64 range at this scale.
    #[error("out of range")]
    Overflow,
}

/// Parses `[-]digits[.digits]` into units of 10^-`decimals`.
///
/// ```
/// use rtes_gateway::fix::codec::{parse_decimal, DecimalError};
/// assert_eq!(parse_decimal(b"190.25", 4), Ok(1_902_500));
/// assert_eq!(parse_decimal(b"-0.5", 4), Ok(-5_000));
/// assert_eq!(parse_decimal(b"1.00001", 4), Err(DecimalError::TooPrecise(4)));
/// ```
pub fn parse_decimal(text: &[u8], decimals: u32) -> Result<i64, DecimalError> {
    let (negative, unsigned) = match text {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, text),
    };
    let (whole, fraction) = match unsigned.iter().position(|byte| *byte == b'.') {
        Some(dot) => (&unsigned[..dot], &unsigned[dot + 1..]),
        None => (unsigned, &b""[..]),
    };
    let all_digits = |part: &[u8]| part.iter().all(u8::is_ascii_digit);
    if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
        return Err(DecimalError::Format);
    }
    let significant = match fraction.iter().rposition(|byte| *byte != b'0') {
        Some(last) => &fraction[..=last],
        None => &b""[..],
    };
    if significant.len() > decimals as usize {
        return Err(DecimalError::TooPrecise(decimals));
    }
    let mut value: i64 = 0;
    let push_digit = |value: i64, digit: u8| {
        value
            .checked_mul(10)
            .and_then(|shifted| shifted.checked_add(i64::from(digit - b'0')))
            .ok_or(DecimalError::Overflow)
    };
    for digit in whole {
        value = push_digit(value, *digit)?;
    }
    for position in 0..decimals as usize {
        value = push_digit(value, *significant.get(position).unwrap_or(&b'0'))?;
    }
    Ok(if negative { -value } else { value })
}

/// Writes `value` (units of 10^-`decimals`) with trailing fractional zeros
/// dropped: 1_902_500 at 4 decimals is `190.25`, 1_900_000 is `190`.
///
/// ```
/// let mut out = Vec::new();
/// rtes_gateway::fix::codec::format_decimal(-1_902_500, 4, &mut out);
/// assert_eq!(out, b"-190.25");
/// ```
pub fn format_decimal(value: i64, decimals: u32, out: &mut Vec<u8>) {
    let mut text = [0u8; DECIMAL_TEXT_MAX];
    let length = decimal_bytes(value, decimals, &mut text);
    out.extend_from_slice(&text[..length]);
}

/// Longest text [`decimal_bytes`] writes: sign, 19 digits, point, 18
/// fractional digits.
pub(crate) const DECIMAL_TEXT_MAX: usize = 40;

/// Writes `value` as [`format_decimal`] does into `out`; returns the length.
pub(crate) fn decimal_bytes(value: i64, decimals: u32, out: &mut [u8; DECIMAL_TEXT_MAX]) -> usize {
    let mut length = 0;
    if value < 0 {
        out[0] = b'-';
        length = 1;
    }
    let magnitude = value.unsigned_abs();
    let scale = 10u64.pow(decimals);
    let mut digits = itoa::Buffer::new();
    let whole = digits.format(magnitude / scale).as_bytes();
    out[length..length + whole.len()].copy_from_slice(whole);
    length += whole.len();
    let mut fraction = magnitude % scale;
    if fraction == 0 {
        return length;
    }
    out[length] = b'.';
    length += 1;
    let mut place = scale / 10;
    while fraction > 0 {
        out[length] = b'0' + (fraction / place) as u8;
        length += 1;
        fraction %= place;
        place /= 10;
    }
    length
}
