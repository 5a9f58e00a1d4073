//! The signed envelope shared by policy bundles and keysets: a DSSE envelope (JSON) whose
//! signatures cover the pre-authentication encoding (PAE) of the payload type and the payload.
//!
//! This module only opens envelopes and checks signatures against a set of keys; what the
//! payload means is decided by `bundle` (policies) and `keyset` (keys). Byte-level format:
//! `docs/bundle-format.md`.

use ed25519_dalek::{Signature, StreamVerifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub(crate) use super::encoding::decode_base64;
pub use super::encoding::{hex, key_id, parse_hex32, PublicKey, MAX_SAFE_INTEGER};
use super::verification::{BundleError, KeyRole};

/// The largest envelope accepted, checked before any parsing (1 MiB).
pub const MAX_BUNDLE_BYTES: usize = 1 << 20;
/// The most signatures one envelope may carry (more is refused as malformed).
pub const MAX_SIGNATURES: usize = 16;
/// Payload type of a policy bundle.
pub const POLICY_PAYLOAD_TYPE: &str = "application/vnd.sendguard.policy.v1+json";
/// Payload type of a keyset.
pub const KEYSET_PAYLOAD_TYPE: &str = "application/vnd.sendguard.keyset.v1+json";
/// The envelope as serialised: `{"payloadType":…,"payload":…,"signatures":[{"keyid":…,"sig":…}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// Standard base64 (with padding) of the payload bytes.
    pub payload: String,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSignature {
    /// The signer's key id (see [`key_id`]).
    pub keyid: String,
    /// Standard base64 of the 64-byte Ed25519 signature over [`pae`].
    pub sig: String,
}

/// DSSE's pre-authentication encoding: what is actually signed.
/// `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`, lengths in ASCII decimal.
/// Binding the type here means a signature over a keyset can never pass as a policy.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let header = pae_header(payload_type, payload.len());
    let mut out = Vec::with_capacity(header.len() + payload.len());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(payload);
    out
}

/// The part of [`pae`] before the payload.
fn pae_header(payload_type: &str, payload_len: usize) -> String {
    format!(
        "DSSEv1 {} {payload_type} {payload_len} ",
        payload_type.len()
    )
}

/// SHA-256 of a payload: what a client remembers to recognise the same version re-sent.
pub fn payload_digest(payload: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for chunk in payload.chunks(HASH_CHUNK) {
        sha256_update(&mut hasher, chunk);
    }
    hasher.finalize().into()
}

/// Large payloads are hashed in pieces of this size, each in its own call. In WebAssembly
/// this is most of a cold start's speed: V8 (like SpiderMonkey) first runs a function as
/// quickly compiled baseline code and swaps in optimised code only between calls, never
/// inside a running loop. Hashing 300 KB in one call stays on the baseline tier throughout
/// (about 10 ms for SHA-256 in Node); in 4 KB calls, the later ones run optimised (under 2 ms).
const HASH_CHUNK: usize = 4096;

#[inline(never)]
fn sha256_update(hasher: &mut Sha256, chunk: &[u8]) {
    hasher.update(chunk);
}

#[inline(never)]
fn ed25519_update(verifier: &mut StreamVerifier, chunk: &[u8]) {
    verifier.update(chunk);
}

/// Ed25519 `verify_strict` of `signature` by `key` over [`pae`]`(payload_type, payload)`,
/// with the message fed in [`HASH_CHUNK`] pieces (see there) rather than concatenated.
/// Exactly `verify_strict`'s rules: `s` canonical, `R` a valid encoding of a point that, like
/// the key, is not of small order, and `[s]B = R + [k]A`.
fn verify_pae_strict(
    key: &VerifyingKey,
    signature: &Signature,
    payload_type: &str,
    payload: &[u8],
) -> bool {
    let r_is_sound = VerifyingKey::from_bytes(signature.r_bytes()).is_ok_and(|r| !r.is_weak());
    if !r_is_sound || key.is_weak() {
        return false;
    }
    // Refuses a non-canonical `s`; the final comparison is against `R`'s bytes as sent.
    let Ok(mut verifier) = key.verify_stream(signature) else {
        return false;
    };
    verifier.update(pae_header(payload_type, payload.len()).as_bytes());
    for chunk in payload.chunks(HASH_CHUNK) {
        ed25519_update(&mut verifier, chunk);
    }
    verifier.finalize_and_verify().is_ok()
}

/// An envelope whose structure has been checked; its signatures have not.
pub(crate) struct OpenedEnvelope {
    pub payload: Vec<u8>,
    pub signatures: Vec<(String, Signature)>,
    payload_type: &'static str,
}

/// Steps 1-3 of verification: size cap, envelope structure, payload type. No signature yet.
pub(crate) fn open(
    bytes: &[u8],
    expected_type: &'static str,
) -> Result<OpenedEnvelope, BundleError> {
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(BundleError::TooLarge {
            size: bytes.len(),
            limit: MAX_BUNDLE_BYTES,
        });
    }
    let envelope: Envelope = crate::json::from_slice(bytes)
        .map_err(|e| BundleError::Malformed(format!("envelope: {e}")))?;
    if envelope.payload_type != expected_type {
        return Err(BundleError::WrongPayloadType {
            expected: expected_type,
            found: envelope.payload_type,
        });
    }
    let payload = decode_base64(&envelope.payload)
        .ok_or_else(|| BundleError::Malformed("payload: not standard base64".into()))?;
    if envelope.signatures.is_empty() || envelope.signatures.len() > MAX_SIGNATURES {
        return Err(BundleError::Malformed(format!(
            "signatures: {} given, 1 to {MAX_SIGNATURES} needed",
            envelope.signatures.len()
        )));
    }
    let mut signatures = Vec::with_capacity(envelope.signatures.len());
    for (i, s) in envelope.signatures.into_iter().enumerate() {
        let bytes = decode_base64(&s.sig)
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .ok_or_else(|| {
                BundleError::Malformed(format!(
                    "signatures[{i}].sig: not 64 bytes of standard base64"
                ))
            })?;
        signatures.push((s.keyid, Signature::from_bytes(&bytes)));
    }
    Ok(OpenedEnvelope {
        payload,
        signatures,
        payload_type: expected_type,
    })
}

