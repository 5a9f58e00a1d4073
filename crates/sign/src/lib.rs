//! `sendguard-sign`: everything that holds a private key. It generates Ed25519 keys, stores
//! them (secret key files are mode 0600), signs policies into bundles and keysets with root
//! keys. The engine (`sendguard-core`) only verifies and never links this crate; the CLI and
//! the policy server do.
//!
//! Format: `docs/bundle-format.md`. Trust: root keys (offline) sign keysets; keysets list
//! the policy-signing keys (online, on the server) and revoked key ids.
//!
//! ```
//! use sendguard_core::{bundle, keyset};
//! use sendguard_sign::{sign_policy, KeysetBuilder, SigningKey};
//!
//! let root = SigningKey::generate().unwrap(); // keep offline
//! let signer = SigningKey::generate().unwrap(); // lives on the policy server
//! let now = 1_700_000_000;
//! let keyset_file = KeysetBuilder::new("acme", 1, now, now + 365 * 86_400)
//!     .add_root(&root.public_key())
//!     .add_signing_key(&signer.public_key())
//!     .sign(&[&root]);
//! let bundle = sign_policy(&signer, "acme", 1, now, now + 7 * 86_400, r#"{"internal_domains":["acme.example"]}"#);
//!
//! // On the client (in the core, natively or in WebAssembly):
//! let trust = keyset::verify_pinned(&keyset_file, "acme", now).unwrap();
//! let verified = bundle::verify(&bundle, &trust, "acme", None, now + 60).unwrap();
//! assert_eq!(verified.version, 1);
//! assert_eq!(verified.policy().unwrap().internal_domains, ["acme.example"]);
//!
//! // A stolen signing key is revoked by the next keyset, signed offline by the root:
//! let revoked = KeysetBuilder::next(&trust, now + 100, now + 365 * 86_400).revoke(&signer.key_id()).sign(&[&root]);
//! let trust = keyset::verify_update(&revoked, &trust, now + 100).unwrap();
//! let refused = bundle::verify(&bundle, &trust, "acme", None, now + 200).unwrap_err();
//! assert_eq!(refused.code(), "revoked_key");
//! ```

mod keyset_builder;
mod sign;
mod signing_key;

pub use keyset_builder::KeysetBuilder;
pub use sign::{envelope_bytes, policy_payload, sign_envelope, sign_keyset, sign_policy};
pub use signing_key::{public_entry, public_file_text, read_public_file, SigningKey};
