//! What a device reports about its checks, and nothing more: counts per finding kind, action
//! and what the sender did, the destination domain of lookalike-domain and TLD-trap findings,
//! and (only where the policy records them) the justifications senders wrote. Never an
//! address, never content, never who sent it (docs/privacy.md).
//!
//! [`tally`] turns one verdict and the sender's answer into the facts to count, so that no
//! client decides what is reported; the add-ins sum tallies into one [`Report`] per day and
//! policy version; the server reads reports with the core's JSON rule and [`Report::validate`].

use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::domain::Domain;
use crate::verdict::{Finding, FindingKind, Outcome, Verdict};

/// The policy's `reporting` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportingSettings {
    /// Devices send their daily counts to the policy server (on by default: counts only).
    pub enabled: bool,
    /// Devices also send the justifications senders write to release a
    /// `block_with_justification` (text the sender typed: off by default).
    pub record_justifications: bool,
}

impl Default for ReportingSettings {
    fn default() -> Self {
        ReportingSettings {
            enabled: true,
            record_justifications: false,
        }
    }
}

/// What the sender did about a verdict that showed findings; `monitored` is what the count of
/// a monitored finding says (nothing was shown, the email went).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SenderOutcome {
    /// Applied the suggested correction.
    Fixed,
    /// Removed the recipient.
    Removed,
    /// Went back to the draft without sending.
    Cancelled,
    /// Sent despite a warning.
    SentAnyway,
    /// Released a `block_with_justification` by writing why.
    SentWithJustification,
    /// The send was stopped.
    Blocked,
    /// Counted only (monitor mode): nothing was shown.
    Monitored,
}

impl SenderOutcome {
    /// The slip did not go out: the sender changed the draft or did not send it.
    pub fn prevented(self) -> bool {
        matches!(
            self,
            SenderOutcome::Fixed
                | SenderOutcome::Removed
                | SenderOutcome::Cancelled
                | SenderOutcome::Blocked
        )
    }

    /// The sender went past what was shown.
    pub fn overridden(self) -> bool {
        matches!(
            self,
            SenderOutcome::SentAnyway | SenderOutcome::SentWithJustification
        )
    }
}

/// One count: how many findings of a kind, shown with an action, met an outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Count {
    pub kind: FindingKind,
    /// For `sensitive_content`: the detector's id (a built-in or the policy's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector: Option<String>,
    /// `warn`, `block_with_justification` or `block`.
    pub action: Action,
    pub outcome: SenderOutcome,
    pub count: u32,
}

/// A destination domain of a lookalike-domain or TLD-trap finding, and how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainCount {
    pub kind: FindingKind,
    pub domain: String,
    pub count: u32,
}

/// A justification a sender wrote, recorded only where the policy says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Justification {
    /// The kind of the strictest finding it released.
    pub kind: FindingKind,
    pub text: String,
}

/// The countable facts of one verdict and the sender's answer (see [`tally`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// False when the policy switched reporting off: then nothing else is filled.
    pub enabled: bool,
    pub counts: Vec<Count>,
    pub domains: Vec<DomainCount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<Justification>,
}

/// Why a tally cannot be made: the sender's answer does not fit the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyError(pub String);

impl std::fmt::Display for TallyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TallyError {}

/// The kinds whose destination domain is reported (a typo domain the organisation keeps
/// writing to is one to register or block).
pub const DOMAIN_KINDS: [FindingKind; 2] = [FindingKind::LookalikeDomain, FindingKind::TldTrap];

/// Longest justification kept, in characters.
pub const MAX_JUSTIFICATION_CHARS: usize = 500;

/// The facts to count for one verdict: each shown finding with the sender's `outcome`, each
/// monitored finding as `monitored`, the destination domains of [`DOMAIN_KINDS`], and the
/// justification when the policy records them and the sender released a block with one.
/// `outcome` may be `None` only when nothing was shown (an allow, or monitored findings only).
pub fn tally(
    settings: &ReportingSettings,
    verdict: &Verdict,
    outcome: Option<SenderOutcome>,
    justification: Option<&str>,
) -> Result<Tally, TallyError> {
    if !settings.enabled {
        return Ok(Tally::default());
    }
    let shown = if verdict.findings.is_empty() {
        None
    } else {
        Some(check_outcome(verdict, outcome)?)
    };
    let mut tally = Tally {
        enabled: true,
        ..Tally::default()
    };
    let findings = verdict
        .findings
        .iter()
        .map(|f| (f, shown.unwrap_or(SenderOutcome::Monitored)))
        .chain(
            verdict
                .monitored
                .iter()
                .map(|f| (f, SenderOutcome::Monitored)),
        );
    for (finding, outcome) in findings {
        add_count(&mut tally.counts, finding, outcome);
        if let Some(domain) = destination_domain(finding) {
            add_domain(&mut tally.domains, finding.kind, domain);
        }
    }
    if settings.record_justifications && shown == Some(SenderOutcome::SentWithJustification) {
        let text = clean_justification(justification.unwrap_or(""));
        if !text.is_empty() {
            tally.justification = Some(Justification {
                kind: verdict.findings[0].kind,
                text,
            });
        }
    }
    Ok(tally)
}

