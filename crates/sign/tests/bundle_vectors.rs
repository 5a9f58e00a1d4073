//! Generates the signed-bundle test vectors in `tests/vectors/bundles/` from fixed seeds and
//! fixed times, and checks that the checked-in files are exactly what it generates.
//!
//! Regenerate after a deliberate format change:
//! `SENDGUARD_REGENERATE_VECTORS=1 cargo test -p sendguard-sign --test bundle_vectors`
//!
//! The vectors are asserted by `crates/core/tests/bundle_vectors.rs` (and by the WebAssembly
//! build's JavaScript tests), which read `manifest.json`.

use std::path::PathBuf;

use sendguard_core::bundle::{HeldPolicy, PolicyStatement, MAX_BUNDLE_BYTES};
use sendguard_core::envelope::{
    pae, payload_digest, Envelope, KEYSET_PAYLOAD_TYPE, POLICY_PAYLOAD_TYPE,
};
use sendguard_core::keyset::{self, Keyset};
use sendguard_sign::{
    envelope_bytes, policy_payload, sign_envelope, sign_policy, KeysetBuilder, SigningKey,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600;
const DAY: i64 = 86_400;
const TENANT: &str = "acme";

fn key(name: &str) -> SigningKey {
    SigningKey::from_seed(Sha256::digest(format!("sendguard test vector key: {name}")).into())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn held_json(held: &HeldPolicy) -> Value {
    json!({ "version": held.version, "digest": hex(&held.digest) })
}

fn digest_of(bundle: &[u8]) -> [u8; 32] {
    let envelope: Envelope = serde_json::from_slice(bundle).unwrap();
    use base64::Engine as _;
    let payload = base64::engine::general_purpose::STANDARD
        .decode(envelope.payload)
        .unwrap();
    payload_digest(&payload)
}

/// Files and manifest entries, built up in order.
struct Vectors {
    files: Vec<(String, Vec<u8>)>,
    entries: Vec<Value>,
}

impl Vectors {
    fn file(&mut self, name: &str, bytes: Vec<u8>) -> String {
        if let Some((_, existing)) = self.files.iter().find(|(n, _)| n == name) {
            assert_eq!(existing, &bytes, "two different files named {name}");
        } else {
            self.files.push((name.to_string(), bytes));
        }
        name.to_string()
    }

    fn entry(&mut self, entry: Value) {
        self.entries.push(entry);
    }
}

fn refused(code: &str) -> Value {
    json!({ "result": "refused", "code": code })
}

/// A small valid policy. Its exact text (spacing included) is what the engine reads.
const POLICY_V5: &str = "{\n  \"internal_domains\": [\"acme.example\"],\n  \"trusted_domains\": [\"partner.example\"]\n}\n";
const POLICY_V5_OTHER: &str = "{\n  \"internal_domains\": [\"acme.example\"],\n  \"trusted_domains\": [\"partner.example\", \"evil.example\"]\n}\n";

fn domain_list_policy(min_bundle_bytes: usize) -> String {
    let mut policy = String::from("{\"trusted_domains\":[");
    let mut n = 0;
    // bundle ≈ (policy + one escape per quote) * 4/3 + 200 bytes of envelope.
    while (policy.len() + 2 * n) * 4 / 3 < min_bundle_bytes {
        if n > 0 {
            policy.push(',');
        }
        policy.push_str(&format!("\"partner-{n:06}.example\""));
        n += 1;
    }
    policy + "]}"
}

/// The test keys, each from a fixed seed.
struct Keys {
    root_a: SigningKey,
    root_b: SigningKey,
    signer_1: SigningKey,
    signer_2: SigningKey,
    signer_3: SigningKey,
    stranger: SigningKey,
}

impl Keys {
    fn new() -> Keys {
        Keys {
            root_a: key("root-a"),
            root_b: key("root-b"),
            signer_1: key("signer-1"),
            signer_2: key("signer-2"),
            signer_3: key("signer-3"),
            stranger: key("stranger"),
        }
    }
}

/// The keysets vectors are checked against, by file name, and what later vectors vary.
struct Trust {
    v1: Keyset,
    /// Keyset v1 as signed.
    v1_bytes: Vec<u8>,
    v2_builder: KeysetBuilder,
    v3_builder: KeysetBuilder,
    /// v1: root A; signers 1 and 2.
    ks1: String,
    /// v2: revokes signer 2, adds signer 3.
    ks2: String,
    /// v3: root rotated from A to B.
    ks3: String,
}

const KEYSET_EXPIRY: i64 = T0 + 3650 * DAY;
/// When most vectors are checked.
const NOW: i64 = T0 + DAY;

fn generate() -> (Vec<(String, Vec<u8>)>, Value) {
    let keys = Keys::new();
    let mut v = Vectors {
        files: Vec::new(),
        entries: Vec::new(),
    };
    let trust = trusted_keysets(&mut v, &keys);
    keyset_update_vectors(&mut v, &trust);
    root_rotation_refusals(&mut v, &keys, &trust);
    keyset_refusals(&mut v, &keys, &trust);
    let valid = ValidPolicy::sign(&mut v, &keys);
    accepted_policy_vectors(&mut v, &trust, &valid);
    refused_policy_vectors(&mut v, &keys, &trust, &valid);
    signer_vectors(&mut v, &keys, &trust);
    size_vectors(&mut v, &keys, &trust);
    payload_type_vectors(&mut v, &keys, &trust);
    tampered_envelope_vectors(&mut v, &keys, &trust, &valid);
    one_shape_vectors(&mut v, &keys, &trust, &valid);
    let manifest = manifest(&keys, v.entries);
    (v.files, manifest)
}

/// Keysets: v1 (root A; signers 1, 2), v2 (revokes 2, adds 3), v3 (root rotated A -> B).
fn trusted_keysets(v: &mut Vectors, keys: &Keys) -> Trust {
    let v1_builder = KeysetBuilder::new(TENANT, 1, T0 - 10 * DAY, KEYSET_EXPIRY)
        .add_root(&keys.root_a.public_key())
        .add_signing_key(&keys.signer_1.public_key())
        .add_signing_key(&keys.signer_2.public_key());
    let v1_bytes = v1_builder.sign(&[&keys.root_a]);
    let v1: Keyset = keyset::verify_pinned(&v1_bytes, TENANT, T0).unwrap();
    let v2_builder = KeysetBuilder::next(&v1, T0 - 5 * DAY, KEYSET_EXPIRY)
        .revoke(&keys.signer_2.key_id())
        .add_signing_key(&keys.signer_3.public_key());
    let v2_bytes = v2_builder.sign(&[&keys.root_a]);
    let v2 = keyset::verify_update(&v2_bytes, &v1, T0).unwrap();
    let v3_builder = KeysetBuilder::next(&v2, T0 - DAY, KEYSET_EXPIRY)
        .add_root(&keys.root_b.public_key())
        .remove_root(&keys.root_a.key_id());
    let ks1 = v.file("keyset-v1.json", v1_bytes.clone());
    let ks2 = v.file("keyset-v2.json", v2_bytes.clone());
    let ks3 = v.file(
        "keyset-v3-rotated.json",
        v3_builder.sign(&[&keys.root_a, &keys.root_b]),
    );
    Trust {
        v1,
        v1_bytes,
        v2_builder,
        v3_builder,
        ks1,
        ks2,
        ks3,
    }
}

fn keyset_vector(
    name: &str,
    description: &str,
    file: &str,
    trust: Value,
    tenant: &str,
    now: i64,
    expect: Value,
) -> Value {
    json!({ "name": name, "description": description, "kind": "keyset", "file": file, "trust": trust,
            "tenant": tenant, "held": null, "now": now, "expect": expect })
}

fn pinned() -> Value {
    json!({ "pinned_roots": true })
}

/// The accepted chain: v1 pinned, v2 an update, v3 a root rotation.
fn keyset_update_vectors(v: &mut Vectors, trust: &Trust) {
    v.entry(keyset_vector(
        "keyset-v1",
        "The first keyset, signed by the pinned root A.",
        &trust.ks1,
        pinned(),
        TENANT,
        NOW,
        json!({ "result": "accepted", "version": 1 }),
    ));
    v.entry(keyset_vector(
        "keyset-v2-revokes-signer-2",
        "Update signed by root A: revokes signer-2, adds signer-3.",
        &trust.ks2,
        json!({ "keyset": trust.ks1 }),
        TENANT,
        NOW,
        json!({ "result": "accepted", "version": 2 }),
    ));
    v.entry(keyset_vector(
        "keyset-v3-root-rotation",
        "Root rotation A -> B, signed by both the old and the new root.",
        &trust.ks3,
        json!({ "keyset": trust.ks2 }),
        TENANT,
        NOW,
        json!({ "result": "accepted", "version": 3 }),
    ));
}

/// A root rotation needs the old and the new root: either alone is refused.
fn root_rotation_refusals(v: &mut Vectors, keys: &Keys, trust: &Trust) {
    let only_new = v.file(
        "keyset-v3-signed-by-new-root-only.json",
        trust.v3_builder.sign(&[&keys.root_b]),
    );
    v.entry(keyset_vector(
        "keyset-v3-signed-by-new-root-only",
        "Root rotation signed only by the new root B: the trusted root A did not sign.",
        &only_new,
        json!({ "keyset": trust.ks2 }),
        TENANT,
        NOW,
        refused("unknown_key"),
    ));
    let only_old = v.file(
        "keyset-v3-signed-by-old-root-only.json",
        trust.v3_builder.sign(&[&keys.root_a]),
    );
    v.entry(keyset_vector(
        "keyset-v3-signed-by-old-root-only",
        "Root rotation signed only by the old root A: the new root B did not sign.",
        &only_old,
        json!({ "keyset": trust.ks2 }),
        TENANT,
        NOW,
        refused("unknown_key"),
    ));
}

/// Rollback, dropped revocations, a reused version, expiry and another tenant's keyset.
fn keyset_refusals(v: &mut Vectors, keys: &Keys, trust: &Trust) {
    v.entry(keyset_vector(
        "keyset-rollback",
        "Keyset v1 offered to a client that trusts v2.",
        &trust.ks1,
        json!({ "keyset": trust.ks2 }),
        TENANT,
        NOW,
        refused("rollback"),
    ));
    let mut unrevoke = trust.v2_builder.statement().clone();
    unrevoke.version = 3;
    unrevoke.revoked_key_ids.clear();
    unrevoke.signing_keys.push(keys.signer_2.key_entry());
    let unrevoke = v.file(
        "keyset-v3-unrevokes-signer-2.json",
        sendguard_sign::sign_keyset(&unrevoke, &[&keys.root_a]),
    );
    v.entry(keyset_vector(
        "keyset-v3-unrevokes",
        "Keyset v3 signed by root A that re-lists the revoked signer-2.",
        &unrevoke,
        json!({ "keyset": trust.ks2 }),
        TENANT,
        NOW,
        refused("revocation_dropped"),
    ));
    let other_v2 = v.file(
        "keyset-v2-other-content.json",
        KeysetBuilder::next(&trust.v1, T0 - 5 * DAY, KEYSET_EXPIRY).sign(&[&keys.root_a]),
    );
    v.entry(keyset_vector(
        "keyset-same-version-other-content",
        "A different keyset numbered 2, offered to a client holding v2.",
        &other_v2,
        json!({ "keyset": trust.ks2 }),
        TENANT,
        NOW,
        refused("same_version_different_content"),
    ));
    let short = v.file(
        "keyset-v2-expires-day-2.json",
        KeysetBuilder::next(&trust.v1, T0, T0 + 2 * DAY).sign(&[&keys.root_a]),
    );
    v.entry(keyset_vector(
        "keyset-expired",
        "Keyset v2 that expired at T0 + 2 days, checked at T0 + 3 days.",
        &short,
        json!({ "keyset": trust.ks1 }),
        TENANT,
        T0 + 3 * DAY,
        json!({ "result": "refused", "code": "expired", "version": 2, "expires_at": T0 + 2 * DAY }),
    ));
    let globex = v.file(
        "keyset-globex.json",
        KeysetBuilder::new("globex", 1, T0, KEYSET_EXPIRY)
            .add_root(&keys.root_a.public_key())
            .add_signing_key(&keys.signer_1.public_key())
            .sign(&[&keys.root_a]),
    );
    v.entry(keyset_vector(
        "keyset-wrong-tenant",
        "A keyset of tenant globex signed by the same root.",
        &globex,
        pinned(),
        TENANT,
        NOW,
        refused("wrong_tenant"),
    ));
}

fn policy_vector(
    name: &str,
    description: &str,
    file: &str,
    trust: &str,
    held: Option<&HeldPolicy>,
    now: i64,
    expect: Value,
) -> Value {
    json!({ "name": name, "description": description, "kind": "policy", "file": file, "trust": { "keyset": trust },
            "tenant": TENANT, "held": held.map(held_json), "now": now, "expect": expect })
}

/// Policy v5 signed by signer-1: the bundle most policy vectors start from.
struct ValidPolicy {
    bytes: Vec<u8>,
    held: HeldPolicy,
    file: String,
    /// What verifying it answers.
    accepted: Value,
}

impl ValidPolicy {
    fn sign(v: &mut Vectors, keys: &Keys) -> ValidPolicy {
        let bytes = sign_policy(&keys.signer_1, TENANT, 5, T0, T0 + 30 * DAY, POLICY_V5);
        let held = HeldPolicy {
            version: 5,
            digest: digest_of(&bytes),
        };
        let file = v.file("policy-v5.json", bytes.clone());
        let accepted = json!({ "result": "accepted", "version": 5, "issued_at": T0, "expires_at": T0 + 30 * DAY,
            "key_id": keys.signer_1.key_id(), "policy_json": POLICY_V5, "digest": hex(&held.digest) });
        ValidPolicy {
            bytes,
            held,
            file,
            accepted,
        }
    }
}

/// The valid policy accepted: first install, newer than held, fetched again, after the root
/// rotation; and refused with any bit flipped.
fn accepted_policy_vectors(v: &mut Vectors, trust: &Trust, valid: &ValidPolicy) {
    v.entry(policy_vector(
        "policy-valid",
        "Policy v5 signed by signer-1; nothing held.",
        &valid.file,
        &trust.ks1,
        None,
        NOW,
        valid.accepted.clone(),
    ));
    let held_v3 = HeldPolicy {
        version: 3,
        digest: [0x33; 32],
    };
    v.entry(policy_vector(
        "policy-valid-newer-than-held",
        "Policy v5 while v3 is held.",
        &valid.file,
        &trust.ks1,
        Some(&held_v3),
        NOW,
        valid.accepted.clone(),
    ));
    v.entry(policy_vector(
        "policy-same-bundle-again",
        "Policy v5 fetched again while that same v5 is held.",
        &valid.file,
        &trust.ks1,
        Some(&valid.held),
        NOW,
        valid.accepted.clone(),
    ));
    v.entry(policy_vector(
        "policy-valid-after-root-rotation",
        "Signer-1 is still listed after the root rotation.",
        &valid.file,
        &trust.ks3,
        None,
        NOW,
        valid.accepted.clone(),
    ));
    v.entry(json!({ "name": "policy-bit-flips", "kind": "policy_bit_flips", "file": valid.file, "trust": { "keyset": trust.ks1 },
        "tenant": TENANT, "held": null, "now": NOW,
        "description": "Flip each bit of each byte of policy-v5.json in turn (8 variants per byte): every variant must be refused (any code).",
        "expect": { "result": "refused" } }));
}

/// Another tenant's policy, a rollback, a reused version and an expired policy.
fn refused_policy_vectors(v: &mut Vectors, keys: &Keys, trust: &Trust, valid: &ValidPolicy) {
    let wrong_tenant = v.file(
        "policy-globex.json",
        sign_policy(&keys.signer_1, "globex", 5, T0, T0 + 30 * DAY, POLICY_V5),
    );
    v.entry(policy_vector(
        "policy-wrong-tenant",
        "Signed by acme's signer-1, but for tenant globex.",
        &wrong_tenant,
        &trust.ks1,
        None,
        NOW,
        refused("wrong_tenant"),
    ));
    let older = v.file(
        "policy-v4.json",
        sign_policy(
            &keys.signer_1,
            TENANT,
            4,
            T0 - DAY,
            T0 + 30 * DAY,
            POLICY_V5,
        ),
    );
    v.entry(policy_vector(
        "policy-rollback",
        "Policy v4 while v5 is held.",
        &older,
        &trust.ks1,
        Some(&valid.held),
        NOW,
        refused("rollback"),
    ));
    let other = v.file(
        "policy-v5-other-content.json",
        sign_policy(
            &keys.signer_1,
            TENANT,
            5,
            T0,
            T0 + 30 * DAY,
            POLICY_V5_OTHER,
        ),
    );
    v.entry(policy_vector(
        "policy-same-version-other-content",
        "A different policy numbered 5 while v5 is held.",
        &other,
        &trust.ks1,
        Some(&valid.held),
        NOW,
        refused("same_version_different_content"),
    ));
    let mut expired = valid.accepted.clone();
    expired["result"] = json!("refused");
    expired["code"] = json!("expired");
    v.entry(policy_vector("policy-expired", "Policy v5 (expires T0 + 30 days) checked at T0 + 31 days; the error carries the verified policy.",
        &valid.file, &trust.ks1, None, T0 + 31 * DAY, expired));
}

/// Policy v6/v7 signed by various keys: unknown, a root, revoked, listed before and after the
/// keyset update.
fn signer_vectors(v: &mut Vectors, keys: &Keys, trust: &Trust) {
    // (vector, description, file, signer, version, trust, expect).
    let by_signer: [(&str, &str, &str, &SigningKey, u64, &str, Value); 5] = [
        (
            "policy-unknown-key",
            "Signed by a key the keyset does not list.",
            "policy-signed-by-stranger.json",
            &keys.stranger,
            6,
            &trust.ks1,
            refused("unknown_key"),
        ),
        (
            "policy-signed-by-root",
            "Signed by root A: root keys sign keysets, not policies.",
            "policy-signed-by-root.json",
            &keys.root_a,
            6,
            &trust.ks1,
            refused("unknown_key"),
        ),
        (
            "policy-signer-2-before-revocation",
            "Signer-2 is valid in keyset v1.",
            "policy-signed-by-signer-2.json",
            &keys.signer_2,
            6,
            &trust.ks1,
            json!({ "result": "accepted", "version": 6, "key_id": keys.signer_2.key_id() }),
        ),
        (
            "policy-revoked-key",
            "Signer-2 was revoked by keyset v2.",
            "policy-signed-by-signer-2.json",
            &keys.signer_2,
            6,
            &trust.ks2,
            refused("revoked_key"),
        ),
        (
            "policy-new-signer-after-update",
            "Signer-3, added by keyset v2.",
            "policy-signed-by-signer-3.json",
            &keys.signer_3,
            7,
            &trust.ks2,
            json!({ "result": "accepted", "version": 7, "key_id": keys.signer_3.key_id() }),
        ),
    ];
    for (name, description, file, signer, version, keyset, expect) in by_signer {
        let file = v.file(
            file,
            sign_policy(signer, TENANT, version, T0, T0 + 30 * DAY, POLICY_V5),
        );
        v.entry(policy_vector(
            name,
            description,
            &file,
            keyset,
            None,
            NOW,
            expect,
        ));
    }
}

/// A bundle of about 100 KB (accepted) and one over the size cap (refused).
fn size_vectors(v: &mut Vectors, keys: &Keys, trust: &Trust) {
    let large_policy = domain_list_policy(100_000);
    let large = v.file(
        "policy-100k.json",
        sign_policy(&keys.signer_1, TENANT, 8, T0, T0 + 30 * DAY, &large_policy),
    );
    v.entry(policy_vector(
        "policy-100k",
        "A valid bundle of about 100 KB (the benchmark's input).",
        &large,
        &trust.ks1,
        None,
        NOW,
        json!({ "result": "accepted", "version": 8 }),
    ));
    let huge_policy = domain_list_policy(MAX_BUNDLE_BYTES + 1);
    let huge_bytes = sign_policy(&keys.signer_1, TENANT, 9, T0, T0 + 30 * DAY, &huge_policy);
    assert!(huge_bytes.len() > MAX_BUNDLE_BYTES);
    let huge = v.file("policy-oversized.json", huge_bytes);
    v.entry(policy_vector(
        "policy-oversized",
        "A correctly signed bundle larger than the 1 MiB cap.",
        &huge,
        &trust.ks1,
        None,
        NOW,
        refused("too_large"),
    ));
}

/// Payload-type attacks: the same payload signed as a keyset but labelled a policy, and a
/// keyset handed over as a policy.
fn payload_type_vectors(v: &mut Vectors, keys: &Keys, trust: &Trust) {
    let payload = policy_payload(&PolicyStatement {
        tenant: TENANT.into(),
        version: 6,
        issued_at: T0,
        expires_at: T0 + 30 * DAY,
        policy: POLICY_V5.into(),
    });
    let mut swapped: Envelope = serde_json::from_slice(&sign_envelope(
        KEYSET_PAYLOAD_TYPE,
        &payload,
        &[&keys.signer_1],
    ))
    .unwrap();
    swapped.payload_type = POLICY_PAYLOAD_TYPE.into();
    let swapped = v.file(
        "policy-signature-over-keyset-type.json",
        envelope_bytes(&swapped),
    );
    v.entry(policy_vector(
        "policy-signature-over-other-payload-type",
        "Signature made over the keyset payload type, envelope relabelled as a policy.",
        &swapped,
        &trust.ks1,
        None,
        NOW,
        refused("bad_signature"),
    ));
    v.entry(policy_vector(
        "policy-is-a-keyset",
        "A keyset file offered as a policy bundle.",
        &trust.ks1,
        &trust.ks1,
        None,
        NOW,
        refused("wrong_payload_type"),
    ));
}

/// Envelopes tampered with: a transplanted signature, no signatures, not JSON, a statement
/// with a field the format does not define.
fn tampered_envelope_vectors(v: &mut Vectors, keys: &Keys, trust: &Trust, valid: &ValidPolicy) {
    let mut transplant: Envelope =
        serde_json::from_slice(&other_bytes_for(&keys.signer_1)).unwrap();
    let donor: Envelope = serde_json::from_slice(&valid.bytes).unwrap();
    transplant.signatures = donor.signatures;
    let transplant = v.file(
        "policy-transplanted-signature.json",
        envelope_bytes(&transplant),
    );
    v.entry(policy_vector(
        "policy-transplanted-signature",
        "Signer-1's signature of policy v5 attached to other content.",
        &transplant,
        &trust.ks1,
        None,
        NOW,
        refused("bad_signature"),
    ));
    let mut unsigned: Envelope = serde_json::from_slice(&valid.bytes).unwrap();
    unsigned.signatures.clear();
    let unsigned = v.file("policy-no-signatures.json", envelope_bytes(&unsigned));
    v.entry(policy_vector(
        "policy-no-signatures",
        "The valid envelope with its signature list emptied.",
        &unsigned,
        &trust.ks1,
        None,
        NOW,
        refused("malformed"),
    ));
    let not_json = v.file(
        "policy-not-json.txt",
        b"internal_domains = acme.example\n".to_vec(),
    );
    v.entry(policy_vector(
        "policy-not-json",
        "Not an envelope at all.",
        &not_json,
        &trust.ks1,
        None,
        NOW,
        refused("malformed"),
    ));
    let extra_field = br#"{"tenant":"acme","version":6,"issued_at":1767225600,"expires_at":1769817600,"policy":"{}","trusted":true}"#;
    let extra = v.file(
        "policy-signed-statement-with-unknown-field.json",
        sign_envelope(POLICY_PAYLOAD_TYPE, extra_field, &[&keys.signer_1]),
    );
    v.entry(policy_vector(
        "policy-statement-unknown-field",
        "Correctly signed, but the statement has a field the format does not define.",
        &extra,
        &trust.ks1,
        None,
        NOW,
        refused("malformed"),
    ));
}

/// One shape per input (issue 13): JSON arrays where the format has objects, and anything
/// after the envelope, are refused even when every signature verifies.
fn one_shape_vectors(v: &mut Vectors, keys: &Keys, trust: &Trust, valid: &ValidPolicy) {
    let envelope: Envelope = serde_json::from_slice(&valid.bytes).unwrap();
    // The field values in the order of the format's fields: what serde's derived structs
    // used to accept in place of the object.
    let in_order = |value: &Value, fields: &[&str]| -> Value {
        Value::Array(fields.iter().map(|f| value[*f].clone()).collect())
    };
    let as_array = |value: Value| -> Value {
        let fields: &[&str] = if value.get("payloadType").is_some() {
            &["payloadType", "payload", "signatures"]
        } else if value.get("sig").is_some() {
            &["keyid", "sig"]
        } else if value.get("public_key").is_some() {
            &["id", "public_key"]
        } else if value.get("root_keys").is_some() {
            &[
                "tenant",
                "version",
                "issued_at",
                "expires_at",
                "root_keys",
                "root_threshold",
                "signing_keys",
                "revoked_key_ids",
            ]
        } else {
            &["tenant", "version", "issued_at", "expires_at", "policy"]
        };
        in_order(&value, fields)
    };
    let envelope_value = serde_json::to_value(&envelope).unwrap();
    let mut array_shaped = serde_json::to_vec(&as_array(envelope_value.clone())).unwrap();
    array_shaped.push(b'\n');
    let mut signature_arrays = envelope_value.clone();
    signature_arrays["signatures"] = Value::Array(
        envelope_value["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| as_array(s.clone()))
            .collect(),
    );
    let mut signature_arrays = serde_json::to_vec(&signature_arrays).unwrap();
    signature_arrays.push(b'\n');
    let statement: Value = serde_json::from_slice(&policy_payload(&PolicyStatement {
        tenant: TENANT.into(),
        version: 6,
        issued_at: T0,
        expires_at: T0 + 30 * DAY,
        policy: "{}".into(),
    }))
    .unwrap();
    let statement_array = serde_json::to_vec(&as_array(statement)).unwrap();
    let mut trailing = valid.bytes.clone();
    trailing.extend_from_slice(&other_bytes_for(&keys.signer_1));
    for (name, description, bytes) in [
        (
            "policy-envelope-as-array",
            "The valid envelope written as a JSON array of its field values.",
            array_shaped,
        ),
        (
            "policy-signature-as-array",
            "The valid envelope with its signature entry written as a JSON array.",
            signature_arrays,
        ),
        (
            "policy-statement-as-array",
            "Correctly signed by signer-1, but the statement is a JSON array of its field values.",
            sign_envelope(POLICY_PAYLOAD_TYPE, &statement_array, &[&keys.signer_1]),
        ),
        (
            "policy-two-envelopes",
            "The valid envelope followed by a second one (policy v5, other content).",
            trailing,
        ),
    ] {
        let file = v.file(&format!("{name}.json"), bytes);
        v.entry(policy_vector(
            name,
            description,
            &file,
            &trust.ks1,
            None,
            NOW,
            refused("malformed"),
        ));
    }
    let keyset_payload = {
        use base64::Engine as _;
        let keyset_envelope: Envelope = serde_json::from_slice(&trust.v1_bytes).unwrap();
        base64::engine::general_purpose::STANDARD
            .decode(keyset_envelope.payload)
            .unwrap()
    };
    let keyset_statement: Value = serde_json::from_slice(&keyset_payload).unwrap();
    let keyset_array = v.file(
        "keyset-statement-as-array.json",
        sign_envelope(
            KEYSET_PAYLOAD_TYPE,
            &serde_json::to_vec(&as_array(keyset_statement)).unwrap(),
            &[&keys.root_a],
        ),
    );
    v.entry(keyset_vector(
        "keyset-statement-as-array",
        "Keyset v1's statement written as a JSON array of its field values, signed by root A.",
        &keyset_array,
        pinned(),
        TENANT,
        NOW,
        refused("malformed"),
    ));
    let mut keys_as_arrays: Value = serde_json::from_slice(&keyset_payload).unwrap();
    for list in ["root_keys", "signing_keys"] {
        let entries: Vec<Value> = keys_as_arrays[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| as_array(k.clone()))
            .collect();
        keys_as_arrays[list] = Value::Array(entries);
    }
    let keys_as_arrays = v.file(
        "keyset-keys-as-arrays.json",
        sign_envelope(
            KEYSET_PAYLOAD_TYPE,
            &serde_json::to_vec(&keys_as_arrays).unwrap(),
            &[&keys.root_a],
        ),
    );
    v.entry(keyset_vector(
        "keyset-keys-as-arrays",
        "Keyset v1 with each key entry written as a JSON array [id, public_key], signed by root A.",
        &keys_as_arrays,
        pinned(),
        TENANT,
        NOW,
        refused("malformed"),
    ));
}

/// The manifest: how to run the vectors, the keys, and the vectors in order.
fn manifest(keys: &Keys, entries: Vec<Value>) -> Value {
    let Keys {
        root_a,
        root_b,
        signer_1,
        signer_2,
        signer_3,
        stranger,
    } = keys;
    json!({
        "description": "Sendguard signed policy bundle and keyset test vectors. Format: docs/bundle-format.md. Generated by crates/sign/tests/bundle_vectors.rs from fixed seeds; do not edit by hand.",
        "how_to_run": "For each vector: build the trust (pinned_roots: the manifest's pinned_roots; keyset: that file verified as a pinned keyset for `tenant` at `now`), then verify `file` as `kind` (policy: bundle::verify; keyset: keyset::verify_with_roots, or keyset::verify_update against the trust keyset) with `held` and `now`, and compare with `expect` (result, and code when refused; other fields must match when present).",
        "max_bundle_bytes": MAX_BUNDLE_BYTES,
        "policy_payload_type": POLICY_PAYLOAD_TYPE,
        "keyset_payload_type": KEYSET_PAYLOAD_TYPE,
        "pae_example": String::from_utf8(pae(POLICY_PAYLOAD_TYPE, b"{}")).unwrap(),
        "pinned_roots": { "keys": [root_a.key_entry()], "threshold": 1 },
        "keys": {
            "root-a": root_a.key_entry(), "root-b": root_b.key_entry(), "signer-1": signer_1.key_entry(),
            "signer-2": signer_2.key_entry(), "signer-3": signer_3.key_entry(), "stranger": stranger.key_entry(),
        },
        "key_seeds": "seed = SHA-256(\"sendguard test vector key: \" + name); test keys only",
        "vectors": entries,
    })
}

/// Policy v5 with other content, signed by `key`, used as the body of the transplant attack.
fn other_bytes_for(key: &SigningKey) -> Vec<u8> {
    sign_policy(key, TENANT, 5, T0, T0 + 30 * DAY, POLICY_V5_OTHER)
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/bundles")
}

#[test]
fn checked_in_vectors_are_exactly_what_the_generator_produces() {
    let (files, manifest) = generate();
    let manifest_text = serde_json::to_string_pretty(&manifest).unwrap() + "\n";
    let dir = vectors_dir();
    if std::env::var_os("SENDGUARD_REGENERATE_VECTORS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
        for (name, bytes) in &files {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        std::fs::write(dir.join("manifest.json"), &manifest_text).unwrap();
    }
    let stale = "is out of date: run SENDGUARD_REGENERATE_VECTORS=1 cargo test -p sendguard-sign --test bundle_vectors";
    for (name, bytes) in &files {
        let on_disk = std::fs::read(dir.join(name)).unwrap_or_default();
        assert!(&on_disk == bytes, "tests/vectors/bundles/{name} {stale}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("manifest.json")).unwrap_or_default(),
        manifest_text,
        "manifest.json {stale}"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        files.len() + 1,
        "stray files in tests/vectors/bundles"
    );
}
