//! The engine: a policy compiled once into indexes, then [`Engine::check`] per draft.

use std::collections::{HashMap, HashSet};

use crate::address::{parse_mailbox, Mailbox};
use crate::builtin::{HIGH_VALUE_DOMAINS, LEGITIMATE_NEIGHBOURS};
use crate::content::ContentScanner;
use crate::domain::{
    generic_tld_owner, is_within, nearest_generic_tld, tld_exists, tld_trap, Domain, DomainSet,
};
use crate::draft::{Draft, Field};
use crate::fast_hash::{FastMap, FastSet};
use crate::index::str_within_one;
use crate::lookalike::{Lookalike, ReferenceClass, ReferenceSet};
use crate::policy::{Action, Policy};
use crate::verdict::{Finding, FindingKind, Verdict};
use crate::wording::{self, Sentence};

/// A policy prepared for checking. Cheap to share; `check` takes `&self`.
#[derive(Debug, Clone)]
pub struct Engine {
    policy: Policy,
    /// Whether the policy lists internal domains (without, the sender's domain stands in).
    has_internal: bool,
    blocked: DomainSet,
    legitimate: FastSet<String>,
    risky: FastMap<String, String>,
    references: ReferenceSet,
    content: ContentScanner,
}

/// The addresses the sender has written to before. Prepare once, reuse for many checks.
#[derive(Debug, Clone, Default)]
pub struct KnownRecipients {
    addresses: HashSet<String>,
    /// Domain → lower-cased local parts known there.
    locals: HashMap<String, Vec<String>>,
    references: ReferenceSet,
    rejected: Vec<String>,
}

impl KnownRecipients {
    /// Parses addresses (bare or `Name <addr>`); unparsable entries are kept in [`Self::rejected`].
    pub fn new<S: AsRef<str>>(entries: impl IntoIterator<Item = S>) -> KnownRecipients {
        let mut known = KnownRecipients::default();
        for entry in entries {
            let entry = entry.as_ref().trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            match parse_mailbox(entry) {
                Ok(m) => {
                    let domain = m.address.domain.as_str().to_string();
                    let local = m.address.local.to_lowercase();
                    if known.addresses.insert(m.address.canonical()) {
                        known.locals.entry(domain).or_default().push(local);
                    }
                }
                Err(_) => known.rejected.push(entry.to_string()),
            }
        }
        known.references = ReferenceSet::build(
            known
                .locals
                .keys()
                .map(|d| (d.clone(), ReferenceClass::Known)),
        );
        known
    }

    /// Entries that were not addresses.
    pub fn rejected(&self) -> &[String] {
        &self.rejected
    }

    pub fn len(&self) -> usize {
        self.addresses.len()
    }

    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }

    fn knows_domain(&self, domain: &str) -> bool {
        self.locals.contains_key(domain)
    }
}

/// What the engine concluded about one recipient; content rules use these classes.
#[derive(Debug, Clone)]
pub struct CheckedRecipient {
    pub position: usize,
    pub field: Field,
    /// The address as typed (Unicode domain), or the raw text when it did not parse.
    pub address: String,
    pub internal: bool,
    pub trusted: bool,
    pub known: bool,
    /// Reported as a lookalike, TLD trap, lookalike address or invalid address.
    pub suspicious: bool,
    pub risky_destination: bool,
}

/// An error from the engine's inputs (the checks themselves never fail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    Policy(crate::policy::PolicyError),
    /// A draft that is not valid JSON of the draft format; `path` names the field.
    Draft {
        path: String,
        message: String,
    },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Policy(e) => write!(f, "{e}"),
            Error::Draft { path, message } if path.is_empty() || path == "." => {
                write!(f, "draft: {message}")
            }
            Error::Draft { path, message } => write!(f, "draft at `{path}`: {message}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<crate::policy::PolicyError> for Error {
    fn from(e: crate::policy::PolicyError) -> Self {
        Error::Policy(e)
    }
}

