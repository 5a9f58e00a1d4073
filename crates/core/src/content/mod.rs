//! Sensitive content: detectors for markings, personal data, secrets, crypto keys, risky
//! attachments and the policy's own keywords, and the rules that turn detections into
//! findings per recipient class.
//!
//! A draft is scanned once (subject, body, attachment names); each detection is then weighed
//! for each recipient against the policy's `content.rules`, so a card number sent to one
//! colleague and one outsider is reported for the outsider only. Excerpts are redacted:
//! a finding never repeats the secret it found.

pub mod attachments;
pub mod crypto;
pub mod custom;
pub mod detectors;
pub mod markings;
pub mod national_ids;
pub mod payment;
pub mod rules;
pub mod secrets;
pub mod text;

use crate::action::{Action, FailMode};
use crate::draft::Draft;
use crate::error::PolicyError;
use crate::recipient::CheckedRecipient;
use crate::verdict::{Finding, FindingKind};

use attachments::AttachmentRules;
use crypto::SeedWords;
use custom::CustomMatcher;
pub use detectors::Detector;
use markings::Place;
pub use rules::{ContentRule, ContentSettings, CustomDetector, RecipientClass};

/// Which detector found something: a built-in one, or the policy's custom detector by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Builtin(Detector),
    Custom(usize),
}

/// What one detector found in a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub source: Source,
    pub count: u32,
    /// The first occurrence, redacted.
    pub excerpt: String,
}

/// Detections as they are found: a count per detector and the first one's excerpt.
#[derive(Debug, Default)]
pub struct Tally {
    detections: Vec<Detection>,
}

impl Tally {
    pub fn add(&mut self, detector: Detector, excerpt: impl FnOnce() -> String) {
        self.add_source(Source::Builtin(detector), excerpt);
    }

    /// Counts one occurrence; the excerpt is only made for the first.
    pub fn add_source(&mut self, source: Source, excerpt: impl FnOnce() -> String) {
        match self.detections.iter_mut().find(|d| d.source == source) {
            Some(d) => d.count += 1,
            None => self.detections.push(Detection {
                source,
                count: 1,
                excerpt: excerpt(),
            }),
        }
    }

    pub fn count(&self, detector: Detector) -> u32 {
        self.count_source(Source::Builtin(detector))
    }

    pub fn count_source(&self, source: Source) -> u32 {
        self.detections
            .iter()
            .find(|d| d.source == source)
            .map_or(0, |d| d.count)
    }

    #[cfg(test)]
    pub fn excerpts(&self) -> Vec<String> {
        self.detections.iter().map(|d| d.excerpt.clone()).collect()
    }

    /// Built-in detectors in [`detectors::ALL`] order, then custom ones in policy order.
    fn into_sorted(mut self) -> Vec<Detection> {
        crate::order::sort_by_key(&mut self.detections, |d| match d.source {
            Source::Builtin(b) => {
                let rank = detectors::ALL.iter().position(|x| *x == b).unwrap_or(0);
                (0, rank as u64)
            }
            Source::Custom(i) => (1, i as u64),
        });
        self.detections
    }
}

/// The policy's content section, compiled. Built once per engine.
#[derive(Debug, Clone)]
pub struct ContentScanner {
    settings: ContentSettings,
    attachments: AttachmentRules,
    custom: Vec<CustomMatcher>,
    /// What a draft gets when the custom patterns cannot all run on it (the policy's
    /// `fail_mode`): never a silent allow.
    fail_action: Action,
}

/// What a scan found, and which custom patterns it could not run within the draft's budget.
#[derive(Debug, Default)]
pub struct ScanResult {
    pub detections: Vec<Detection>,
    /// Indices into `content.custom` whose pattern was not run (see `DRAFT_PATTERN_BUDGET`).
    pub unscanned: Vec<usize>,
}

