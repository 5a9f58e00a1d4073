//! From one policy request to one action: the engine's verdict on the recipient, mapped to
//! what Postfix should do. The verdict is the engine's alone; this file only maps it, and
//! hands what it did to the counts (`reports.rs`) when reporting is on.

use std::sync::{Arc, Mutex};

use sendguard_core::in_force::PolicyInForce;
use sendguard_core::{Draft, FailMode, KnownRecipients, Outcome, Verdict};

use crate::action::{one_line, PolicyAction};
use crate::confirm::ConfirmStore;
use crate::history_store::HistoryStore;
use crate::live::{InForce, LivePolicy};
use crate::protocol::Request;
use crate::reports::{self, Handling, Lapse, Reports};

/// The refusals awaiting their resend, each with what it counts if it lapses (nothing when
/// reporting is off).
pub type Confirmations = ConfirmStore<Option<Lapse>>;

/// What a warning does to the mail (the admin's choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarnMode {
    /// Refuse the first attempt with the sentence; the same sender, recipient pair resent
    /// within the window passes once.
    Confirm,
    /// Deliver, with an `X-Sendguard-Warning` header for monitoring.
    Header,
    /// Accept into Postfix's hold queue, for an administrator to release or delete.
    Hold,
}

/// The header a warning adds in [`WarnMode::Header`].
pub const WARNING_HEADER: &str = "X-Sendguard-Warning";

/// The policy in force, the warn choice and the pending confirmations; shared by all
/// connections. An expired signed policy is in force as stale: every recipient then gets the
/// core's could-not-check verdict, in the policy's `fail_mode`. Until a first policy is
/// verified, every recipient gets the fail answer (DEFER: never a pass).
pub struct Decider {
    policy: Arc<LivePolicy>,
    warn_mode: WarnMode,
    confirmations: Mutex<Confirmations>,
    /// Each sender's history, learnt from accepted mail (off when `None`).
    history: Option<HistoryStore>,
    /// The anonymous counts (off when `None`).
    reports: Option<Arc<Reports>>,
}

/// Where one request's tally goes: the counts, under the signed policy's version and
/// reporting settings.
struct Counter<'a> {
    reports: &'a Reports,
    version: u64,
    settings: &'a sendguard_core::report::ReportingSettings,
}

impl Counter<'_> {
    fn count(&self, verdict: &Verdict, handling: Handling, now: i64) {
        // A refusal awaiting its resend is counted once its fate is known: `sent_anyway` by
        // the resend, or `cancelled` when it lapses (its `Lapse` waits in the confirmations).
        if handling == Handling::AwaitingResend {
            return;
        }
        if let Some(tally) = reports::tally(self.settings, verdict, handling) {
            self.reports.count(self.version, &tally, now);
        }
    }
}

impl Decider {
    /// A fixed policy (a local file).
    pub fn new(
        policy: PolicyInForce,
        warn_mode: WarnMode,
        confirmations: Confirmations,
    ) -> Decider {
        let live = LivePolicy::new(Some(InForce::plain(policy)));
        Decider::live(Arc::new(live), warn_mode, confirmations)
    }

    /// A policy that a refresher replaces while the service runs.
    pub fn live(
        policy: Arc<LivePolicy>,
        warn_mode: WarnMode,
        confirmations: Confirmations,
    ) -> Decider {
        Decider {
            policy,
            warn_mode,
            confirmations: Mutex::new(confirmations),
            history: None,
            reports: None,
        }
    }

    /// Counts what each verdict met (docs/privacy.md), under a signed policy's version.
    pub fn with_reports(mut self, reports: Arc<Reports>) -> Decider {
        self.reports = Some(reports);
        self
    }

    /// Where this request's tally goes: only with reports on and a signed, current policy
    /// (the server takes counts per signed version; an expired policy checks nothing).
    fn counter<'a>(&'a self, policy: &'a InForce, now: i64) -> Option<Counter<'a>> {
        let reports = self.reports.as_deref()?;
        let engine = policy.policy.engine()?;
        if policy.is_stale(now) {
            return None;
        }
        Some(Counter {
            reports,
            version: policy.version?,
            settings: &engine.policy().reporting,
        })
    }

    /// Counts the refusals whose resend window has closed by `now` as `cancelled`.
    pub fn count_lapsed(&self, now: i64) {
        let mut lapsed = Vec::new();
        self.lock_confirmations().expire(now, &mut lapsed);
        self.count_lapses(lapsed, now);
    }