/// The sender's answer, checked against what the verdict allowed them to do.
fn check_outcome(
    verdict: &Verdict,
    outcome: Option<SenderOutcome>,
) -> Result<SenderOutcome, TallyError> {
    let outcome = outcome.ok_or_else(|| {
        TallyError("the verdict showed findings: say what the sender did (`outcome`)".into())
    })?;
    let fits = match outcome {
        SenderOutcome::Fixed | SenderOutcome::Removed | SenderOutcome::Cancelled => true,
        SenderOutcome::SentAnyway => verdict.action == Outcome::Warn,
        SenderOutcome::SentWithJustification => verdict.justification_required,
        SenderOutcome::Blocked => verdict.action == Outcome::Block,
        SenderOutcome::Monitored => false,
    };
    if fits {
        Ok(outcome)
    } else {
        let action = match verdict.action {
            Outcome::Allow => "allow",
            Outcome::Warn => "warn",
            Outcome::Block => "block",
        };
        Err(TallyError(format!(
            "outcome `{}` does not fit a verdict of `{action}`",
            outcome.name()
        )))
    }
}

impl SenderOutcome {
    /// The outcome's JSON name, for messages.
    fn name(self) -> &'static str {
        match self {
            SenderOutcome::Fixed => "fixed",
            SenderOutcome::Removed => "removed",
            SenderOutcome::Cancelled => "cancelled",
            SenderOutcome::SentAnyway => "sent_anyway",
            SenderOutcome::SentWithJustification => "sent_with_justification",
            SenderOutcome::Blocked => "blocked",
            SenderOutcome::Monitored => "monitored",
        }
    }
}

/// The finding's action as the policy names it.
fn finding_action(finding: &Finding) -> Action {
    match finding.action {
        Outcome::Allow => Action::Allow,
        Outcome::Warn => Action::Warn,
        Outcome::Block if finding.justification_required => Action::BlockWithJustification,
        Outcome::Block => Action::Block,
    }
}

fn add_count(counts: &mut Vec<Count>, finding: &Finding, outcome: SenderOutcome) {
    let action = finding_action(finding);
    let detector = match finding.kind {
        FindingKind::SensitiveContent => finding.detector.clone(),
        _ => None,
    };
    let same = |c: &&mut Count| {
        c.kind == finding.kind
            && c.detector == detector
            && c.action == action
            && c.outcome == outcome
    };
    match counts.iter_mut().find(same) {
        Some(count) => count.count = count.count.saturating_add(1),
        None => counts.push(Count {
            kind: finding.kind,
            detector,
            action,
            outcome,
            count: 1,
        }),
    }
}

/// The domain of a lookalike-domain or TLD-trap finding's recipient, canonical; `None` for
/// other kinds (their domains are not reported) or a recipient without a readable domain.
fn destination_domain(finding: &Finding) -> Option<String> {
    if !DOMAIN_KINDS.contains(&finding.kind) {
        return None;
    }
    let (_, domain) = finding.recipient.as_deref()?.rsplit_once('@')?;
    Domain::canonical(domain).ok()
}

fn add_domain(domains: &mut Vec<DomainCount>, kind: FindingKind, domain: String) {
    match domains
        .iter_mut()
        .find(|d| d.kind == kind && d.domain == domain)
    {
        Some(d) => d.count = d.count.saturating_add(1),
        None => domains.push(DomainCount {
            kind,
            domain,
            count: 1,
        }),
    }
}

/// A justification as recorded: control characters become spaces, runs of space one, at most
/// [`MAX_JUSTIFICATION_CHARS`] characters.
pub fn clean_justification(text: &str) -> String {
    let mut clean = String::new();
    for word in text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if !clean.is_empty() {
            clean.push(' ');
        }
        clean.push_str(word);
    }
    clean.chars().take(MAX_JUSTIFICATION_CHARS).collect()
}