impl ContentScanner {
    pub fn new(
        settings: &ContentSettings,
        fail_mode: FailMode,
    ) -> Result<ContentScanner, PolicyError> {
        settings.validate()?;
        let custom = settings
            .custom
            .iter()
            .enumerate()
            .map(|(i, c)| {
                CustomMatcher::new(i, c).map_err(|message| PolicyError {
                    path: format!("content.custom[{i}].pattern"),
                    message,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ContentScanner {
            settings: settings.clone(),
            attachments: AttachmentRules::new(&settings.risky_attachment_types),
            custom,
            fail_action: match fail_mode {
                FailMode::Warn => Action::Warn,
                FailMode::Block => Action::Block,
            },
        })
    }

    /// Everything sensitive in the draft's subject, body and attachment names.
    pub fn scan(&self, draft: &Draft) -> Vec<Detection> {
        self.scan_within_budget(draft).detections
    }

    /// [`Self::scan`], saying which custom patterns were too costly to run on this draft.
    pub fn scan_within_budget(&self, draft: &Draft) -> ScanResult {
        let mut tally = Tally::default();
        if !self.settings.enabled {
            return ScanResult::default();
        }
        markings::scan(&draft.subject, Place::Subject, &mut tally);
        markings::scan(&draft.body, Place::Body, &mut tally);
        for attachment in &draft.attachments {
            markings::scan(&attachment.name, Place::AttachmentName, &mut tally);
        }
        for text in [&draft.subject, &draft.body] {
            let runs = text::alnum_runs(text.as_bytes());
            let mut ssn_keywords = None;
            for number in text::number_tokens(text, &runs) {
                payment::card_in(&number, &mut tally);
                national_ids::ssn_in(text, &number, &mut ssn_keywords, &mut tally);
            }
            scan_upper_case_ids(text, &runs, &mut tally);
            secrets::scan(text, &runs, &mut tally);
            SeedWords::shared().scan(text, &runs, &mut tally);
        }
        self.attachments
            .scan(&draft.attachments, &draft.body, &mut tally);
        // The patterns share one budget per draft, spent in policy order; a pattern that does
        // not fit is not run at all (its keywords still are).
        let text_bytes = draft.subject.len()
            + draft.body.len()
            + draft
                .attachments
                .iter()
                .map(|a| a.name.len())
                .sum::<usize>();
        let mut budget = custom::DRAFT_PATTERN_BUDGET;
        let mut unscanned = Vec::new();
        for (i, matcher) in self.custom.iter().enumerate() {
            let cost = matcher.pattern_cost(text_bytes);
            let run_pattern = cost <= budget;
            if run_pattern {
                budget -= cost;
            } else {
                unscanned.push(i);
            }
            matcher.scan(&draft.subject, run_pattern, &mut tally);
            matcher.scan(&draft.body, run_pattern, &mut tally);
            for attachment in &draft.attachments {
                matcher.scan(&attachment.name, run_pattern, &mut tally);
            }
        }
        ScanResult {
            detections: tally.into_sorted(),
            unscanned,
        }
    }

    /// The content findings for a draft whose recipients were classified by the engine, as
    /// (position of the first recipient concerned, action, finding).
    pub fn findings(
        &self,
        draft: &Draft,
        recipients: &[CheckedRecipient],
    ) -> Vec<(usize, Action, Finding)> {
        // Mail that only goes to colleagues needs no scan at all.
        if !self.settings.enabled || recipients.iter().all(|r| classes_of(r).is_empty()) {
            return Vec::new();
        }
        let scan = self.scan_within_budget(draft);
        let mut findings = self.unscanned_findings(&scan.unscanned, recipients);
        for detection in scan.detections {
            // Recipients grouped by the action and the reason that applies to them.
            let mut groups: Vec<(Action, RecipientClass, Vec<&CheckedRecipient>)> = Vec::new();
            for recipient in recipients {
                let Some((action, reason)) = self.decide(&detection, recipient) else {
                    continue;
                };
                match groups
                    .iter_mut()
                    .find(|(a, r, _)| *a == action && *r == reason)
                {
                    Some((_, _, members)) => members.push(recipient),
                    None => groups.push((action, reason, vec![recipient])),
                }
            }
            for (action, reason, members) in groups {
                findings.push((
                    members[0].position,
                    action,
                    self.finding(&detection, action, reason, &members),
                ));
            }
        }
        findings
    }

    /// A custom pattern that could not run on this draft fails the check by the policy's
    /// `fail_mode`, wherever a rule would have applied had it found something: one draft-wide
    /// finding per pattern.
    fn unscanned_findings(
        &self,
        unscanned: &[usize],
        recipients: &[CheckedRecipient],
    ) -> Vec<(usize, Action, Finding)> {
        let mut findings = Vec::new();
        for &i in unscanned {
            // As if the pattern had matched as often as any rule could ask.
            let assumed = Detection {
                source: Source::Custom(i),
                count: u32::MAX,
                excerpt: String::new(),
            };
            if !recipients
                .iter()
                .any(|r| self.decide(&assumed, r).is_some())
            {
                continue;
            }
            let custom = &self.settings.custom[i];
            let message = format!(
                "Check this email for {} yourself before sending.",
                custom.description
            );
            let detail = format!(
                "It is too long for your organisation's pattern `{}` to scan in time.",
                custom.id
            );
            let action = self.fail_action;
            findings.push((
                usize::MAX,
                action,
                Finding {
                    kind: FindingKind::SensitiveContent,
                    action: action.outcome(),
                    justification_required: false,
                    recipient: None,
                    suggestion: None,
                    message,
                    field: None,
                    fix: None,
                    detector: Some(custom.id.clone()),
                    count: None,
                    excerpt: None,
                    recipients: Vec::new(),
                    detail: Some(detail),
                },
            ));
        }
        findings
    }

    /// The strictest rule that applies to this detection and recipient, and the recipient's
    /// class that made it apply (the most specific one).
    fn decide(
        &self,
        detection: &Detection,
        recipient: &CheckedRecipient,
    ) -> Option<(Action, RecipientClass)> {
        let classes = classes_of(recipient);
        let (id, is_custom) = self.id_of(detection.source);
        self.settings
            .rules
            .iter()
            .filter(|rule| {
                detection.count >= rule.min_count
                    && ContentSettings::names_cover(&rule.detectors, id, is_custom)
            })
            .filter_map(|rule| {
                let reason = classes
                    .iter()
                    .copied()
                    .find(|c| rule.recipients.contains(c))?;
                Some((rule.action, reason))
            })
            .filter(|(action, _)| *action != Action::Allow)
            .max_by_key(|(action, reason)| (*action, std::cmp::Reverse(*reason)))
    }

    fn id_of(&self, source: Source) -> (&str, bool) {
        match source {
            Source::Builtin(d) => (d.id(), false),
            Source::Custom(i) => (self.settings.custom[i].id.as_str(), true),
        }
    }

    fn finding(
        &self,
        detection: &Detection,
        action: Action,
        reason: RecipientClass,
        members: &[&CheckedRecipient],
    ) -> Finding {
        let (instruction, stakes) = match detection.source {
            Source::Builtin(d) => (d.instruction(detection.count), d.stakes()),
            Source::Custom(i) => {
                // How many were found is in the detail line.
                let description = &self.settings.custom[i].description;
                (
                    format!("Remove {description}"),
                    "your organisation restricts where it may go",
                )
            }
        };
        let message = format!(
            "{instruction} before sending to {}, {}.",
            names(members),
            who_is(reason, members.len() > 1)
        );
        let found = match detection.count {
            1 => format!("Found: {}.", detection.excerpt),
            n => format!("Found {n} times; the first: {}.", detection.excerpt),
        };
        let detail = format!("{found} {}.", capitalise(stakes));
        let (id, _) = self.id_of(detection.source);
        Finding {
            kind: FindingKind::SensitiveContent,
            action: action.outcome(),
            justification_required: action == Action::BlockWithJustification,
            recipient: Some(members[0].address.clone()),
            suggestion: None,
            message,
            field: None,
            fix: None,
            detector: Some(id.to_string()),
            count: Some(detection.count),
            excerpt: Some(detection.excerpt.clone()),
            recipients: members.iter().map(|r| r.address.clone()).collect(),
            detail: Some(detail),
        }
    }
}

/// IBANs and UK National Insurance numbers: both start a word with two capital letters, so
/// one pass finds the candidates for both.
pub fn scan_upper_case_ids(text: &str, runs: &[(usize, usize)], tally: &mut Tally) {
    let bytes = text.as_bytes();
    let mut skip_to = 0;
    for &(start, end) in runs {
        let candidate = start >= skip_to
            && end - start >= 2
            && bytes[start].is_ascii_uppercase()
            && bytes[start + 1].is_ascii_uppercase()
            && (start == 0 || bytes[start - 1] < 0x80);
        if !candidate {
            continue;
        }
        if let Some((end, excerpt)) = payment::iban_at(bytes, start) {
            tally.add(Detector::Iban, || excerpt);
            skip_to = end;
        } else if let Some((end, excerpt)) = national_ids::nino_at(bytes, start) {
            tally.add(Detector::UkNationalInsurance, || excerpt);
            skip_to = end;
        }
    }
}

/// The classes a recipient is in, most specific first.
fn classes_of(r: &CheckedRecipient) -> Vec<RecipientClass> {
    let mut classes = Vec::new();
    if r.suspicious {
        classes.push(RecipientClass::Lookalike);
    }
    if r.risky_destination {
        classes.push(RecipientClass::RiskyDestination);
    }
    if !r.internal && !r.trusted {
        classes.push(RecipientClass::Untrusted);
    }
    if !r.internal {
        classes.push(RecipientClass::External);
    }
    if r.first_time {
        classes.push(RecipientClass::FirstTime);
    }
    classes
}

/// Why the recipients named before it matter, as a relative clause.
fn who_is(reason: RecipientClass, plural: bool) -> &'static str {
    match (reason, plural) {
        (RecipientClass::Lookalike, false) => "whose address may not be the one you meant",
        (RecipientClass::Lookalike, true) => "whose addresses may not be the ones you meant",
        (RecipientClass::RiskyDestination, false) => "who is in a high-risk destination",
        (RecipientClass::RiskyDestination, true) => "who are in high-risk destinations",
        (RecipientClass::Untrusted, false) => {
            "who is outside your organisation and its trusted partners"
        }
        (RecipientClass::Untrusted, true) => {
            "who are outside your organisation and its trusted partners"
        }
        (RecipientClass::FirstTime, false) => "whom you have never written to",
        (RecipientClass::FirstTime, true) => "whom you have never written to",
        (RecipientClass::External, false) => "who is outside your organisation",
        (RecipientClass::External, true) => "who are outside your organisation",
    }
}

/// `whoever reads it…` → `Whoever reads it…`.
fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `a@x.org`, `a@x.org and b@y.org`, `a@x.org and 3 others`.
fn names(members: &[&CheckedRecipient]) -> String {
    match members {
        [one] => one.address.clone(),
        [a, b] => format!("{} and {}", a.address, b.address),
        [first, rest @ ..] => format!("{} and {} others", first.address, rest.len()),
        [] => String::new(),
    }
}
