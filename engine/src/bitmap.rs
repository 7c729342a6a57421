//! A hierarchical bitmap over price levels: finds the next non-empty level
//! above or below a given one in a few word operations, whatever the gap.
//!
//! Layer 0 has one bit per level; each higher layer has one bit per word of
//! the layer below, set when that word is non-zero. The top layer is one word.

/// Bits per word.
const WORD_BITS: usize = 64;

/// Hierarchical occupancy bitmap with a fixed number of positions.
#[derive(Debug, Clone)]
pub(crate) struct LevelBitmap {
    /// `layers[0]`: one bit per position; `layers[k + 1]`: one bit per word of `layers[k]`.
    layers: Vec<Vec<u64>>,
    /// Number of positions.
    len: usize,
}

impl LevelBitmap {
    /// An empty bitmap over `len` positions (allocates once).
    pub(crate) fn new(len: usize) -> LevelBitmap {
        let mut layers = Vec::new();
        let mut positions = len.max(1);
        loop {
            let words = positions.div_ceil(WORD_BITS);
            layers.push(vec![0u64; words]);
            if words == 1 {
                break;
            }
            positions = words;
        }
        LevelBitmap { layers, len }
    }

    /// Whether position `index` is set.
    #[inline]
    pub(crate) fn is_set(&self, index: usize) -> bool {
        self.layers[0][index / WORD_BITS] & (1u64 << (index % WORD_BITS)) != 0
    }

    /// Marks position `index` as occupied.
    #[inline]
    pub(crate) fn set(&mut self, index: usize) {
        debug_assert!(index < self.len);
        let mut position = index;
        for layer in &mut self.layers {
            let word = &mut layer[position / WORD_BITS];
            let was_empty = *word == 0;
            *word |= 1u64 << (position % WORD_BITS);
            // The layers above already know this word is non-empty.
            if !was_empty {
                break;
            }
            position /= WORD_BITS;
        }
    }

    /// Marks position `index` as empty.
    #[inline]
    pub(crate) fn clear(&mut self, index: usize) {
        debug_assert!(index < self.len);
        let mut position = index;
        for layer in &mut self.layers {
            let word = &mut layer[position / WORD_BITS];
            *word &= !(1u64 << (position % WORD_BITS));
            // The word still has bits: the layers above stay as they are.
            if *word != 0 {
                break;
            }
            position /= WORD_BITS;
        }
    }

    /// The lowest set position `>= index`, if any.
    #[inline]
    pub(crate) fn next_at_or_above(&self, index: usize) -> Option<usize> {
        let mut position = index;
        let mut layer_index = 0;
        loop {
            let layer = self.layers.get(layer_index)?;
            let word_index = position / WORD_BITS;
            let word = *layer.get(word_index)?;
            let bits = word & (!0u64 << (position % WORD_BITS));
            if bits != 0 {
                position = word_index * WORD_BITS + bits.trailing_zeros() as usize;
                break;
            }
            position = word_index + 1;
            layer_index += 1;
        }
        while layer_index > 0 {
            layer_index -= 1;
            let word = self.layers[layer_index][position];
            debug_assert!(word != 0, "summary bit set over an empty word");
            position = position * WORD_BITS + word.trailing_zeros() as usize;
        }
        Some(position)
    }

    /// The highest set position `<= index`, if any.
    #[inline]
    pub(crate) fn next_at_or_below(&self, index: usize) -> Option<usize> {
        let mut position = index;
        let mut layer_index = 0;
        loop {
            let layer = self.layers.get(layer_index)?;
            let word_index = (position / WORD_BITS).min(layer.len() - 1);
            let bit = if word_index == position / WORD_BITS {
                position % WORD_BITS
            } else {
                63
            };
            let mask = if bit == 63 {
                !0u64
            } else {
                (1u64 << (bit + 1)) - 1
            };
            let bits = layer[word_index] & mask;
            if bits != 0 {
                position = word_index * WORD_BITS + 63 - bits.leading_zeros() as usize;
                break;
            }
            if word_index == 0 {
                return None;
            }
            position = word_index - 1;
            layer_index += 1;
        }
        while layer_index > 0 {
            layer_index -= 1;
            let word = self.layers[layer_index][position];
            debug_assert!(word != 0, "summary bit set over an empty word");
            position = position * WORD_BITS + 63 - word.leading_zeros() as usize;
        }
        Some(position)
    }

    /// Checks that every summary bit matches the words below it (O(n)).
    pub(crate) fn validate(&self) {
        for k in 1..self.layers.len() {
            for (word_index, word) in self.layers[k - 1].iter().enumerate() {
                let summary =
                    self.layers[k][word_index / WORD_BITS] >> (word_index % WORD_BITS) & 1;
                assert_eq!(
                    summary == 1,
                    *word != 0,
                    "bitmap layer {k} summary bit {word_index} wrong"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_above(set: &[bool], index: usize) -> Option<usize> {
        (index..set.len()).find(|&i| set[i])
    }

    fn naive_below(set: &[bool], index: usize) -> Option<usize> {
        (0..=index.min(set.len() - 1)).rev().find(|&i| set[i])
    }

    #[test]
    fn empty_bitmap_finds_nothing() {
        let bitmap = LevelBitmap::new(10_000);
        assert_eq!(bitmap.next_at_or_above(0), None);
        assert_eq!(bitmap.next_at_or_below(9_999), None);
    }

    #[test]
    fn finds_across_words_and_layers() {
        let len = 300_000;
        let mut bitmap = LevelBitmap::new(len);
        bitmap.set(5);
        bitmap.set(299_999);
        assert_eq!(bitmap.next_at_or_above(6), Some(299_999));
        assert_eq!(bitmap.next_at_or_below(299_998), Some(5));
        assert_eq!(bitmap.next_at_or_above(5), Some(5));
        assert_eq!(bitmap.next_at_or_below(4), None);
        assert_eq!(bitmap.next_at_or_above(300_000), None);
        bitmap.clear(5);
        assert_eq!(bitmap.next_at_or_below(299_998), None);
        bitmap.validate();
    }

    #[test]
    fn matches_naive_search_on_a_pseudo_random_pattern() {
        for len in [1usize, 63, 64, 65, 4_095, 4_096, 4_097, 70_000] {
            let mut bitmap = LevelBitmap::new(len);
            let mut set = vec![false; len];
            let mut state = 0x9e37_79b9_7f4a_7c15u64;
            for step in 0..4_000 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let index = (state % len as u64) as usize;
                if step % 3 == 0 {
                    bitmap.clear(index);
                    set[index] = false;
                } else {
                    bitmap.set(index);
                    set[index] = true;
                }
                let probe = ((state >> 32) % len as u64) as usize;
                assert_eq!(bitmap.next_at_or_above(probe), naive_above(&set, probe));
                assert_eq!(bitmap.next_at_or_below(probe), naive_below(&set, probe));
                assert_eq!(bitmap.is_set(index), set[index]);
            }
            bitmap.validate();
        }
    }
}