/// One device's counts for one day and policy version, as sent to the server (the add-ins
/// sum [`Tally`]s into it). A later report for the same install, day and version replaces
/// the earlier one, so a device sends its whole day each time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// A random id made once per install (128 bits, lower-case hex): for rate limiting and
    /// de-duplication only; the server stores a hash of it.
    pub install_id: String,
    /// The day counted, `YYYY-MM-DD` (UTC).
    pub day: String,
    /// The version of the signed policy the checks ran under.
    pub policy_version: u64,
    #[serde(default)]
    pub counts: Vec<Count>,
    #[serde(default)]
    pub domains: Vec<DomainCount>,
    #[serde(default)]
    pub justifications: Vec<Justification>,
}

/// Most counts in one report (kinds x actions x outcomes, with room for content detectors).
pub const MAX_COUNTS: usize = 512;
/// Most destination domains in one report.
pub const MAX_DOMAINS: usize = 200;
/// Most justifications in one report.
pub const MAX_JUSTIFICATIONS: usize = 50;
/// Largest single count (one device, one day, one key).
pub const MAX_COUNT: u32 = 10_000;
/// Versions are JSON-safe integers (2^53 - 1, as in signed bundles).
const MAX_POLICY_VERSION: u64 = (1 << 53) - 1;
/// Longest detector id.
const MAX_DETECTOR_CHARS: usize = 64;

/// Why a report is refused: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "report at `{}`: {}", self.path, self.message)
    }
}

impl std::error::Error for ReportError {}

fn refuse<T>(path: impl Into<String>, message: impl Into<String>) -> Result<T, ReportError> {
    Err(ReportError {
        path: path.into(),
        message: message.into(),
    })
}

impl Report {
    /// Adds a tally to a report within the server's bounds: counts saturate at [`MAX_COUNT`],
    /// new keys past [`MAX_COUNTS`] or [`MAX_DOMAINS`] are left out, so the day's report stays
    /// one the server accepts ([`Report::validate`]). The gateway sums its tallies with it; the
    /// add-ins' queue (addin/shared/report-queue.js `mergeTally`) does the same in JavaScript.
    pub fn add_tally(&mut self, tally: &Tally) {
        for count in &tally.counts {
            let same = |c: &&mut Count| {
                c.kind == count.kind
                    && c.detector == count.detector
                    && c.action == count.action
                    && c.outcome == count.outcome
            };
            let room = self.counts.len() < MAX_COUNTS;
            match self.counts.iter_mut().find(same) {
                Some(c) => c.count = c.count.saturating_add(count.count).min(MAX_COUNT),
                None if room => self.counts.push(Count {
                    count: count.count.min(MAX_COUNT),
                    ..count.clone()
                }),
                None => {}
            }
        }
        for domain in &tally.domains {
            let same = |d: &&mut DomainCount| d.kind == domain.kind && d.domain == domain.domain;
            let room = self.domains.len() < MAX_DOMAINS;
            match self.domains.iter_mut().find(same) {
                Some(d) => d.count = d.count.saturating_add(domain.count).min(MAX_COUNT),
                None if room => self.domains.push(DomainCount {
                    count: domain.count.min(MAX_COUNT),
                    ..domain.clone()
                }),
                None => {}
            }
        }
        if let Some(justification) = &tally.justification {
            if self.justifications.len() < MAX_JUSTIFICATIONS {
                self.justifications.push(justification.clone());
            }
        }
    }

    /// Reads a report with the core's JSON rule (one object, unknown fields refused) and
    /// checks it ([`Report::validate`]).
    pub fn from_json(bytes: &[u8]) -> Result<Report, ReportError> {
        let report: Report = crate::json::from_slice(bytes).map_err(|e| ReportError {
            path: e.path,
            message: e.message,
        })?;
        report.validate()?;
        Ok(report)
    }

