//! The message table, `tests/messages/messages.json`: for each draft, every finding's exact
//! sentence and detail line and the dialog summary; and the table's style rules checked on
//! every sentence (opens with one of its verbs, names its recipient, at most `max_words`
//! words, no `xn--` spelling, date or bracketed list name). The WebAssembly paths run the same
//! table (`addin/test/parity.test.mjs`).

use std::path::PathBuf;

use sendguard_core::{Draft, Engine, History, KnownRecipients, Policy, Verdict};
use serde_json::Value;

fn table() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/messages/messages.json");
    let text = std::fs::read_to_string(&path).expect("tests/messages/messages.json");
    serde_json::from_str(&text).expect("the message table is JSON")
}

fn verdict_of(case: &Value) -> Verdict {
    let policy = match case.get("policy") {
        Some(p) => Policy::from_json(&p.to_string()).expect("the case's policy"),
        None => Policy::default(),
    };
    let known: Vec<String> = case
        .get("known")
        .map(|k| serde_json::from_value(k.clone()).expect("known is a list of strings"))
        .unwrap_or_default();
    // `history`: the lines of a history text (docs/history-format.md).
    let history: Vec<String> = case
        .get("history")
        .map(|h| serde_json::from_value(h.clone()).expect("history is a list of lines"))
        .unwrap_or_default();
    let history = History::parse(&history.join("\n"));
    let draft = Draft::from_json(&case["draft"].to_string()).expect("the case's draft");
    Engine::new(policy).expect("engine").check(
        &draft,
        &KnownRecipients::from_history_and_list(&history, &known),
    )
}

/// The style rules; answers what is wrong with a sentence, if anything.
fn style_problems(
    message: &str,
    recipient: Option<&str>,
    verbs: &[&str],
    max_words: usize,
) -> Vec<String> {
    let mut problems = Vec::new();
    let first = message.split([' ', ':']).next().unwrap_or("");
    if !verbs.contains(&first) {
        problems.push(format!("opens with {first:?}, not with one of {verbs:?}"));
    }
    if let Some(r) = recipient {
        if !message.contains(r) {
            problems.push(format!("does not name {r}"));
        }
    }
    let words = message.split_whitespace().count();
    if words > max_words {
        problems.push(format!("{words} words (at most {max_words})"));
    }
    let has_date = message.as_bytes().windows(10).any(|w| {
        w.iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
    });
    if message.contains("xn--") || has_date || message.contains("(OFAC)") {
        problems.push("carries a detail (xn-- spelling, date or list name)".into());
    }
    problems
}

#[test]
fn every_draft_gives_the_expected_sentences_in_plain_english() {
    let table = table();
    let verbs: Vec<&str> = table["verbs"]
        .as_array()
        .expect("verbs")
        .iter()
        .map(|v| v.as_str().expect("a verb"))
        .collect();
    let max_words = table["max_words"].as_u64().expect("max_words") as usize;
    let cases = table["cases"].as_array().expect("cases");
    assert!(cases.len() >= 15, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let verdict = verdict_of(case);
        let want = case["findings"].as_array().expect("findings");
        if want.len() != verdict.findings.len() {
            failures.push(format!(
                "{name}: {} findings, expected {}: {verdict:#?}",
                verdict.findings.len(),
                want.len()
            ));
            continue;
        }
        for (w, got) in want.iter().zip(&verdict.findings) {
            let kind = serde_json::to_value(got.kind).unwrap();
            let pairs = [
                ("kind", kind),
                ("recipient", serde_json::to_value(&got.recipient).unwrap()),
                ("message", Value::from(got.message.clone())),
                ("detail", serde_json::to_value(&got.detail).unwrap()),
            ];
            for (key, actual) in pairs {
                let expected = w.get(key).cloned().unwrap_or(Value::Null);
                if expected != actual {
                    failures.push(format!("{name}: {key} is {actual}, expected {expected}"));
                }
            }
            for problem in style_problems(&got.message, got.recipient.as_deref(), &verbs, max_words)
            {
                failures.push(format!("{name}: {:?} {problem}", got.message));
            }
        }
        if case["summary"].as_str() != Some(verdict.summary.as_str()) {
            failures.push(format!(
                "{name}: summary is {:?}, expected {}",
                verdict.summary, case["summary"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_style_rules_catch_what_they_should() {
    let verbs = ["Check", "Remove"];
    assert!(style_problems(
        "Check a@b.org: did you mean b.com?",
        Some("a@b.org"),
        &verbs,
        25
    )
    .is_empty());
    let compliance = "a@b.ir is in Iran, a destination your organisation treats as high-risk (US sanctions (OFAC), list of 2025-07-01).";
    assert_eq!(
        style_problems(compliance, Some("a@b.ir"), &verbs, 25).len(),
        2
    );
    assert_eq!(
        style_problems("Check xn--rmy-5cd.mil.", None, &verbs, 25).len(),
        1
    );
    assert_eq!(
        style_problems("Check it now.", Some("a@b.org"), &verbs, 2).len(),
        2
    );
}
