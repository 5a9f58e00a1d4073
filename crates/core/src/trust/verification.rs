//! What verifying a signed document answers: the verified policy or keyset, or why it was
//! refused ([`BundleError`]), and the header and version rules both kinds of document share.
//! Kept below `envelope`, `bundle` and `keyset`, which all answer in these terms.

use super::encoding::{hex, parse_hex32, PublicKey, MAX_SAFE_INTEGER};
use crate::policy::{Policy, PolicyError};

/// The most bytes a tenant id may have.
pub const MAX_TENANT_BYTES: usize = 128;

/// A bundle whose signature, tenant and version were accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPolicy {
    pub tenant: String,
    pub version: u64,
    pub issued_at: i64,
    pub expires_at: i64,
    /// The id of the (first) keyset signing key whose signature verified.
    pub key_id: String,
    /// The policy JSON exactly as signed. Not yet parsed: see [`VerifiedPolicy::policy`].
    pub policy_json: String,
    /// SHA-256 of the signed payload (the whole statement).
    pub digest: [u8; 32],
}

impl VerifiedPolicy {
    /// Parses and validates the policy (only ever after its signature was verified).
    pub fn policy(&self) -> Result<Policy, PolicyError> {
        Policy::from_json(&self.policy_json)
    }

    /// What the client must remember to refuse rollbacks and same-version substitutions.
    pub fn held(&self) -> HeldPolicy {
        HeldPolicy {
            version: self.version,
            digest: self.digest,
        }
    }

    pub fn digest_hex(&self) -> String {
        hex(&self.digest)
    }

    /// Stale from `expires_at` on.
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }
}

/// The policy a client already holds: the highest version it accepted and the digest of that
/// bundle's payload. A new bundle must have a higher version, or the same version and the
/// same digest (the same bundle fetched again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldPolicy {
    pub version: u64,
    pub digest: [u8; 32],
}

impl HeldPolicy {
    /// From a stored version and a 64-digit hex digest (as [`VerifiedPolicy::digest_hex`]).
    pub fn from_hex(version: u64, digest_hex: &str) -> Option<HeldPolicy> {
        Some(HeldPolicy {
            version,
            digest: parse_hex32(digest_hex)?,
        })
    }
}

/// Which kind of key a signature error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// A keyset's policy-signing key.
    PolicySigning,
    /// A root key trusted to sign keysets (the one the client trusts now).
    TrustedRoot,
    /// A root key listed in the new keyset itself, which must also sign it.
    NewRoot,
}

impl KeyRole {
    fn describe(self) -> &'static str {
        match self {
            KeyRole::PolicySigning => "policy-signing key of the keyset",
            KeyRole::TrustedRoot => "root key currently trusted",
            KeyRole::NewRoot => "root key listed in the new keyset",
        }
    }
}

/// Why a bundle or keyset was refused. [`BundleError::code`] is stable for programs;
/// `Display` is for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    TooLarge {
        size: usize,
        limit: usize,
    },
    Malformed(String),
    WrongPayloadType {
        expected: &'static str,
        found: String,
    },
    UnknownKey {
        key_id: String,
        role: KeyRole,
    },
    RevokedKey {
        key_id: String,
        role: KeyRole,
    },
    BadSignature {
        key_id: String,
        role: KeyRole,
    },
    TooFewSignatures {
        valid: usize,
        required: usize,
        role: KeyRole,
    },
    WrongTenant {
        expected: String,
        found: String,
    },
    Rollback {
        version: u64,
        held: u64,
    },
    SameVersionDifferentContent {
        version: u64,
    },
    /// A keyset update that un-revokes keys the current keyset revoked.
    RevocationDropped {
        key_id: String,
    },
    /// Everything verified, but the policy is stale. The verified policy is inside, so the
    /// client can report how stale it is and, when it has nothing newer, keep using it as
    /// its administrator chose (warn or block).
    Expired(Box<VerifiedPolicy>),
    /// Everything verified, but the keyset is stale; the verified keyset is inside.
    KeysetExpired(Box<Keyset>),
}

impl BundleError {
    /// A stable machine-readable code (also the `expect` values of the test vectors).
    pub fn code(&self) -> &'static str {
        match self {
            BundleError::TooLarge { .. } => "too_large",
            BundleError::Malformed(_) => "malformed",
            BundleError::WrongPayloadType { .. } => "wrong_payload_type",
            BundleError::UnknownKey { .. } => "unknown_key",
            BundleError::RevokedKey { .. } => "revoked_key",
            BundleError::BadSignature { .. } => "bad_signature",
            BundleError::TooFewSignatures { .. } => "too_few_signatures",
            BundleError::WrongTenant { .. } => "wrong_tenant",
            BundleError::Rollback { .. } => "rollback",
            BundleError::SameVersionDifferentContent { .. } => "same_version_different_content",
            BundleError::RevocationDropped { .. } => "revocation_dropped",
            BundleError::Expired(_) | BundleError::KeysetExpired(_) => "expired",
        }
    }
}

