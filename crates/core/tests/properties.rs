//! Properties of the recipient checks:
//! - every single edit (omission, insertion, replacement, transposition) of a reference domain
//!   that is still a valid domain is reported, with the reference as the suggestion;
//! - every reference domain, and every subdomain of one, passes;
//! - no input, however malformed, makes the engine panic.

use proptest::prelude::*;
use sendguard_core::address::parse_mailbox;
use sendguard_core::builtin::LEGITIMATE_NEIGHBOURS;
use sendguard_core::domain::Domain;
use sendguard_core::{Draft, Engine, KnownRecipients, Outcome, Policy};

const ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz0123456789-.";

/// An engine protecting only `reference` (no built-in list, so no other reference interferes).
fn engine_for(reference: &str) -> Engine {
    let policy = Policy {
        internal_domains: vec![reference.to_string()],
        lookalike: sendguard_core::policy::LookalikeSettings {
            builtin_reference_domains: false,
            ..Default::default()
        },
        ..Policy::default()
    };
    Engine::new(policy).unwrap()
}

fn all_single_edits(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    for i in 0..=chars.len() {
        for c in ALPHABET.chars() {
            let mut v = chars.clone();
            v.insert(i, c);
            out.push(v.into_iter().collect());
        }
        if i < chars.len() {
            let mut v = chars.clone();
            v.remove(i);
            out.push(v.iter().collect());
            for c in ALPHABET.chars() {
                let mut v = chars.clone();
                v[i] = c;
                out.push(v.into_iter().collect());
            }
        }
        if i + 1 < chars.len() {
            let mut v = chars.clone();
            v.swap(i, i + 1);
            out.push(v.into_iter().collect());
        }
    }
    out.sort();
    out.dedup();
    out.retain(|e| e != s);
    out
}

/// Checks that `edited` is reported with `reference` as the suggestion; `None` when the edit
/// is not a usable domain (those are reported as invalid addresses, tested elsewhere).
fn reported(engine: &Engine, reference: &str, edited: &str) -> Option<Result<(), String>> {
    let domain = Domain::parse(edited).ok()?;
    if domain.is_within(reference) {
        return None; // e.g. an inserted `x.` in front: a subdomain of the organisation itself
    }
    if LEGITIMATE_NEIGHBOURS.contains(&edited) {
        return None; // a real mail domain (`mail.com` beside `gmail.com`) is never a lookalike
    }
    let draft = Draft {
        to: vec![format!("someone@{edited}")],
        ..Draft::default()
    };
    let verdict = engine.check(&draft, &KnownRecipients::default());
    let suggestion = verdict.findings.first().and_then(|f| f.suggestion.clone());
    Some(
        if verdict.action != Outcome::Allow && suggestion.as_deref() == Some(reference) {
            Ok(())
        } else {
            Err(format!("{edited}: {verdict:?}"))
        },
    )
}

#[test]
fn every_single_edit_of_a_reference_is_caught() {
    for reference in ["army.mil", "gmail.com", "se.ibm.com", "example-corp.co.uk"] {
        let engine = engine_for(reference);
        let edits = all_single_edits(reference);
        let mut checked = 0;
        let misses: Vec<String> = edits
            .iter()
            .filter_map(|e| reported(&engine, reference, e))
            .inspect(|_| checked += 1)
            .filter_map(Result::err)
            .collect();
        assert!(
            checked > 100,
            "{reference}: only {checked} edits were valid domains"
        );
        assert!(
            misses.is_empty(),
            "{reference}: {} of {checked} edits missed:\n{}",
            misses.len(),
            misses.join("\n")
        );
    }
}

fn reference_domain() -> impl Strategy<Value = String> {
    (
        "[a-z][a-z0-9]{3,10}",
        prop::sample::select(vec!["com", "org", "net", "mil", "gov", "de", "fr", "co.uk"]),
    )
        .prop_map(|(label, tld)| format!("{label}.{tld}"))
}

proptest! {
    // `PROPTEST_CASES` (scripts/fuzz-long) runs more.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_single_edits_are_caught(reference in reference_domain(), pick in any::<prop::sample::Index>()) {
        let edits = all_single_edits(&reference);
        let edited = pick.get(&edits);
        let engine = engine_for(&reference);
        if let Some(result) = reported(&engine, &reference, edited) {
            prop_assert!(result.is_ok(), "{}", result.unwrap_err());
        }
    }

    #[test]
    fn references_and_their_subdomains_pass(reference in reference_domain(), sub in "[a-z]{1,8}") {
        let engine = engine_for(&reference);
        let draft = Draft {
            to: vec![format!("a@{reference}"), format!("b@{sub}.{reference}")],
            ..Draft::default()
        };
        let verdict = engine.check(&draft, &KnownRecipients::default());
        prop_assert_eq!(verdict.action, Outcome::Allow, "{:?}", verdict);
    }

    #[test]
    fn no_panic_on_arbitrary_recipients(recipients in prop::collection::vec(any::<String>(), 0..8), from in any::<String>()) {
        let engine = Engine::new(Policy::default()).unwrap();
        let known = KnownRecipients::new(&recipients);
        let draft = Draft { from: Some(from), to: recipients.clone(), cc: recipients, ..Draft::default() };
        let verdict = engine.check(&draft, &known);
        prop_assert!(verdict.summary.chars().count() <= 500);
    }

    #[test]
    fn no_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_mailbox(&text);
        let _ = Domain::parse(&text);
        let _ = Draft::from_json(&text);
        let _ = Policy::from_json(&text);
    }

    #[test]
    fn no_panic_on_address_shaped_input(s in "[a-zA-Z0-9\"<>@. \\\\,:ä-]{0,40}") {
        let engine = Engine::new(Policy::default()).unwrap();
        let draft = Draft { to: vec![s], ..Draft::default() };
        let _ = engine.check(&draft, &KnownRecipients::default());
    }
}
