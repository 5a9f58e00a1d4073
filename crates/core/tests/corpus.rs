//! Runs every case in `tests/corpus/*.json` through the native engine.
//!
//! A case: `{"description", "policy"?, "known"?, "history"?, "draft", "expect": {"action", "findings": [...],
//! "summary_contains"?: [...]}}`. Each expected finding lists only the fields it asserts
//! (`kind`, `recipient`, `suggestion`, `action`, `fix`, ..., `message_contains` and
//! `detail_contains`); the actual findings must match them one to one, in order. The
//! WebAssembly suite runs the same files.

use std::path::PathBuf;

use sendguard_core::{Draft, Engine, History, KnownRecipients, Policy};
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

fn check_case(case: &Value) -> Result<(), String> {
    let policy = match case.get("policy") {
        Some(p) => Policy::from_json(&p.to_string()).map_err(|e| format!("policy: {e}"))?,
        None => Policy::default(),
    };
    let engine = Engine::new(policy).map_err(|e| e.to_string())?;
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
    let draft = Draft::from_json(&case["draft"].to_string()).map_err(|e| e.to_string())?;
    let verdict = engine.check(
        &draft,
        &KnownRecipients::from_history_and_list(&history, &known),
    );
    let actual = serde_json::to_value(&verdict).unwrap();
    let expect = &case["expect"];
    if expect["action"] != actual["action"] {
        return Err(format!(
            "action: expected {}, got {}\n{actual:#}",
            expect["action"], actual["action"]
        ));
    }
    let want = expect["findings"]
        .as_array()
        .ok_or("expect.findings must be a list")?;
    let got = actual["findings"].as_array().unwrap();
    if want.len() != got.len() {
        return Err(format!(
            "expected {} findings, got {}:\n{actual:#}",
            want.len(),
            got.len()
        ));
    }
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        for (key, value) in w.as_object().ok_or("a finding must be an object")? {
            if let Some(field) = key.strip_suffix("_contains") {
                // `message_contains`, `detail_contains`: fragments of the sentence or its detail.
                let text = g[field].as_str().unwrap_or("");
                for part in value.as_array().ok_or("…_contains must be a list")? {
                    let part = part.as_str().unwrap_or("");
                    if !text.contains(part) {
                        return Err(format!("finding {i}: {field} {text:?} lacks {part:?}"));
                    }
                }
            } else if g.get(key).unwrap_or(&Value::Null) != value {
                return Err(format!(
                    "finding {i}: {key} expected {value}, got {}\n{actual:#}",
                    g[key]
                ));
            }
        }
    }
    for part in expect
        .get("summary_contains")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let part = part.as_str().unwrap_or("");
        if !verdict.summary.contains(part) {
            return Err(format!("summary {:?} lacks {part:?}", verdict.summary));
        }
    }
    Ok(())
}

#[test]
fn corpus() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("tests/corpus exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "the corpus has only {} cases",
        files.len()
    );
    let failures: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            let case: Value = match serde_json::from_str(&text) {
                Ok(c) => c,
                Err(e) => return Some(format!("{}: not JSON: {e}", path.display())),
            };
            check_case(&case)
                .err()
                .map(|e| format!("{}: {e}", path.file_name().unwrap().to_string_lossy()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}
