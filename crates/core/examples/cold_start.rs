//! Times building an engine for a policy of N trusted domains (default 10,000): parsing and
//! validating alone, then `Engine::from_json` (parse, validate once, build the indexes). Used to find what dominates the
//! add-ins' cold start. Run: `cargo run --release -p sendguard-core --example cold_start [N]`.

use std::time::Instant;

use sendguard_core::{Engine, Policy};

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
}
