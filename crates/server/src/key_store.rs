//! The server's keys, on disk in the data directory (secret files are mode 0600):
//! `signing.key` signs policy bundles; `root.key` signs tenants' keysets. A root key belongs
//! offline: on this server it is a convenience of the embedded defaults (docs/server.md says
//! how to keep it elsewhere). Formats and signing are `sendguard-sign`'s.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use sendguard_core::keyset;
use sendguard_sign::{sign_policy, KeysetBuilder, SigningKey};

use crate::signer::{BundleRequest, KeysView, SignedBundle, Signer, TenantKeyset};

/// Keysets are valid a year; the server issues the next one when it rotates.
const KEYSET_LIFETIME_SECS: i64 = 365 * 86_400;

pub struct KeyStore {
    dir: PathBuf,
    signing: RwLock<SigningKey>,
    /// Made by `rotate`, waiting for `activate`.
    next: Mutex<Option<SigningKey>>,
    root: Option<SigningKey>,
}

/// A secret key file in `dir`: read if present, else generated and written (0600).
fn load_or_create(path: &Path) -> Result<(SigningKey, bool), String> {
    if path.exists() {
        return Ok((SigningKey::read_secret_file(path)?, false));
    }
    let key = SigningKey::generate()?;
    key.write_secret_file(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok((key, true))
}

impl KeyStore {
    pub const SIGNING_FILE: &'static str = "signing.key";
    pub const ROOT_FILE: &'static str = "root.key";
    const NEXT_FILE: &'static str = "signing.next.key";

    /// Opens the keys in `dir`, creating the signing key (and, on a first start, the root key).
    /// Returns whether the signing key was created now.
    pub fn open(dir: &Path) -> Result<(KeyStore, bool), String> {
        let (signing, created) = load_or_create(&dir.join(Self::SIGNING_FILE))?;
        let root_path = dir.join(Self::ROOT_FILE);
        let root = if created {
            Some(load_or_create(&root_path)?.0)
        } else if root_path.exists() {
            Some(SigningKey::read_secret_file(&root_path)?)
        } else {
            None
        };
        let store = KeyStore {
            dir: dir.to_path_buf(),
            signing: RwLock::new(signing),
            next: Mutex::new(None),
            root,
        };
        Ok((store, created))
    }

    fn root(&self) -> Result<&SigningKey, String> {
        self.root.as_ref().ok_or_else(|| {
            format!(
                "the root key is not on this server ({} is absent): keysets must be signed offline",
                Self::ROOT_FILE
            )
        })
    }
}

impl Signer for KeyStore {
    fn sign_policy(&self, request: &BundleRequest) -> Result<SignedBundle, String> {
        let key = self
            .signing
            .read()
            .map_err(|_| "signing key lock poisoned")?;
        let bytes = sign_policy(
            &key,
            request.tenant,
            request.version,
            request.issued_at,
            request.expires_at,
            request.policy,
        );
        Ok(SignedBundle {
            bytes,
            key_id: key.key_id(),
        })
    }

    fn first_keyset(&self, tenant: &str, now: i64) -> Result<Vec<u8>, String> {
        let root = self.root()?;
        let signing = self
            .signing
            .read()
            .map_err(|_| "signing key lock poisoned")?;
        Ok(
            KeysetBuilder::new(tenant, 1, now, now + KEYSET_LIFETIME_SECS)
                .add_root(&root.public_key())
                .add_signing_key(&signing.public_key())
                .sign(&[root]),
        )
    }

    fn keys(&self) -> KeysView {
        let signing = self.signing.read().unwrap_or_else(|p| p.into_inner());
        KeysView {
            signing_key_id: signing.key_id(),
            signing_public_key: signing.public_key().to_base64(),
            root_key_id: self.root.as_ref().map(SigningKey::key_id),
        }
    }

    fn rotate(
        &self,
        current: &[(String, Vec<u8>)],
        revoke_old: bool,
        now: i64,
    ) -> Result<Vec<TenantKeyset>, String> {
        let root = self.root()?;
        let old_id = self
            .signing
            .read()
            .map_err(|_| "signing key lock poisoned")?
            .key_id();
        let new = SigningKey::generate()?;
        let next_path = self.dir.join(Self::NEXT_FILE);
        // A leftover from a rotation that never activated was never listed as active: discard it.
        let _ = std::fs::remove_file(&next_path);
        new.write_secret_file(&next_path)
            .map_err(|e| format!("cannot write {}: {e}", next_path.display()))?;
        let mut keysets = Vec::with_capacity(current.len());
        for (tenant, bytes) in current {
            let trusted = keyset::verify_pinned(bytes, tenant, now)
                .map_err(|e| format!("tenant {tenant}'s keyset: {e}"))?;
            let mut builder = KeysetBuilder::next(&trusted, now, now + KEYSET_LIFETIME_SECS)
                .add_signing_key(&new.public_key());
            if revoke_old {
                builder = builder.revoke(&old_id);
            }
            keysets.push(TenantKeyset {
                tenant: tenant.clone(),
                version: trusted.version + 1,
                bytes: builder.sign(&[root]),
            });
        }
        *self.next.lock().map_err(|_| "key lock poisoned")? = Some(new);
        Ok(keysets)
    }

    fn renew_keyset(
        &self,
        tenant: &str,
        current: &[u8],
        renew_within: i64,
        now: i64,
    ) -> Result<Option<TenantKeyset>, String> {
        let trusted = keyset::verify_pinned(current, tenant, now)
            .map_err(|e| format!("tenant {tenant}'s keyset: {e}"))?;
        if trusted.expires_at - now > renew_within {
            return Ok(None);
        }
        let root = self.root()?;
        let bytes = KeysetBuilder::next(&trusted, now, now + KEYSET_LIFETIME_SECS).sign(&[root]);
        Ok(Some(TenantKeyset {
            tenant: tenant.to_string(),
            version: trusted.version + 1,
            bytes,
        }))
    }

    fn activate(&self) -> Result<String, String> {
        let new = self
            .next
            .lock()
            .map_err(|_| "key lock poisoned")?
            .take()
            .ok_or("no rotated key to activate")?;
        let (from, to) = (
            self.dir.join(Self::NEXT_FILE),
            self.dir.join(Self::SIGNING_FILE),
        );
        // rename() is atomic: after a crash the file holds the old key or the new one.
        std::fs::rename(&from, &to).map_err(|e| format!("cannot activate the new key: {e}"))?;
        let id = new.key_id();
        *self
            .signing
            .write()
            .map_err(|_| "signing key lock poisoned")? = new;
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sendguard_core::bundle;

    #[test]
    fn keys_are_created_once_with_private_modes_and_sign_verifiable_bundles() {
        let dir = tempfile::tempdir().unwrap();
        let (keys, created) = KeyStore::open(dir.path()).unwrap();
        assert!(created);
        #[cfg(unix)]
        for file in [KeyStore::SIGNING_FILE, KeyStore::ROOT_FILE] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
        let (again, created) = KeyStore::open(dir.path()).unwrap();
        assert!(!created);
        assert_eq!(again.keys().signing_key_id, keys.keys().signing_key_id);

        let now = 1_800_000_000;
        let keyset_bytes = keys.first_keyset("acme", now).unwrap();
        let trust = keyset::verify_pinned(&keyset_bytes, "acme", now).unwrap();
        let request = BundleRequest {
            tenant: "acme",
            version: 3,
            issued_at: now,
            expires_at: now + 60,
            policy: "{}",
        };
        let signed = keys.sign_policy(&request).unwrap();
        let verified = bundle::verify(&signed.bytes, &trust, "acme", None, now + 1).unwrap();
        assert_eq!((verified.version, verified.policy_json.as_str()), (3, "{}"));
        assert_eq!(verified.key_id, signed.key_id);
    }

    #[test]
    fn keysets_are_renewed_only_near_their_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let (keys, _) = KeyStore::open(dir.path()).unwrap();
        let now = 1_800_000_000;
        let first = keys.first_keyset("acme", now).unwrap();
        let trust = keyset::verify_pinned(&first, "acme", now).unwrap();
        let sixty_days = 60 * 86_400;
        assert!(keys
            .renew_keyset("acme", &first, sixty_days, now)
            .unwrap()
            .is_none());
        let later = trust.expires_at - sixty_days + 1;
        let renewed = keys
            .renew_keyset("acme", &first, sixty_days, later)
            .unwrap()
            .unwrap();
        let updated = keyset::verify_update(&renewed.bytes, &trust, later).unwrap();
        assert_eq!((renewed.version, updated.version), (2, 2));
        assert_eq!(updated.expires_at, later + KEYSET_LIFETIME_SECS);
        assert_eq!(updated.signing_keys, trust.signing_keys);
    }

    #[test]
    fn rotation_lists_the_new_key_before_it_signs_and_can_revoke_the_old() {
        let dir = tempfile::tempdir().unwrap();
        let (keys, _) = KeyStore::open(dir.path()).unwrap();
        let now = 1_800_000_000;
        let first = keys.first_keyset("acme", now).unwrap();
        let trust = keyset::verify_pinned(&first, "acme", now).unwrap();
        let request = BundleRequest {
            tenant: "acme",
            version: 1,
            issued_at: now,
            expires_at: now + 600,
            policy: "{}",
        };
        let old_bundle = keys.sign_policy(&request).unwrap().bytes;

        let next = keys
            .rotate(&[("acme".into(), first)], true, now + 10)
            .unwrap();
        assert_eq!(
            keys.sign_policy(&request).unwrap().bytes,
            old_bundle,
            "the old key signs until activation"
        );
        let updated = keyset::verify_update(&next[0].bytes, &trust, now + 10).unwrap();
        assert_eq!(updated.version, 2);
        keys.activate().unwrap();
        let new_bundle = keys
            .sign_policy(&BundleRequest {
                version: 2,
                ..request.clone()
            })
            .unwrap()
            .bytes;
        assert!(bundle::verify(&new_bundle, &updated, "acme", None, now + 20).is_ok());
        let refused = bundle::verify(&old_bundle, &updated, "acme", None, now + 20).unwrap_err();
        assert_eq!(refused.code(), "revoked_key");
        let (reopened, _) = KeyStore::open(dir.path()).unwrap();
        assert_eq!(
            reopened.keys().signing_key_id,
            keys.keys().signing_key_id,
            "the new key is the one on disk"
        );
    }
}
