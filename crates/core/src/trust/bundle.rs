//! Signed policy bundles: a policy counts only if a key of the tenant's keyset signed it, for
//! this tenant, and it is not older than the policy already held.
//!
//! [`verify`] checks, in this order (each step only after the previous one passed): size cap,
//! envelope structure, payload type, signatures (Ed25519 `verify_strict` over DSSE's PAE),
//! then the signed statement: tenant, version against what is held, expiry. It never parses
//! the policy itself; call [`VerifiedPolicy::policy`] for that. The core has no clock: `now`
//! is an argument (see [`effective_now`]). Format and worked example: `docs/bundle-format.md`.
//!
//! ```
//! use sendguard_core::bundle::{self, BundleError, HeldPolicy};
//! # fn demo(keyset: &sendguard_core::keyset::Keyset, bytes: &[u8], held: Option<HeldPolicy>, now: i64) {
//! match bundle::verify(bytes, keyset, "acme", held.as_ref(), now) {
//!     Ok(verified) => { /* store `bytes` and `verified.held()`; run verified.policy() */ }
//!     Err(BundleError::Expired(stale)) => { /* keep the last good policy; tell the user it is stale */ }
//!     Err(refused) => eprintln!("{}: {refused}", refused.code()),
//! }
//! # }
//! ```

use serde::{Deserialize, Serialize};

use super::envelope::{self, POLICY_PAYLOAD_TYPE};
use super::verification::{check_header, check_version};

pub use super::envelope::MAX_BUNDLE_BYTES;
pub use super::verification::{
    BundleError, HeldPolicy, KeyRole, Keyset, VerifiedPolicy, MAX_TENANT_BYTES,
};

/// The signed statement inside a policy bundle. `policy` is the policy JSON as text, so the
/// exact bytes the administrator published are what the engine reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyStatement {
    pub tenant: String,
    /// Monotonic per tenant, from 1.
    pub version: u64,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds: the first second at which the policy is stale.
    pub expires_at: i64,
    pub policy: String,
}

/// Verifies a policy bundle against the tenant's current keyset.
///
/// `held` is the policy the client already holds (`None` on first install); `now` is Unix
/// seconds, ideally [`effective_now`]. Returns the verified policy (still unparsed), or the
/// reason it was refused; [`BundleError::Expired`] carries a policy that passed every other
/// check.
pub fn verify(
    bundle_bytes: &[u8],
    trust: &Keyset,
    tenant: &str,
    held: Option<&HeldPolicy>,
    now_unix_seconds: i64,
) -> Result<VerifiedPolicy, BundleError> {
    if trust.tenant != tenant {
        return Err(BundleError::WrongTenant {
            expected: tenant.to_string(),
            found: trust.tenant.clone(),
        });
    }
    let opened = envelope::open(bundle_bytes, POLICY_PAYLOAD_TYPE)?;
    let signers = opened.check_signatures(
        &trust.signing_keys,
        &trust.revoked_key_ids,
        1,
        KeyRole::PolicySigning,
    )?;
    // Only now, with the signature verified, is the payload read.
    let statement: PolicyStatement = crate::json::from_slice(&opened.payload)
        .map_err(|e| BundleError::Malformed(format!("signed statement: {e}")))?;
    check_header(
        &statement.tenant,
        statement.version,
        statement.issued_at,
        statement.expires_at,
    )?;
    if statement.tenant != tenant {
        return Err(BundleError::WrongTenant {
            expected: tenant.to_string(),
            found: statement.tenant,
        });
    }
    let verified = VerifiedPolicy {
        tenant: statement.tenant,
        version: statement.version,
        issued_at: statement.issued_at,
        expires_at: statement.expires_at,
        key_id: signers[0].clone(),
        policy_json: statement.policy,
        digest: envelope::payload_digest(&opened.payload),
    };
    if let Some(held) = held {
        check_version(
            verified.version,
            &verified.digest,
            held.version,
            &held.digest,
        )?;
    }
    if verified.is_expired(now_unix_seconds) {
        return Err(BundleError::Expired(Box::new(verified)));
    }
    Ok(verified)
}

/// The time to verify with: the device clock, but never earlier than the newest `issued_at`
/// the client has accepted, so winding the clock back cannot revive an expired policy.
pub fn effective_now(clock_unix_seconds: i64, newest_issued_at_seen: i64) -> i64 {
    clock_unix_seconds.max(newest_issued_at_seen)
}
