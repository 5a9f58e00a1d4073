//! Times building an engine for a policy of N trusted domains (default 10,000): parsing and
//! validating alone, then `Engine::from_json` (parse, validate once, build the indexes); then
//! the warm 100-recipient check of `scripts/wasm-budgets.mjs` (its policy and draft), and the
//! same check against a policy of one trusted domain, side by side: their ratio is what the
//! 10,000 references cost a check, whatever the machine. Used to find what dominates the
//! add-ins' cold start and check. Run:
//! `cargo run --release -p sendguard-core --example cold_start [N]`.

use std::time::{Duration, Instant};

use sendguard_core::{Engine, KnownRecipients, Policy};

#[path = "shared/budgets.rs"]
mod budgets;
use budgets::{budgets_policy, hundred_recipients};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let domains: Vec<String> = (0..n)
        .map(|i| format!("partner-{i:05}-org.example.com"))
        .collect();
    let json = serde_json::json!({ "trusted_domains": domains }).to_string();
    for round in 0..3 {
        let t = Instant::now();
        let policy = Policy::from_json(&json).unwrap();
        let parsed = t.elapsed();
        drop(policy);
        // What the add-ins run: the policy parsed, validated once, and indexed.
        let t = Instant::now();
        let engine = Engine::from_json(&json).unwrap();
        let built = t.elapsed();
        println!(
            "round {round}: {n} domains: Policy::from_json {:.1} ms, Engine::from_json {:.1} ms ({} references)",
            parsed.as_secs_f64() * 1e3,
            built.as_secs_f64() * 1e3,
            engine.index_stats().0
        );
    }
    warm_check(n);
}

/// The budgets script's warm check: its policy of `n` trusted domains and its draft of 100
/// recipients, against the same draft checked with a one-domain policy in the same run.
fn warm_check(n: usize) {
    let large = Engine::from_json(&budgets_policy(n)).unwrap();
    let small = Engine::from_json(&budgets_policy(1)).unwrap();
    let draft = hundred_recipients();
    let known = KnownRecipients::default();
    let (mut large_times, mut small_times) = (Vec::new(), Vec::new());
    for _ in 0..200 {
        large_times.push(timed(|| large.check(&draft, &known).findings.len()));
        small_times.push(timed(|| small.check(&draft, &known).findings.len()));
    }
    let (large_ms, small_ms) = (median_ms(large_times), median_ms(small_times));
    println!(
        "100-recipient check, warm (median of 200): {n} domains {large_ms:.3} ms, one domain \
         {small_ms:.3} ms, ratio {:.2}",
        large_ms / small_ms
    );
}

fn timed(check: impl FnOnce() -> usize) -> Duration {
    let t = Instant::now();
    assert!(check() >= 20, "the check found too little");
    t.elapsed()
}

fn median_ms(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1e3
}
