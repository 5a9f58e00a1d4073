//! Ed25519 key pairs and their files. A secret key file is JSON holding the 32-byte seed; it
//! is created with mode 0600 and never overwritten. A public key file holds the id and the
//! public key, and is what goes into keysets and trust settings.

use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::Signer;
use sendguard_core::envelope::{key_id, PublicKey};
use sendguard_core::keyset::KeyEntry;
use serde::{Deserialize, Serialize};

const SECRET_KIND: &str = "sendguard-secret-key";
const PUBLIC_KIND: &str = "sendguard-public-key";

/// A private signing key (root or policy-signing). Its `Debug` output hides the secret.
pub struct SigningKey(ed25519_dalek::SigningKey);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.key_id())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretKeyFile {
    kind: String,
    key_id: String,
    /// Standard base64 of the 32-byte Ed25519 seed.
    secret_key: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicKeyFile {
    kind: String,
    key_id: String,
    public_key: String,
}

impl SigningKey {
    /// A new key from the operating system's random number generator.
    pub fn generate() -> Result<SigningKey, String> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| format!("no OS randomness: {e}"))?;
        Ok(SigningKey::from_seed(seed))
    }

    /// A key from a fixed 32-byte seed (test vectors; never for real keys).
    pub fn from_seed(seed: [u8; 32]) -> SigningKey {
        SigningKey(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    pub fn key_id(&self) -> String {
        key_id(&self.0.verifying_key())
    }

    pub fn public_key(&self) -> PublicKey {
        let key = self.0.verifying_key();
        PublicKey {
            id: key_id(&key),
            key,
        }
    }

    /// The key as listed in a keyset.
    pub fn key_entry(&self) -> KeyEntry {
        public_entry(&self.public_key())
    }

    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }

    /// The secret key file's text.
    pub fn to_secret_file_text(&self) -> String {
        let file = SecretKeyFile {
            kind: SECRET_KIND.into(),
            key_id: self.key_id(),
            secret_key: BASE64.encode(self.0.to_bytes()),
        };
        serde_json::to_string_pretty(&file).expect("serialises") + "\n"
    }

    pub fn from_secret_file_text(text: &str) -> Result<SigningKey, String> {
        let file: SecretKeyFile = sendguard_core::json::from_str(text)
            .map_err(|_| "not a Sendguard secret key file".to_string())?;
        if file.kind != SECRET_KIND {
            return Err(format!("not a secret key file (kind `{}`)", file.kind));
        }
        let seed = BASE64
            .decode(&file.secret_key)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok());
        let key = SigningKey::from_seed(seed.ok_or("secret_key: not 32 bytes of base64")?);
        if key.key_id() != file.key_id {
            return Err(format!("key_id {} does not match the key", file.key_id));
        }
        Ok(key)
    }

    /// Writes the secret key file with mode 0600 (on Unix); refuses to overwrite a file.
    pub fn write_secret_file(&self, path: &Path) -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path)?;
        file.write_all(self.to_secret_file_text().as_bytes())?;
        file.sync_all()
    }

    pub fn read_secret_file(path: &Path) -> Result<SigningKey, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        SigningKey::from_secret_file_text(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// A public key as listed in a keyset.
pub fn public_entry(key: &PublicKey) -> KeyEntry {
    KeyEntry {
        id: key.id.clone(),
        public_key: key.to_base64(),
    }
}

/// The public key file's text.
pub fn public_file_text(key: &PublicKey) -> String {
    let file = PublicKeyFile {
        kind: PUBLIC_KIND.into(),
        key_id: key.id.clone(),
        public_key: key.to_base64(),
    };
    serde_json::to_string_pretty(&file).expect("serialises") + "\n"
}

/// Reads a public key file; a secret key file is accepted too (its public half is used).
pub fn read_public_file(path: &Path) -> Result<PublicKey, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let at = |e: String| format!("{}: {e}", path.display());
    if let Ok(secret) = SigningKey::from_secret_file_text(&text) {
        return Ok(secret.public_key());
    }
    let file: PublicKeyFile = sendguard_core::json::from_str(&text)
        .map_err(|_| at("not a Sendguard public key file".into()))?;
    if file.kind != PUBLIC_KIND {
        return Err(at(format!("not a public key file (kind `{}`)", file.kind)));
    }
    let key = PublicKey::from_base64(&file.public_key).map_err(at)?;
    if key.id != file.key_id {
        return Err(at(format!("key_id {} does not match the key", file.key_id)));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_file_round_trips_and_is_private() {
        let key = SigningKey::generate().unwrap();
        let dir = std::env::temp_dir().join(format!("sendguard-sign-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("k.secret");
        let _ = std::fs::remove_file(&path);
        key.write_secret_file(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert!(
            key.write_secret_file(&path).is_err(),
            "must not overwrite a key"
        );
        let read = SigningKey::read_secret_file(&path).unwrap();
        assert_eq!(read.key_id(), key.key_id());
        assert_eq!(read_public_file(&path).unwrap(), key.public_key());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = SigningKey::from_seed([7; 32]);
        let secret = BASE64.encode([7u8; 32]);
        assert!(!format!("{key:?}").contains(&secret));
        assert!(format!("{key:?}").contains(&key.key_id()));
    }

    #[test]
    fn tampered_key_file_is_refused() {
        let text = SigningKey::from_seed([1; 32]).to_secret_file_text();
        let other = SigningKey::from_seed([2; 32]).key_id();
        let id = SigningKey::from_seed([1; 32]).key_id();
        assert!(SigningKey::from_secret_file_text(&text.replace(&id, &other)).is_err());
        assert!(SigningKey::from_secret_file_text("{}").is_err());
    }
}