/// `(domain, class)` pairs for [`ReferenceSet::build`].
fn tag(list: Vec<String>, class: ReferenceClass) -> impl Iterator<Item = (String, ReferenceClass)> {
    list.into_iter().map(move |d| (d, class))
}

impl Engine {
    /// Validates the policy and builds its indexes.
    pub fn new(policy: Policy) -> Result<Engine, Error> {
        let lists = policy.canonical_lists()?;
        let builtin: &[&str] = if policy.lookalike.builtin_reference_domains {
            HIGH_VALUE_DOMAINS
        } else {
            &[]
        };
        let has_internal = !lists.internal.is_empty();
        // The internal and trusted domains are looked up here too (`covers_as`).
        let references = ReferenceSet::build(
            tag(lists.internal, ReferenceClass::Internal)
                .chain(tag(lists.trusted, ReferenceClass::Trusted))
                .chain(tag(lists.reference, ReferenceClass::Protected))
                .chain(
                    builtin
                        .iter()
                        .map(|d| (d.to_string(), ReferenceClass::HighValue)),
                ),
        );
        let mut legitimate: FastSet<String> = lists.legitimate.into_iter().collect();
        if policy.lookalike.builtin_reference_domains {
            legitimate.extend(LEGITIMATE_NEIGHBOURS.iter().map(|d| d.to_string()));
        }
        let content = ContentScanner::new(&policy.content)?;
        Ok(Engine {
            content,
            policy,
            has_internal,
            blocked: DomainSet::new(lists.blocked),
            legitimate,
            risky: lists.risky_tlds.into_iter().collect(),
            references,
        })
    }

    /// Reads a policy from JSON and builds the engine (validating the policy once).
    pub fn from_json(policy_json: &str) -> Result<Engine, Error> {
        Engine::new(Policy::parse_json(policy_json)?)
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Number of reference domains and approximate heap bytes of their indexes.
    pub fn index_stats(&self) -> (usize, usize) {
        (self.references.len(), self.references.heap_bytes())
    }

    /// Checks a draft. Never fails: bad recipients become `invalid_address` findings.
    pub fn check(&self, draft: &Draft, known: &KnownRecipients) -> Verdict {
        let (checked, mut findings) = self.check_recipients(draft, known);
        findings.extend(self.content.findings(draft, &checked));
        let recipients: Vec<(Field, &str)> = checked
            .iter()
            .map(|c| (c.field, c.address.as_str()))
            .collect();
        Verdict::from_findings(findings, &recipients)
    }

    /// The recipient checks, returning each recipient's classes and the findings so far.
    pub fn check_recipients(
        &self,
        draft: &Draft,
        known: &KnownRecipients,
    ) -> (Vec<CheckedRecipient>, Vec<(usize, Action, Finding)>) {
        let sender = draft.from.as_deref().and_then(|f| parse_mailbox(f).ok());
        let sender_domain = sender
            .as_ref()
            .map(|m| m.address.domain.as_str().to_string());
        let own = ReferenceSet::build(
            sender_domain
                .iter()
                .map(|d| (d.clone(), ReferenceClass::SenderOwn)),
        );
        let mut ctx = Context {
            engine: self,
            known,
            own: &own,
            sender_domain,
            findings: Vec::new(),
        };
        let checked: Vec<CheckedRecipient> = draft
            .recipients()
            .enumerate()
            .map(|(pos, (field, raw))| ctx.check_one(pos, field, raw))
            .collect();
        ctx.check_external(&checked);
        (checked, ctx.findings)
    }
}

/// The state of one check: the engine, the sender's context and the findings collected.
struct Context<'a> {
    engine: &'a Engine,
    known: &'a KnownRecipients,
    own: &'a ReferenceSet,
    sender_domain: Option<String>,
    findings: Vec<(usize, Action, Finding)>,
}

