//! Order tokens: a 6-character run prefix (so a second run against the
//! same server never reuses a token of the day) and an 8-character base-36
//! order number, 14 characters in all, no padding.

/// Characters of the run prefix.
pub const PREFIX_LEN: usize = 6;
/// Characters of the order number.
pub const NUMBER_LEN: usize = 8;
/// Largest order number a token can carry (36^8 - 1).
pub const NUMBER_MAX: u64 = 36u64.pow(NUMBER_LEN as u32) - 1;

const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Makes and reads the tokens of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenCodec {
    prefix: [u8; PREFIX_LEN],
}

impl TokenCodec {
    /// A codec whose prefix encodes `run_id` (taken modulo 36^6).
    pub fn new(run_id: u64) -> TokenCodec {
        let mut prefix = [b'0'; PREFIX_LEN];
        write_base36(&mut prefix, run_id % 36u64.pow(PREFIX_LEN as u32));
        TokenCodec { prefix }
    }

    /// A codec with an explicit 6-character prefix (tests, fixed runs).
    pub const fn new_const(prefix: [u8; PREFIX_LEN]) -> TokenCodec {
        TokenCodec { prefix }
    }

    /// A codec whose prefix comes from the wall clock (tenths of a second).
    pub fn from_clock() -> TokenCodec {
        let tenths = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as u64 / 100);
        TokenCodec::new(tenths)
    }

    /// The token of order number `number`.
    ///
    /// ```
    /// use rtes_tools::blaster::token::TokenCodec;
    /// let codec = TokenCodec::new(35);
    /// let token = codec.encode(36);
    /// assert_eq!(&token, b"00000Z00000010");
    /// assert_eq!(codec.decode(&token), Some(36));
    /// ```
    pub fn encode(&self, number: u64) -> [u8; 14] {
        assert!(
            number <= NUMBER_MAX,
            "order number {number} overflows the token"
        );
        let mut token = [b'0'; 14];
        token[..PREFIX_LEN].copy_from_slice(&self.prefix);
        write_base36(&mut token[PREFIX_LEN..], number);
        token
    }

    /// The order number of a token of this run; `None` for anything else
    /// (another run's token, garbage).
    pub fn decode(&self, token: &[u8; 14]) -> Option<u64> {
        if token[..PREFIX_LEN] != self.prefix {
            return None;
        }
        token[PREFIX_LEN..].iter().try_fold(0u64, |value, &byte| {
            let digit = match byte {
                b'0'..=b'9' => byte - b'0',
                b'A'..=b'Z' => byte - b'A' + 10,
                _ => return None,
            };
            Some(value * 36 + u64::from(digit))
        })
    }

    /// [`TokenCodec::decode`] for a token of any length (a FIX ClOrdID):
    /// anything but 14 bytes of this run is `None`.
    ///
    /// ```
    /// use rtes_tools::blaster::token::TokenCodec;
    /// let codec = TokenCodec::new(35);
    /// assert_eq!(codec.decode_slice(b"00000Z00000010"), Some(36));
    /// assert_eq!(codec.decode_slice(b"00000Z00000010C"), None);
    /// ```
    pub fn decode_slice(&self, token: &[u8]) -> Option<u64> {
        self.decode(token.try_into().ok()?)
    }
}

/// Writes `value` right-aligned in base 36, zero-filled.
fn write_base36(out: &mut [u8], mut value: u64) {
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(value % 36) as usize];
        value /= 36;
    }
    debug_assert_eq!(value, 0, "value does not fit the field");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_foreign_tokens() {
        let codec = TokenCodec::new(123_456);
        for number in [0, 1, 35, 36, 1_000_000, NUMBER_MAX] {
            assert_eq!(codec.decode(&codec.encode(number)), Some(number));
        }
        let other = TokenCodec::new(7);
        assert_eq!(other.decode(&codec.encode(5)), None);
        let mut garbage = codec.encode(5);
        garbage[13] = b' ';
        assert_eq!(codec.decode(&garbage), None);
    }

    #[test]
    fn tokens_are_unique() {
        let codec = TokenCodec::new(1);
        let tokens: std::collections::HashSet<_> = (0..10_000).map(|n| codec.encode(n)).collect();
        assert_eq!(tokens.len(), 10_000);
    }
}