    /// Counts every refusal still awaiting its resend as `cancelled` (at shutdown: the
    /// confirmations are not kept, so a resend after a restart is refused afresh).
    pub fn count_all_awaiting(&self, now: i64) {
        let mut lapsed = Vec::new();
        self.lock_confirmations().expire(i64::MAX, &mut lapsed);
        self.count_lapses(lapsed, now);
    }

    fn count_lapses(&self, lapsed: Vec<Option<Lapse>>, now: i64) {
        if let Some(reports) = &self.reports {
            for lapse in lapsed.into_iter().flatten() {
                lapse.count_into(reports, now);
            }
        }
    }

    fn lock_confirmations(&self) -> std::sync::MutexGuard<'_, Confirmations> {
        self.confirmations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Learns each sender's accepted recipients and checks against them.
    pub fn with_history(mut self, history: HistoryStore) -> Decider {
        self.history = Some(history);
        self
    }

    /// The shared policy, for the refresher, metrics and `/healthz`.
    pub fn policy(&self) -> &Arc<LivePolicy> {
        &self.policy
    }

    /// The action for one well-formed request at Unix time `now` (seconds).
    pub fn decide(&self, request: &Request, now: i64) -> Result<PolicyAction, String> {
        if request.request.as_deref() != Some("smtpd_access_policy") {
            return Err(match &request.request {
                Some(other) => format!("unknown request type `{}`", one_line(other)),
                None => "the request has no `request` attribute".into(),
            });
        }
        let state = request.protocol_state.as_deref().unwrap_or("");
        if state.eq_ignore_ascii_case("END-OF-MESSAGE") {
            // The message was accepted: its sender's history learns the recipients passed.
            if let Some(history) = &self.history {
                history.accepted(request.instance.as_deref(), (now / 86_400) as u32);
                return Ok(PolicyAction::Dunno);
            }
        }
        if !state.eq_ignore_ascii_case("RCPT") {
            // Recipients are checked once each, at RCPT TO; other stages get no opinion,
            // said in the log so that a misplaced check_policy_service is noticed.
            crate::server::log(format_args!(
                "protocol_state={}: recipients are checked only at RCPT; answered DUNNO \
                 (call the gateway from smtpd_recipient_restrictions)",
                one_line(request.protocol_state.as_deref().unwrap_or(""))
            ));
            return Ok(PolicyAction::Dunno);
        }
        let recipient = match request.recipient.as_deref() {
            Some(r) if !r.is_empty() => r,
            _ => return Err("an RCPT request without a recipient".into()),
        };
        let sender = request.sender.as_deref().unwrap_or("");
        let Some(policy) = self.policy.get() else {
            return Err("no verified policy is in force yet".into());
        };
        let instance = request.instance.as_deref();
        if let Some(exception) = policy.exception(sender, recipient, now) {
            crate::metrics::METRICS.exception();
            crate::server::log(format_args!(
                "passed by the policy's {} exception; answered DUNNO{}",
                exception.name(),
                crate::logging::addresses(sender, recipient)
            ));
            return Ok(PolicyAction::Dunno);
        }
        let known = match &self.history {
            Some(history) => history.known(sender),
            None => Arc::default(),
        };
        let verdict = check(&policy, sender, recipient, &known, now);
        let counter = self.counter(&policy, now);
        let (action, handling) = self.map(&verdict, sender, recipient, now, counter.as_ref());
        if let Some(counter) = &counter {
            counter.count(&verdict, handling, now);
        }
        // Only what the engine allowed is learnt: a warned recipient sent anyway (confirmed
        // by a resend) or one passed by an exception may be the very typo, and once in the
        // history it would stand as a reference that flags the right address.
        if verdict.action == Outcome::Allow {
            self.passed(instance, sender, recipient);
        }
        if action != PolicyAction::Dunno {
            let finding = verdict
                .findings
                .first()
                .and_then(|f| serde_json::to_value(f.kind).ok())
                .and_then(|kind| kind.as_str().map(str::to_string))
                .unwrap_or_else(|| "none".into());
            crate::server::log(format_args!(
                "answered {} (finding {finding}){}",
                action.name(),
                crate::logging::addresses(sender, recipient)
            ));
        }
        Ok(action)
    }

