//! The policy: what an organisation tells the engine. JSON, versioned, strict.
//!
//! Every field is optional and defaulted, so `{}` is the built-in default policy and
//! `{"internal_domains": ["army.mil"]}` is a complete policy. Unknown fields are refused with
//! an error naming their path (`actions.lookalike_domian`), because a misspelt setting that is
//! silently ignored is a security hole. Field-by-field documentation: `docs/policy.md`.

use serde::{Deserialize, Serialize};

pub use crate::action::Action;
pub use crate::action::FailMode;
use crate::content::ContentSettings;
use crate::domain::Domain;
pub use crate::error::PolicyError;
use crate::gateway_policy::GatewaySettings;
use crate::monitor::MonitorSettings;
use crate::report::ReportingSettings;

/// The schema version this engine reads.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Must be [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The organisation's own domains (and their subdomains).
    pub internal_domains: Vec<String>,
    /// Partners' domains: never reported as lookalikes, and references for lookalike checks.
    pub trusted_domains: Vec<String>,
    /// Domains (or whole TLDs, e.g. `ml`) mail must not go to.
    pub blocked_domains: Vec<String>,
    /// Destinations by TLD that need care, with the country each belongs to.
    pub high_risk_destinations: HighRiskDestinations,
    /// The action per finding kind.
    pub actions: Actions,
    pub lookalike: LookalikeSettings,
    pub external_recipients: ExternalRecipientSettings,
    /// What the add-ins do when the check itself fails.
    pub fail_mode: FailMode,
    /// Sensitive-content detectors and the rules that apply them per recipient class.
    pub content: ContentSettings,
    /// What devices report to the policy server (counts only; `report.rs`, docs/privacy.md).
    pub reporting: ReportingSettings,
    /// Findings counted but not shown to senders: the whole policy or some kinds.
    pub monitor: MonitorSettings,
    /// What only the mail gateway reads (`gateway_policy.rs`).
    pub gateway: GatewaySettings,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            schema_version: SCHEMA_VERSION,
            internal_domains: Vec::new(),
            trusted_domains: Vec::new(),
            blocked_domains: Vec::new(),
            high_risk_destinations: HighRiskDestinations::default(),
            actions: Actions::default(),
            lookalike: LookalikeSettings::default(),
            external_recipients: ExternalRecipientSettings::default(),
            fail_mode: FailMode::Warn,
            content: ContentSettings::default(),
            reporting: ReportingSettings::default(),
            monitor: MonitorSettings::default(),
            gateway: GatewaySettings::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HighRiskDestinations {
    /// The date the list was last reviewed (sanctions change), e.g. `2025-07-01`.
    pub as_of: String,
    /// Why these destinations are listed, used in messages, e.g. `US comprehensive sanctions (OFAC)`.
    pub reason: String,
    pub tlds: Vec<RiskyTld>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskyTld {
    /// The TLD, in either Unicode or `xn--` form, with or without a leading dot.
    pub tld: String,
    /// The country, as a sentence names it: `Iran`, `North Korea`.
    pub country: String,
}

impl Default for HighRiskDestinations {
    /// The dated built-in list: countries under US comprehensive sanctions (OFAC) with a
    /// ccTLD of their own. Syria's programme ended on 1 July 2025 (EO 14312).
    fn default() -> Self {
        let tld = |tld: &str, country: &str| RiskyTld {
            tld: tld.into(),
            country: country.into(),
        };
        HighRiskDestinations {
            as_of: "2025-07-01".into(),
            reason: "US comprehensive sanctions (OFAC)".into(),
            tlds: vec![
                tld("cu", "Cuba"),
                tld("ir", "Iran"),
                tld("xn--mgba3a4f16a", "Iran"),
                tld("kp", "North Korea"),
            ],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Actions {
    pub lookalike_domain: Action,
    pub tld_trap: Action,
    pub lookalike_address: Action,
    pub invalid_address: Action,
    pub risky_destination: Action,
    pub blocked_domain: Action,
    pub external_recipients: Action,
    /// A reply or forward adds an outside domain none of the original's participants had.
    pub reply_adds_domain: Action,
    /// A contact known at an internal or trusted address, at an outside untrusted address
    /// the sender never used (a work contact's name at a webmail).
    pub contact_at_other_address: Action,
    /// The same for every other contact (known only outside, or the new address is itself
    /// internal or trusted): autocomplete's other John Smith.
    pub outside_contact_at_other_address: Action,
    /// An outside address the sender's history does not hold (only with a history).
    pub first_time_recipient: Action,
}

impl Default for Actions {
    fn default() -> Self {
        Actions {
            lookalike_domain: Action::Warn,
            tld_trap: Action::Warn,
            lookalike_address: Action::Warn,
            invalid_address: Action::Warn,
            risky_destination: Action::Warn,
            blocked_domain: Action::Block,
            external_recipients: Action::Warn,
            reply_adds_domain: Action::Warn,
            contact_at_other_address: Action::Warn,
            outside_contact_at_other_address: Action::Allow,
            first_time_recipient: Action::Allow,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LookalikeSettings {
    /// Also compare against the built-in list of high-value domains (big mail providers).
    pub builtin_reference_domains: bool,
    /// More domains to protect, beyond internal and trusted ones.
    pub reference_domains: Vec<String>,
    /// Real domains that merely look like a reference one (e.g. `ymail.com`): never reported.
    pub legitimate_domains: Vec<String>,
}

impl Default for LookalikeSettings {
    fn default() -> Self {
        LookalikeSettings {
            builtin_reference_domains: true,
            reference_domains: Vec::new(),
            legitimate_domains: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExternalRecipientSettings {
    /// Report when at least this many recipients are outside the organisation (0: never).
    pub report_at: u32,
    /// Suggest Bcc when To and Cc together show this many outside domains (0: never).
    pub suggest_bcc_at_domains: u32,
}

impl Default for ExternalRecipientSettings {
    fn default() -> Self {
        ExternalRecipientSettings {
            report_at: 0,
            suggest_bcc_at_domains: 5,
        }
    }
}

/// A validated policy's domain lists in canonical form (see [`Domain::canonical`]), in the
/// policy's order.
pub(crate) struct CanonicalLists {
    pub internal: Vec<String>,
    pub trusted: Vec<String>,
    /// `lookalike.reference_domains`.
    pub reference: Vec<String>,
    /// `lookalike.legitimate_domains`.
    pub legitimate: Vec<String>,
    /// `blocked_domains`: domains or bare TLDs.
    pub blocked: Vec<String>,
    /// `high_risk_destinations.tlds`: (TLD, country).
    pub risky_tlds: Vec<(String, String)>,
}

impl Policy {
    /// Reads and validates a policy from JSON.
    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        let policy = Policy::parse_json(text)?;
        policy.validate()?;
        Ok(policy)
    }

    /// Reads a policy from JSON without the checks of [`Policy::validate`], for a caller
    /// about to run them anyway (`Engine::new`): each domain is then parsed once, not twice.
    pub(crate) fn parse_json(text: &str) -> Result<Policy, PolicyError> {
        crate::json::from_str(text).map_err(|e| {
            // serde_json appends " at line L column C"; the path says where more usefully,
            // except for text after the policy, where the place is the news.
            let message = match e.message.split_once(" at line ") {
                Some((gist, _)) if !e.path.is_empty() => gist.to_string(),
                _ => e.message,
            };
            PolicyError {
                path: e.path,
                message,
            }
        })
    }

    /// Checks what serde cannot: the schema version and that every domain is a domain.
    pub fn validate(&self) -> Result<(), PolicyError> {
        self.canonical_lists().map(drop)
    }

    /// Validates the policy and answers its domain lists in canonical form, as the engine
    /// indexes them: one pass, since parsing 10,000 domains is a visible part of a cold start.
    pub(crate) fn canonical_lists(&self) -> Result<CanonicalLists, PolicyError> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(PolicyError {
                path: "schema_version".into(),
                message: format!(
                    "this engine reads schema version {SCHEMA_VERSION}, not {}",
                    self.schema_version
                ),
            });
        }
        let domains = |name: &str, list: &[String]| -> Result<Vec<String>, PolicyError> {
            list.iter()
                .enumerate()
                .map(|(i, d)| {
                    Domain::canonical(d).map_err(|e| PolicyError {
                        path: format!("{name}[{i}]"),
                        message: format!("`{d}` is not a domain: {e}"),
                    })
                })
                .collect()
        };
        let internal = domains("internal_domains", &self.internal_domains)?;
        let trusted = domains("trusted_domains", &self.trusted_domains)?;
        let reference = domains(
            "lookalike.reference_domains",
            &self.lookalike.reference_domains,
        )?;
        let legitimate = domains(
            "lookalike.legitimate_domains",
            &self.lookalike.legitimate_domains,
        )?;
        let blocked = self
            .blocked_domains
            .iter()
            .enumerate()
            .map(|(i, d)| {
                normalise_suffix(d).map_err(|message| PolicyError {
                    path: format!("blocked_domains[{i}]"),
                    message,
                })
            })
            .collect::<Result<_, _>>()?;
        let mut risky_tlds = Vec::with_capacity(self.high_risk_destinations.tlds.len());
        for (i, r) in self.high_risk_destinations.tlds.iter().enumerate() {
            let tld = normalise_suffix(&r.tld).map_err(|message| PolicyError {
                path: format!("high_risk_destinations.tlds[{i}].tld"),
                message,
            })?;
            if tld.contains('.') {
                return Err(PolicyError {
                    path: format!("high_risk_destinations.tlds[{i}].tld"),
                    message: format!("`{}` is not a single top-level domain", r.tld),
                });
            }
            risky_tlds.push((tld, r.country.clone()));
        }
        self.content.validate()?;
        self.gateway.validate()?;
        Ok(CanonicalLists {
            internal,
            trusted,
            reference,
            legitimate,
            blocked,
            risky_tlds,
        })
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a policy always serialises")
    }
}

/// Normalises a domain or a bare TLD (`ml`, `.ml`, `рф`) to lower-case ASCII form.
pub fn normalise_suffix(input: &str) -> Result<String, String> {
    let t = input
        .trim()
        .trim_start_matches('.')
        .trim_start_matches("*.");
    let t = t.strip_suffix('.').unwrap_or(t);
    let ascii =
        idna::domain_to_ascii(t).map_err(|_| format!("`{input}` is not a domain or TLD"))?;
    let ok = !ascii.is_empty()
        && ascii
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if ok {
        Ok(ascii)
    } else {
        Err(format!("`{input}` is not a domain or TLD"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_policy_defaults_the_rest() {
        let p = Policy::from_json(r#"{"internal_domains": ["army.mil"], "trusted_domains": []}"#)
            .unwrap();
        assert_eq!(p.internal_domains, ["army.mil"]);
        assert_eq!(p.actions, Actions::default());
        assert_eq!(Policy::from_json("{}").unwrap(), Policy::default());
    }

    #[test]
    fn unknown_fields_name_their_path() {
        let e = Policy::from_json(r#"{"actions": {"lookalike_domian": "warn"}}"#).unwrap_err();
        assert_eq!(e.path, "actions.lookalike_domian");
        assert!(e.message.contains("unknown field"), "{}", e.message);
        let e = Policy::from_json(r#"{"actions": {"tld_trap": "maybe"}}"#).unwrap_err();
        assert_eq!(e.path, "actions.tld_trap");
    }

    #[test]
    fn bad_domains_name_their_index() {
        let e =
            Policy::from_json(r#"{"internal_domains": ["ok.org", "not a domain"]}"#).unwrap_err();
        assert_eq!(e.path, "internal_domains[1]");
        let e = Policy::from_json(r#"{"schema_version": 2}"#).unwrap_err();
        assert_eq!(e.path, "schema_version");
        assert!(Policy::from_json("{").is_err());
        // One object, nothing after it: the second half would be stored but never read.
        let e = Policy::from_json("{}\n{\"blocked_domains\": [\"ml\"], \"fail_mode\": \"block\"}")
            .unwrap_err();
        assert!(e.message.contains("only one JSON object"), "{e}");
        assert!(Policy::from_json("[]").is_err());
        assert!(Policy::from_json(r#"{"actions": ["warn"]}"#).is_err());
    }
}