    /// Bounds and shape: an install id of 32 hex digits, a real date, counts between 1 and
    /// [`MAX_COUNT`], no key twice, domains only for [`DOMAIN_KINDS`] and in canonical form,
    /// justifications already cleaned; at most [`MAX_COUNTS`], [`MAX_DOMAINS`] and
    /// [`MAX_JUSTIFICATIONS`] entries.
    pub fn validate(&self) -> Result<(), ReportError> {
        let id = &self.install_id;
        if id.len() != 32 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return refuse("install_id", "use 32 lower-case hex digits");
        }
        if days_since_epoch(&self.day).is_none() {
            return refuse("day", format!("`{}` is not a date (YYYY-MM-DD)", self.day));
        }
        if self.policy_version == 0 || self.policy_version > MAX_POLICY_VERSION {
            return refuse("policy_version", "not a policy version");
        }
        self.validate_counts()?;
        self.validate_domains()?;
        self.validate_justifications()
    }

    fn validate_counts(&self) -> Result<(), ReportError> {
        if self.counts.len() > MAX_COUNTS {
            return refuse("counts", format!("at most {MAX_COUNTS} entries"));
        }
        let mut keys = std::collections::HashSet::new();
        for (i, c) in self.counts.iter().enumerate() {
            let path = |field: &str| format!("counts[{i}].{field}");
            check_count(c.count, &path("count"))?;
            if c.action == Action::Allow {
                return refuse(path("action"), "an allowed finding is never counted");
            }
            match (&c.detector, c.kind) {
                (Some(d), FindingKind::SensitiveContent) => check_detector(d, &path("detector"))?,
                (Some(_), _) => return refuse(path("detector"), "only for sensitive_content"),
                (None, _) => {}
            }
            if !keys.insert((c.kind, c.detector.as_deref(), c.action, c.outcome)) {
                return refuse(format!("counts[{i}]"), "the same count is listed twice");
            }
        }
        Ok(())
    }

    fn validate_domains(&self) -> Result<(), ReportError> {
        if self.domains.len() > MAX_DOMAINS {
            return refuse("domains", format!("at most {MAX_DOMAINS} entries"));
        }
        let mut keys = std::collections::HashSet::new();
        for (i, d) in self.domains.iter().enumerate() {
            let path = |field: &str| format!("domains[{i}].{field}");
            check_count(d.count, &path("count"))?;
            if !DOMAIN_KINDS.contains(&d.kind) {
                return refuse(
                    path("kind"),
                    "only lookalike_domain and tld_trap report a domain",
                );
            }
            if Domain::canonical(&d.domain).ok().as_deref() != Some(d.domain.as_str()) {
                return refuse(path("domain"), "not a domain in canonical form");
            }
            if !keys.insert((d.kind, d.domain.as_str())) {
                return refuse(format!("domains[{i}]"), "the same domain is listed twice");
            }
        }
        Ok(())
    }

    fn validate_justifications(&self) -> Result<(), ReportError> {
        if self.justifications.len() > MAX_JUSTIFICATIONS {
            return refuse(
                "justifications",
                format!("at most {MAX_JUSTIFICATIONS} entries"),
            );
        }
        for (i, j) in self.justifications.iter().enumerate() {
            if j.text.is_empty() || clean_justification(&j.text) != j.text {
                return refuse(
                    format!("justifications[{i}].text"),
                    format!("1-{MAX_JUSTIFICATION_CHARS} characters, single spaces, no control characters"),
                );
            }
        }
        Ok(())
    }
}

fn check_count(count: u32, path: &str) -> Result<(), ReportError> {
    if count == 0 || count > MAX_COUNT {
        return refuse(path, format!("between 1 and {MAX_COUNT}"));
    }
    Ok(())
}

