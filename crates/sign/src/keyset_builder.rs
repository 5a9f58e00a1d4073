//! Building keyset statements: a first keyset, or the next version of one (which carries its
//! keys and every revocation forward).

use sendguard_core::envelope::PublicKey;
use sendguard_core::keyset::{KeyEntry, Keyset, KeysetStatement};

use crate::sign::sign_keyset;
use crate::signing_key::{public_entry, SigningKey};

/// Builds a keyset statement step by step; [`KeysetBuilder::sign`] turns it into a file.
#[derive(Debug, Clone)]
pub struct KeysetBuilder {
    statement: KeysetStatement,
}

impl KeysetBuilder {
    /// An empty keyset (add at least one root key). Times are Unix seconds.
    pub fn new(tenant: &str, version: u64, issued_at: i64, expires_at: i64) -> KeysetBuilder {
        KeysetBuilder {
            statement: KeysetStatement {
                tenant: tenant.into(),
                version,
                issued_at,
                expires_at,
                root_keys: Vec::new(),
                root_threshold: 1,
                signing_keys: Vec::new(),
                revoked_key_ids: Vec::new(),
            },
        }
    }

    /// The next version of `previous`: same tenant, keys, threshold and revocations.
    pub fn next(previous: &Keyset, issued_at: i64, expires_at: i64) -> KeysetBuilder {
        let mut builder = KeysetBuilder::new(
            &previous.tenant,
            previous.version + 1,
            issued_at,
            expires_at,
        );
        builder.statement.root_keys = previous.roots.keys.iter().map(public_entry).collect();
        builder.statement.root_threshold = previous.roots.threshold;
        builder.statement.signing_keys = previous.signing_keys.iter().map(public_entry).collect();
        builder.statement.revoked_key_ids = previous.revoked_key_ids.clone();
        builder
    }

    pub fn add_root(mut self, key: &PublicKey) -> Self {
        push_unique(&mut self.statement.root_keys, key);
        self
    }

    /// Drops a root key without revoking it (a retired root, not a stolen one).
    pub fn remove_root(mut self, key_id: &str) -> Self {
        self.statement.root_keys.retain(|k| k.id != key_id);
        self
    }

    pub fn root_threshold(mut self, threshold: usize) -> Self {
        self.statement.root_threshold = threshold;
        self
    }

    pub fn add_signing_key(mut self, key: &PublicKey) -> Self {
        push_unique(&mut self.statement.signing_keys, key);
        self
    }

    /// Revokes a key for good: it leaves the lists and joins the revoked ids.
    pub fn revoke(mut self, key_id: &str) -> Self {
        self.statement.root_keys.retain(|k| k.id != key_id);
        self.statement.signing_keys.retain(|k| k.id != key_id);
        if !self.statement.revoked_key_ids.iter().any(|id| id == key_id) {
            self.statement.revoked_key_ids.push(key_id.into());
        }
        self
    }

    pub fn statement(&self) -> &KeysetStatement {
        &self.statement
    }

    /// The signed keyset file. See [`sign_keyset`] for which roots must sign.
    pub fn sign(&self, root_signers: &[&SigningKey]) -> Vec<u8> {
        sign_keyset(&self.statement, root_signers)
    }
}

fn push_unique(list: &mut Vec<KeyEntry>, key: &PublicKey) {
    if !list.iter().any(|k| k.id == key.id) {
        list.push(public_entry(key));
    }
}
