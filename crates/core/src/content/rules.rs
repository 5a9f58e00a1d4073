//! The policy's `content` section: which detectors apply to which recipients, with which action.
//!
//! Strict like the rest of the policy: unknown fields are refused, every field has a default,
//! and `validate` checks what serde cannot (detector names, custom regexes) naming the path.

use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::error::PolicyError;

use super::detectors::{Detector, GROUPS};

/// The `content` section of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContentSettings {
    /// False turns content scanning off entirely.
    pub enabled: bool,
    /// When a detection leads to a finding. Given rules replace the built-in ones.
    pub rules: Vec<ContentRule>,
    /// The organisation's own detectors: keywords or a regular expression.
    pub custom: Vec<CustomDetector>,
    /// Attachment names that hold keys or credentials: `.ext` (any name ending so, any case)
    /// or an exact file name such as `id_rsa`.
    pub risky_attachment_types: Vec<String>,
}

/// One rule: detections of `detectors`, seen at least `min_count` times, sent to a recipient in
/// any of the `recipients` classes, lead to `action`. The strictest matching rule wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentRule {
    /// Detector ids (`payment_card`), group names (`secrets`, `all`) or custom detector ids.
    pub detectors: Vec<String>,
    pub recipients: Vec<RecipientClass>,
    pub action: Action,
    /// How many occurrences (of one detector) it takes; at least 1.
    #[serde(default = "one")]
    pub min_count: u32,
}

fn one() -> u32 {
    1
}

/// Recipient classes content rules address. Internal recipients are in none of them unless
/// they are also suspicious (`lookalike`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientClass {
    /// Reported as a lookalike domain or address, a TLD trap or an invalid address.
    Lookalike,
    /// In a high-risk destination (`high_risk_destinations`).
    RiskyDestination,
    /// Outside the organisation and not a trusted partner.
    Untrusted,
    /// Outside the organisation (trusted partners included).
    External,
    /// Outside the organisation and never written to: not in the sender's history (only when
    /// the add-in passed a history).
    FirstTime,
}

/// A detector the organisation defines: any of `keywords` (whole words) or `pattern` matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomDetector {
    /// Lower-case letters, digits, `_` and `-`; used in rules and reported as the detector.
    pub id: String,
    /// What it finds, as a sentence names it: `the Falcon project's code name`.
    pub description: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// A regular expression (Rust `regex` syntax: linear time, no look-around or backreferences).
    #[serde(default)]
    pub pattern: Option<String>,
    /// Whether keywords and the pattern match case-sensitively.
    #[serde(default)]
    pub case_sensitive: bool,
}

impl Default for ContentSettings {
    fn default() -> Self {
        ContentSettings {
            enabled: true,
            rules: default_rules(),
            custom: Vec::new(),
            risky_attachment_types: DEFAULT_RISKY_ATTACHMENT_TYPES
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// Key stores, private keys and credential files. Not `.key`: that is also Apple Keynote.
pub const DEFAULT_RISKY_ATTACHMENT_TYPES: &[&str] = &[
    ".kdbx",
    ".kdb",
    ".psafe3",
    ".1pux",
    ".1pif",
    ".opvault",
    ".agilekeychain",
    ".keychain",
    ".keychain-db",
    ".pem",
    ".pfx",
    ".p12",
    ".pkcs12",
    ".p8",
    ".jks",
    ".keystore",
    ".ppk",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "wallet.dat",
    ".htpasswd",
    ".netrc",
    ".pgpass",
];

/// The built-in rules: warn about anything sensitive going outside the organisation and its
/// partners; ask for a justification when keys, seeds or marked material go to a suspicious
/// or high-risk recipient, or when personal data goes out in bulk.
pub fn default_rules() -> Vec<ContentRule> {
    let rule = |detectors: &[&str], recipients: &[RecipientClass], action, min_count| ContentRule {
        detectors: detectors.iter().map(|s| s.to_string()).collect(),
        recipients: recipients.to_vec(),
        action,
        min_count,
    };
    use RecipientClass::*;
    vec![
        rule(
            &["all"],
            &[Untrusted, Lookalike, RiskyDestination],
            Action::Warn,
            1,
        ),
        rule(
            &["markings", "secrets", "crypto"],
            &[Lookalike, RiskyDestination],
            Action::BlockWithJustification,
            1,
        ),
        rule(
            &["personal_data"],
            &[Untrusted, Lookalike, RiskyDestination],
            Action::BlockWithJustification,
            10,
        ),
    ]
}

impl ContentSettings {
    /// Checks detector names, custom detector ids and patterns, and attachment types.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let err = |path: String, message: String| PolicyError { path, message };
        let mut ids: Vec<&str> = Vec::new();
        for (i, c) in self.custom.iter().enumerate() {
            let path = format!("content.custom[{i}]");
            let valid_id = !c.id.is_empty()
                && c.id.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                });
            if !valid_id {
                return Err(err(
                    format!("{path}.id"),
                    format!("`{}` is not an id: use a-z, 0-9, `_` and `-`", c.id),
                ));
            }
            if Detector::from_id(&c.id).is_some()
                || GROUPS.iter().any(|(g, _)| *g == c.id)
                || ids.contains(&c.id.as_str())
            {
                return Err(err(
                    format!("{path}.id"),
                    format!("`{}` is already the name of a detector", c.id),
                ));
            }
            ids.push(&c.id);
            if c.description.trim().is_empty() {
                return Err(err(
                    format!("{path}.description"),
                    "a description is required".into(),
                ));
            }
            if c.keywords.is_empty() && c.pattern.is_none() {
                return Err(err(path, "give `keywords`, a `pattern`, or both".into()));
            }
            for (k, word) in c.keywords.iter().enumerate() {
                if word.trim().is_empty() {
                    return Err(err(
                        format!("{path}.keywords[{k}]"),
                        "a keyword cannot be empty".into(),
                    ));
                }
            }
            if let Some(pattern) = &c.pattern {
                super::custom::compile_pattern(pattern, c.case_sensitive)
                    .map_err(|message| err(format!("{path}.pattern"), message))?;
            }
        }
        for (i, rule) in self.rules.iter().enumerate() {
            let path = format!("content.rules[{i}]");
            if rule.detectors.is_empty() {
                return Err(err(
                    format!("{path}.detectors"),
                    "name at least one detector (or `all`)".into(),
                ));
            }
            for (d, name) in rule.detectors.iter().enumerate() {
                let known = Detector::from_id(name).is_some()
                    || GROUPS.iter().any(|(g, _)| g == name)
                    || ids.contains(&name.as_str());
                if !known {
                    return Err(err(
                        format!("{path}.detectors[{d}]"),
                        format!(
                            "`{name}` is not a detector, a group ({}) or a custom detector id",
                            group_names()
                        ),
                    ));
                }
            }
            if rule.recipients.is_empty() {
                return Err(err(
                    format!("{path}.recipients"),
                    "name at least one recipient class".into(),
                ));
            }
            if rule.min_count == 0 {
                return Err(err(
                    format!("{path}.min_count"),
                    "must be at least 1".into(),
                ));
            }
        }
        for (i, t) in self.risky_attachment_types.iter().enumerate() {
            let bad = t.trim().is_empty() || t == "." || t.contains(['/', '\\']);
            if bad {
                return Err(err(
                    format!("content.risky_attachment_types[{i}]"),
                    format!("`{t}` is not a file name or `.extension`"),
                ));
            }
        }
        Ok(())
    }

