//! Formatting Logout and Reject texts on the stack: the session never
//! allocates, even to say why it hangs up.

use std::fmt;

/// Longest text the session writes; longer output is cut.
const TEXT_CAPACITY: usize = 160;

/// A short ASCII text built with `write!` into a fixed array.
pub(super) struct Text {
    bytes: [u8; TEXT_CAPACITY],
    len: usize,
}

impl Text {
    pub(super) fn new() -> Text {
        Text {
            bytes: [0; TEXT_CAPACITY],
            len: 0,
        }
    }

    /// A text holding `arguments`, cut at the capacity.
    pub(super) fn format(arguments: fmt::Arguments<'_>) -> Text {
        let mut text = Text::new();
        // Writing into Text never fails; it truncates instead.
        let _ = fmt::Write::write_fmt(&mut text, arguments);
        text
    }

    pub(super) fn as_str(&self) -> &str {
        // Only whole `str`s (or ASCII-safe cuts) are ever copied in.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl fmt::Write for Text {
    fn write_str(&mut self, part: &str) -> fmt::Result {
        let room = TEXT_CAPACITY - self.len;
        let mut take = part.len().min(room);
        // Cut on a character boundary so the text stays valid UTF-8.
        while !part.is_char_boundary(take) {
            take -= 1;
        }
        self.bytes[self.len..self.len + take].copy_from_slice(&part.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_truncates() {
        let text = Text::format(format_args!("expecting {} but received {}", 7, 3));
        assert_eq!(text.as_str(), "expecting 7 but received 3");
        let long = Text::format(format_args!("{:x>200}", "é"));
        assert_eq!(long.as_str().len(), TEXT_CAPACITY);
    }
}
