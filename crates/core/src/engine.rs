//! The engine: a policy compiled once into indexes, then [`Engine::check`] per draft.

use std::collections::HashSet;

use crate::address::{self, parse_mailbox, Address, AddressError, Mailbox};
use crate::builtin::{HIGH_VALUE_DOMAINS, LEGITIMATE_NEIGHBOURS};
use crate::content::ContentScanner;
use crate::conversation::{other_address_of, Participants, Resemblance};
use crate::domain::{
    generic_tld_owner, generic_tlds_near, is_within, nearest_generic_tld, tld_exists, tld_trap,
    Domain, DomainSet,
};
use crate::draft::{Draft, Field, OriginalKind};
pub use crate::error::Error;
use crate::fast_hash::{FastMap, FastSet};
pub use crate::known::KnownRecipients;
use crate::lookalike::{self, script_spoof, Lookalike, ReferenceClass, ReferenceSet};
use crate::policy::{Action, Policy};
pub use crate::recipient::CheckedRecipient;
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
        // Real mail domains are never lookalikes, whether or not the built-in references are
        // protected: a policy that trusts `mail.com` must not flag every `gmail.com`.
        let mut legitimate: FastSet<String> = lists.legitimate.into_iter().collect();
        legitimate.extend(
            (LEGITIMATE_NEIGHBOURS.iter().chain(HIGH_VALUE_DOMAINS)).map(|d| d.to_string()),
        );
        let content = ContentScanner::new(&policy.content, policy.fail_mode)?;
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
        crate::monitor::verdict(&self.policy.monitor, findings, &recipients)
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
            participants: draft.original.as_ref().and_then(Participants::of),
            draft,
            in_draft: std::cell::OnceCell::new(),
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
    /// The participants of the message answered or forwarded, if any.
    participants: Option<Participants>,
    draft: &'a Draft,
    /// The canonical addresses of the draft's recipients, read when the contact check first
    /// needs them.
    in_draft: std::cell::OnceCell<HashSet<String>>,
    findings: Vec<(usize, Action, Finding)>,
}

