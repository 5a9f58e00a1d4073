//! mailcheck's own test suite as a test of ours: its 17 expected suggestions (two slips at once
//! among them: `gnail.con`, `yahooo.cmo`, a stray `#`, `comcast.nry`) must be ours, and none of
//! its 5 valid addresses may be reported. The data (`tests/eval/mailcheck-spec.json`) is copied
//! from mailcheck's `spec/mailcheckSpec.js` (MIT, see `tests/eval/mailcheck-spec.LICENSE`).
//! References: the spec's domains, and its second-level names under `.com` (`hotmail.com`).

use std::path::PathBuf;

use sendguard_core::{Draft, Engine, KnownRecipients, Policy};
use serde_json::Value;

fn spec() -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/eval/mailcheck-spec.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    serde_json::from_value(v.clone()).unwrap()
}

fn engine(spec: &Value) -> Engine {
    let mut references = strings(&spec["domains"]);
    references.extend(
        strings(&spec["second_level_domains"])
            .iter()
            .map(|n| format!("{n}.com")),
    );
    let policy = serde_json::json!({ "lookalike": { "reference_domains": references } });
    Engine::new(Policy::from_json(&policy.to_string()).unwrap()).unwrap()
}

fn findings(engine: &Engine, address: &str) -> Vec<sendguard_core::Finding> {
    let draft = Draft {
        to: vec![address.to_string()],
        ..Draft::default()
    };
    engine.check(&draft, &KnownRecipients::default()).findings
}

#[test]
fn mailchecks_spec_suggestions_are_ours() {
    let spec = spec();
    let engine = engine(&spec);
    let cases: Vec<(String, String)> = serde_json::from_value(spec["suggestions"].clone()).unwrap();
    let mut wrong = Vec::new();
    for (address, expected) in &cases {
        let found = findings(&engine, address);
        let suggestion = found.first().and_then(|f| f.suggestion.clone());
        if suggestion.as_deref() != Some(expected.as_str()) {
            wrong.push(format!("{address}: {suggestion:?}, not {expected}"));
        }
    }
    println!(
        "{} of {} suggestions right",
        cases.len() - wrong.len(),
        cases.len()
    );
    assert_eq!(cases.len(), 17);
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn mailchecks_valid_addresses_pass() {
    let spec = spec();
    let engine = engine(&spec);
    let valid = strings(&spec["valid"]);
    assert_eq!(valid.len(), 5);
    for address in &valid {
        let found = findings(&engine, address);
        assert!(found.is_empty(), "{address}: {found:#?}");
    }
}