impl OpenedEnvelope {
    /// Checks that at least `threshold` distinct, non-revoked `keys` signed the payload (with
    /// `verify_strict`'s rules). Returns the ids of the keys whose signatures verified, in the order
    /// of the signatures. When the threshold is not met, the error names the most telling
    /// reason: a bad signature by a known key, then a revoked key, then an unknown key.
    pub fn check_signatures(
        &self,
        keys: &[PublicKey],
        revoked: &[String],
        threshold: usize,
        role: KeyRole,
    ) -> Result<Vec<String>, BundleError> {
        let mut valid: Vec<String> = Vec::new();
        let mut bad = None;
        let mut revoked_signer = None;
        let mut tried: Vec<&str> = Vec::new();
        for (key_id, signature) in &self.signatures {
            // One verification per key: repeated signatures by one key cost nothing more.
            if tried.contains(&key_id.as_str()) {
                continue;
            }
            tried.push(key_id);
            if revoked.contains(key_id) {
                revoked_signer.get_or_insert_with(|| key_id.clone());
                continue;
            }
            let Some(key) = keys.iter().find(|k| &k.id == key_id) else {
                continue;
            };
            if verify_pae_strict(&key.key, signature, self.payload_type, &self.payload) {
                valid.push(key_id.clone());
            } else {
                bad.get_or_insert_with(|| key_id.clone());
            }
        }
        if valid.len() >= threshold.max(1) {
            return Ok(valid);
        }
        Err(if let Some(key_id) = bad {
            BundleError::BadSignature { key_id, role }
        } else if let Some(key_id) = revoked_signer {
            BundleError::RevokedKey { key_id, role }
        } else if valid.is_empty() {
            BundleError::UnknownKey {
                key_id: self.signatures[0].0.clone(),
                role,
            }
        } else {
            BundleError::TooFewSignatures {
                valid: valid.len(),
                required: threshold,
                role,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Verifier;
    use sha2::Sha512;

    #[test]
    fn pae_matches_the_dsse_specification_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    fn signing_key(seed: u8) -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn streamed_verification_agrees_with_verify_strict() {
        use ed25519_dalek::Signer;
        let key = signing_key(7);
        let other = signing_key(8).verifying_key();
        // Around the chunk size, where an off-by-one in the streaming would show.
        for len in [
            0,
            1,
            63,
            HASH_CHUNK - 1,
            HASH_CHUNK,
            HASH_CHUNK + 1,
            3 * HASH_CHUNK + 17,
        ] {
            let payload: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let message = pae(POLICY_PAYLOAD_TYPE, &payload);
            let signature = key.sign(&message);
            let public = key.verifying_key();
            assert!(public.verify_strict(&message, &signature).is_ok());
            assert!(
                verify_pae_strict(&public, &signature, POLICY_PAYLOAD_TYPE, &payload),
                "{len}"
            );
            assert!(!verify_pae_strict(
                &public,
                &signature,
                KEYSET_PAYLOAD_TYPE,
                &payload
            ));
            assert!(!verify_pae_strict(
                &other,
                &signature,
                POLICY_PAYLOAD_TYPE,
                &payload
            ));
            if len > 0 {
                let mut tampered = payload.clone();
                tampered[len / 2] ^= 1;
                assert!(!verify_pae_strict(
                    &public,
                    &signature,
                    POLICY_PAYLOAD_TYPE,
                    &tampered
                ));
            }
            let mut bytes = signature.to_bytes();
            for i in [0, 31, 32, 63] {
                bytes[i] ^= 0x40;
                let flipped = Signature::from_bytes(&bytes);
                assert_eq!(
                    verify_pae_strict(&public, &flipped, POLICY_PAYLOAD_TYPE, &payload),
                    public.verify_strict(&message, &flipped).is_ok()
                );
                bytes[i] ^= 0x40;
            }
        }
    }

    #[test]
    fn a_small_order_r_is_refused_as_verify_strict_refuses_it() {
        use curve25519_dalek::Scalar;
        use ed25519_dalek::hazmat::ExpandedSecretKey;
        // The key's owner can make R the identity (a small-order point) with s = k·a: plain
        // Ed25519 `verify` accepts that, the strict rules do not.
        let seed = [9u8; 32];
        let public = signing_key(9).verifying_key();
        let secret = ExpandedSecretKey::from(&seed);
        let payload = b"{\"tenant\":\"acme\"}";
        let message = pae(POLICY_PAYLOAD_TYPE, payload);
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let k = Scalar::from_hash(
            Sha512::new()
                .chain_update(identity)
                .chain_update(public.as_bytes())
                .chain_update(&message),
        );
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(&identity);
        bytes[32..].copy_from_slice((k * secret.scalar).as_bytes());
        let forged = Signature::from_bytes(&bytes);
        assert!(
            public.verify(&message, &forged).is_ok(),
            "the lax check accepts it"
        );
        assert!(public.verify_strict(&message, &forged).is_err());
        assert!(!verify_pae_strict(
            &public,
            &forged,
            POLICY_PAYLOAD_TYPE,
            payload
        ));
    }
}
