//! The 64-bit hash the known-recipient index files addresses and domains under: FxHash's
//! mixing, eight bytes at a time, the key's length mixed in last, so that a scan that finds
//! where a key ends as it reads it (a history line read in one pass, `history::usual`) can
//! hash it in the same pass and get what [`key_hash`] gives for the whole key.
//!
//! ```ignore
//! let mut hasher = KeyHasher::default();
//! hasher.word(u64::from_le_bytes(*b"lockheed"));
//! let rest = u64::from_le_bytes(*b"mar\0\0\0\0\0");
//! assert_eq!(hasher.finish(rest, 11), key_hash(b"lockheedmar"));
//! ```

const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// One step of the mixing.
pub(crate) fn mix(hash: u64, word: u64) -> u64 {
    (hash.rotate_left(5) ^ word).wrapping_mul(K)
}

/// A key's hash being built, a whole word of eight bytes at a time.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct KeyHasher(u64);

impl KeyHasher {
    /// Mixes in the next eight bytes of the key (read little-endian).
    pub(crate) fn word(&mut self, word: u64) {
        self.0 = mix(self.0, word);
    }

    /// The hash of a key of `len` bytes whose whole words were given, `rest` its last
    /// `len % 8` bytes read little-endian (the other bytes of the word zero).
    pub(crate) fn finish(self, rest: u64, len: usize) -> u64 {
        mix(mix(self.0, rest), len as u64)
    }
}

/// The hash of `bytes` (the last few gathered byte by byte: a copy into a buffer would be a
/// `memcpy` call per key in WebAssembly). Not inlined: one copy for its few callers (the
/// history's usual line hashes as it scans, without it).
#[inline(never)]
pub(crate) fn key_hash(bytes: &[u8]) -> u64 {
    let mut hasher = KeyHasher::default();
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        hasher.word(u64::from_le_bytes(word.try_into().expect("8 bytes")));
    }
    let rest = (words.remainder().iter().rev()).fold(0u64, |rest, &b| rest << 8 | u64::from(b));
    hasher.finish(rest, bytes.len())
}

/// The bytes of `word` below lane `lanes` (0 to 7) kept, the others zero.
pub(crate) fn low_lanes(word: u64, lanes: usize) -> u64 {
    match lanes {
        0 => 0,
        _ => word & (u64::MAX >> (64 - 8 * lanes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_built_by_words_is_the_keys_hash() {
        let key = b"john.smith@lockheedmartin.com";
        for len in 0..=key.len() {
            let mut hasher = KeyHasher::default();
            let whole = len / 8;
            for word in key[..8 * whole].chunks_exact(8) {
                hasher.word(u64::from_le_bytes(word.try_into().unwrap()));
            }
            // The word that holds the end, read with whatever follows the key in the text.
            let mut last = [0u8; 8];
            let tail = &key[8 * whole..(8 * whole + 8).min(key.len())];
            last[..tail.len()].copy_from_slice(tail);
            let rest = low_lanes(u64::from_le_bytes(last), len % 8);
            assert_eq!(hasher.finish(rest, len), key_hash(&key[..len]), "{len}");
        }
        assert_ne!(key_hash(b"ab"), key_hash(b"ab\0"));
        assert_ne!(key_hash(b"ann"), key_hash(b"anm"));
    }
}
