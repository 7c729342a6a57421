//! UTCTimestamp (`YYYYMMDD-HH:MM:SS[.sss]`) to and from nanoseconds since the
//! Unix epoch, with the civil-calendar arithmetic done by hand so the hot
//! path needs no time library and no allocation.

const NS_PER_SECOND: u64 = 1_000_000_000;
const SECONDS_PER_DAY: u64 = 86_400;

/// Why a timestamp could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a UTCTimestamp (YYYYMMDD-HH:MM:SS[.sss])")]
pub struct TimestampError;

/// Writes `utc_ns` as `YYYYMMDD-HH:MM:SS.sss`.
///
/// ```
/// let mut out = Vec::new();
/// rtes_gateway::fix::codec::format_utc_timestamp(1_795_425_600_123_000_000, &mut out);
/// assert_eq!(out, b"20261123-09:20:00.123");
/// ```
pub fn format_utc_timestamp(utc_ns: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(&utc_timestamp_bytes(utc_ns));
}

/// Length of `YYYYMMDD-HH:MM:SS.sss`.
pub(crate) const UTC_TIMESTAMP_LEN: usize = 21;

/// `utc_ns` as `YYYYMMDD-HH:MM:SS.sss`, in a fixed array so the encoder
/// copies it in one move.
pub(crate) fn utc_timestamp_bytes(utc_ns: u64) -> [u8; UTC_TIMESTAMP_LEN] {
    let mut text = [0u8; UTC_TIMESTAMP_LEN];
    text[..DATE_LEN].copy_from_slice(&date_bytes(utc_day(utc_ns)));
    text[DATE_LEN..].copy_from_slice(&time_of_day_bytes(utc_ns));
    text
}

/// Length of `YYYYMMDD`.
pub(crate) const DATE_LEN: usize = 8;
/// Length of `-HH:MM:SS.sss`.
pub(crate) const TIME_OF_DAY_LEN: usize = UTC_TIMESTAMP_LEN - DATE_LEN;

/// Days since the epoch of `utc_ns` (the encoder caches the date per day).
pub(crate) fn utc_day(utc_ns: u64) -> u64 {
    utc_ns / NS_PER_SECOND / SECONDS_PER_DAY
}

/// `YYYYMMDD` of day `day` since the epoch.
pub(crate) fn date_bytes(day: u64) -> [u8; DATE_LEN] {
    let (year, month, day) = civil_from_days(day as i64);
    let year = year as u64;
    let two = |value: u64| [b'0' + (value / 10) as u8, b'0' + (value % 10) as u8];
    let [century_high, century_low] = two(year / 100);
    let [year_high, year_low] = two(year % 100);
    let [month_high, month_low] = two(u64::from(month));
    let [day_high, day_low] = two(u64::from(day));
    [
        century_high,
        century_low,
        year_high,
        year_low,
        month_high,
        month_low,
        day_high,
        day_low,
    ]
}

/// `-HH:MM:SS.sss` of `utc_ns`.
pub(crate) fn time_of_day_bytes(utc_ns: u64) -> [u8; TIME_OF_DAY_LEN] {
    let seconds = utc_ns / NS_PER_SECOND;
    let millis = (utc_ns % NS_PER_SECOND) / 1_000_000;
    let second_of_day = seconds % SECONDS_PER_DAY;
    let two = |value: u64| [b'0' + (value / 10) as u8, b'0' + (value % 10) as u8];
    let [hour_high, hour_low] = two(second_of_day / 3600);
    let [minute_high, minute_low] = two(second_of_day / 60 % 60);
    let [second_high, second_low] = two(second_of_day % 60);
    let [milli_middle, milli_low] = two(millis % 100);
    [
        b'-',
        hour_high,
        hour_low,
        b':',
        minute_high,
        minute_low,
        b':',
        second_high,
        second_low,
        b'.',
        b'0' + (millis / 100) as u8,
        milli_middle,
        milli_low,
    ]
}

/// Parses `YYYYMMDD-HH:MM:SS` with an optional fraction of 3, 6 or 9 digits.
///
/// ```
/// use rtes_gateway::fix::codec::parse_utc_timestamp;
/// assert_eq!(parse_utc_timestamp(b"20261123-09:20:00.123"), Ok(1_795_425_600_123_000_000));
/// assert!(parse_utc_timestamp(b"20261323-09:20:00").is_err());
/// ```
pub fn parse_utc_timestamp(text: &[u8]) -> Result<u64, TimestampError> {
    if text.len() < 17 || text[8] != b'-' || text[11] != b':' || text[14] != b':' {
        return Err(TimestampError);
    }
    let number = |range: std::ops::Range<usize>| -> Result<u64, TimestampError> {
        super::decode::parse_digits(&text[range]).ok_or(TimestampError)
    };
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(12..14)?, number(15..17)?);
    let days_in_month = days_in_month(year, month);
    // Second 60 is a leap second, which FIX allows.
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month
        || hour > 23
        || minute > 59
        || second > 60
        || year < 1970
    {
        return Err(TimestampError);
    }
    let fraction_ns = match &text[17..] {
        [] => 0,
        [b'.', digits @ ..] if matches!(digits.len(), 3 | 6 | 9) => {
            let value = super::decode::parse_digits(digits).ok_or(TimestampError)?;
            value * 10u64.pow(9 - digits.len() as u32)
        }
        _ => return Err(TimestampError),
    };
    let days = days_from_civil(year as i64, month as u32, day as u32) as u64;
    let seconds = days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
    Ok(seconds * NS_PER_SECOND + fraction_ns)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_index + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_round_trips_every_day_for_four_centuries() {
        for days in 0..146_097 {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days);
        }
    }

    #[test]
    fn epoch_and_leap_days() {
        assert_eq!(parse_utc_timestamp(b"19700101-00:00:00"), Ok(0));
        assert!(parse_utc_timestamp(b"20240229-00:00:00").is_ok());
        assert!(parse_utc_timestamp(b"20230229-00:00:00").is_err());
        assert!(parse_utc_timestamp(b"20230228-00:00:00.12").is_err());
        assert_eq!(
            parse_utc_timestamp(b"20230228-00:00:00.123456789").map(|ns| ns % 1_000_000_000),
            Ok(123_456_789)
        );
    }
}
