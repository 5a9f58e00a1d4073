//! Verification rules the shared vectors do not spell out one by one: thresholds, repeated
//! signatures, keyset consistency, statement bounds, and the signer/verifier round trip.

use sendguard_core::bundle::{self, PolicyStatement};
use sendguard_core::envelope::{Envelope, POLICY_PAYLOAD_TYPE};
use sendguard_core::keyset::{self, KeysetStatement};
use sendguard_sign::{
    envelope_bytes, policy_payload, sign_envelope, sign_keyset, sign_policy, KeysetBuilder,
    SigningKey,
};

const NOW: i64 = 1_800_000_000;

fn key(n: u8) -> SigningKey {
    SigningKey::from_seed([n; 32])
}

fn keyset_with(roots: &[&SigningKey], threshold: usize, signers: &[&SigningKey]) -> KeysetBuilder {
    let mut builder = KeysetBuilder::new("acme", 1, NOW - 10, NOW + 1000).root_threshold(threshold);
    for r in roots {
        builder = builder.add_root(&r.public_key());
    }
    for s in signers {
        builder = builder.add_signing_key(&s.public_key());
    }
    builder
}

#[test]
fn a_root_threshold_of_two_needs_two_distinct_roots() {
    let (a, b, c, s) = (key(1), key(2), key(3), key(9));
    let builder = keyset_with(&[&a, &b, &c], 2, &[&s]);
    assert!(keyset::verify_pinned(&builder.sign(&[&a, &c]), "acme", NOW).is_ok());
    let one = keyset::verify_pinned(&builder.sign(&[&a]), "acme", NOW).unwrap_err();
    assert_eq!(one.code(), "too_few_signatures");
    // The same root signing twice is still one root.
    let twice = keyset::verify_pinned(&builder.sign(&[&a, &a]), "acme", NOW).unwrap_err();
    assert_eq!(twice.code(), "too_few_signatures");
}

#[test]
fn any_valid_signature_by_a_listed_key_is_enough_for_a_policy() {
    let (root, s1, stranger) = (key(1), key(5), key(6));
    let trust = keyset::verify_pinned(
        &keyset_with(&[&root], 1, &[&s1]).sign(&[&root]),
        "acme",
        NOW,
    )
    .unwrap();
    let payload = policy_payload(&PolicyStatement {
        tenant: "acme".into(),
        version: 1,
        issued_at: NOW,
        expires_at: NOW + 10,
        policy: "{}".into(),
    });
    let both = sign_envelope(POLICY_PAYLOAD_TYPE, &payload, &[&stranger, &s1]);
    let verified = bundle::verify(&both, &trust, "acme", None, NOW).unwrap();
    assert_eq!(verified.key_id, s1.key_id());
    // A garbage signature claiming to be s1, placed first, makes the bundle refused.
    let mut envelope: Envelope = serde_json::from_slice(&both).unwrap();
    let mut forged = envelope.signatures[1].clone();
    forged.sig = envelope.signatures[0].sig.clone();
    envelope.signatures.insert(0, forged);
    let err = bundle::verify(&envelope_bytes(&envelope), &trust, "acme", None, NOW).unwrap_err();
    assert_eq!(err.code(), "bad_signature");
}

/// One way to spoil a keyset statement.
type KeysetChange = fn(&mut KeysetStatement);

#[test]
fn inconsistent_keysets_are_malformed() {
    let (root, s) = (key(1), key(5));
    let good = keyset_with(&[&root], 1, &[&s]).statement().clone();
    let cases: Vec<(&str, KeysetChange)> = vec![
        ("threshold above the number of roots", |k| {
            k.root_threshold = 2
        }),
        ("threshold zero", |k| k.root_threshold = 0),
        ("id not derived from the key", |k| {
            k.signing_keys[0].id = "00".repeat(16)
        }),
        ("root also a signing key", |k| {
            k.signing_keys.push(k.root_keys[0].clone())
        }),
        ("listed and revoked", |k| {
            k.revoked_key_ids.push(k.signing_keys[0].id.clone())
        }),
        ("version zero", |k| k.version = 0),
        ("version beyond 2^53", |k| k.version = 1 << 53),
        ("expires before issued", |k| k.expires_at = k.issued_at - 1),
        ("empty tenant", |k| k.tenant.clear()),
        ("a small-order public key", |k| {
            // The identity point: every signature would verify against it with plain `verify`.
            let mut identity = [0u8; 32];
            identity[0] = 1;
            use base64::Engine as _;
            k.signing_keys[0].public_key =
                base64::engine::general_purpose::STANDARD.encode(identity);
        }),
    ];
    for (what, change) in cases {
        let mut statement = good.clone();
        change(&mut statement);
        let err = keyset::verify_pinned(
            &sign_keyset(&statement, &[&root]),
            &statement.tenant.clone(),
            NOW,
        )
        .unwrap_err();
        assert_eq!(err.code(), "malformed", "{what}: {err}");
    }
}

#[test]
fn the_exact_policy_text_survives_signing() {
    let (root, s) = (key(1), key(5));
    let trust = keyset::verify_pinned(&keyset_with(&[&root], 1, &[&s]).sign(&[&root]), "acme", NOW)
        .unwrap();
    let text = "{ \"internal_domains\" : [ \"acme.example\" ] , \"trusted_domains\": [\"b\\u00e9.example\", \"ünï.example\"] }\r\n\t";
    let bundle = sign_policy(&s, "acme", 3, NOW, NOW + 5, text);
    let verified = bundle::verify(&bundle, &trust, "acme", None, NOW).unwrap();
    assert_eq!(verified.policy_json, text);
    // Expiry is exclusive: fresh one second before, stale at expires_at.
    assert!(bundle::verify(&bundle, &trust, "acme", None, NOW + 4).is_ok());
    assert_eq!(
        bundle::verify(&bundle, &trust, "acme", None, NOW + 5)
            .unwrap_err()
            .code(),
        "expired"
    );
}

#[test]
fn bundles_at_the_size_cap_are_read_and_one_byte_more_is_not() {
    let (root, s) = (key(1), key(5));
    let trust = keyset::verify_pinned(&keyset_with(&[&root], 1, &[&s]).sign(&[&root]), "acme", NOW)
        .unwrap();
    let bundle = sign_policy(&s, "acme", 3, NOW, NOW + 5, "{}");
    // JSON allows trailing whitespace, so padding shows the cap is checked on raw bytes.
    let mut at_cap = bundle.clone();
    at_cap.resize(bundle::MAX_BUNDLE_BYTES, b' ');
    assert!(bundle::verify(&at_cap, &trust, "acme", None, NOW).is_ok());
    at_cap.push(b' ');
    assert_eq!(
        bundle::verify(&at_cap, &trust, "acme", None, NOW)
            .unwrap_err()
            .code(),
        "too_large"
    );
}
