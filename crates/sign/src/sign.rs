//! Producing signed envelopes: policy bundles and keysets, in the exact format the core
//! verifies (`docs/bundle-format.md`).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use sendguard_core::bundle::PolicyStatement;
use sendguard_core::envelope::{
    pae, Envelope, EnvelopeSignature, KEYSET_PAYLOAD_TYPE, POLICY_PAYLOAD_TYPE,
};
use sendguard_core::keyset::KeysetStatement;

use crate::signing_key::SigningKey;

/// Signs `payload` as `payload_type` with each key: the serialised envelope, compact JSON
/// followed by one newline. Lower-level than [`sign_policy`]; the test vectors use it to
/// build attacks.
pub fn sign_envelope(payload_type: &str, payload: &[u8], signers: &[&SigningKey]) -> Vec<u8> {
    let message = pae(payload_type, payload);
    let signatures = signers
        .iter()
        .map(|key| EnvelopeSignature {
            keyid: key.key_id(),
            sig: BASE64.encode(key.sign(&message)),
        })
        .collect();
    envelope_bytes(&Envelope {
        payload_type: payload_type.into(),
        payload: BASE64.encode(payload),
        signatures,
    })
}

/// Serialises an envelope the way every signed file is written.
pub fn envelope_bytes(envelope: &Envelope) -> Vec<u8> {
    let mut out = serde_json::to_vec(envelope).expect("an envelope serialises");
    out.push(b'\n');
    out
}

/// The signed payload of a policy bundle: the statement as compact JSON.
pub fn policy_payload(statement: &PolicyStatement) -> Vec<u8> {
    serde_json::to_vec(statement).expect("a statement serialises")
}

/// Signs a policy (its JSON text, byte for byte) into a bundle for `tenant`.
/// Times are Unix seconds. The caller validates the policy first (`Policy::from_json`).
pub fn sign_policy(
    key: &SigningKey,
    tenant: &str,
    version: u64,
    issued_at: i64,
    expires_at: i64,
    policy_json: &str,
) -> Vec<u8> {
    let statement = PolicyStatement {
        tenant: tenant.into(),
        version,
        issued_at,
        expires_at,
        policy: policy_json.into(),
    };
    sign_envelope(POLICY_PAYLOAD_TYPE, &policy_payload(&statement), &[key])
}

/// Signs a keyset with root keys: for an update, the threshold of the roots the clients trust
/// now and the threshold of the roots the keyset lists must all be among `root_signers`.
pub fn sign_keyset(statement: &KeysetStatement, root_signers: &[&SigningKey]) -> Vec<u8> {
    let payload = serde_json::to_vec(statement).expect("a statement serialises");
    sign_envelope(KEYSET_PAYLOAD_TYPE, &payload, root_signers)
}
