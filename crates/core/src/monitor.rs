//! Monitor mode: the policy's `monitor` section, under which findings are counted but never
//! shown to the sender, so an admin can roll a policy out, measure its noise, then enforce.
//! A monitored finding leaves the verdict's `findings`, `by_recipient`, `summary` and
//! `action` untouched and goes to `Verdict::monitored` instead (clients that show findings
//! never see it; `report::tally` counts it as `monitored`).

use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::draft::Field;
use crate::verdict::{Finding, FindingKind, Verdict};

/// The policy's `monitor` section: the whole policy, or some finding kinds, counted only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MonitorSettings {
    /// Every finding is monitored: nothing is shown to senders, everything is counted.
    pub all: bool,
    /// These finding kinds are monitored (the others are enforced as `actions` says).
    pub kinds: Vec<FindingKind>,
}

impl MonitorSettings {
    /// Whether findings of `kind` are counted only.
    pub fn monitors(&self, kind: FindingKind) -> bool {
        self.all || self.kinds.contains(&kind)
    }
}

/// The verdict for a draft's findings, those the policy monitors set apart: the verdict is
/// made from the enforced ones alone, and the monitored ones (allow excepted, as for any
/// finding) are ordered the same way in `Verdict::monitored`.
pub fn verdict(
    settings: &MonitorSettings,
    findings: Vec<(usize, Action, Finding)>,
    recipients: &[(Field, &str)],
) -> Verdict {
    let (monitored, enforced): (Vec<_>, Vec<_>) = findings
        .into_iter()
        .partition(|(_, _, finding)| settings.monitors(finding.kind));
    let mut verdict = Verdict::from_findings(enforced, recipients);
    // The same order as enforced findings get: strictest first, then by recipient position.
    let mut monitored: Vec<_> = monitored
        .into_iter()
        .filter(|(_, action, _)| *action != Action::Allow)
        .collect();
    crate::order::sort_by_key(&mut monitored, |(position, action, _)| {
        (crate::verdict::strictness(*action as u32), *position as u64)
    });
    verdict.monitored = monitored.into_iter().map(|(_, _, f)| f).collect();
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Outcome;
    use crate::{Draft, Engine, KnownRecipients, Policy};

    fn check(policy: &str, to: &[&str]) -> Verdict {
        let engine = Engine::new(Policy::from_json(policy).unwrap()).unwrap();
        let draft = Draft {
            to: to.iter().map(|s| s.to_string()).collect(),
            ..Draft::default()
        };
        engine.check(&draft, &KnownRecipients::default())
    }

    #[test]
    fn a_monitored_kind_is_counted_but_not_shown() {
        let to = ["colonel.smith@army.ml", "x@blocked.example"];
        let policy =
            r#"{"blocked_domains": ["blocked.example"], "monitor": {"kinds": ["tld_trap"]}}"#;
        let verdict = check(policy, &to);
        assert_eq!(
            verdict.action,
            Outcome::Block,
            "the blocked domain is enforced"
        );
        assert!(verdict
            .findings
            .iter()
            .all(|f| f.kind != FindingKind::TldTrap));
        assert!(!verdict.summary.contains("army.ml"), "{}", verdict.summary);
        assert!(verdict
            .by_recipient
            .iter()
            .all(|r| r.recipient.as_deref() != Some("colonel.smith@army.ml")));
        let kinds: Vec<FindingKind> = verdict.monitored.iter().map(|f| f.kind).collect();
        assert!(kinds.contains(&FindingKind::TldTrap), "{kinds:?}");
        assert!(!kinds.contains(&FindingKind::BlockedDomain), "{kinds:?}");
    }

    #[test]
    fn a_monitored_policy_allows_every_draft_and_keeps_what_it_found() {
        let to = ["colonel.smith@army.ml", "x@blocked.example"];
        let policy = r#"{"blocked_domains": ["blocked.example"], "monitor": {"all": true}}"#;
        let verdict = check(policy, &to);
        assert_eq!(verdict.action, Outcome::Allow);
        assert!(verdict.findings.is_empty() && verdict.by_recipient.is_empty());
        assert_eq!(
            verdict.summary,
            check("{}", &["a@example.org"]).summary,
            "as for a clean draft"
        );
        assert_eq!(
            verdict.monitored[0].kind,
            FindingKind::BlockedDomain,
            "strictest first"
        );
        assert!(verdict
            .monitored
            .iter()
            .any(|f| f.kind == FindingKind::TldTrap));
        // The verdict JSON of an enforced policy is unchanged: no `monitored` key at all.
        let enforced = check(r#"{"blocked_domains": ["blocked.example"]}"#, &to);
        let json = serde_json::to_string(&enforced).unwrap();
        assert!(!json.contains("monitored"), "{json}");
        assert_eq!(enforced.findings.len(), verdict.monitored.len());
    }

    #[test]
    fn unknown_kinds_and_fields_are_refused_with_their_path() {
        let e = Policy::from_json(r#"{"monitor": {"kinds": ["tld_trapp"]}}"#).unwrap_err();
        assert_eq!(e.path, "monitor.kinds[0]");
        let e = Policy::from_json(r#"{"monitor": {"everything": true}}"#).unwrap_err();
        assert_eq!(e.path, "monitor.everything");
    }
}