impl std::fmt::Display for BundleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BundleError::TooLarge { size, limit } => {
                write!(f, "refused: {size} bytes is larger than the {limit}-byte limit")
            }
            BundleError::Malformed(why) => write!(f, "refused: not a valid signed document ({why})"),
            BundleError::WrongPayloadType { expected, found } => {
                write!(f, "refused: the payload type is `{found}`, expected `{expected}`")
            }
            BundleError::UnknownKey { key_id, role } => {
                write!(f, "refused: signed by key {key_id}, which is not a {}", role.describe())
            }
            BundleError::RevokedKey { key_id, role } => {
                write!(f, "refused: signed by key {key_id}, which the keyset revoked ({})", role.describe())
            }
            BundleError::BadSignature { key_id, role } => {
                write!(f, "refused: the signature of key {key_id} ({}) does not match the content", role.describe())
            }
            BundleError::TooFewSignatures { valid, required, role } => {
                write!(f, "refused: {valid} valid signature(s) by a {}, {required} required", role.describe())
            }
            BundleError::WrongTenant { expected, found } => {
                write!(f, "refused: signed for tenant `{found}`, this client belongs to `{expected}`")
            }
            BundleError::Rollback { version, held } => {
                write!(f, "refused: version {version} is older than version {held} already held (rollback)")
            }
            BundleError::SameVersionDifferentContent { version } => write!(
                f,
                "refused: version {version} is already held with different content (a version must never be reused)"
            ),
            BundleError::RevocationDropped { key_id } => {
                write!(f, "refused: the new keyset no longer revokes key {key_id}; revocations are permanent")
            }
            BundleError::Expired(p) => write!(
                f,
                "stale: policy version {} of tenant `{}` expired at {} (Unix seconds); keep the last good policy",
                p.version, p.tenant, p.expires_at
            ),
            BundleError::KeysetExpired(k) => write!(
                f,
                "stale: keyset version {} of tenant `{}` expired at {} (Unix seconds)",
                k.version, k.tenant, k.expires_at
            ),
        }
    }
}

impl std::error::Error for BundleError {}

/// Root keys and how many of them must sign a keyset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootKeys {
    pub keys: Vec<PublicKey>,
    pub threshold: usize,
}

/// A verified keyset: the trust a client checks policy bundles against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyset {
    pub tenant: String,
    pub version: u64,
    pub issued_at: i64,
    pub expires_at: i64,
    pub roots: RootKeys,
    pub signing_keys: Vec<PublicKey>,
    pub revoked_key_ids: Vec<String>,
    /// SHA-256 of the signed payload.
    pub digest: [u8; 32],
}

/// The name the policy-verification API was first agreed under.
pub type TrustedKeys = Keyset;

impl Keyset {
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }
}

/// Rollback rule shared by policies and keysets.
pub(crate) fn check_version(
    version: u64,
    digest: &[u8; 32],
    held: u64,
    held_digest: &[u8; 32],
) -> Result<(), BundleError> {
    if version < held {
        return Err(BundleError::Rollback { version, held });
    }
    if version == held && digest != held_digest {
        return Err(BundleError::SameVersionDifferentContent { version });
    }
    Ok(())
}

/// Checks the fields every signed statement carries.
pub(crate) fn check_header(
    tenant: &str,
    version: u64,
    issued_at: i64,
    expires_at: i64,
) -> Result<(), BundleError> {
    let malformed = |why: &str| Err(BundleError::Malformed(format!("signed statement: {why}")));
    if tenant.is_empty() || tenant.len() > MAX_TENANT_BYTES {
        return malformed("tenant must be 1 to 128 bytes");
    }
    if version == 0 || version > MAX_SAFE_INTEGER {
        return malformed("version must be 1 to 2^53-1");
    }
    let max = MAX_SAFE_INTEGER as i64;
    if !(0..=max).contains(&issued_at) || !(0..=max).contains(&expires_at) || expires_at < issued_at
    {
        return malformed("need 0 <= issued_at <= expires_at <= 2^53-1");
    }
    Ok(())
}
