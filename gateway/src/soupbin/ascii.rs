//! Fixed-width ASCII fields shared by SoupBinTCP and OUCH.
//!
//! Nasdaq protocols carry text in two shapes: *alpha* fields, left-justified
//! and padded with spaces on the right, and *numeric* fields (SoupBinTCP
//! sequence numbers), right-justified and padded with spaces on the left.
//! Readers here are liberal, as the RTES protocol notes ask: they trim spaces
//! on both sides and accept leading zeros, so a client that pads the "wrong"
//! way still logs in.

/// Why a fixed-width ASCII field could not be written or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// The value has more bytes than the field holds.
    #[error("value of {length} bytes does not fit a {width}-byte field")]
    TooLong {
        /// Bytes in the value.
        length: usize,
        /// Width of the field.
        width: usize,
    },
    /// A numeric field holds a byte that is neither a digit nor a space
    /// (or a space between digits).
    #[error("numeric field holds the non-digit byte {byte:#04x}")]
    NotNumeric {
        /// The offending byte.
        byte: u8,
    },
    /// A numeric field's digits do not fit in a `u64`.
    #[error("numeric field does not fit in 64 bits")]
    Overflow,
}

/// An alpha field of `N` bytes, kept exactly as it travels (left-justified,
/// space padded) so a decode followed by an encode reproduces the bytes.
///
/// ```
/// use rtes_gateway::soupbin::ascii::Alpha;
/// let stock = Alpha::<8>::padded(b"AAPL").unwrap();
/// assert_eq!(&stock.0, b"AAPL    ");
/// assert_eq!(stock.trimmed(), b"AAPL");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Alpha<const N: usize>(pub [u8; N]);

impl<const N: usize> Alpha<N> {
    /// An all-spaces field (the protocols' "blank").
    pub const BLANK: Self = Alpha([b' '; N]);

    /// Left-justifies `value` and pads it with spaces.
    pub fn padded(value: &[u8]) -> Result<Self, FieldError> {
        let mut field = [b' '; N];
        write_alpha(&mut field, value)?;
        Ok(Alpha(field))
    }

    /// The value with spaces trimmed on both sides.
    pub fn trimmed(&self) -> &[u8] {
        trim_spaces(&self.0)
    }

    /// True when the field is all spaces.
    pub fn is_blank(&self) -> bool {
        self.trimmed().is_empty()
    }
}

impl<const N: usize> Default for Alpha<N> {
    fn default() -> Self {
        Self::BLANK
    }
}

/// Removes leading and trailing spaces (only `b' '`, as the specs pad with
/// nothing else).
///
/// ```
/// assert_eq!(rtes_gateway::soupbin::ascii::trim_spaces(b"  7 "), b"7");
/// ```
pub fn trim_spaces(field: &[u8]) -> &[u8] {
    let start = field.iter().position(|&b| b != b' ').unwrap_or(field.len());
    let end = field
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(start, |i| i + 1);
    &field[start..end]
}

/// Writes `value` left-justified into `field` and pads the rest with spaces.
///
/// ```
/// let mut field = [0u8; 6];
/// rtes_gateway::soupbin::ascii::write_alpha(&mut field, b"ab").unwrap();
/// assert_eq!(&field, b"ab    ");
/// ```
pub fn write_alpha(field: &mut [u8], value: &[u8]) -> Result<(), FieldError> {
    if value.len() > field.len() {
        return Err(FieldError::TooLong {
            length: value.len(),
            width: field.len(),
        });
    }
    let (head, tail) = field.split_at_mut(value.len());
    head.copy_from_slice(value);
    tail.fill(b' ');
    Ok(())
}

/// Writes `value` right-justified in decimal into `field`, padded on the left
/// with spaces.
///
/// ```
/// let mut field = [0u8; 5];
/// rtes_gateway::soupbin::ascii::write_numeric(&mut field, 42).unwrap();
/// assert_eq!(&field, b"   42");
/// ```
pub fn write_numeric(field: &mut [u8], value: u64) -> Result<(), FieldError> {
    // u64::MAX has 20 digits: the digits are built right to left in a
    // stack buffer so nothing is allocated or formatted.
    let mut digits = [0u8; 20];
    let mut remaining = value;
    let mut count = 0;
    loop {
        digits[digits.len() - 1 - count] = b'0' + (remaining % 10) as u8;
        count += 1;
        remaining /= 10;
        if remaining == 0 {
            break;
        }
    }
    if count > field.len() {
        return Err(FieldError::TooLong {
            length: count,
            width: field.len(),
        });
    }
    let pad = field.len() - count;
    field[..pad].fill(b' ');
    field[pad..].copy_from_slice(&digits[digits.len() - count..]);
    Ok(())
}

/// Reads a numeric-ASCII field liberally: spaces are trimmed on both sides,
/// leading zeros are fine, and a blank field reads as 0 (SoupBinTCP's "start
/// from the most recent").
///
/// ```
/// use rtes_gateway::soupbin::ascii::parse_numeric;
/// assert_eq!(parse_numeric(b"   17"), Ok(17));
/// assert_eq!(parse_numeric(b"0017 "), Ok(17));
/// assert_eq!(parse_numeric(b"     "), Ok(0));
/// assert!(parse_numeric(b"1 7").is_err());
/// ```
pub fn parse_numeric(field: &[u8]) -> Result<u64, FieldError> {
    let mut value: u64 = 0;
    for &byte in trim_spaces(field) {
        if !byte.is_ascii_digit() {
            return Err(FieldError::NotNumeric { byte });
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(byte - b'0')))
            .ok_or(FieldError::Overflow)?;
    }
    Ok(value)
}
