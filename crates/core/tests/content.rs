//! Content findings through the public engine: rules per recipient class, mixed drafts,
//! thresholds, custom detectors and the JSON shape of findings.

use sendguard_core::{
    Draft, Engine, Finding, FindingKind, KnownRecipients, Outcome, Policy, Verdict,
};

const CARD: &str = "Card: 4111 1111 1111 1111";

fn check(policy: &str, to: &[&str], body: &str) -> Verdict {
    let engine = Engine::from_json(policy).unwrap();
    let draft = Draft {
        from: Some("alice@example.org".into()),
        to: to.iter().map(|s| s.to_string()).collect(),
        body: body.into(),
        ..Draft::default()
    };
    engine.check(&draft, &KnownRecipients::default())
}

fn content(v: &Verdict) -> Vec<&Finding> {
    v.findings
        .iter()
        .filter(|f| f.kind == FindingKind::SensitiveContent)
        .collect()
}

#[test]
fn mixed_draft_reports_the_outsider_only() {
    let v = check("{}", &["bob@example.org", "carol@othercorp.com"], CARD);
    let found = content(&v);
    assert_eq!(found.len(), 1, "{v:#?}");
    let f = found[0];
    assert_eq!(f.recipient.as_deref(), Some("carol@othercorp.com"));
    assert_eq!(f.recipients, ["carol@othercorp.com"]);
    assert_eq!(f.detector.as_deref(), Some("payment_card"));
    assert_eq!(f.count, Some(1));
    assert_eq!(f.excerpt.as_deref(), Some("4111 **** **** 1111"));
    assert_eq!(v.action, Outcome::Warn);
    assert!(
        f.message
            .contains("carol@othercorp.com, who is outside your organisation"),
        "{}",
        f.message
    );
    assert!(
        !v.summary.contains("4111 1111"),
        "the summary never repeats the secret"
    );
}

#[test]
fn colleagues_and_trusted_partners_get_nothing_by_default() {
    let policy = r#"{"internal_domains": ["example.org"], "trusted_domains": ["partner.com"]}"#;
    let v = check(policy, &["bob@example.org", "dan@partner.com"], CARD);
    assert!(content(&v).is_empty(), "{v:#?}");
    assert_eq!(v.action, Outcome::Allow);
}

#[test]
fn lookalike_recipients_need_a_justification_for_secrets() {
    let seed = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    let v = check(
        "{}",
        &["colonel.smith@army.ml"],
        &format!("Seed for the wallet:\n{seed}"),
    );
    let found = content(&v);
    assert_eq!(found.len(), 1, "{v:#?}");
    assert_eq!(found[0].detector.as_deref(), Some("bip39_seed_phrase"));
    assert_eq!(found[0].action, Outcome::Block);
    assert!(found[0].justification_required);
    assert!(
        found[0]
            .message
            .contains("whose address may not be the one you meant"),
        "{}",
        found[0].message
    );
    assert!(
        !found[0].message.contains("abandon abandon"),
        "{}",
        found[0].message
    );
}

#[test]
fn min_count_escalates_and_several_recipients_share_a_finding() {
    let policy = r#"{"content": {"rules": [
        {"detectors": ["payment_card"], "recipients": ["external"], "action": "warn"},
        {"detectors": ["payment_card"], "recipients": ["external"], "action": "block", "min_count": 3}
    ]}}"#;
    let to = ["a@one.com", "b@two.com", "c@three.com"];
    let v = check(policy, &to, &format!("{CARD}\n{CARD}"));
    assert_eq!(v.action, Outcome::Warn);
    let v = check(policy, &to, &format!("{CARD}\n{CARD}\n5555 5555 5555 4444"));
    assert_eq!(v.action, Outcome::Block);
    let found = content(&v);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].count, Some(3));
    assert_eq!(found[0].recipients, to);
    assert!(
        found[0]
            .message
            .contains("Remove the 3 payment card numbers before sending to a@one.com and 2 others, who are outside"),
        "{}",
        found[0].message
    );
}

#[test]
fn custom_keywords_and_disabled_scanning() {
    let policy = r#"{"content": {
        "custom": [{"id": "falcon", "description": "the Falcon project's code name", "keywords": ["Falcon-7"]}],
        "rules": [{"detectors": ["custom"], "recipients": ["untrusted"], "action": "block"}]}}"#;
    let v = check(policy, &["x@elsewhere.net"], "Status of FALCON-7 attached.");
    let found = content(&v);
    assert_eq!(found[0].detector.as_deref(), Some("falcon"));
    assert_eq!(v.action, Outcome::Block);
    let v = check(policy, &["x@elsewhere.net"], CARD);
    assert!(
        content(&v).is_empty(),
        "the rule names only custom detectors"
    );
    let v = check(
        r#"{"content": {"enabled": false}}"#,
        &["x@elsewhere.net"],
        CARD,
    );
    assert!(content(&v).is_empty());
}