    /// The action, and what it means for the counts.
    fn map(
        &self,
        verdict: &Verdict,
        sender: &str,
        recipient: &str,
        now: i64,
        counter: Option<&Counter>,
    ) -> (PolicyAction, Handling) {
        let sentence = verdict
            .findings
            .first()
            .map(|f| f.message.as_str())
            .unwrap_or(verdict.summary.as_str());
        match verdict.action {
            Outcome::Allow => (PolicyAction::Dunno, Handling::Passed),
            Outcome::Block => (PolicyAction::Reject(one_line(sentence)), Handling::Refused),
            Outcome::Warn => match self.warn_mode {
                WarnMode::Header => (
                    PolicyAction::Prepend(format!("{WARNING_HEADER}: {}", one_line(sentence))),
                    Handling::NotShown,
                ),
                WarnMode::Hold => (PolicyAction::Hold(one_line(sentence)), Handling::NotShown),
                WarnMode::Confirm => {
                    self.confirm(verdict, sentence, sender, recipient, now, counter)
                }
            },
        }
    }

    /// Warn mode `confirm`: the first attempt is refused; the same pair resent within the
    /// window passes once.
    fn confirm(
        &self,
        verdict: &Verdict,
        sentence: &str,
        sender: &str,
        recipient: &str,
        now: i64,
        counter: Option<&Counter>,
    ) -> (PolicyAction, Handling) {
        let lapse = counter.and_then(|c| Lapse::of(c.settings, verdict, c.version));
        let mut lapsed = Vec::new();
        let mut store = self.lock_confirmations();
        let confirmed = store
            .attempt(sender, recipient, now, lapse, &mut lapsed)
            .is_some();
        let window_seconds = store.window_seconds();
        drop(store);
        self.count_lapses(lapsed, now);
        if confirmed {
            crate::metrics::METRICS.confirmed_resend();
            crate::server::log(format_args!(
                "a warned recipient was confirmed by a resend; answered DUNNO{}",
                crate::logging::addresses(sender, recipient)
            ));
            return (PolicyAction::Dunno, Handling::Resent);
        }
        // Rounded down, so a sender who trusts the figure is never late.
        let minutes = match (window_seconds / 60).max(1) {
            1 => "1 minute".to_string(),
            n => format!("{n} minutes"),
        };
        let refusal = PolicyAction::Reject(format!(
            "{} If you meant it, send it again within {minutes}.",
            one_line(sentence)
        ));
        (refusal, Handling::AwaitingResend)
    }

    fn passed(&self, instance: Option<&str>, sender: &str, recipient: &str) {
        if let Some(history) = &self.history {
            history.passed(instance, sender, recipient);
        }
    }

    /// The answer when a request cannot be checked, by the policy's `fail_mode`: never a
    /// pass. `block` refuses for good; `warn` refuses for now, so the client tries again.
    pub fn fail_action(&self) -> PolicyAction {
        let mode = self.policy.get().map_or(FailMode::Warn, |p| p.fail_mode());
        match mode {
            FailMode::Block => PolicyAction::Reject(
                "Contact your administrator: the recipient check could not run.".into(),
            ),
            FailMode::Warn => {
                PolicyAction::Defer("Try again later: the recipient check could not run.".into())
            }
        }
    }
}

