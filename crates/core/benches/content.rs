//! Content scanning speed: a 1 MB body to 100 recipients, ordinary and hostile text.
//! Run with `cargo bench -p sendguard-core --bench content`; CI only compiles it.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sendguard_core::{Draft, Engine, KnownRecipients, Policy};

const MB: usize = 1 << 20;

/// Ordinary business prose with numbers, dates, amounts and references, and one card number
/// and one marking, repeated to `size` bytes.
fn ordinary_body(size: usize) -> String {
    let paragraph = "Dear team,\nThanks for the update on invoice 2024-11873 (order 55120934, amount \
        EUR 12,480.50) dated 03/11/2024. As discussed on the call at 14:30, the shipment of 1,250 units \
        left the warehouse in Rotterdam; tracking 1Z999AA10123456784. Please confirm the figures by \
        Friday and copy finance on any change. The secret to a good quarter is patience, and our \
        confidential forecast still holds at 4.7 per cent growth.\nKind regards,\nAlice\n\n";
    let mut body = String::from("OFFICIAL-SENSITIVE\nCard on file: 4111 1111 1111 1111\n");
    while body.len() < size {
        body.push_str(paragraph);
    }
    body
}

fn recipients(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match i % 4 {
            0 => format!("colleague{i}@example.org"),
            1 => format!("partner{i}@partner{i}.com"),
            2 => format!("someone{i}@army.ml"),
            _ => format!("person{i}@examp1e.org"),
        })
        .collect()
}

fn draft(body: String) -> Draft {
    Draft {
        from: Some("alice@example.org".into()),
        to: recipients(100),
        subject: "OFFICIAL-SENSITIVE: Q3 figures".into(),
        body,
        ..Draft::default()
    }
}

fn bench(c: &mut Criterion) {
    let engine = Engine::new(Policy::default()).unwrap();
    let known = KnownRecipients::default();
    let mut group = c.benchmark_group("content");
    group.throughput(Throughput::Bytes(MB as u64));
    group.sample_size(30);
    let cases = [
        ("ordinary_1mb_100_recipients", draft(ordinary_body(MB))),
        ("digits_1mb", draft("4111 1111 1111 1111 ".repeat(MB / 20))),
        ("seed_words_1mb", draft("abandon ".repeat(MB / 8))),
        (
            "hex_1mb",
            draft(format!("private key {} ", "ab".repeat(32)).repeat(MB / 77)),
        ),
        ("ssn_1mb", draft("SSN 536-22-8726 ".repeat(MB / 16))),
        ("banners_1mb", draft("SECRET//NOFORN\n".repeat(MB / 15))),
        ("one_line_1mb", draft("x".repeat(MB))),
    ];
    for (name, draft) in &cases {
        let verdict = engine.check(draft, &known);
        eprintln!(
            "{name}: {} findings, action {:?}",
            verdict.findings.len(),
            verdict.action
        );
        group.bench_function(*name, |b| b.iter(|| engine.check(draft, &known)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
