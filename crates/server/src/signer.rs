//! The seam between publishing and cryptography. The server never invents a signing format:
//! a [`Signer`] turns a policy into the exact bytes add-ins download and signs the keysets
//! they trust. The implementation is `key_store::KeyStore`, on top of `sendguard-sign`.

/// What goes into a signed bundle. Times are Unix seconds.
#[derive(Debug, Clone)]
pub struct BundleRequest<'a> {
    pub tenant: &'a str,
    pub version: u64,
    pub issued_at: i64,
    /// Add-ins refuse the bundle from this second on.
    pub expires_at: i64,
    /// The exact policy text the admin published.
    pub policy: &'a str,
}

/// A signed bundle and the id of the key that signed it.
#[derive(Debug, Clone)]
pub struct SignedBundle {
    pub bytes: Vec<u8>,
    pub key_id: String,
}

/// The keys, as the admin API shows them (public parts only).
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeysView {
    /// The key new bundles are signed with.
    pub signing_key_id: String,
    pub signing_public_key: String,
    /// The root key that signs keysets, if it is on this server (else keysets are signed offline).
    pub root_key_id: Option<String>,
}

/// A keyset signed for one tenant.
#[derive(Debug, Clone)]
pub struct TenantKeyset {
    pub tenant: String,
    pub version: u64,
    pub bytes: Vec<u8>,
}

pub trait Signer: Send + Sync + 'static {
    /// Signs one policy version for one tenant with the active signing key.
    fn sign_policy(&self, request: &BundleRequest) -> Result<SignedBundle, String>;
    /// A new tenant's first keyset (version 1), listing the active signing key.
    fn first_keyset(&self, tenant: &str, now: i64) -> Result<Vec<u8>, String>;
    fn keys(&self) -> KeysView;
    /// Replaces the active signing key with a new one and returns each tenant's next keyset,
    /// listing the new key (and revoking the old one if `revoke_old`). `current` holds each
    /// tenant's current keyset bytes. The new key signs only after the keysets are stored,
    /// which is why activation is a separate step: [`Signer::activate`].
    fn rotate(
        &self,
        current: &[(String, Vec<u8>)],
        revoke_old: bool,
        now: i64,
    ) -> Result<Vec<TenantKeyset>, String>;
    /// The next version of a tenant's keyset with the same keys and a fresh expiry, if the
    /// current one expires within `renew_within` seconds (`Ok(None)`: not yet).
    fn renew_keyset(
        &self,
        tenant: &str,
        current: &[u8],
        renew_within: i64,
        now: i64,
    ) -> Result<Option<TenantKeyset>, String>;
    /// Makes the key prepared by the last [`Signer::rotate`] the active one.
    fn activate(&self) -> Result<String, String>;
}

/// Signs a version about to be stored (inside the store's transaction): valid from its
/// publication for `lifetime_secs`. Shared by admin publishes and the renewal job.
pub fn sign_version(
    signer: &dyn Signer,
    lifetime_secs: i64,
    new: &crate::store::NewVersion,
) -> Result<crate::store::SignedVersion, String> {
    let expires_at = new.published_at + lifetime_secs;
    let signed = signer.sign_policy(&BundleRequest {
        tenant: new.tenant,
        version: new.version as u64,
        issued_at: new.published_at,
        expires_at,
        policy: new.policy,
    })?;
    Ok(crate::store::SignedVersion {
        bundle: signed.bytes,
        key_id: signed.key_id,
        expires_at,
    })
}
