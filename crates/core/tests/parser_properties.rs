//! Structure-aware property tests for every parser that takes outside bytes: recipient strings
//! and header values (`address`), draft JSON, policy JSON (custom patterns included), signed
//! envelopes and keysets, the sender's history text. Inputs are built from the pieces attackers combine (quoted names
//! with escapes, encoded words, several `<...>`, text after the `>`, arrays for objects, text
//! after the JSON), not only random bytes.
//!
//! Properties: nothing panics; round trips hold where they exist; an ambiguous recipient is at
//! least as strict as the strictest check of every address it could be; every structural
//! change to a signed envelope is refused, and whitespace changes are not.
//!
//! CI runs a few dozen cases per property; `scripts/fuzz-long` runs many more
//! (`PROPTEST_CASES`).

use std::path::PathBuf;

use proptest::prelude::*;
use sendguard_core::address::{candidates, parse_mailbox, split_header, MAX_CANDIDATES};
use sendguard_core::content::custom::compile_pattern;
use sendguard_core::history::{History, LearnOptions, TrimOptions, MAX_LINE_BYTES};
use sendguard_core::{bundle, keyset};
use sendguard_core::{Attachment, Draft, Engine, KnownRecipients, Outcome, Policy};
use serde_json::Value;

/// Cases per property: `PROPTEST_CASES` when set (the long run), else `default`.
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// Blocks army.ml, warns on lookalikes of army.mil: the policy recipients were hidden from.
fn engine() -> Engine {
    Engine::from_json(
        r#"{"internal_domains": ["army.mil"], "blocked_domains": ["ml"],
            "high_risk_destinations": {"tlds": [{"tld": "ru", "country": "Russia"}]}}"#,
    )
    .unwrap()
}

fn verdict_for(engine: &Engine, recipient: &str) -> Outcome {
    let draft = Draft {
        from: Some("alice@army.mil".into()),
        to: vec![recipient.to_string()],
        ..Draft::default()
    };
    engine.check(&draft, &KnownRecipients::default()).action
}

fn address() -> impl Strategy<Value = String> {
    (
        "[a-z]{1,6}(\\.[a-z]{1,4})?",
        prop::sample::select(vec![
            "army.mil",
            "army.ml",
            "example.org",
            "examp1e.org",
            "mail.ru",
            "army.mi",
            "пример.рф",
        ]),
    )
        .prop_map(|(local, domain)| format!("{local}@{domain}"))
}

/// One line of a history text: an entry, a near-entry (a field missing, extra, signed, too
/// large, a CR, a display name for an address), a comment, or bytes of anything.
fn history_line() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        "[0-9]{1,3}",
        Just("4294967296".to_string()),
        Just("-1".to_string()),
        Just("".to_string()),
        "[ +x]{0,2}[0-9]{0,2}",
    ];
    let name = prop_oneof![Just(String::new()), "[A-Za-z ,.]{0,20}", "\\PC{0,12}",];
    prop_oneof![
        4 => (address(), field.clone(), field, name, 0..3usize, any::<bool>()).prop_map(
            |(address, count, day, name, shape, cr)| {
                let mut line = match shape {
                    0 => format!("{address}\t{count}\t{day}\t{name}"),
                    1 => format!("{address}\t{count}\t{day}"),
                    _ => format!("Name <{address}>\t{count}\t{day}\t{name}\textra"),
                };
                if cr {
                    line.push('\r');
                }
                line
            }
        ),
        1 => Just("#sendguard-history 1".to_string()),
        1 => Just("#sendguard-history 2".to_string()),
        1 => any::<String>(),
        1 => Just(format!("a@b.com\t1\t1\t{}", "n".repeat(MAX_LINE_BYTES))),
    ]
}

/// `"..."` with backslash escapes, as RFC 5322 writes a display name.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The pieces a hostile recipient string is made of.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z ]{0,8}",
        address(),
        address().prop_map(|a| format!("<{a}>")),
        address().prop_map(|a| format!("\"x\\\" <{a}> \"")),
        address().prop_map(|a| quoted(&format!("x\" <{a}> "))),
        address().prop_map(|a| format!("=?utf-8?Q?{}?=", a.replace('@', "=40"))),
        "[ ,;:()\"<>\\\\@]{1,3}",
        "\\([a-z@. ]{0,10}\\)",
    ]
}

