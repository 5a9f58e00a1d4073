//! The encodings signed documents share: public keys and their ids, strict base64, hex, and
//! the largest integer a signed payload may hold.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};

/// Largest integer in a signed payload (2^53 - 1), so JavaScript reads every value exactly.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A public key with its id, as listed in a keyset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub id: String,
    pub key: VerifyingKey,
}

impl PublicKey {
    /// Reads a 32-byte Ed25519 public key from standard base64; refuses invalid or weak
    /// (small-order) points, which could otherwise validate forged signatures.
    pub fn from_base64(text: &str) -> Result<PublicKey, String> {
        let bytes = decode_base64(text).ok_or("public key: not standard base64")?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| "public key: not 32 bytes")?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| "public key: not a curve point")?;
        if key.is_weak() {
            return Err("public key: a weak (small-order) key".into());
        }
        Ok(PublicKey {
            id: key_id(&key),
            key,
        })
    }

    pub fn to_base64(&self) -> String {
        BASE64.encode(self.key.as_bytes())
    }
}

/// A key's id: lowercase hex of the first 16 bytes of SHA-256 of its 32 public-key bytes.
pub fn key_id(key: &VerifyingKey) -> String {
    hex(&Sha256::digest(key.as_bytes())[..16])
}

/// Strict standard base64: padding required, non-zero trailing bits refused, so each byte
/// string has exactly one encoding and a flipped bit can never decode to the same bytes.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    BASE64.decode(text).ok()
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| {
            [
                DIGITS[(b >> 4) as usize] as char,
                DIGITS[(b & 15) as usize] as char,
            ]
        })
        .collect()
}

/// Reads 32 bytes of lowercase or uppercase hex.
pub fn parse_hex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in text.as_bytes().chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_refuses_non_canonical_trailing_bits() {
        assert_eq!(decode_base64("YQ=="), Some(b"a".to_vec()));
        assert_eq!(decode_base64("YR=="), None);
        assert_eq!(decode_base64("YQ"), None);
    }

    #[test]
    fn hex_round_trips() {
        let bytes: [u8; 32] = core::array::from_fn(|i| (i * 37) as u8);
        assert_eq!(parse_hex32(&hex(&bytes)), Some(bytes));
        assert_eq!(parse_hex32("zz"), None);
    }
}