fn check_detector(id: &str, path: &str) -> Result<(), ReportError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_DETECTOR_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        refuse(path, "a detector id: 1-64 of a-z, 0-9, `_` and `-`")
    }
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (years 2000-2999), or `None` when it is not
/// one (H. Hinnant's days-from-civil; the core has no date library).
pub fn days_since_epoch(day: &str) -> Option<i64> {
    let b = day.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(2000..=2999).contains(&y)
        || !(1..=12).contains(&m)
        || d < 1
        || d > month_days[m as usize - 1]
    {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Draft, Engine, KnownRecipients, Policy};

    fn check(policy: &str, to: &[&str]) -> (Engine, Verdict) {
        let engine = Engine::new(Policy::from_json(policy).unwrap()).unwrap();
        let draft = Draft {
            to: to.iter().map(|s| s.to_string()).collect(),
            ..Draft::default()
        };
        let verdict = engine.check(&draft, &KnownRecipients::default());
        (engine, verdict)
    }

    #[test]
    fn a_tally_counts_kinds_and_domains_and_never_an_address() {
        let (engine, verdict) = check("{}", &["Colonel Smith <colonel.smith@army.ml>"]);
        let tally = tally(
            &engine.policy().reporting,
            &verdict,
            Some(SenderOutcome::Fixed),
            None,
        )
        .unwrap();
        assert!(tally.enabled);
        assert_eq!(
            tally.counts,
            [Count {
                kind: FindingKind::TldTrap,
                detector: None,
                action: Action::Warn,
                outcome: SenderOutcome::Fixed,
                count: 1
            }]
        );
        assert_eq!(
            tally.domains,
            [DomainCount {
                kind: FindingKind::TldTrap,
                domain: "army.ml".into(),
                count: 1
            }]
        );
        let json = serde_json::to_string(&tally).unwrap();
        assert!(
            !json.contains('@') && !json.contains("colonel") && !json.contains("Smith"),
            "{json}"
        );
    }

    #[test]
    fn reporting_off_tallies_nothing() {
        let (engine, verdict) = check(r#"{"reporting": {"enabled": false}}"#, &["a@army.ml"]);
        let tally = tally(
            &engine.policy().reporting,
            &verdict,
            Some(SenderOutcome::SentAnyway),
            None,
        )
        .unwrap();
        assert_eq!(tally, Tally::default());
    }

    #[test]
    fn monitored_findings_count_as_monitored_and_need_no_outcome() {
        let (engine, verdict) = check(r#"{"monitor": {"all": true}}"#, &["a@army.ml", "b@army.ml"]);
        let tally = tally(&engine.policy().reporting, &verdict, None, None).unwrap();
        assert_eq!(tally.counts.len(), 1);
        assert_eq!(tally.counts[0].outcome, SenderOutcome::Monitored);
        assert_eq!(tally.counts[0].count, 2);
        assert_eq!(tally.domains[0].count, 2, "one domain, counted twice");
    }

    #[test]
    fn the_outcome_must_fit_the_verdict() {
        let settings = ReportingSettings::default();
        let (_, warned) = check("{}", &["a@army.ml"]);
        assert!(
            tally(&settings, &warned, None, None).is_err(),
            "shown findings need an outcome"
        );
        assert!(tally(&settings, &warned, Some(SenderOutcome::Blocked), None).is_err());
        assert!(tally(&settings, &warned, Some(SenderOutcome::Monitored), None).is_err());
        let (_, blocked) = check(r#"{"blocked_domains": ["ml"]}"#, &["a@army.ml"]);
        assert!(tally(&settings, &blocked, Some(SenderOutcome::SentAnyway), None).is_err());
        assert!(tally(
            &settings,
            &blocked,
            Some(SenderOutcome::SentWithJustification),
            None
        )
        .is_err());
        assert!(tally(&settings, &blocked, Some(SenderOutcome::Blocked), None).is_ok());
        let (_, allowed) = check("{}", &["a@example.org"]);
        assert!(tally(&settings, &allowed, None, None)
            .unwrap()
            .counts
            .is_empty());
    }

    #[test]
    fn justifications_are_recorded_only_where_the_policy_says() {
        let justify = r#""actions": {"tld_trap": "block_with_justification"}"#;
        let text = Some("  Mali office\n\u{7}asked  for it ");
        let (engine, verdict) = check(&format!("{{{justify}}}"), &["a@army.ml"]);
        let off = tally(
            &engine.policy().reporting,
            &verdict,
            Some(SenderOutcome::SentWithJustification),
            text,
        )
        .unwrap();
        assert_eq!(off.justification, None, "off by default");
        assert_eq!(off.counts[0].action, Action::BlockWithJustification);
        let policy = format!(r#"{{{justify}, "reporting": {{"record_justifications": true}}}}"#);
        let (engine, verdict) = check(&policy, &["a@army.ml"]);
        let on = tally(
            &engine.policy().reporting,
            &verdict,
            Some(SenderOutcome::SentWithJustification),
            text,
        )
        .unwrap();
        assert_eq!(
            on.justification,
            Some(Justification {
                kind: FindingKind::TldTrap,
                text: "Mali office asked for it".into()
            })
        );
        let cancelled = tally(
            &engine.policy().reporting,
            &verdict,
            Some(SenderOutcome::Cancelled),
            text,
        )
        .unwrap();
        assert_eq!(cancelled.justification, None, "only a send released by it");
        assert_eq!(
            clean_justification(&"x".repeat(900)).len(),
            MAX_JUSTIFICATION_CHARS
        );
    }

    fn report(extra: &str) -> String {
        format!(
            r#"{{"install_id": "0123456789abcdef0123456789abcdef", "day": "2026-12-01", "policy_version": 3{extra}}}"#
        )
    }

    #[test]
    fn reports_are_strict_and_bounded() {
        let ok = report(
            r#", "counts": [{"kind": "tld_trap", "action": "warn", "outcome": "fixed", "count": 4}],
               "domains": [{"kind": "tld_trap", "domain": "army.ml", "count": 4}]"#,
        );
        assert_eq!(Report::from_json(ok.as_bytes()).unwrap().counts[0].count, 4);
        let refused = |extra: &str, path: &str| {
            let e = Report::from_json(report(extra).as_bytes()).unwrap_err();
            assert_eq!(e.path, path, "{extra}: {e}");
        };
        refused(r#", "sender": "x@y.org""#, "sender");
        refused(
            r#", "counts": [{"kind": "tld_trap", "action": "warn", "outcome": "fixed", "count": 4, "to": "a@b.c"}]"#,
            "counts[0].to",
        );
        refused(
            r#", "counts": [{"kind": "tld_trap", "action": "warn", "outcome": "fixed", "count": 0}]"#,
            "counts[0].count",
        );
        refused(
            r#", "counts": [{"kind": "tld_trap", "action": "warn", "outcome": "fixed", "count": 10001}]"#,
            "counts[0].count",
        );
        refused(
            r#", "counts": [{"kind": "tld_trap", "action": "allow", "outcome": "fixed", "count": 1}]"#,
            "counts[0].action",
        );
        refused(
            r#", "counts": [{"kind": "tld_trap", "detector": "x", "action": "warn", "outcome": "fixed", "count": 1}]"#,
            "counts[0].detector",
        );
        let twice = r#"{"kind": "tld_trap", "action": "warn", "outcome": "fixed", "count": 1}"#;
        refused(&format!(r#", "counts": [{twice}, {twice}]"#), "counts[1]");
        refused(
            r#", "domains": [{"kind": "blocked_domain", "domain": "army.ml", "count": 1}]"#,
            "domains[0].kind",
        );
        refused(
            r#", "domains": [{"kind": "tld_trap", "domain": "colonel@army.ml", "count": 1}]"#,
            "domains[0].domain",
        );
        refused(
            r#", "domains": [{"kind": "tld_trap", "domain": "ARMY.ml", "count": 1}]"#,
            "domains[0].domain",
        );
        refused(
            r#", "justifications": [{"kind": "tld_trap", "text": "two\nlines"}]"#,
            "justifications[0].text",
        );
        let many: Vec<String> = (0..=MAX_DOMAINS)
            .map(|i| format!(r#"{{"kind": "tld_trap", "domain": "d{i}.ml", "count": 1}}"#))
            .collect();
        refused(&format!(r#", "domains": [{}]"#, many.join(",")), "domains");
        let bad_id = report("").replace(
            "0123456789abcdef0123456789abcdef",
            "0123456789ABCDEF0123456789ABCDEF",
        );
        assert_eq!(
            Report::from_json(bad_id.as_bytes()).unwrap_err().path,
            "install_id"
        );
        let bad_day = report("").replace("2026-12-01", "2026-02-29");
        assert_eq!(
            Report::from_json(bad_day.as_bytes()).unwrap_err().path,
            "day"
        );
        assert!(
            Report::from_json(format!("{ok}{ok}").as_bytes()).is_err(),
            "one object only"
        );
        assert!(Report::from_json(b"[]").is_err());
    }

    #[test]
    fn outcome_names_are_their_json_names() {
        for outcome in [
            SenderOutcome::Fixed,
            SenderOutcome::Removed,
            SenderOutcome::Cancelled,
            SenderOutcome::SentAnyway,
            SenderOutcome::SentWithJustification,
            SenderOutcome::Blocked,
            SenderOutcome::Monitored,
        ] {
            assert_eq!(serde_json::to_value(outcome).unwrap(), outcome.name());
        }
    }

    #[test]
    fn days_count_from_1970() {
        assert_eq!(days_since_epoch("2000-01-01"), Some(10_957));
        assert_eq!(days_since_epoch("2024-02-29"), Some(19_782));
        assert_eq!(crate::in_force::utc_date(19_782 * 86_400), "2024-02-29");
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-1-01",
            "1999-12-31",
            "2026-12-01x",
            "２026-12-01",
        ] {
            assert_eq!(days_since_epoch(bad), None, "{bad}");
        }
    }
}