impl Context<'_> {
    fn report(&mut self, position: usize, kind: FindingKind, finding: FindingParts) {
        self.report_strictest(position, kind, None, finding);
    }

    /// Reports one finding of `kind` for a recipient that is also of kind `also` (a lookalike
    /// under a trap TLD, say): the stricter of the two actions applies, so an admin who blocks
    /// either kind never sees such a recipient go out with a warning.
    fn report_strictest(
        &mut self,
        position: usize,
        kind: FindingKind,
        also: Option<FindingKind>,
        finding: FindingParts,
    ) {
        let action = (also.map(|k| self.action_for(k)))
            .map_or(self.action_for(kind), |a| a.max(self.action_for(kind)));
        self.report_as(position, kind, action, finding);
    }

    /// Reports one finding with the given action.
    fn report_as(
        &mut self,
        position: usize,
        kind: FindingKind,
        action: Action,
        finding: FindingParts,
    ) {
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
            FindingKind::ReplyAddsDomain => a.reply_adds_domain,
            // The action for protected contacts; `check_contact_at_other_address` picks.
            FindingKind::ContactAtOtherAddress => a.contact_at_other_address,
            FindingKind::FirstTimeRecipient => a.first_time_recipient,
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

    /// Checks one recipient: parses it, classifies it, then runs each check in the order its
    /// findings are reported.
    fn check_one(&mut self, position: usize, field: Field, raw: &str) -> CheckedRecipient {
        match parse_mailbox(raw) {
            Ok(mailbox) => {
                let before = self.findings.len();
                let mut checked = self.check_mailbox(position, field, &mailbox);
                self.check_other_readings(&mut checked, raw, &mailbox, before);
                checked
            }
            Err(e) => self.check_invalid(position, field, raw, e),
        }
    }

    /// The checks of one address, in the order their findings are reported.
    fn check_mailbox(
        &mut self,
        position: usize,
        field: Field,
        mailbox: &Mailbox,
    ) -> CheckedRecipient {
        let address = &mailbox.address;
        let before = self.findings.len();
        let mut checked = CheckedRecipient::new(position, field, address.display());
        self.classify(&mut checked, address);
        self.check_blocked(&checked, &address.domain);
        if !tld_exists(address.domain.tld()) {
            self.check_unknown_tld(&mut checked, address);
        } else if !self.is_exempt(&checked, &address.domain)
            && !self.check_lookalike_domain(&mut checked, address)
            && !self.check_tld_trap(&mut checked, address)
        {
            self.check_script_spoof(&mut checked, address);
        }
        self.check_risky_destination(&mut checked, &address.domain);
        if !self.check_lookalike_address(&mut checked, mailbox) {
            self.check_contact_at_other_address(&mut checked, mailbox);
        }
        self.check_reply_adds_domain(&checked, mailbox);
        self.check_first_time(&mut checked, before);
        checked
    }

    /// The address with characters no domain holds dropped from its domain, and the reference
    /// that domain is or imitates.
    fn without_stray_characters(&self, raw: &str) -> Option<(Address, String)> {
        let (local, domain) = raw.trim().rsplit_once('@')?;
        let cleaned: String = (domain.chars())
            .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '-'))
            .collect();
        if cleaned == domain {
            return None;
        }
        let address = parse_mailbox(&format!("{local}@{cleaned}")).ok()?.address;
        let suggestion = self.reference_or_lookalike(&address.domain)?;
        Some((address, suggestion))
    }

    /// `domain` itself when it is (or lies below) a reference, else the reference it imitates.
    fn reference_or_lookalike(&self, domain: &Domain) -> Option<String> {
        let d = domain.as_str();
        let listed = self.engine.references.covers(d)
            || self.own.covers(d)
            || self.known.references().covers(d);
        if listed {
            return Some(d.to_string());
        }
        self.lookalike(domain).map(|l| l.suggestion)
    }

    /// Two slips at once, a TLD that does not exist and a typo in the name (`gnail.con`,
    /// `yahooo.cmo`, `comcast.nry`): the TLD corrected to a generic one within two edits, then
    /// the name looked up again.
    fn corrected_tld_lookalike(&self, domain: &Domain) -> Option<String> {
        (generic_tlds_near(domain.tld()).into_iter()).find_map(|tld| {
            let fixed = Domain::parse(&format!("{}.{tld}", domain.without_tld())).ok()?;
            self.reference_or_lookalike(&fixed)
        })
    }

    /// Fills in what the recipient is to the sender: internal, trusted, known.
    fn classify(&self, checked: &mut CheckedRecipient, address: &Address) {
        let d = address.domain.as_str();
        checked.address = address.display();
        checked.internal = self.is_internal(d);
        checked.trusted = (self.engine.references).covers_as(d, ReferenceClass::Trusted);
        checked.known = self.known.knows(address);
    }

    /// Domains never reported as lookalikes or TLD traps: the organisation's, partners', known
    /// ones, the sender's own and those the policy calls legitimate.
    fn is_exempt(&self, checked: &CheckedRecipient, domain: &Domain) -> bool {
        let d = domain.as_str();
        checked.internal
            || checked.trusted
            || self.known.knows_domain(d)
            || self
                .sender_domain
                .as_deref()
                .is_some_and(|s| is_within(d, s))
            || self.engine.legitimate.contains(d)
    }

    fn check_blocked(&mut self, checked: &CheckedRecipient, domain: &Domain) {
        if self.engine.blocked.covers(domain.as_str()) {
            let action = self.action_for(FindingKind::BlockedDomain);
            let message = wording::blocked(&checked.address, domain, action);
            self.report(
                checked.position,
                FindingKind::BlockedDomain,
                FindingParts::new(&checked.address, message, checked.field),
            );
        }
    }

    /// A TLD that does not exist: the address cannot receive mail; suggest the likely domain.
    fn check_unknown_tld(&mut self, checked: &mut CheckedRecipient, address: &Address) {
        let domain = &address.domain;
        checked.suspicious = true;
        let lookalike = (self.lookalike(domain).map(|l| l.suggestion))
            .or_else(|| self.corrected_tld_lookalike(domain));
        let also = lookalike.is_some().then_some(FindingKind::LookalikeDomain);
        let suggestion = lookalike.or_else(|| {
            nearest_generic_tld(domain.tld()).map(|g| format!("{}.{g}", domain.without_tld()))
        });
        let message = wording::no_such_tld(&checked.address, domain, suggestion.as_deref());
        self.report_strictest(
            checked.position,
            FindingKind::InvalidAddress,
            also,
            FindingParts::fixable(
                &checked.address,
                message,
                checked.field,
                suggestion,
                address,
            ),
        );
    }

    /// Answers whether the domain was reported as a lookalike of a reference domain.
    fn check_lookalike_domain(
        &mut self,
        checked: &mut CheckedRecipient,
        address: &Address,
    ) -> bool {
        let Some(l) = self.lookalike(&address.domain) else {
            return false;
        };
        checked.suspicious = true;
        let message = wording::lookalike(&checked.address, &address.domain, &l);
        let also = tld_trap(&address.domain).map(|_| FindingKind::TldTrap);
        self.report_strictest(
            checked.position,
            FindingKind::LookalikeDomain,
            also,
            FindingParts::fixable(
                &checked.address,
                message,
                checked.field,
                Some(l.suggestion),
                address,
            ),
        );
        true
    }

    /// Answers whether the domain was reported as a TLD trap.
    fn check_tld_trap(&mut self, checked: &mut CheckedRecipient, address: &Address) -> bool {
        let domain = &address.domain;
        let Some(generic) = tld_trap(domain) else {
            return false;
        };
        checked.suspicious = true;
        let suggestion = format!("{}.{generic}", domain.without_tld());
        let owner = generic_tld_owner(generic).unwrap_or(generic);
        let message = wording::tld_trap(&checked.address, domain, &suggestion, owner);
        self.report(
            checked.position,
            FindingKind::TldTrap,
            FindingParts::fixable(
                &checked.address,
                message,
                checked.field,
                Some(suggestion),
                address,
            ),
        );
        true
    }

    /// A label mixing Latin with Cyrillic or Greek letters, or written wholly in look-alike
    /// Cyrillic or Greek letters: reported even when it imitates no reference.
    fn check_script_spoof(&mut self, checked: &mut CheckedRecipient, address: &Address) {
        let domain = &address.domain;
        let Some(spoof) = script_spoof(domain) else {
            return;
        };
        checked.suspicious = true;
        let message = wording::script_spoof(&checked.address, domain, &spoof);
        self.report(
            checked.position,
            FindingKind::LookalikeDomain,
            FindingParts::new(&checked.address, message, checked.field),
        );
    }

    fn check_risky_destination(&mut self, checked: &mut CheckedRecipient, domain: &Domain) {
        let Some(country) = self.engine.risky.get(domain.tld()) else {
            return;
        };
        checked.risky_destination = true;
        let hr = &self.engine.policy.high_risk_destinations;
        let action = self.action_for(FindingKind::RiskyDestination);
        let message =
            wording::risky_destination(&checked.address, country, action, &hr.reason, &hr.as_of);
        self.report(
            checked.position,
            FindingKind::RiskyDestination,
            FindingParts::new(&checked.address, message, checked.field),
        );
    }

    /// A new address one letter away from one the sender has written to at the same domain.
    /// Answers whether it was reported.
    fn check_lookalike_address(
        &mut self,
        checked: &mut CheckedRecipient,
        mailbox: &Mailbox,
    ) -> bool {
        let d = mailbox.address.domain.as_str();
        if checked.known || !(self.known.knows_domain(d) || checked.internal) {
            return false;
        }
        let Some(meant) = self.known_neighbour(mailbox) else {
            return false;
        };
        checked.suspicious = true;
        let parts = FindingParts {
            recipient: Some(checked.address.clone()),
            suggestion: Some(meant.clone()),
            sentence: wording::lookalike_address(&checked.address, &meant),
            field: Some(checked.field),
            fix: Some(meant),
        };
        self.report(checked.position, FindingKind::LookalikeAddress, parts);
        true
    }

    /// A known contact's name or personal local part at an address the sender never used.
    /// A contact known at an internal or trusted address, now at an outside untrusted one,
    /// gets `contact_at_other_address`; every other contact `outside_contact_at_other_address`.
    fn check_contact_at_other_address(
        &mut self,
        checked: &mut CheckedRecipient,
        mailbox: &Mailbox,
    ) {
        if checked.known || self.known.is_empty() {
            return;
        }
        let known = self.known;
        let in_draft = |address: &str| {
            let addresses = self.in_draft.get_or_init(|| {
                (self.draft.recipients())
                    .filter_map(|(_, raw)| parse_mailbox(raw).ok())
                    .map(|m| m.address.canonical())
                    .collect()
            });
            addresses.contains(address)
        };
        let Some((contact, how)) = other_address_of(mailbox, known, &in_draft) else {
            return;
        };
        let protected = self.is_internal(contact.domain)
            || (self.engine.references).covers_as(contact.domain, ReferenceClass::Trusted);
        let actions = &self.engine.policy.actions;
        let action = if protected && !checked.internal && !checked.trusted {
            actions.contact_at_other_address
        } else {
            actions.outside_contact_at_other_address
        };
        let meant = contact.display();
        let who = match how {
            Resemblance::Name => contact
                .name
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
            Resemblance::LocalPart => contact.local.to_string(),
        };
        checked.suspicious |= action != Action::Allow;
        let parts = FindingParts {
            recipient: Some(checked.address.clone()),
            suggestion: Some(meant.clone()),
            sentence: wording::contact_at_other_address(&checked.address, &meant, &who),
            field: Some(checked.field),
            fix: Some(meant),
        };
        self.report_as(
            checked.position,
            FindingKind::ContactAtOtherAddress,
            action,
            parts,
        );
    }

    /// A reply or forward that adds an outside domain none of the original's participants had.
    fn check_reply_adds_domain(&mut self, checked: &CheckedRecipient, mailbox: &Mailbox) {
        let domain = &mailbox.address.domain;
        let Some(participants) = &self.participants else {
            return;
        };
        if checked.internal || !participants.is_new_domain(domain.as_str()) {
            return;
        }
        let fix = participants.fix_for(&mailbox.address.local, self.known);
        let shown = participants.shown_domains(|d| self.is_internal(d));
        let forward = participants.kind == OriginalKind::Forward;
        let sentence = wording::reply_adds_domain(
            &checked.address,
            domain.unicode(),
            forward,
            &shown,
            fix.as_deref(),
        );
        let parts = FindingParts {
            recipient: Some(checked.address.clone()),
            suggestion: fix.clone(),
            sentence,
            field: Some(checked.field),
            fix,
        };
        self.report(checked.position, FindingKind::ReplyAddsDomain, parts);
    }

    /// An outside address the history does not hold (only with a history): in the content
    /// rules' `first_time` class, and reported when nothing else was said about it.
    fn check_first_time(&mut self, checked: &mut CheckedRecipient, findings_before: usize) {
        if !self.known.has_history() || checked.internal || checked.known {
            return;
        }
        checked.first_time = true;
        // An allowed finding never reaches the verdict (the policy's default for this kind):
        // not worth a sentence for each new recipient of every check.
        let allowed = self.action_for(FindingKind::FirstTimeRecipient) == Action::Allow;
        if allowed || self.findings.len() > findings_before {
            return;
        }
        let sentence = wording::first_time_recipient(&checked.address);
        let parts = FindingParts::new(&checked.address.clone(), sentence, checked.field);
        self.report(checked.position, FindingKind::FirstTimeRecipient, parts);
    }

    /// The best lookalike among the policy's references, the sender's own domain and known ones.
    fn lookalike(&self, domain: &Domain) -> Option<Lookalike> {
        let sets = [&self.engine.references, self.own, self.known.references()];
        lookalike::find_in(&sets, domain)
    }

    fn known_neighbour(&self, mailbox: &Mailbox) -> Option<String> {
        let address = &mailbox.address;
        let local = address.local.to_lowercase();
        (self.known.neighbour(&local, address.domain.as_str())).map(|c| c.display())
    }

    fn check_external(&mut self, checked: &[CheckedRecipient]) {
        let settings = self.engine.policy.external_recipients.clone();
        let external: Vec<&CheckedRecipient> = checked.iter().filter(|c| !c.internal).collect();
        let visible_domains: FastSet<&str> = external
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

impl CheckedRecipient {
    /// In no class yet: the checks set them.
    fn new(position: usize, field: Field, address: String) -> CheckedRecipient {
        CheckedRecipient {
            position,
            field,
            address,
            internal: false,
            trusted: false,
            known: false,
            suspicious: false,
            risky_destination: false,
            first_time: false,
        }
    }

    /// A recipient string that is not (only) an address: in every class a content rule can
    /// name (suspicious, first-time, never internal, trusted or known).
    fn unparsed(position: usize, field: Field, raw: &str) -> CheckedRecipient {
        CheckedRecipient {
            suspicious: true,
            first_time: true,
            ..CheckedRecipient::new(position, field, raw.trim().to_string())
        }
    }
}

impl Context<'_> {
    /// A recipient string that is not one clean address. It is reported as an invalid
    /// address, at least as strictly as the strictest check of every address it could be
    /// (`address::candidates`): a blocked destination hidden after a harmless one still blocks.
    fn check_invalid(
        &mut self,
        position: usize,
        field: Field,
        raw: &str,
        error: AddressError,
    ) -> CheckedRecipient {
        let mut checked = CheckedRecipient::unparsed(position, field, raw);
        let candidates = address::candidates(raw);
        let action = (self.action_for(FindingKind::InvalidAddress))
            .max(self.strictest_candidate(&mut checked, &candidates));
        let message = unparsable_message(raw, &error, &candidates);
        // A stray character in the domain (`#gmail.com`) gets the reference it hides as the fix.
        let parts = match self.without_stray_characters(raw) {
            Some((address, suggestion)) => {
                FindingParts::fixable(raw.trim(), message, field, Some(suggestion), &address)
            }
            None => FindingParts::new(raw.trim(), message, field),
        };
        self.report_as(position, FindingKind::InvalidAddress, action, parts);
        checked
    }

    /// A recipient that parses, but that a careless reader could take for other addresses too
    /// (`"x\" <a@army.ml> " <b@army.mil>`): when one of them would be treated more strictly
    /// than the address itself, an `invalid_address` finding at that action is added, and the
    /// recipient takes the strictest classes of all of them for the content rules.
    fn check_other_readings(
        &mut self,
        checked: &mut CheckedRecipient,
        raw: &str,
        mailbox: &Mailbox,
        findings_before: usize,
    ) {
        if address::has_one_reading(raw) {
            return;
        }
        let candidates = address::candidates(raw);
        if candidates.len() < 2 {
            return;
        }
        let own = mailbox.address.canonical();
        let others: Vec<Address> = (candidates.iter())
            .filter(|a| a.canonical() != own)
            .cloned()
            .collect();
        let as_read = (self.findings[findings_before..].iter())
            .map(|(_, a, _)| *a)
            .max()
            .unwrap_or(Action::Allow);
        let strictest = self.strictest_candidate(checked, &others);
        if strictest > as_read {
            checked.suspicious = true;
            let parts = FindingParts::new(
                raw.trim(),
                ambiguous_message(raw, &candidates),
                checked.field,
            );
            self.report_as(
                checked.position,
                FindingKind::InvalidAddress,
                strictest,
                parts,
            );
        }
    }

    /// The strictest action the checks of `candidates` would take (block when there are too
    /// many to check); `checked` takes the strictest of their classes. Their findings are
    /// not kept.
    fn strictest_candidate(
        &mut self,
        checked: &mut CheckedRecipient,
        candidates: &[Address],
    ) -> Action {
        if candidates.len() > address::MAX_CANDIDATES {
            return Action::Block;
        }
        let before = self.findings.len();
        for address in candidates {
            let mailbox = Mailbox {
                display_name: None,
                address: address.clone(),
            };
            let c = self.check_mailbox(checked.position, checked.field, &mailbox);
            checked.internal &= c.internal;
            checked.trusted &= c.trusted;
            checked.known &= c.known;
            checked.suspicious |= c.suspicious;
            checked.risky_destination |= c.risky_destination;
            checked.first_time |= c.first_time;
        }
        let strictest = self.findings.drain(before..).map(|(_, a, _)| a).max();
        strictest.unwrap_or(Action::Allow)
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
        address: &Address,
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

/// Why a recipient string is not an address; for one that could be several, which ones.
fn unparsable_message(raw: &str, e: &AddressError, candidates: &[Address]) -> Sentence {
    match e {
        AddressError::TextAfterAngle if candidates.len() > 1 => ambiguous_message(raw, candidates),
        _ => wording::not_an_address(raw.trim(), &e.to_string()),
    }
}

/// A recipient that could go to several addresses.
fn ambiguous_message(raw: &str, candidates: &[Address]) -> Sentence {
    let shown: Vec<String> = candidates.iter().map(|a| a.display()).collect();
    wording::several_addresses(raw.trim(), &shown)
}
