//! What the engine answers: findings and the overall verdict.

use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::draft::Field;

/// The kinds of risk the engine reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    BlockedDomain,
    InvalidAddress,
    LookalikeDomain,
    TldTrap,
    LookalikeAddress,
    RiskyDestination,
    ExternalRecipients,
    /// Sensitive content (a marking, a card number, a key…) going to a recipient a content
    /// rule names; see `content`.
    SensitiveContent,
}

/// What the sender's client must do: the three outcomes the add-ins act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allow,
    Warn,
    Block,
}

impl Action {
    pub fn outcome(self) -> Outcome {
        match self {
            Action::Allow => Outcome::Allow,
            Action::Warn => Outcome::Warn,
            Action::Block | Action::BlockWithJustification => Outcome::Block,
        }
    }
}

/// One risk, explained in one sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub action: Outcome,
    /// True when a block may be overridden by a written justification.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub justification_required: bool,
    /// The recipient concerned, as typed (address part), or null for draft-wide findings.
    pub recipient: Option<String>,
    /// What the sender most likely meant: a domain, or an address for `lookalike_address`.
    pub suggestion: Option<String>,
    /// One plain-English sentence for the sender.
    pub message: String,
    /// The field the recipient stands in, so a client can apply the fix there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<Field>,
    /// The corrected address (local part kept, domain or address replaced), where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// For `sensitive_content`: the detector's id (`payment_card`, or a custom detector's id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector: Option<String>,
    /// For `sensitive_content`: how many times the detector found something in the draft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// For `sensitive_content`: the first occurrence, redacted (`4111 **** **** 1111`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    /// For `sensitive_content`: every recipient concerned (`recipient` is the first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<String>,
}

/// The engine's answer for one draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The strictest finding's outcome, `allow` when there is none.
    pub action: Outcome,
    /// True when the verdict blocks but a written justification may release it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub justification_required: bool,
    /// At most [`SUMMARY_LIMIT`] characters (Outlook's dialog limit).
    pub summary: String,
    pub findings: Vec<Finding>,
}

/// Outlook's Smart Alerts dialog shows at most 500 characters.
pub const SUMMARY_LIMIT: usize = 500;

impl Verdict {
    /// Orders findings (strictest first, then by recipient position, stable) and summarises.
    /// `findings` come as (recipient position, action, finding); draft-wide ones use `usize::MAX`.
    pub fn from_findings(mut findings: Vec<(usize, Action, Finding)>) -> Verdict {
        findings.retain(|(_, action, _)| *action != Action::Allow);
        findings.sort_by_key(|(position, action, _)| (std::cmp::Reverse(*action), *position));
        let strictest = findings
            .first()
            .map(|(_, a, _)| *a)
            .unwrap_or(Action::Allow);
        let findings: Vec<Finding> = findings.into_iter().map(|(_, _, f)| f).collect();
        Verdict {
            action: strictest.outcome(),
            justification_required: strictest == Action::BlockWithJustification,
            summary: summarise(&findings),
            findings,
        }
    }
}

fn summarise(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "No problems found.".into();
    }
    let mut summary = String::new();
    for (i, f) in findings.iter().enumerate() {
        let rest = findings.len() - i - 1;
        let more = if rest > 0 {
            format!(" (+{rest} more)")
        } else {
            String::new()
        };
        let sep = if summary.is_empty() { "" } else { " " };
        if summary.chars().count() + sep.len() + f.message.chars().count() + more.len()
            > SUMMARY_LIMIT
        {
            if summary.is_empty() {
                // A single message longer than the limit: cut it at a character boundary.
                let keep = SUMMARY_LIMIT - 1 - more.len();
                summary = f.message.chars().take(keep).collect::<String>() + "…";
                summary.push_str(&more);
            } else {
                summary.push_str(&format!(" (+{} more)", findings.len() - i));
            }
            return summary;
        }
        summary.push_str(sep);
        summary.push_str(&f.message);
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(message: &str) -> Finding {
        Finding {
            kind: FindingKind::TldTrap,
            action: Outcome::Warn,
            justification_required: false,
            recipient: None,
            suggestion: None,
            message: message.into(),
            field: None,
            fix: None,
            detector: None,
            count: None,
            excerpt: None,
            recipients: Vec::new(),
        }
    }

    #[test]
    fn strictest_first_and_summary_within_limit() {
        let v = Verdict::from_findings(vec![
            (1, Action::Warn, finding("warned.")),
            (2, Action::Block, finding("blocked.")),
            (0, Action::Allow, finding("dropped.")),
        ]);
        assert_eq!(v.action, Outcome::Block);
        assert_eq!(v.findings.len(), 2);
        assert_eq!(v.summary, "blocked. warned.");
        let long = "x".repeat(300);
        let v = Verdict::from_findings((0..5).map(|i| (i, Action::Warn, finding(&long))).collect());
        assert!(
            v.summary.chars().count() <= SUMMARY_LIMIT,
            "{}",
            v.summary.len()
        );
        assert!(v.summary.ends_with("(+4 more)"));
        let v = Verdict::from_findings(vec![(0, Action::Warn, finding(&"y".repeat(900)))]);
        assert!(v.summary.chars().count() <= SUMMARY_LIMIT);
    }
}
