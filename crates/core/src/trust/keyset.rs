//! Keysets: which keys may sign a tenant's policies, signed by the tenant's root keys (kept
//! offline). A client pins the root keys (or a first keyset) once, then accepts keyset
//! updates that verify, so a stolen policy-signing key is revoked without reinstalling.
//!
//! A keyset update must be signed by enough of the roots the client trusts now *and* by
//! enough of the roots it lists itself, so rotating a root needs both the old and the new
//! root (as in The Update Framework). Revocations are permanent: an update must keep them.
//!
//! ```
//! use sendguard_core::keyset;
//! # fn demo(pinned_keyset: &[u8], update: &[u8], now: i64) -> Result<(), sendguard_core::bundle::BundleError> {
//! let current = keyset::verify_pinned(pinned_keyset, "acme", now)?; // shipped with the add-in
//! let newer = keyset::verify_update(update, &current, now)?;          // fetched later
//! # Ok(()) }
//! ```

use serde::{Deserialize, Serialize};

use super::encoding::PublicKey;
use super::envelope::{self, KEYSET_PAYLOAD_TYPE};
use super::verification::{check_header, check_version, BundleError, KeyRole};
pub use super::verification::{Keyset, RootKeys, TrustedKeys};

/// The most keys of each kind, and revoked ids, a keyset may list.
pub const MAX_KEYS: usize = 64;

/// A key as listed in a keyset statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// Must equal the id derived from `public_key` (see `envelope::key_id`).
    pub id: String,
    /// Standard base64 of the 32-byte Ed25519 public key.
    pub public_key: String,
}

/// The signed statement inside a keyset envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysetStatement {
    pub tenant: String,
    pub version: u64,
    pub issued_at: i64,
    pub expires_at: i64,
    /// Keys that sign keysets (kept offline).
    pub root_keys: Vec<KeyEntry>,
    /// How many distinct root keys must sign a keyset.
    pub root_threshold: usize,
    /// Keys that sign policy bundles (held by the policy server).
    pub signing_keys: Vec<KeyEntry>,
    /// Ids of keys that must never be accepted again.
    pub revoked_key_ids: Vec<String>,
}

/// Root keys pinned at installation, from their entries (id and public key): each key must
/// be a valid Ed25519 key whose id is its own. The error names what is wrong.
pub fn pinned_roots(entries: &[KeyEntry], threshold: usize) -> Result<RootKeys, String> {
    let mut keys = Vec::with_capacity(entries.len());
    for entry in entries {
        let key = PublicKey::from_base64(&entry.public_key)?;
        if key.id != entry.id {
            return Err(format!("id {} does not match its key", entry.id));
        }
        keys.push(key);
    }
    Ok(RootKeys { keys, threshold })
}

/// Verifies a keyset the client pins as given (shipped with the add-in, or the CLI's
/// `--trust` file): it must be signed by enough of its own root keys.
pub fn verify_pinned(bytes: &[u8], tenant: &str, now: i64) -> Result<Keyset, BundleError> {
    verify_with(bytes, None, tenant, None, now)
}

/// Verifies a first keyset against root keys pinned at installation.
pub fn verify_with_roots(
    bytes: &[u8],
    pinned: &RootKeys,
    tenant: &str,
    now: i64,
) -> Result<Keyset, BundleError> {
    verify_with(bytes, Some(pinned), tenant, None, now)
}

/// Verifies an update of the keyset the client trusts now: signed by enough of the current
/// roots and of its own, same tenant, newer version (or the very same keyset), and every
/// current revocation kept.
pub fn verify_update(bytes: &[u8], current: &Keyset, now: i64) -> Result<Keyset, BundleError> {
    verify_with(
        bytes,
        Some(&current.roots),
        &current.tenant,
        Some(current),
        now,
    )
}