#[test]
fn recipient_findings_keep_their_json_shape() {
    let v = check("{}", &["colonel.smith@army.ml"], "hello");
    let json = serde_json::to_value(&v.findings[0]).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for absent in ["detector", "count", "excerpt", "recipients"] {
        assert!(!keys.contains(&absent), "{keys:?}");
    }
    let v = check("{}", &["carol@othercorp.com"], CARD);
    let json = serde_json::to_value(&v.findings[0]).unwrap();
    assert_eq!(json["kind"], "sensitive_content");
    assert_eq!(json["detector"], "payment_card");
    assert_eq!(json["excerpt"], "4111 **** **** 1111");
}

#[test]
fn subject_and_attachment_names_are_scanned() {
    let engine = Engine::new(Policy::default()).unwrap();
    let draft = Draft {
        from: Some("alice@example.org".into()),
        to: vec!["carol@othercorp.com".into()],
        subject: "CUI//SP-PRVCY personnel list".into(),
        attachments: vec![sendguard_core::Attachment {
            name: "vault.kdbx".into(),
            size: 10,
        }],
        ..Draft::default()
    };
    let v = engine.check(&draft, &KnownRecipients::default());
    let detectors: Vec<_> = content(&v)
        .iter()
        .filter_map(|f| f.detector.clone())
        .collect();
    assert_eq!(detectors, ["protective_marking", "risky_attachment"]);
    assert_eq!(content(&v)[0].excerpt.as_deref(), Some("CUI//SP-PRVCY"));
}

mod no_panic {
    use proptest::prelude::*;
    use sendguard_core::content::{ContentScanner, ContentSettings, Detector, Source};
    use sendguard_core::{Attachment, Draft};

    /// Text made of the pieces detectors react to, glued by anything (multi-byte included).
    fn tricky_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("4111 1111 1111 1111".to_string()),
            Just("GB82 WEST ".to_string()),
            Just("SSN 536-22-".to_string()),
            Just("-----BEGIN RSA PRIVATE KEY-----\n".to_string()),
            Just("ghp_".to_string()),
            Just("github_pat_".to_string()),
            Just("Password: ".to_string()),
            Just("abandon ".to_string()),
            Just("private key 0x".to_string()),
            Just("CUI//".to_string()),
            Just("SECRET".to_string()),
            "[0-9 \\-]{0,20}",
            "[A-Za-z0-9_]{0,60}",
            "\\PC{0,12}",
            Just("é".to_string()),
            Just("\r\n".to_string()),
        ];
        prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn scanning_never_panics(subject in tricky_text(), body in tricky_text(), name in tricky_text()) {
            let scanner = ContentScanner::new(&ContentSettings::default(), Default::default()).unwrap();
            let draft = Draft { subject, body, attachments: vec![Attachment { name, size: 0 }], ..Draft::default() };
            for d in scanner.scan(&draft) {
                prop_assert!(d.count >= 1);
                // Everything but markings and file names is a secret: its excerpt hides part.
                let Source::Builtin(detector) = d.source else { continue };
                let shown_whole = matches!(
                    detector,
                    Detector::ProtectiveMarking | Detector::PrivateKey | Detector::RiskyAttachment | Detector::ArchiveWithPassword
                );
                prop_assert!(shown_whole || d.excerpt.contains('*') || d.excerpt.contains('…'), "{:?}", d);
            }
        }
    }
}

/// A policy's custom pattern works within a size limit and a per-draft budget: too large a
/// pattern is refused at validation naming its path; a draft too long for the budget fails
/// by the policy's `fail_mode` (never a silent allow); keywords still run.
#[test]
fn custom_patterns_are_bounded() {
    let e = Policy::from_json(
        r#"{"content": {"custom": [{"id": "slow", "description": "d", "pattern": "(\\w+\\s?){300}Z"}]}}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "content.custom[0].pattern");
    assert!(e.message.starts_with("simplify this pattern"), "{e}");

    let policy = |fail_mode: &str| {
        format!(
            r#"{{"fail_mode": "{fail_mode}", "content": {{"custom": [{{"id": "employee_id",
            "description": "an employee number", "keywords": ["FALCON"],
            "pattern": "EMP-\\d{{6}}", "case_sensitive": true}}]}}}}"#
        )
    };
    let short = check(&policy("block"), &["carol@othercorp.com"], "id EMP-123456");
    assert_eq!(content(&short)[0].count, Some(1));
    assert_eq!(short.action, Outcome::Warn);

    // 600 KB through a pattern of weight 2 is past the budget (256 KB for such a pattern).
    let long_body = format!("FALCON {}", "x".repeat(600 << 10));
    for (mode, outcome) in [("warn", Outcome::Warn), ("block", Outcome::Block)] {
        let v = check(&policy(mode), &["carol@othercorp.com"], &long_body);
        assert_eq!(v.action, outcome, "{v:#?}");
        let unscanned = content(&v)
            .into_iter()
            .find(|f| f.recipient.is_none())
            .expect("a draft-wide finding for the pattern that did not run");
        assert_eq!(unscanned.detector.as_deref(), Some("employee_id"));
        assert!(unscanned.message.starts_with("Check this email"));
        // The keyword was still found.
        assert!(content(&v).iter().any(|f| f.count == Some(1)));
    }
    // Colleagues only: nothing is scanned, nothing fails.
    let internal = check(&policy("block"), &["bob@example.org"], &long_body);
    assert_eq!(internal.action, Outcome::Allow);
}
