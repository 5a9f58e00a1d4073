//! Verifying a signed policy bundle of about 100 KB (the test vector `policy-100k.json`):
//! size cap, envelope, base64, one Ed25519 `verify_strict`, statement parse, checks.
//! Target: under 1 ms. Run: `cargo bench -p sendguard-core --bench bundle`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use sendguard_core::{bundle, keyset};

const NOW: i64 = 1_767_225_600 + 86_400;

fn read(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/vectors/bundles/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn verify_100k_bundle(c: &mut Criterion) {
    let bytes = read("policy-100k.json");
    let trust = keyset::verify_pinned(&read("keyset-v1.json"), "acme", NOW).unwrap();
    assert!(bytes.len() >= 100_000);
    bundle::verify(&bytes, &trust, "acme", None, NOW).expect("the benchmark bundle verifies");
    c.bench_function(&format!("bundle::verify {} bytes", bytes.len()), |b| {
        b.iter(|| bundle::verify(black_box(&bytes), &trust, "acme", None, NOW).unwrap())
    });
    c.bench_function("bundle::verify then Policy::from_json (100 KB)", |b| {
        b.iter(|| bundle::verify(black_box(&bytes), &trust, "acme", None, NOW).unwrap().policy().unwrap())
    });
}

criterion_group!(benches, verify_100k_bundle);
criterion_main!(benches);