impl Context<'_> {
    fn report(&mut self, position: usize, kind: FindingKind, finding: FindingParts) {
        let action = self.action_for(kind);
        let FindingParts {
            recipient,
            suggestion,
            sentence,
            field,
            fix,
        } = finding;
        self.findings.push((
            position,
            action,
            Finding {
                kind,
                action: action.outcome(),
                justification_required: action == Action::BlockWithJustification,
                recipient,
                suggestion,
                message: sentence.message,
                field,
                fix,
                detector: None,
                count: None,
                excerpt: None,
                recipients: Vec::new(),
                detail: sentence.detail,
            },
        ));
    }

    fn action_for(&self, kind: FindingKind) -> Action {
        let a = &self.engine.policy.actions;
        match kind {
            FindingKind::BlockedDomain => a.blocked_domain,
            FindingKind::InvalidAddress => a.invalid_address,
            FindingKind::LookalikeDomain => a.lookalike_domain,
            FindingKind::TldTrap => a.tld_trap,
            FindingKind::LookalikeAddress => a.lookalike_address,
            FindingKind::RiskyDestination => a.risky_destination,
            FindingKind::ExternalRecipients => a.external_recipients,
            // Content findings carry their own action, from `content.rules`.
            FindingKind::SensitiveContent => Action::Warn,
        }
    }

    fn is_internal(&self, domain: &str) -> bool {
        if !self.engine.has_internal {
            // Without configured internal domains, the sender's own domain is the organisation.
            self.sender_domain
                .as_deref()
                .is_some_and(|s| is_within(domain, s))
        } else {
            (self.engine.references).covers_as(domain, ReferenceClass::Internal)
        }
    }

    fn check_one(&mut self, position: usize, field: Field, raw: &str) -> CheckedRecipient {
        let mut checked = CheckedRecipient {
            position,
            field,
            address: raw.trim().to_string(),
            internal: false,
            trusted: false,
            known: false,
            suspicious: false,
            risky_destination: false,
        };
        let mailbox = match parse_mailbox(raw) {
            Ok(m) => m,
            Err(e) => {
                checked.suspicious = true;
                let message = wording::not_an_address(raw.trim(), &e.to_string());
                self.report(
                    position,
                    FindingKind::InvalidAddress,
                    FindingParts::new(raw.trim(), message, field),
                );
                return checked;
            }
        };
        let address = &mailbox.address;
        let domain = &address.domain;
        let d = domain.as_str();
        checked.address = address.display();
        checked.internal = self.is_internal(d);
        checked.trusted = (self.engine.references).covers_as(d, ReferenceClass::Trusted);
        checked.known = self.known.addresses.contains(&address.canonical());
        let exempt = checked.internal
            || checked.trusted
            || self.known.knows_domain(d)
            || self
                .sender_domain
                .as_deref()
                .is_some_and(|s| is_within(d, s))
            || self.engine.legitimate.contains(d);

        if self.engine.blocked.covers(d) {
            let message = wording::blocked(
                &checked.address,
                domain,
                self.action_for(FindingKind::BlockedDomain),
            );
            self.report(
                position,
                FindingKind::BlockedDomain,
                FindingParts::new(&checked.address, message, field),
            );
        }

        if !tld_exists(domain.tld()) {
            checked.suspicious = true;
            let suggestion = self.lookalike(domain).map(|l| l.suggestion).or_else(|| {
                nearest_generic_tld(domain.tld()).map(|g| format!("{}.{g}", domain.without_tld()))
            });
            let message = wording::no_such_tld(&checked.address, domain, suggestion.as_deref());
            self.report(
                position,
                FindingKind::InvalidAddress,
                FindingParts::fixable(&checked.address, message, field, suggestion, address),
            );
        } else if !exempt {
            if let Some(l) = self.lookalike(domain) {
                checked.suspicious = true;
                let message = wording::lookalike(&checked.address, domain, &l);
                self.report(
                    position,
                    FindingKind::LookalikeDomain,
                    FindingParts::fixable(
                        &checked.address,
                        message,
                        field,
                        Some(l.suggestion),
                        address,
                    ),
                );
            } else if let Some(generic) = tld_trap(domain) {
                checked.suspicious = true;
                let suggestion = format!("{}.{generic}", domain.without_tld());
                let owner = generic_tld_owner(generic).unwrap_or(generic);
                let message = wording::tld_trap(&checked.address, domain, &suggestion, owner);
                self.report(
                    position,
                    FindingKind::TldTrap,
                    FindingParts::fixable(
                        &checked.address,
                        message,
                        field,
                        Some(suggestion),
                        address,
                    ),
                );
            }
        }

        if let Some(country) = self.engine.risky.get(domain.tld()) {
            checked.risky_destination = true;
            let hr = &self.engine.policy.high_risk_destinations;
            let message = wording::risky_destination(
                &checked.address,
                country,
                self.action_for(FindingKind::RiskyDestination),
                &hr.reason,
                &hr.as_of,
            );
            self.report(
                position,
                FindingKind::RiskyDestination,
                FindingParts::new(&checked.address, message, field),
            );
        }

        if !checked.known && (self.known.knows_domain(d) || checked.internal) {
            if let Some(meant) = self.known_neighbour(&mailbox) {
                checked.suspicious = true;
                let parts = FindingParts {
                    recipient: Some(checked.address.clone()),
                    suggestion: Some(meant.clone()),
                    sentence: wording::lookalike_address(&checked.address, &meant),
                    field: Some(field),
                    fix: Some(meant),
                };
                self.report(position, FindingKind::LookalikeAddress, parts);
            }
        }
        checked
    }

    /// The best lookalike among the policy's references, the sender's own domain and known ones.
    fn lookalike(&self, domain: &Domain) -> Option<Lookalike> {
        [&self.engine.references, self.own, &self.known.references]
            .into_iter()
            .filter_map(|set| set.find(domain))
            .min_by_key(|l| (l.class, l.resemblance as u8))
    }

    fn known_neighbour(&self, mailbox: &Mailbox) -> Option<String> {
        let domain = mailbox.address.domain.as_str();
        let local = mailbox.address.local.to_lowercase();
        let locals = self.known.locals.get(domain)?;
        locals
            .iter()
            .filter(|k| **k != local && k.chars().count() >= 3 && str_within_one(k, &local))
            .min()
            .map(|k| format!("{k}@{}", mailbox.address.domain.unicode()))
    }

    fn check_external(&mut self, checked: &[CheckedRecipient]) {
        let settings = self.engine.policy.external_recipients.clone();
        let external: Vec<&CheckedRecipient> = checked.iter().filter(|c| !c.internal).collect();
        let visible_domains: HashSet<&str> = external
            .iter()
            .filter(|c| c.field != Field::Bcc)
            .filter_map(|c| c.address.rsplit_once('@').map(|(_, d)| d))
            .collect();
        let visible: usize = external.iter().filter(|c| c.field != Field::Bcc).count();
        let sentence = if settings.suggest_bcc_at_domains > 0
            && visible_domains.len() >= settings.suggest_bcc_at_domains as usize
        {
            wording::suggest_bcc(visible, visible_domains.len())
        } else if settings.report_at > 0 && external.len() >= settings.report_at as usize {
            wording::many_external(external.len())
        } else {
            return;
        };
        self.report(
            usize::MAX,
            FindingKind::ExternalRecipients,
            FindingParts {
                sentence,
                ..FindingParts::default()
            },
        );
    }
}

#[derive(Default)]
struct FindingParts {
    recipient: Option<String>,
    suggestion: Option<String>,
    sentence: Sentence,
    field: Option<Field>,
    fix: Option<String>,
}

impl FindingParts {
    fn new(recipient: &str, sentence: Sentence, field: Field) -> FindingParts {
        FindingParts {
            recipient: Some(recipient.to_string()),
            sentence,
            field: Some(field),
            ..FindingParts::default()
        }
    }

    fn fixable(
        recipient: &str,
        sentence: Sentence,
        field: Field,
        suggestion: Option<String>,
        address: &crate::address::Address,
    ) -> FindingParts {
        let fix = suggestion.as_deref().map(|s| address.with_domain(s));
        FindingParts {
            recipient: Some(recipient.to_string()),
            suggestion,
            sentence,
            field: Some(field),
            fix,
        }
    }
}
