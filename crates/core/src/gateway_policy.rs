//! The policy's `gateway` section: what only the mail gateway (`sendguard gateway`,
//! crates/gateway) reads. Today its exceptions: envelope senders whose mail is not checked,
//! and recipients or recipient domains that always pass, e.g. a legitimate correspondent in
//! a blocked TLD. The add-ins ignore the section. Validated with paths like the rest of the
//! policy; matching is here so that the gateway decides nothing itself.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::address::parse_address;
use crate::domain::Domain;
use crate::error::PolicyError;

/// The most entries in each exception list.
pub const MAX_EXCEPTIONS: usize = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewaySettings {
    pub exceptions: GatewayExceptions,
}

/// Who and what the gateway lets through without a check. Exceptions win over every
/// finding, blocks included: they are the administrator's explicit word.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayExceptions {
    /// Envelope senders (addresses) whose recipients are not checked.
    pub senders: Vec<String>,
    /// Recipient addresses that always pass.
    pub recipients: Vec<String>,
    /// Recipient domains that always pass, with their subdomains.
    pub domains: Vec<String>,
}

/// Which exception let a recipient through (for the gateway's log and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExceptionMatch {
    Sender,
    Recipient,
    Domain,
}

impl ExceptionMatch {
    pub fn name(self) -> &'static str {
        match self {
            ExceptionMatch::Sender => "sender",
            ExceptionMatch::Recipient => "recipient",
            ExceptionMatch::Domain => "domain",
        }
    }
}

/// The exceptions in canonical form, ready to match.
#[derive(Debug, Clone, Default)]
pub struct ExceptionSet {
    senders: HashSet<String>,
    recipients: HashSet<String>,
    domains: HashSet<String>,
}

impl GatewaySettings {
    /// Checks every entry, naming the first bad one by its path (`gateway.exceptions.domains[2]`).
    pub fn validate(&self) -> Result<(), PolicyError> {
        self.compile().map(drop)
    }

    pub fn compile(&self) -> Result<ExceptionSet, PolicyError> {
        let e = &self.exceptions;
        Ok(ExceptionSet {
            senders: canonical_list("senders", &e.senders, canonical_address)?,
            recipients: canonical_list("recipients", &e.recipients, canonical_address)?,
            domains: canonical_list("domains", &e.domains, |d| {
                Domain::canonical(d).map_err(|e| format!("`{d}` is not a domain: {e}"))
            })?,
        })
    }
}

fn canonical_address(text: &str) -> Result<String, String> {
    parse_address(text)
        .map(|a| a.canonical())
        .map_err(|e| format!("`{text}` is not an address: {e}"))
}

fn canonical_list(
    name: &str,
    list: &[String],
    canonical: impl Fn(&str) -> Result<String, String>,
) -> Result<HashSet<String>, PolicyError> {
    let path = format!("gateway.exceptions.{name}");
    if list.len() > MAX_EXCEPTIONS {
        return Err(PolicyError {
            path,
            message: format!("at most {MAX_EXCEPTIONS} entries, not {}", list.len()),
        });
    }
    list.iter()
        .enumerate()
        .map(|(i, entry)| {
            canonical(entry).map_err(|message| PolicyError {
                path: format!("{path}[{i}]"),
                message,
            })
        })
        .collect()
}

impl ExceptionSet {
    pub fn is_empty(&self) -> bool {
        self.senders.is_empty() && self.recipients.is_empty() && self.domains.is_empty()
    }

    /// The exception that lets `recipient` through for `sender`, if any. A sender or
    /// recipient that does not parse matches nothing (and is checked as usual).
    pub fn matches(&self, sender: &str, recipient: &str) -> Option<ExceptionMatch> {
        if self.is_empty() {
            return None;
        }
        if parse_address(sender).is_ok_and(|s| self.senders.contains(&s.canonical())) {
            return Some(ExceptionMatch::Sender);
        }
        let recipient = parse_address(recipient).ok()?;
        if self.recipients.contains(&recipient.canonical()) {
            return Some(ExceptionMatch::Recipient);
        }
        // The domain and each parent: `mail.partner.ml` is under `partner.ml`.
        let mut domain = recipient.domain.as_str();
        loop {
            if self.domains.contains(domain) {
                return Some(ExceptionMatch::Domain);
            }
            domain = domain.split_once('.')?.1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(json: &str) -> Result<ExceptionSet, PolicyError> {
        let settings: GatewaySettings = crate::json::from_str(json).map_err(|e| PolicyError {
            path: e.path,
            message: e.message,
        })?;
        settings.compile()
    }

    #[test]
    fn senders_recipients_and_domains_with_their_subdomains() {
        let set = settings(
            r#"{"exceptions": {"senders": ["Printer@Example.org"], "recipients": ["liaison@army.ml"],
                "domains": ["Partner.ML."]}}"#,
        )
        .unwrap();
        let m = |s: &str, r: &str| set.matches(s, r);
        assert_eq!(
            m("printer@example.ORG", "x@army.ml"),
            Some(ExceptionMatch::Sender)
        );
        assert_eq!(
            m("a@example.org", "LIAISON@army.ml"),
            Some(ExceptionMatch::Recipient)
        );
        assert_eq!(
            m("a@example.org", "x@mail.partner.ml"),
            Some(ExceptionMatch::Domain)
        );
        assert_eq!(
            m("a@example.org", "x@partner.ml"),
            Some(ExceptionMatch::Domain)
        );
        assert_eq!(m("a@example.org", "x@notpartner.ml"), None);
        assert_eq!(m("a@example.org", "other@army.ml"), None);
        assert_eq!(m("", "not an address"), None);
    }

    #[test]
    fn bad_entries_are_named_by_path() {
        let e = settings(r#"{"exceptions": {"domains": ["ok.org", "not a domain"]}}"#).unwrap_err();
        assert_eq!(e.path, "gateway.exceptions.domains[1]");
        let e = settings(r#"{"exceptions": {"senders": ["nobody"]}}"#).unwrap_err();
        assert_eq!(e.path, "gateway.exceptions.senders[0]");
        let e = settings(r#"{"exceptions": {"people": []}}"#).unwrap_err();
        assert!(e.message.contains("people"), "{e:?}");
        let many = vec!["a.org"; MAX_EXCEPTIONS + 1];
        let json = serde_json::json!({"exceptions": {"domains": many}}).to_string();
        assert_eq!(
            settings(&json).unwrap_err().path,
            "gateway.exceptions.domains"
        );
    }
}
