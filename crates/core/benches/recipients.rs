//! Recipient checks at scale: a 100-recipient draft against 100,000 and 1,000,000 reference
//! domains, and the one-off cost (time, memory) of building the index for a policy.
//! Run: `cargo bench -p sendguard-core --bench recipients`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use sendguard_core::{Draft, Engine, KnownRecipients, Policy};

/// Deterministic pseudo-random domains (xorshift), mean length about 14 like real ones.
fn synthetic_domains(n: usize, seed: u64) -> Vec<String> {
    let mut state = seed;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    const TLDS: [&str; 8] = ["com", "org", "net", "de", "co.uk", "fr", "mil", "gov"];
    (0..n)
        .map(|_| {
            let len = 5 + (next() % 9) as usize;
            let label: String = (0..len)
                .map(|_| (b'a' + (next() % 26) as u8) as char)
                .collect();
            format!("{label}.{}", TLDS[(next() % 8) as usize])
        })
        .collect()
}

/// 100 recipients: a third exact references, a third one-edit typos of them, a third unrelated.
fn draft_for(references: &[String]) -> Draft {
    let unrelated = synthetic_domains(34, 99);
    let to = (0..100)
        .map(|i| {
            let r = &references[(i * 7919) % references.len()];
            match i % 3 {
                0 => format!("person{i}@{r}"),
                1 => format!("person{i}@{}", r.replacen(&r[..1], "q", 1)),
                _ => format!("person{i}@{}", unrelated[i / 3]),
            }
        })
        .collect();
    Draft {
        from: Some("me@example.org".into()),
        to,
        ..Draft::default()
    }
}

fn policy_with(references: &[String]) -> Policy {
    Policy {
        trusted_domains: references.to_vec(),
        ..Policy::default()
    }
}

fn bench(c: &mut Criterion) {
    for n in [100_000usize, 1_000_000] {
        let references = synthetic_domains(n, 42);
        let started = std::time::Instant::now();
        let engine = Engine::new(policy_with(&references)).unwrap();
        let (count, bytes) = engine.index_stats();
        eprintln!(
            "index for {n} domains: {count} references, built in {:.0} ms, about {:.1} MB",
            started.elapsed().as_secs_f64() * 1e3,
            bytes as f64 / 1e6
        );
        let draft = draft_for(&references);
        let known = KnownRecipients::default();
        let verdict = engine.check(&draft, &known);
        eprintln!("  100-recipient draft: {} findings", verdict.findings.len());
        c.bench_function(&format!("check 100 recipients vs {n} references"), |b| {
            b.iter(|| engine.check(std::hint::black_box(&draft), &known))
        });
        if n == 100_000 {
            let mut g = c.benchmark_group("build");
            g.sample_size(10);
            g.bench_function(format!("engine for {n} references"), |b| {
                b.iter_batched(
                    || policy_with(&references),
                    |p| Engine::new(p).unwrap(),
                    BatchSize::LargeInput,
                )
            });
            g.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