fn recipient() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 1..5).prop_map(|p| p.join(" "))
}

/// A display name without `@` (with one, the name is itself a candidate address).
fn display_name() -> impl Strategy<Value = String> {
    "[A-Za-z ,.;:<>()\"\\\\'é]{1,16}".prop_map(|n| n.trim().to_string())
}

fn draft() -> impl Strategy<Value = Draft> {
    let strings = || prop::collection::vec(any::<String>(), 0..4);
    (
        prop::option::of(any::<String>()),
        strings(),
        strings(),
        strings(),
        any::<String>(),
        any::<String>(),
        prop::collection::vec((any::<String>(), any::<u64>()), 0..3),
    )
        .prop_map(|(from, to, cc, bcc, subject, body, attachments)| Draft {
            from,
            to,
            cc,
            bcc,
            subject,
            body,
            attachments: attachments
                .into_iter()
                .map(|(name, size)| Attachment { name, size })
                .collect(),
            original: None,
        })
}

/// Text that may not follow a JSON document: anything but whitespace first.
fn trailing() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{}".to_string()),
        Just("[]".to_string()),
        Just("{\"to\": [\"colonel.smith@army.ml\"]}".to_string()),
        "[a-z0-9,\\]}\\[{\"]{1,8}",
    ]
    .prop_map(|t| format!("\n{t}"))
}

fn domain() -> impl Strategy<Value = String> {
    (
        "[a-z][a-z0-9]{1,8}",
        prop::sample::select(vec!["com", "org", "mil", "ml", "de"]),
    )
        .prop_map(|(l, t)| format!("{l}.{t}"))
}

fn policy() -> impl Strategy<Value = Policy> {
    let domains = || prop::collection::vec(domain(), 0..4);
    (domains(), domains(), domains(), any::<bool>()).prop_map(
        |(internal, trusted, blocked, builtin)| {
            let mut p = Policy {
                internal_domains: internal,
                trusted_domains: trusted,
                blocked_domains: blocked,
                ..Policy::default()
            };
            p.lookalike.builtin_reference_domains = builtin;
            p
        },
    )
}

/// Regex-shaped text: the syntax that makes patterns large or slow, combined at random.
fn pattern() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        Just("\\w".to_string()),
        Just("\\s?".to_string()),
        Just(".".to_string()),
        Just("[a-z0-9]".to_string()),
        Just("(a|b|cd)".to_string()),
        "[A-Z]{1,3}",
    ];
    let repeat = prop_oneof![
        Just(String::new()),
        Just("+".to_string()),
        Just("*".to_string()),
        (1u32..400).prop_map(|n| format!("{{{n}}}")),
        (0u32..50, 0u32..200).prop_map(|(a, b)| format!("{{{a},{}}}", a + b)),
    ];
    prop::collection::vec((atom, repeat, any::<bool>()), 1..6).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(a, r, group)| {
                if group {
                    format!("({a}){r}")
                } else {
                    format!("{a}{r}")
                }
            })
            .collect()
    })
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/bundles")
}

fn vector(name: &str) -> Vec<u8> {
    std::fs::read(vectors_dir().join(name)).unwrap()
}

/// 2026-01-02, the vectors' `now`.
const NOW: i64 = 1_767_225_600 + 86_400;

fn verify_policy(bytes: &[u8]) -> Result<bundle::VerifiedPolicy, bundle::BundleError> {
    let keyset = keyset::verify_pinned(&vector("keyset-v1.json"), "acme", NOW).unwrap();
    bundle::verify(bytes, &keyset, "acme", None, NOW)
}

/// A structural change to a JSON value at a place chosen by `pick`: the value there becomes an
/// array of itself, or another type, or an object gains a duplicate or unknown key.
fn mutate(value: &mut Value, pick: &mut impl Iterator<Item = u8>, kind: u8) {
    let step = pick.next().unwrap_or(0);
    let child = match value {
        Value::Object(map) if !map.is_empty() && step % 3 != 0 => {
            let key = map.keys().nth(step as usize % map.len()).cloned().unwrap();
            map.get_mut(&key)
        }
        Value::Array(items) if !items.is_empty() && step % 3 != 0 => {
            let i = step as usize % items.len();
            items.get_mut(i)
        }
        _ => None,
    };
    if let Some(child) = child {
        return mutate(child, pick, kind);
    }
    *value = match (kind % 4, value.take()) {
        (0, v) => Value::Array(vec![v]),
        (1, Value::Object(map)) => Value::Array(map.into_iter().map(|(_, v)| v).collect()),
        (1, Value::Null) | (2, Value::Null) => Value::Bool(true),
        (1, _) => Value::Null,
        (2, Value::String(_)) => Value::from(7),
        (2, _) => Value::from("x"),
        (_, Value::Object(mut map)) => {
            map.insert("extra".into(), Value::Bool(true));
            Value::Object(map)
        }
        (_, Value::Array(mut items)) => {
            items.push(Value::Array(Vec::new()));
            Value::Array(items)
        }
        (_, _) => Value::Object(Default::default()),
    };
}

