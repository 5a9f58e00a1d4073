//! Byte tests eight bytes at a time ("SIMD within a register"), for the loops that read a
//! sender's history: tens of thousands of lines at a cold start, on WebAssembly's baseline
//! tier, where a loop over single bytes costs several instructions a byte.

/// `byte` in each of the eight bytes of a word.
pub(crate) const fn repeat(byte: u8) -> u64 {
    u64::from_le_bytes([byte; 8])
}

/// The high bit of each byte of a word.
pub(crate) const HIGH_BITS: u64 = repeat(0x80);

/// The high bit of each byte of `x` that is zero, and no other bit (exact for every byte, not
/// only the lowest: no borrow crosses bytes).
pub(crate) fn zero_bytes(x: u64) -> u64 {
    const LOWS: u64 = repeat(0x7f);
    !(((x & LOWS) + LOWS) | x | LOWS)
}

/// The high bit of each byte of `x` that is `byte`.
pub(crate) fn bytes_equal(x: u64, byte: u8) -> u64 {
    zero_bytes(x ^ repeat(byte))
}

/// The high bit of each byte of `x` within `low..=high`, exact for the bytes below the first
/// that is not ASCII (`high` below 0x80 too): no sum carries into the next byte before it.
pub(crate) fn bytes_within(x: u64, low: u8, high: u8) -> u64 {
    let at_least_low = x.wrapping_add(repeat(0x80 - low));
    let above_high = x.wrapping_add(repeat(0x7f - high));
    at_least_low & !above_high & HIGH_BITS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_byte_is_tested_alone() {
        let bytes = *b"a.Z9@-_\x00";
        let word = u64::from_le_bytes(bytes);
        let lane = |mask: u64| {
            (0..8)
                .map(|i| mask >> (8 * i + 7) & 1 == 1)
                .collect::<Vec<_>>()
        };
        let expect = |f: &dyn Fn(u8) -> bool| bytes.iter().map(|&b| f(b)).collect::<Vec<_>>();
        assert_eq!(lane(zero_bytes(word)), expect(&|b| b == 0));
        assert_eq!(lane(bytes_equal(word, b'.')), expect(&|b| b == b'.'));
        for (low, high) in [(b'a', b'z'), (b'0', b'9'), (b'A', b'Z'), (1, 0x7f)] {
            let within = expect(&|b| (low..=high).contains(&b));
            assert_eq!(
                lane(bytes_within(word, low, high)),
                within,
                "{low}..={high}"
            );
        }
    }
}
