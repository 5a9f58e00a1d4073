//! Asserts every signed-bundle test vector in `tests/vectors/bundles/manifest.json`: each file
//! is accepted or refused exactly as the manifest says (result, code, and any other fields).

use std::path::PathBuf;

use sendguard_core::bundle::{self, BundleError, HeldPolicy, VerifiedPolicy};
use sendguard_core::envelope::{hex, PublicKey};
use sendguard_core::keyset::{self, Keyset, RootKeys};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/bundles")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn manifest() -> Value {
    serde_json::from_slice(&read("manifest.json")).unwrap()
}

fn pinned_roots(manifest: &Value) -> RootKeys {
    let keys = manifest["pinned_roots"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            let key = PublicKey::from_base64(k["public_key"].as_str().unwrap()).unwrap();
            assert_eq!(key.id, k["id"].as_str().unwrap());
            key
        })
        .collect();
    RootKeys {
        keys,
        threshold: manifest["pinned_roots"]["threshold"].as_u64().unwrap() as usize,
    }
}

struct Case<'a> {
    vector: &'a Value,
    name: &'a str,
    tenant: &'a str,
    now: i64,
    held: Option<HeldPolicy>,
}

impl<'a> Case<'a> {
    fn new(vector: &'a Value) -> Case<'a> {
        let held = match &vector["held"] {
            Value::Null => None,
            h => Some(
                HeldPolicy::from_hex(
                    h["version"].as_u64().unwrap(),
                    h["digest"].as_str().unwrap(),
                )
                .unwrap(),
            ),
        };
        Case {
            vector,
            name: vector["name"].as_str().unwrap(),
            tenant: vector["tenant"].as_str().unwrap(),
            now: vector["now"].as_i64().unwrap(),
            held,
        }
    }

    fn trust_keyset(&self) -> Keyset {
        let file = self.vector["trust"]["keyset"].as_str().unwrap();
        keyset::verify_pinned(&read(file), self.tenant, self.now)
            .unwrap_or_else(|e| panic!("{}: trust {file}: {e}", self.name))
    }

    fn verify_policy(&self, bytes: &[u8]) -> Result<VerifiedPolicy, BundleError> {
        bundle::verify(
            bytes,
            &self.trust_keyset(),
            self.tenant,
            self.held.as_ref(),
            self.now,
        )
    }
}

/// Compares the fields `expect` names (besides result and code) with the verified policy.
fn assert_policy_fields(name: &str, expect: &Value, p: &VerifiedPolicy) {
    for (field, want) in expect.as_object().unwrap() {
        let got = match field.as_str() {
            "result" | "code" => continue,
            "version" => Value::from(p.version),
            "issued_at" => Value::from(p.issued_at),
            "expires_at" => Value::from(p.expires_at),
            "key_id" => Value::from(p.key_id.clone()),
            "policy_json" => Value::from(p.policy_json.clone()),
            "digest" => Value::from(hex(&p.digest)),
            other => panic!("{name}: unknown expect field {other}"),
        };
        assert_eq!(&got, want, "{name}: {field}");
    }
}

fn assert_keyset_fields(name: &str, expect: &Value, k: &Keyset) {
    for (field, want) in expect.as_object().unwrap() {
        let got = match field.as_str() {
            "result" | "code" => continue,
            "version" => Value::from(k.version),
            "expires_at" => Value::from(k.expires_at),
            other => panic!("{name}: unknown expect field {other}"),
        };
        assert_eq!(&got, want, "{name}: {field}");
    }
}

fn assert_outcome<T>(
    name: &str,
    expect: &Value,
    result: &Result<T, BundleError>,
    fields: impl Fn(&T),
) {
    match (expect["result"].as_str().unwrap(), result) {
        ("accepted", Ok(value)) => fields(value),
        ("refused", Err(e)) => {
            assert_eq!(e.code(), expect["code"].as_str().unwrap(), "{name}: {e}")
        }
        (want, Ok(_)) => panic!("{name}: expected {want}, was accepted"),
        (want, Err(e)) => panic!("{name}: expected {want}, was refused: {e}"),
    }
}

#[test]
fn every_vector_is_accepted_or_refused_as_the_manifest_says() {
    let manifest = manifest();
    let roots = pinned_roots(&manifest);
    let vectors = manifest["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 25, "the manifest lost vectors");
    let mut checked = 0;
    for vector in vectors {
        let case = Case::new(vector);
        let expect = &vector["expect"];
        let bytes = read(vector["file"].as_str().unwrap());
        match vector["kind"].as_str().unwrap() {
            "policy" => {
                let result = case.verify_policy(&bytes);
                assert_outcome(case.name, expect, &result, |p| {
                    assert_policy_fields(case.name, expect, p)
                });
                if let Err(BundleError::Expired(stale)) = &result {
                    // A stale policy still reports everything the client needs to keep it.
                    assert_policy_fields(case.name, expect, stale);
                    assert!(stale.policy().is_ok());
                }
            }
            "keyset" => {
                let result = if vector["trust"]["pinned_roots"] == Value::Bool(true) {
                    keyset::verify_with_roots(&bytes, &roots, case.tenant, case.now)
                } else {
                    keyset::verify_update(&bytes, &case.trust_keyset(), case.now)
                };
                assert_outcome(case.name, expect, &result, |k| {
                    assert_keyset_fields(case.name, expect, k)
                });
                if let Err(BundleError::KeysetExpired(stale)) = &result {
                    assert_keyset_fields(case.name, expect, stale);
                }
            }
            "policy_bit_flips" => {
                assert!(
                    case.verify_policy(&bytes).is_ok(),
                    "{}: the base bundle must verify",
                    case.name
                );
                let trust = case.trust_keyset();
                let mut flipped = bytes.clone();
                for i in 0..bytes.len() {
                    for bit in 0..8 {
                        flipped[i] ^= 1 << bit;
                        let result = bundle::verify(
                            &flipped,
                            &trust,
                            case.tenant,
                            case.held.as_ref(),
                            case.now,
                        );
                        assert!(
                            result.is_err(),
                            "{}: byte {i} bit {bit} flipped was accepted",
                            case.name
                        );
                        flipped[i] ^= 1 << bit;
                    }
                }
            }
            other => panic!("{}: unknown kind {other}", case.name),
        }
        checked += 1;
    }
    assert_eq!(checked, vectors.len());
}

#[test]
fn every_refusal_code_is_covered_by_a_vector() {
    let manifest = manifest();
    let codes: Vec<&str> = manifest["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["expect"]["code"].as_str())
        .collect();
    for code in [
        "too_large",
        "malformed",
        "wrong_payload_type",
        "unknown_key",
        "revoked_key",
        "bad_signature",
        "wrong_tenant",
        "rollback",
        "same_version_different_content",
        "revocation_dropped",
        "expired",
    ] {
        assert!(codes.contains(&code), "no vector is refused with {code}");
    }
}

#[test]
fn a_trust_keyset_of_another_tenant_is_refused() {
    let manifest = manifest();
    let roots = pinned_roots(&manifest);
    let now = 1_767_225_600 + 86_400;
    let globex = keyset::verify_pinned(&read("keyset-globex.json"), "globex", now).unwrap();
    assert!(keyset::verify_with_roots(&read("keyset-globex.json"), &roots, "globex", now).is_ok());
    let err = bundle::verify(&read("policy-v5.json"), &globex, "acme", None, now).unwrap_err();
    assert_eq!(err.code(), "wrong_tenant");
}

#[test]
fn winding_the_clock_back_cannot_revive_an_expired_policy() {
    // The client remembers the newest issued_at it accepted (here: a policy issued after
    // v5 expired), so a clock set back to before the expiry still sees v5 as stale.
    let v5_expires = 1_767_225_600 + 30 * 86_400;
    let newest_issued_at_seen = v5_expires + 10;
    let now = bundle::effective_now(v5_expires - 1000, newest_issued_at_seen);
    let trust = keyset::verify_pinned(&read("keyset-v1.json"), "acme", now).unwrap();
    let err = bundle::verify(&read("policy-v5.json"), &trust, "acme", None, now).unwrap_err();
    assert_eq!(err.code(), "expired");
}