/// The same JSON with whitespace after some `,`, `:`, `{` and `[` (none occur inside the
/// envelope's strings: base64 and hex).
fn respace(text: &str, spaces: &[u8]) -> String {
    let mut out = String::new();
    let mut n = 0;
    for c in text.chars() {
        out.push(c);
        if matches!(c, ',' | ':' | '{' | '[') {
            let s = spaces.get(n).copied().unwrap_or(0);
            n += 1;
            out.push_str([" ", "\n", "\t", "", "\r\n  "][s as usize % 5]);
        }
    }
    out
}

proptest! {
    #![proptest_config(cases(48))]

    /// Whatever a recipient string holds, the verdict is at least as strict as the check of
    /// every address it could be; and a string that parses holds no other address.
    #[test]
    fn ambiguous_recipients_are_as_strict_as_every_candidate(raw in recipient()) {
        let engine = engine();
        let outcome = verdict_for(&engine, &raw);
        let found = candidates(&raw);
        if let Ok(mailbox) = parse_mailbox(&raw) {
            // The address as RFC 5322 reads it is the first candidate.
            prop_assert_eq!(found[0].canonical(), mailbox.address.canonical());
        }
        if found.len() > MAX_CANDIDATES {
            prop_assert_eq!(outcome, Outcome::Block);
        }
        for address in found.iter().take(MAX_CANDIDATES) {
            let alone = verdict_for(&engine, &address.canonical());
            prop_assert!(outcome >= alone, "{raw}: {outcome:?} < {alone:?} for {}", address.canonical());
        }
    }

    #[test]
    fn quoted_display_names_round_trip(name in display_name(), address in address()) {
        let text = format!("{} <{address}>", quoted(&name));
        let mailbox = parse_mailbox(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(mailbox.display_name.unwrap_or_default(), name);
        prop_assert_eq!(mailbox.address.canonical(), parse_mailbox(&address).unwrap().address.canonical());
    }

    #[test]
    fn header_values_split_into_the_mailboxes_written(
        list in prop::collection::vec((prop::option::of(display_name()), address()), 1..6),
        folded in any::<bool>(),
    ) {
        let written: Vec<String> = list
            .iter()
            .map(|(name, address)| match name {
                Some(n) if !n.is_empty() => format!("{} <{address}>", quoted(n)),
                _ => address.clone(),
            })
            .collect();
        let header = written.join(if folded { ",\r\n\t" } else { ", " });
        prop_assert_eq!(split_header(&header), written);
    }

    #[test]
    fn header_splitting_never_panics(value in "[a-z@.<>\"\\\\(),;: \r\n]{0,80}") {
        for part in split_header(&value) {
            let _ = parse_mailbox(&part);
        }
    }

    /// A draft reads back as written; text after it, or the draft inside an array, is refused.
    #[test]
    fn drafts_round_trip_and_one_object_only(draft in draft(), tail in trailing()) {
        let json = serde_json::to_string(&draft).unwrap();
        prop_assert_eq!(Draft::from_json(&json).unwrap(), draft);
        let (two, array) = (format!("{json}{tail}"), format!("[{json}]"));
        prop_assert!(Draft::from_json(&two).is_err());
        prop_assert!(Draft::from_json(&array).is_err());
    }

    #[test]
    fn policies_round_trip_and_one_object_only(policy in policy(), tail in trailing(), pick in prop::collection::vec(any::<u8>(), 8), kind in any::<u8>()) {
        let json = policy.to_json_pretty();
        let read = Policy::from_json(&json).map_err(|e| TestCaseError::fail(format!("{e}\n{json}")))?;
        prop_assert_eq!(&read, &policy);
        prop_assert!(Engine::new(read).is_ok());
        let (two, array) = (format!("{json}{tail}"), format!("[{json}]"));
        prop_assert!(Policy::from_json(&two).is_err());
        prop_assert!(Policy::from_json(&array).is_err());
        let mut value: Value = serde_json::from_str(&json).unwrap();
        mutate(&mut value, &mut pick.into_iter(), kind);
        let _ = Policy::from_json(&value.to_string());
    }

    /// Every accepted custom pattern has a bounded weight, and the engine runs it within the
    /// draft's budget on any text.
    #[test]
    fn custom_patterns_are_refused_or_bounded(pattern in pattern(), body in "[a-zA-Z0-9 \n]{0,2000}") {
        match compile_pattern(&pattern, false) {
            Err(e) => prop_assert!(!e.is_empty()),
            Ok(compiled) => {
                prop_assert!(compiled.weight <= 5, "{pattern}: weight {}", compiled.weight);
                let policy = serde_json::json!({"content": {"custom": [
                    {"id": "p", "description": "a pattern", "pattern": pattern}]}});
                let engine = Engine::from_json(&policy.to_string()).unwrap();
                let draft = Draft { to: vec!["carol@othercorp.com".into()], body, ..Draft::default() };
                let _ = engine.check(&draft, &KnownRecipients::default());
            }
        }
    }

    /// Any structural change to a signed envelope (an array for an object, another type, an
    /// unknown field), at any depth, is refused; so is anything after it. Whitespace is not a
    /// change.
    #[test]
    fn signed_envelopes_have_one_shape(pick in prop::collection::vec(any::<u8>(), 8), kind in any::<u8>(), spaces in prop::collection::vec(any::<u8>(), 16), tail in trailing()) {
        for (file, keyset_file) in [("policy-v5.json", false), ("keyset-v2.json", true)] {
            let bytes = vector(file);
            let verify = |b: &[u8]| -> bool {
                if keyset_file {
                    let v1 = keyset::verify_pinned(&vector("keyset-v1.json"), "acme", NOW).unwrap();
                    keyset::verify_update(b, &v1, NOW).is_ok()
                } else {
                    verify_policy(b).is_ok()
                }
            };
            prop_assert!(verify(&bytes), "{file} is valid");
            let text = String::from_utf8(bytes.clone()).unwrap();
            prop_assert!(verify(respace(&text, &spaces).as_bytes()), "{file}: whitespace only");
            let mut value: Value = serde_json::from_slice(&bytes).unwrap();
            mutate(&mut value, &mut pick.clone().into_iter(), kind);
            prop_assert!(!verify(value.to_string().as_bytes()), "{file}: {value}");
            let appended = format!("{text}{tail}");
            prop_assert!(!verify(appended.as_bytes()), "{file} + {tail:?}");
        }
    }

    /// Any history text: reading never panics, never keeps more entries than lines, counts
    /// every line it skipped, and writes a text that reads back the same without rejections;
    /// learning and trimming keep their bounds.
    #[test]
    fn history_texts_are_read_within_bounds(lines in prop::collection::vec(history_line(), 0..24), recipients in prop::collection::vec(recipient(), 0..4), max_bytes in 0..400usize) {
        let text = lines.join("\n");
        let history = History::parse(&text);
        let entry_lines = text.split('\n').filter(|l| !l.trim().is_empty() && !l.starts_with('#')).count();
        prop_assert!(history.len() + history.rejected() <= entry_lines);
        let written = history.to_text();
        let again = History::parse(&written);
        prop_assert_eq!(again.rejected(), 0, "{}", written);
        prop_assert_eq!(again.to_text(), written);
        let known = KnownRecipients::from_history(&history);
        prop_assert_eq!(known.len(), history.len());
        let mut learnt = history.clone();
        learnt.learn(&LearnOptions { recipients, now_day: 7, max_entries: Some(5), import: false });
        prop_assert!(learnt.len() <= 5);
        prop_assert_eq!(History::parse(&learnt.to_text()).rejected(), 0);
        let mut trimmed = history;
        trimmed.trim(&TrimOptions { max_bytes: Some(max_bytes), max_entries: None });
        prop_assert!(trimmed.is_empty() || trimmed.to_text().len() <= max_bytes);
    }
}
