//! What a policy's custom pattern can cost a check, side by side in one run: the default
//! policy, the same with the costliest kind of pattern the size limit accepts, and (outside the
//! engine, since validation refuses it) the pattern of issue 13 through regex-lite directly.
//! `cargo run --release -p sendguard-core --example pattern_budget`

use std::time::Instant;

use sendguard_core::{Draft, Engine, KnownRecipients, Policy};

/// Median of `runs` timings of `f`, in milliseconds.
fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

/// The largest `(\w+\s?){n}Z` the size limit accepts: dense, so every state is alive.
fn costliest_accepted() -> String {
    (1..100)
        .map(|n| format!(r"(\w+\s?){{{n}}}Z"))
        .take_while(|p| sendguard_core::content::custom::compile_pattern(p, false).is_ok())
        .last()
        .unwrap()
}

fn main() {
    let pattern = costliest_accepted();
    let custom = format!(
        r#"{{"content": {{"custom": [{{"id": "dense", "description": "a dense pattern", "pattern": {}}}]}}}}"#,
        serde_json::to_string(&pattern).unwrap()
    );
    let baseline = Engine::new(Policy::default()).unwrap();
    let with_pattern = Engine::from_json(&custom).unwrap();
    let known = KnownRecipients::default();
    println!("costliest accepted pattern: {pattern}");
    for kb in [10usize, 100, 1024] {
        let body = "the quick brown fox jumps over the lazy dog 12345 ".repeat(kb * 1024 / 50);
        let draft = Draft {
            to: vec!["carol@othercorp.com".into()],
            body,
            ..Draft::default()
        };
        let base = median_ms(5, || drop(baseline.check(&draft, &known)));
        let patterned = median_ms(5, || drop(with_pattern.check(&draft, &known)));
        let unscanned = with_pattern
            .check(&draft, &known)
            .findings
            .iter()
            .any(|f| f.recipient.is_none());
        println!(
            "{kb:>5} KB body: default policy {base:.1} ms, with the pattern {patterned:.1} ms ({:.1}x){}",
            patterned / base,
            if unscanned { ", pattern past the budget: fail_mode finding" } else { "" }
        );
    }
    let body = "the quick brown fox jumps over the lazy dog 12345 ".repeat(100 * 1024 / 50);
    let hostile = regex_lite::RegexBuilder::new(r"(\w+\s?){300}Z")
        .size_limit(1 << 24)
        .build()
        .unwrap();
    let draft = Draft {
        to: vec!["carol@othercorp.com".into()],
        body: body.clone(),
        ..Draft::default()
    };
    let base = median_ms(3, || drop(baseline.check(&draft, &known)));
    let refused = median_ms(3, || {
        std::hint::black_box(hostile.find_iter(&body).count());
    });
    println!(
        "  100 KB body: issue 13's (\\w+\\s?){{300}}Z, now refused, would add {refused:.0} ms ({:.0}x the default check)",
        refused / base
    );
}