fn verify_with(
    bytes: &[u8],
    trusted_roots: Option<&RootKeys>,
    tenant: &str,
    current: Option<&Keyset>,
    now: i64,
) -> Result<Keyset, BundleError> {
    let opened = envelope::open(bytes, KEYSET_PAYLOAD_TYPE)?;
    let no_revocations: &[String] = &[];
    let revoked = current.map_or(no_revocations, |k| &k.revoked_key_ids);
    if let Some(roots) = trusted_roots {
        opened.check_signatures(&roots.keys, revoked, roots.threshold, KeyRole::TrustedRoot)?;
    }
    // The new keyset's own roots must sign too. Its statement is only parsed for their keys
    // after the currently trusted roots (if any) vouched for it.
    let statement: KeysetStatement = crate::json::from_slice(&opened.payload)
        .map_err(|e| BundleError::Malformed(format!("signed keyset: {e}")))?;
    let keyset = keyset_from_statement(statement, envelope::payload_digest(&opened.payload))?;
    opened.check_signatures(
        &keyset.roots.keys,
        &keyset.revoked_key_ids,
        keyset.roots.threshold,
        KeyRole::NewRoot,
    )?;
    if keyset.tenant != tenant {
        return Err(BundleError::WrongTenant {
            expected: tenant.to_string(),
            found: keyset.tenant,
        });
    }
    if let Some(current) = current {
        check_version(
            keyset.version,
            &keyset.digest,
            current.version,
            &current.digest,
        )?;
        if let Some(dropped) = current
            .revoked_key_ids
            .iter()
            .find(|id| !keyset.revoked_key_ids.contains(id))
        {
            return Err(BundleError::RevocationDropped {
                key_id: dropped.clone(),
            });
        }
    }
    if keyset.is_expired(now) {
        return Err(BundleError::KeysetExpired(Box::new(keyset)));
    }
    Ok(keyset)
}

/// Checks a keyset statement's internal consistency and decodes its keys.
fn keyset_from_statement(s: KeysetStatement, digest: [u8; 32]) -> Result<Keyset, BundleError> {
    check_header(&s.tenant, s.version, s.issued_at, s.expires_at)?;
    let malformed = |why: String| BundleError::Malformed(format!("signed keyset: {why}"));
    if s.root_keys.is_empty() || s.root_keys.len() > MAX_KEYS || s.signing_keys.len() > MAX_KEYS {
        return Err(malformed(format!(
            "1 to {MAX_KEYS} root keys and at most {MAX_KEYS} signing keys"
        )));
    }
    if s.revoked_key_ids.len() > MAX_KEYS * 4 {
        return Err(malformed("too many revoked key ids".into()));
    }
    if s.root_threshold == 0 || s.root_threshold > s.root_keys.len() {
        return Err(malformed(format!(
            "root_threshold must be 1 to {}",
            s.root_keys.len()
        )));
    }
    let decode = |list: &[KeyEntry], name: &str| -> Result<Vec<PublicKey>, BundleError> {
        let mut keys = Vec::with_capacity(list.len());
        for (i, entry) in list.iter().enumerate() {
            let key = PublicKey::from_base64(&entry.public_key)
                .map_err(|e| malformed(format!("{name}[{i}]: {e}")))?;
            if key.id != entry.id {
                return Err(malformed(format!(
                    "{name}[{i}]: id {} does not match its key ({})",
                    entry.id, key.id
                )));
            }
            keys.push(key);
        }
        Ok(keys)
    };
    let roots = decode(&s.root_keys, "root_keys")?;
    let signing_keys = decode(&s.signing_keys, "signing_keys")?;
    let mut ids: Vec<&str> = roots
        .iter()
        .chain(&signing_keys)
        .map(|k| k.id.as_str())
        .collect();
    crate::order::sort_by(&mut ids, |a, b| a.cmp(b));
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(malformed(
            "a key is listed twice (a root key must not also sign policies)".into(),
        ));
    }
    if let Some(id) = s
        .revoked_key_ids
        .iter()
        .find(|id| ids.contains(&id.as_str()))
    {
        return Err(malformed(format!("key {id} is both listed and revoked")));
    }
    Ok(Keyset {
        tenant: s.tenant,
        version: s.version,
        issued_at: s.issued_at,
        expires_at: s.expires_at,
        roots: RootKeys {
            keys: roots,
            threshold: s.root_threshold,
        },
        signing_keys,
        revoked_key_ids: s.revoked_key_ids,
        digest,
    })
}
