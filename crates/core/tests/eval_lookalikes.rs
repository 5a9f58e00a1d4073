//! The lookalike evaluation: every lookalike in `tests/eval/lookalikes.tsv` (dnstwist's fuzzers
//! and TLD edits on the references of `tests/eval/references.txt`) and every real domain in
//! `tests/eval/negatives.tsv`, sent through the engine with the references as trusted or reference domains (as listed).
//! Prints recall, right suggestion and false positives per fuzzer, and asserts the targets:
//! recall ≥ 99.5%, right suggestion ≥ 98%, false positives on real domains far from the
//! references ≤ 0.1%. Regenerate the corpus with `scripts/eval-lookalikes`.
//! `cargo test -p sendguard-core --test eval_lookalikes -- --nocapture` shows the table.

use std::collections::BTreeMap;
use std::path::PathBuf;

use sendguard_core::{Draft, Engine, FindingKind, KnownRecipients, Policy};

/// Combosquatting (`paypal-login.com`): a brand plus a word is no slip of the keyboard or the
/// eye; printed, not held to the targets.
const NOT_A_SLIP: &[&str] = &["dictionary"];

fn eval_file(name: &str) -> Vec<Vec<String>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/eval")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    (text.lines())
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn engine() -> Engine {
    let rows = eval_file("references.txt");
    let listed = |class: &str| -> Vec<String> {
        (rows.iter())
            .filter(|row| row[1] == class)
            .map(|row| row[0].clone())
            .collect()
    };
    let policy = serde_json::json!({
        "trusted_domains": listed("trusted"),
        "lookalike": { "reference_domains": listed("reference") },
    });
    Engine::new(Policy::from_json(&policy.to_string()).unwrap()).unwrap()
}

/// The kind and suggestion of the finding that reports `domain` as a slip, if any.
fn verdict_on(engine: &Engine, domain: &str) -> Option<(FindingKind, Option<String>)> {
    let draft = Draft {
        to: vec![format!("x@{domain}")],
        ..Draft::default()
    };
    let verdict = engine.check(&draft, &KnownRecipients::default());
    verdict
        .findings
        .into_iter()
        .find(|f| {
            matches!(
                f.kind,
                FindingKind::LookalikeDomain | FindingKind::TldTrap | FindingKind::InvalidAddress
            )
        })
        .map(|f| (f.kind, f.suggestion))
}

#[derive(Default)]
struct Score {
    total: usize,
    caught: usize,
    right: usize,
}

fn pct(n: usize, of: usize) -> f64 {
    if of == 0 {
        100.0
    } else {
        100.0 * n as f64 / of as f64
    }
}

#[test]
fn lookalike_evaluation_meets_its_targets() {
    let engine = engine();
    let mut by_fuzzer: BTreeMap<String, Score> = BTreeMap::new();
    let mut misses = Vec::new();
    for row in eval_file("lookalikes.tsv") {
        let (fuzzer, domain) = (&row[0], &row[1]);
        let refs: Vec<&str> = row[2].split(',').collect();
        let score = by_fuzzer.entry(fuzzer.clone()).or_default();
        score.total += 1;
        match verdict_on(&engine, domain) {
            Some((_, suggestion)) => {
                score.caught += 1;
                if suggestion.as_deref().is_some_and(|s| refs.contains(&s)) {
                    score.right += 1;
                } else {
                    misses.push(format!(
                        "{fuzzer} {domain}: suggested {suggestion:?}, not {refs:?}"
                    ));
                }
            }
            None => misses.push(format!("{fuzzer} {domain}: missed ({refs:?})")),
        }
    }
    // Real domains under a trap TLD (`.ml`, `.il`, `.cm`…) are warned about by design, whatever
    // the references (the `.mil`/`.ml` case): counted apart, not as lookalike false positives.
    let mut negatives: BTreeMap<String, Score> = BTreeMap::new();
    let (mut traps, mut false_positives) = (0, Vec::new());
    for row in eval_file("negatives.tsv") {
        let (source, domain, place) = (&row[0], &row[1], &row[2]);
        let score = negatives.entry(place.clone()).or_default();
        score.total += 1;
        match verdict_on(&engine, domain) {
            Some((FindingKind::TldTrap, _)) => traps += 1,
            Some((_, s)) => {
                score.caught += 1;
                false_positives.push(format!("{place} {source} {domain} -> {s:?}"));
            }
            None => {}
        }
    }

    println!("{:<18} {:>6} {:>8} {:>8}", "fuzzer", "n", "recall", "right");
    let mut all = Score::default();
    for (fuzzer, s) in &by_fuzzer {
        println!(
            "{fuzzer:<18} {:>6} {:>7.2}% {:>7.2}%{}",
            s.total,
            pct(s.caught, s.total),
            pct(s.right, s.total),
            if NOT_A_SLIP.contains(&fuzzer.as_str()) {
                "  (not a slip: not in the targets)"
            } else {
                ""
            }
        );
        if !NOT_A_SLIP.contains(&fuzzer.as_str()) {
            all.total += s.total;
            all.caught += s.caught;
            all.right += s.right;
        }
    }
    let (recall, right) = (pct(all.caught, all.total), pct(all.right, all.total));
    println!(
        "{:<18} {:>6} {recall:>7.2}% {right:>7.2}%",
        "all slips", all.total
    );
    for (place, s) in &negatives {
        println!(
            "negatives {place:<8} {:>6} false positives {} ({:.3}%)",
            s.total,
            s.caught,
            pct(s.caught, s.total)
        );
    }
    println!("negatives under a trap TLD, warned by design: {traps}");
    for m in misses
        .iter()
        .filter(|m| !m.starts_with("dictionary"))
        .take(4000)
    {
        println!("  {m}");
    }
    for f in &false_positives {
        println!("  false positive: {f}");
    }
    let far = &negatives["far"];
    let fp = pct(far.caught, far.total);
    assert!(recall >= 99.5, "recall {recall:.2}% < 99.5%");
    assert!(right >= 98.0, "right suggestion {right:.2}% < 98%");
    assert!(fp <= 0.1, "false positives {fp:.3}% > 0.1%");
}