    /// Whether `rule_name` (a detector id, group or custom id) covers `detector_id`.
    pub(crate) fn names_cover(rule_names: &[String], detector_id: &str, is_custom: bool) -> bool {
        rule_names.iter().any(|name| {
            name == detector_id
                || name == "all"
                || (is_custom && name == "custom")
                || Detector::from_id(detector_id).is_some_and(|d| {
                    GROUPS
                        .iter()
                        .any(|(g, members)| g == name && members.contains(&d))
                })
        })
    }
}

fn group_names() -> String {
    GROUPS
        .iter()
        .map(|(g, _)| *g)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use crate::policy::Policy;

    #[test]
    fn defaults_and_strictness() {
        let p = Policy::from_json(r#"{"content": {"custom": [{"id": "falcon", "description": "the Falcon code name", "keywords": ["FALCON-7"]}]}}"#)
            .unwrap();
        assert_eq!(p.content.rules, super::default_rules());
        let e = Policy::from_json(r#"{"content": {"rulez": []}}"#).unwrap_err();
        assert_eq!(e.path, "content.rulez");
        let e = Policy::from_json(r#"{"content": {"rules": [{"detectors": ["payment_card"], "recipients": ["outsiders"], "action": "warn"}]}}"#)
            .unwrap_err();
        assert!(
            e.path.starts_with("content.rules[0].recipients"),
            "{}",
            e.path
        );
    }

    #[test]
    fn the_documented_examples_are_valid_policies() {
        let doc = include_str!("../../../../docs/policy.md");
        let section = &doc[doc
            .find("## content")
            .expect("docs/policy.md has a content section")..];
        let blocks: Vec<&str> = section
            .split("```json")
            .skip(1)
            .filter_map(|b| b.split("```").next())
            .collect();
        assert!(!blocks.is_empty());
        for block in blocks {
            let p = Policy::from_json(block).unwrap_or_else(|e| panic!("{e}\n{block}"));
            assert!(!p.content.custom.is_empty());
        }
    }

    #[test]
    fn bad_patterns_and_names_name_their_path() {
        let e = Policy::from_json(
            r#"{"content": {"custom": [{"id": "x", "description": "d", "pattern": "(unclosed"}]}}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "content.custom[0].pattern");
        let e = Policy::from_json(r#"{"content": {"rules": [{"detectors": ["payment_card", "cards"], "recipients": ["external"], "action": "warn"}]}}"#)
            .unwrap_err();
        assert_eq!(e.path, "content.rules[0].detectors[1]");
        let e = Policy::from_json(r#"{"content": {"rules": [{"detectors": ["all"], "recipients": ["external"], "action": "warn", "min_count": 0}]}}"#)
            .unwrap_err();
        assert_eq!(e.path, "content.rules[0].min_count");
        let e = Policy::from_json(
            r#"{"content": {"custom": [{"id": "iban", "description": "d", "keywords": ["x"]}]}}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "content.custom[0].id");
        let e = Policy::from_json(r#"{"content": {"custom": [{"id": "x", "description": "d"}]}}"#)
            .unwrap_err();
        assert_eq!(e.path, "content.custom[0]");
        let e =
            Policy::from_json(r#"{"content": {"risky_attachment_types": ["a/b"]}}"#).unwrap_err();
        assert_eq!(e.path, "content.risky_attachment_types[0]");
    }
}