/// The engine's verdict on a draft with this one recipient, from this sender.
fn check(
    policy: &InForce,
    sender: &str,
    recipient: &str,
    known: &KnownRecipients,
    now: i64,
) -> Verdict {
    let draft = Draft {
        from: (!sender.is_empty()).then(|| sender.to_string()),
        to: vec![recipient.to_string()],
        ..Draft::default()
    };
    policy.check(&draft, known, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sendguard_core::{Engine, Policy};
    use std::path::PathBuf;

    fn decider(policy: &str, mode: WarnMode) -> Decider {
        let engine = Engine::new(Policy::from_json(policy).unwrap()).unwrap();
        Decider::new(
            PolicyInForce::plain(engine),
            mode,
            ConfirmStore::new(600, 100),
        )
    }

    fn rcpt(sender: &str, recipient: &str) -> Request {
        Request {
            request: Some("smtpd_access_policy".into()),
            protocol_state: Some("RCPT".into()),
            sender: Some(sender.into()),
            recipient: Some(recipient.into()),
            instance: None,
        }
    }

    const TYPO: &str = "colonel.smith@army.ml";

    #[test]
    fn allow_is_dunno() {
        let d = decider("{}", WarnMode::Confirm);
        let a = d.decide(&rcpt("a@example.org", "colonel.smith@army.mil"), 0);
        assert_eq!(a, Ok(PolicyAction::Dunno));
    }

    #[test]
    fn block_is_a_reject_with_the_engines_sentence() {
        let d = decider(r#"{"blocked_domains": ["ml"]}"#, WarnMode::Header);
        let Ok(PolicyAction::Reject(text)) = d.decide(&rcpt("a@example.org", TYPO), 0) else {
            panic!("not a reject");
        };
        assert!(text.contains("army.ml"), "{text}");
        assert!(!text.contains("send it again"), "{text}");
    }

    #[test]
    fn warn_confirm_refuses_then_passes_the_resend_once() {
        let d = decider("{}", WarnMode::Confirm);
        let first = d.decide(&rcpt("a@example.org", TYPO), 1000).unwrap();
        let PolicyAction::Reject(text) = &first else {
            panic!("{first:?}")
        };
        assert!(text.starts_with("Check colonel.smith@army.ml"), "{text}");
        assert!(text.contains("army.mil"), "{text}");
        assert!(
            text.ends_with("If you meant it, send it again within 10 minutes."),
            "{text}"
        );
        let again = d.decide(&rcpt("a@example.org", TYPO), 1300).unwrap();
        assert_eq!(again, PolicyAction::Dunno);
        let third = d.decide(&rcpt("a@example.org", TYPO), 1301).unwrap();
        assert_eq!(third.name(), "REJECT");
        // Another sender's resend is not this sender's confirmation.
        let other = d.decide(&rcpt("b@example.org", TYPO), 1302).unwrap();
        assert_eq!(other.name(), "REJECT");
        // After the window, a resend is refused again.
        let late = d.decide(&rcpt("a@example.org", TYPO), 1301 + 600).unwrap();
        assert_eq!(late.name(), "REJECT");
    }

    #[test]
    fn a_short_window_is_said_in_the_singular() {
        let engine = Engine::new(Policy::default()).unwrap();
        let d = Decider::new(
            PolicyInForce::plain(engine),
            WarnMode::Confirm,
            ConfirmStore::new(90, 100),
        );
        let Ok(PolicyAction::Reject(text)) = d.decide(&rcpt("a@example.org", TYPO), 0) else {
            panic!("not a reject");
        };
        assert!(text.ends_with("send it again within 1 minute."), "{text}");
    }

    #[test]
    fn warn_header_and_hold() {
        let d = decider("{}", WarnMode::Header);
        let Ok(PolicyAction::Prepend(header)) = d.decide(&rcpt("a@example.org", TYPO), 0) else {
            panic!("not a prepend");
        };
        assert!(
            header.starts_with("X-Sendguard-Warning: Check colonel.smith@army.ml"),
            "{header}"
        );
        let d = decider("{}", WarnMode::Hold);
        let Ok(PolicyAction::Hold(text)) = d.decide(&rcpt("a@example.org", TYPO), 0) else {
            panic!("not a hold");
        };
        assert!(text.contains("army.mil"), "{text}");
    }

    #[test]
    fn other_stages_get_no_opinion_and_bad_requests_are_errors() {
        let d = decider("{}", WarnMode::Confirm);
        let mut data = rcpt("a@example.org", TYPO);
        data.protocol_state = Some("DATA".into());
        assert_eq!(d.decide(&data, 0), Ok(PolicyAction::Dunno));
        let mut no_rcpt = rcpt("a@example.org", "");
        assert!(d.decide(&no_rcpt, 0).is_err());
        no_rcpt.recipient = None;
        assert!(d.decide(&no_rcpt, 0).is_err());
        let mut wrong = rcpt("a@example.org", TYPO);
        wrong.request = Some("junk".into());
        assert!(d.decide(&wrong, 0).unwrap_err().contains("`junk`"));
        wrong.request = None;
        assert!(d.decide(&wrong, 0).is_err());
    }

    #[test]
    fn exceptions_by_sender_recipient_and_domain_win_over_findings() {
        let d = decider(
            r#"{"blocked_domains": ["ml"], "gateway": {"exceptions": {
                "senders": ["printer@example.org"], "recipients": ["liaison@army.ml"],
                "domains": ["partner.ml"]}}}"#,
            WarnMode::Confirm,
        );
        let pass = |s: &str, r: &str| d.decide(&rcpt(s, r), 0).unwrap();
        assert_eq!(pass("printer@example.org", TYPO), PolicyAction::Dunno);
        assert_eq!(
            pass("a@example.org", "liaison@army.ml"),
            PolicyAction::Dunno
        );
        assert_eq!(
            pass("a@example.org", "x@mail.partner.ml"),
            PolicyAction::Dunno
        );
        assert_eq!(pass("a@example.org", TYPO).name(), "REJECT");
    }

    #[test]
    fn accepted_mail_teaches_the_senders_history_and_a_lookalike_address_is_caught() {
        let dir = std::env::temp_dir().join(format!("sg-gw-decide-history-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let d = decider("{}", WarnMode::Header)
            .with_history(HistoryStore::open(&dir, 100, 100).unwrap());
        let rcpt_in = |recipient: &str, instance: &str| {
            let mut r = rcpt("alice@example.org", recipient);
            r.instance = Some(instance.into());
            d.decide(&r, 86_400 * 20_000).unwrap()
        };
        assert_eq!(
            rcpt_in("jonathan.smithers@partner.com", "m1"),
            PolicyAction::Dunno
        );
        assert_eq!(
            rcpt_in("jonathan.smithers@partner.com", "m2"),
            PolicyAction::Dunno
        );
        let mut end = rcpt("alice@example.org", "");
        end.protocol_state = Some("END-OF-MESSAGE".into());
        end.recipient = None;
        end.instance = Some("m1".into());
        assert_eq!(d.decide(&end, 86_400 * 20_000), Ok(PolicyAction::Dunno));
        let typo = rcpt_in("jonathan.smihters@partner.com", "m3");
        let PolicyAction::Prepend(header) = &typo else {
            panic!("{typo:?}")
        };
        assert!(header.contains("jonathan.smithers@partner.com"), "{header}");
        // Another sender has no such history.
        let other = d.decide(&rcpt("bob@example.org", "jonathan.smihters@partner.com"), 0);
        assert_eq!(other, Ok(PolicyAction::Dunno));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_expired_policy_never_passes_a_recipient() {
        let stale = PolicyInForce::expired(1_769_817_600, FailMode::Block);
        let d = Decider::new(stale, WarnMode::Confirm, ConfirmStore::new(600, 100));
        let a = d.decide(&rcpt("a@example.org", "colonel.smith@army.mil"), 0);
        assert_eq!(a.unwrap().name(), "REJECT");
        let stale = PolicyInForce::expired(1_769_817_600, FailMode::Warn);
        let d = Decider::new(stale, WarnMode::Header, ConfirmStore::new(600, 100));
        let a = d.decide(&rcpt("a@example.org", "colonel.smith@army.mil"), 0);
        assert_eq!(a.unwrap().name(), "PREPEND");
    }

    /// A decider whose policy is signed version 3 (counts go per signed version), counting.
    fn counting(policy: &str, mode: WarnMode, name: &str) -> (Decider, Arc<Reports>, PathBuf) {
        let engine = Engine::new(Policy::from_json(policy).unwrap()).unwrap();
        let signed = InForce::signed(PolicyInForce::plain(engine), Some(3), None, 0);
        let dir = std::env::temp_dir().join(format!("sg-gw-count-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let reports = Arc::new(Reports::open(&dir).unwrap());
        let live = Arc::new(LivePolicy::new(Some(signed)));
        let d = Decider::live(live, mode, ConfirmStore::new(600, 100))
            .with_reports(Arc::clone(&reports));
        (d, reports, dir)
    }

    /// The day's counts as (kind, action, outcome, count), all of version 3.
    fn counted(reports: &Reports) -> Vec<(String, String, String, u32)> {
        let pending = reports.pending();
        assert!(pending.iter().all(|r| r.policy_version == 3));
        let name = |v: serde_json::Value| v.as_str().unwrap().to_string();
        pending
            .iter()
            .flat_map(|r| r.counts.iter())
            .map(|c| {
                (
                    name(serde_json::to_value(c.kind).unwrap()),
                    name(serde_json::to_value(c.action).unwrap()),
                    name(serde_json::to_value(c.outcome).unwrap()),
                    c.count,
                )
            })
            .collect()
    }

    fn row(kind: &str, action: &str, outcome: &str, n: u32) -> (String, String, String, u32) {
        (kind.into(), action.into(), outcome.into(), n)
    }

    const NOW: i64 = 86_400 * 20_000;

    #[test]
    fn confirm_mode_counts_a_resend_as_sent_anyway_and_a_lapsed_refusal_as_cancelled() {
        let (d, reports, dir) = counting("{}", WarnMode::Confirm, "confirm");
        assert_eq!(
            d.decide(&rcpt("a@example.org", TYPO), NOW).unwrap().name(),
            "REJECT"
        );
        assert!(counted(&reports).is_empty(), "its fate is not known yet");
        assert_eq!(
            d.decide(&rcpt("a@example.org", TYPO), NOW + 60),
            Ok(PolicyAction::Dunno)
        );
        assert_eq!(
            counted(&reports),
            [row("tld_trap", "warn", "sent_anyway", 1)]
        );
        // Refused, never resent: counted as cancelled once the window closes.
        d.decide(&rcpt("b@example.org", TYPO), NOW + 100).unwrap();
        d.count_lapsed(NOW + 699);
        assert_eq!(counted(&reports).len(), 1, "the window is still open");
        d.count_lapsed(NOW + 700);
        assert_eq!(
            counted(&reports),
            [
                row("tld_trap", "warn", "sent_anyway", 1),
                row("tld_trap", "warn", "cancelled", 1)
            ]
        );
        // At shutdown every refusal still waiting is counted.
        d.decide(&rcpt("c@example.org", TYPO), NOW + 800).unwrap();
        d.count_all_awaiting(NOW + 801);
        assert_eq!(
            counted(&reports)[1],
            row("tld_trap", "warn", "cancelled", 2)
        );
        let domains = &reports.pending()[0].domains;
        assert_eq!(
            (domains[0].domain.as_str(), domains[0].count),
            ("army.ml", 3)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn blocks_headers_holds_and_exceptions_are_counted_as_the_sender_met_them() {
        let policy = r#"{"blocked_domains": ["ru"], "gateway": {"exceptions": {"domains": ["partner.ml"]}}}"#;
        let (d, reports, dir) = counting(policy, WarnMode::Header, "header");
        assert_eq!(
            d.decide(&rcpt("a@example.org", "x@mail.ru"), NOW)
                .unwrap()
                .name(),
            "REJECT"
        );
        assert_eq!(
            d.decide(&rcpt("a@example.org", TYPO), NOW).unwrap().name(),
            "PREPEND"
        );
        assert_eq!(
            d.decide(&rcpt("a@example.org", "x@partner.ml"), NOW),
            Ok(PolicyAction::Dunno)
        );
        assert_eq!(
            d.decide(&rcpt("a@example.org", "x@army.mil"), NOW),
            Ok(PolicyAction::Dunno)
        );
        assert_eq!(
            counted(&reports),
            [
                row("blocked_domain", "block", "blocked", 1),
                row("tld_trap", "warn", "monitored", 1)
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();

        let (d, reports, dir) = counting("{}", WarnMode::Hold, "hold");
        assert_eq!(
            d.decide(&rcpt("a@example.org", TYPO), NOW).unwrap().name(),
            "HOLD"
        );
        assert_eq!(counted(&reports), [row("tld_trap", "warn", "monitored", 1)]);
        std::fs::remove_dir_all(&dir).unwrap();

        let off = r#"{"reporting": {"enabled": false}}"#;
        let (d, reports, dir) = counting(off, WarnMode::Confirm, "off");
        d.decide(&rcpt("a@example.org", TYPO), NOW).unwrap();
        d.decide(&rcpt("a@example.org", TYPO), NOW + 1).unwrap();
        d.decide(&rcpt("b@example.org", TYPO), NOW + 2).unwrap();
        d.count_all_awaiting(NOW + 3);
        assert!(
            reports.pending().is_empty(),
            "the policy switched reporting off"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_fail_action_follows_the_policy_and_never_passes() {
        let d = decider("{}", WarnMode::Confirm);
        assert_eq!(d.fail_action().name(), "DEFER");
        let d = decider(r#"{"fail_mode": "block"}"#, WarnMode::Confirm);
        assert_eq!(d.fail_action().name(), "REJECT");
    }
}
