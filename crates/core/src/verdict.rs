//! What the engine answers: findings, the overall verdict, and the findings grouped per
//! recipient (one row per recipient in every dialog and pane, with one Fix and one Remove).

use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::draft::Field;
use crate::fast_hash::FastMap;
use crate::order::{in_order, stable_order};

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
    /// A reply or forward adds an outside domain none of the original's participants had.
    ReplyAddsDomain,
    /// A known contact's name (or personal local part) at an address the sender never used.
    ContactAtOtherAddress,
    /// An outside address the sender's history does not hold.
    FirstTimeRecipient,
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
    /// What backs the sentence, for a second line or the pane: the list and its date, the
    /// `xn--` spelling, what was found (redacted) and why it matters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The findings about one recipient, or (without `recipient`) about the whole draft: one row
/// of a dialog or pane, with at most one Fix and one Remove.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecipientFindings {
    /// The recipient as the findings name it; null for the draft-wide findings.
    pub recipient: Option<String>,
    /// Where the recipient stands, for Fix and Remove.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<Field>,
    /// The strictest outcome among these findings.
    pub action: Outcome,
    /// The corrected address of the strictest finding that proposes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Indices into [`Verdict::findings`], strictest first, the recipient's own before those
    /// it shares with others.
    pub findings: Vec<usize>,
    /// This row's line in a short dialog: its strictest sentence that no earlier line gave,
    /// with "(+N more reasons)"; absent when earlier lines gave them all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
}

/// The engine's answer for one draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The strictest finding's outcome, `allow` when there is none.
    pub action: Outcome,
    /// True when the verdict blocks but a written justification may release it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub justification_required: bool,
    /// At most [`SUMMARY_LIMIT`] characters (Outlook's dialog limit): one line per row of
    /// `by_recipient`, most severe first, separated by `\n`.
    pub summary: String,
    pub findings: Vec<Finding>,
    /// The findings grouped per recipient, strictest row first, then in draft order; the
    /// draft-wide row (no recipient) takes its place by its strictest finding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_recipient: Vec<RecipientFindings>,
    /// Findings of kinds the policy monitors (`monitor.rs`): counted, never shown to the
    /// sender, and no part of `action`, `summary` or `by_recipient`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub monitored: Vec<Finding>,
}

/// Outlook's Smart Alerts dialog shows at most 500 characters.
pub const SUMMARY_LIMIT: usize = 500;

impl Verdict {
    /// Orders findings (strictest first, then by recipient position, stable), groups them per
    /// recipient and summarises. `findings` come as (recipient position, action, finding);
    /// draft-wide ones use `usize::MAX`. `recipients` are the draft's (field, address as the
    /// findings name it), in position order.
    pub fn from_findings(
        mut findings: Vec<(usize, Action, Finding)>,
        recipients: &[(Field, &str)],
    ) -> Verdict {
        findings.retain(|(_, action, _)| *action != Action::Allow);
        let order = stable_order(
            (findings.iter())
                .map(|(position, action, _)| (strictness(*action as u32), *position as u64)),
        );
        let strictest = (order.first())
            .map(|&i| findings[i].1)
            .unwrap_or(Action::Allow);
        let findings: Vec<Finding> = in_order(findings, &order).map(|(_, _, f)| f).collect();
        let by_recipient = group_by_recipient(&findings, recipients);
        Verdict {
            action: strictest.outcome(),
            justification_required: strictest == Action::BlockWithJustification,
            summary: summarise(&by_recipient),
            findings,
            by_recipient,
            monitored: Vec::new(),
        }
    }
}

impl Verdict {
    /// Whether the sender may send now ("Send anyway"): after anything but a block; after a
    /// block only when it takes a written justification and one was given (not blank).
    pub fn may_send(&self, justification: Option<&str>) -> bool {
        match self.action {
            Outcome::Block => {
                self.justification_required && justification.is_some_and(|j| !j.trim().is_empty())
            }
            Outcome::Allow | Outcome::Warn => true,
        }
    }
}

/// For each recipient position, the findings that concern it: its own (same address and
/// field) and each content finding that names its address. One pass over the findings, with
/// the positions of each address chained (no allocation per recipient).
fn findings_per_recipient(findings: &[Finding], recipients: &[(Field, &str)]) -> Vec<Vec<usize>> {
    // `first[address]`: its first position; `next[p]`: the next position of p's address.
    let mut first: FastMap<&str, usize> =
        FastMap::with_capacity_and_hasher(recipients.len(), Default::default());
    let mut next = vec![usize::MAX; recipients.len()];
    for (position, (_, address)) in recipients.iter().enumerate().rev() {
        if let Some(later) = first.insert(address, position) {
            next[position] = later;
        }
    }
    let mut mine: Vec<Vec<usize>> = vec![Vec::new(); recipients.len()];
    for (i, finding) in findings.iter().enumerate() {
        let named = (finding.recipients.iter().map(String::as_str)).chain(
            finding
                .recipient
                .as_deref()
                .filter(|_| finding.recipients.is_empty()),
        );
        for address in named {
            let mut at = first.get(address).copied().unwrap_or(usize::MAX);
            while let Some(&(field, _)) = recipients.get(at) {
                let fits = finding.field.is_none_or(|f| f == field);
                // An address listed twice in a content finding joins each row once.
                if fits && mine[at].last() != Some(&i) {
                    mine[at].push(i);
                }
                at = next[at];
            }
        }
    }
    mine
}

/// One row per recipient with findings (a content finding joins the row of every recipient
/// it names), then one for the draft-wide findings; rows ordered strictest first, then in
/// draft order; each row's line for the summary.
fn group_by_recipient(
    findings: &[Finding],
    recipients: &[(Field, &str)],
) -> Vec<RecipientFindings> {
    let mut rows: Vec<(usize, RecipientFindings)> = Vec::new();
    let mut placed = vec![false; findings.len()];
    let per_recipient = findings_per_recipient(findings, recipients);
    for (position, mine) in per_recipient.into_iter().enumerate() {
        if mine.is_empty() {
            continue;
        }
        // Strictest first; among equals, this recipient's own findings before those shared
        // with others (a content finding naming several), so that the row's line is its own.
        let order = stable_order(mine.iter().map(|&i| {
            let f = &findings[i];
            let shared = u64::from(f.recipients.len() > 1);
            (strictness(f.action as u32) * 2 + shared, i as u64)
        }));
        let mine: Vec<usize> = order.into_iter().map(|k| mine[k]).collect();
        for &i in &mine {
            placed[i] = true;
        }
        let (field, address) = recipients[position];
        rows.push((
            position,
            row(findings, Some(address.to_string()), Some(field), mine),
        ));
    }
    // Draft-wide findings, and any finding no recipient claimed (so none is ever lost).
    let rest: Vec<usize> = (0..findings.len()).filter(|&i| !placed[i]).collect();
    if !rest.is_empty() {
        rows.push((usize::MAX, row(findings, None, None, rest)));
    }
    let order = stable_order(
        (rows.iter()).map(|(position, row)| (strictness(row.action as u32), *position as u64)),
    );
    let mut rows: Vec<RecipientFindings> = in_order(rows, &order).map(|(_, r)| r).collect();
    let mut given = vec![false; findings.len()];
    for row in &mut rows {
        let Some(&lead) = row.findings.iter().find(|&&i| !given[i]) else {
            continue;
        };
        given[lead] = true;
        let more = row.findings.len() - 1;
        row.line = Some(match more {
            0 => findings[lead].message.clone(),
            1 => format!("{} (+1 more reason)", findings[lead].message),
            n => format!("{} (+{n} more reasons)", findings[lead].message),
        });
    }
    rows
}

/// A rank that sorts the strictest first: `rank` is an [`Action`] or [`Outcome`] as a number
/// (both are declared mildest first, in fewer than 256 variants).
pub(crate) fn strictness(rank: u32) -> u64 {
    255 - u64::from(rank)
}

fn row(
    findings: &[Finding],
    recipient: Option<String>,
    field: Option<Field>,
    mine: Vec<usize>,
) -> RecipientFindings {
    RecipientFindings {
        recipient,
        field,
        action: mine
            .iter()
            .map(|&i| findings[i].action)
            .max()
            .unwrap_or(Outcome::Allow),
        fix: mine.iter().find_map(|&i| findings[i].fix.clone()),
        findings: mine,
        line: None,
    }
}

/// The rows' lines, most severe first, one per line, within [`SUMMARY_LIMIT`] characters;
/// lines that do not fit become "(+N more)".
fn summarise(rows: &[RecipientFindings]) -> String {
    let lines: Vec<&str> = rows.iter().filter_map(|r| r.line.as_deref()).collect();
    if lines.is_empty() {
        return "No problems found.".into();
    }
    let mut summary = String::new();
    for (i, line) in lines.iter().enumerate() {
        let rest = lines.len() - i - 1;
        let more = if rest > 0 {
            format!("\n(+{rest} more)")
        } else {
            String::new()
        };
        let sep = if summary.is_empty() { "" } else { "\n" };
        let length = summary.chars().count() + sep.len() + line.chars().count() + more.len();
        if length > SUMMARY_LIMIT {
            if summary.is_empty() {
                // A single line longer than the limit: cut it at a character boundary.
                let keep = SUMMARY_LIMIT - 1 - more.len();
                summary = line.chars().take(keep).collect::<String>() + "…";
                summary.push_str(&more);
            } else {
                summary.push_str(&format!("\n(+{} more)", lines.len() - i));
            }
            return summary;
        }
        summary.push_str(sep);
        summary.push_str(line);
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
            detail: None,
        }
    }

    fn about(message: &str, recipient: &str, action: Outcome) -> Finding {
        Finding {
            recipient: Some(recipient.into()),
            field: Some(Field::To),
            action,
            ..finding(message)
        }
    }

    #[test]
    fn strictest_first_and_summary_within_limit() {
        let v = Verdict::from_findings(
            vec![
                (1, Action::Warn, finding("warned.")),
                (2, Action::Block, finding("blocked.")),
                (0, Action::Allow, finding("dropped.")),
            ],
            &[],
        );
        assert_eq!(v.action, Outcome::Block);
        assert_eq!(v.findings.len(), 2);
        assert_eq!(v.summary, "blocked. (+1 more reason)");
        let long = "x".repeat(300);
        let to: Vec<String> = (0..5).map(|i| format!("r{i}@example.org")).collect();
        let recipients: Vec<(Field, &str)> = to.iter().map(|a| (Field::To, a.as_str())).collect();
        let v = Verdict::from_findings(
            (0..5)
                .map(|i| (i, Action::Warn, about(&long, &to[i], Outcome::Warn)))
                .collect(),
            &recipients,
        );
        assert!(
            v.summary.chars().count() <= SUMMARY_LIMIT,
            "{}",
            v.summary.len()
        );
        assert!(v.summary.ends_with("\n(+4 more)"), "{}", v.summary);
        let v = Verdict::from_findings(vec![(0, Action::Warn, finding(&"y".repeat(900)))], &[]);
        assert!(v.summary.chars().count() <= SUMMARY_LIMIT);
    }

    #[test]
    fn one_row_per_recipient_strictest_row_first() {
        let shared = Finding {
            recipients: vec!["a@x.org".into(), "b@y.org".into()],
            ..about(
                "Remove the card number before sending to a@x.org and b@y.org.",
                "a@x.org",
                Outcome::Warn,
            )
        };
        let v = Verdict::from_findings(
            vec![
                (
                    0,
                    Action::Warn,
                    about("Check a@x.org.", "a@x.org", Outcome::Warn),
                ),
                (
                    0,
                    Action::Warn,
                    Finding {
                        field: None,
                        ..shared
                    },
                ),
                (
                    1,
                    Action::Block,
                    about("Remove b@y.org.", "b@y.org", Outcome::Block),
                ),
                (usize::MAX, Action::Warn, finding("Consider Bcc.")),
            ],
            &[
                (Field::To, "a@x.org"),
                (Field::To, "b@y.org"),
                (Field::Cc, "c@z.org"),
            ],
        );
        let rows: Vec<(Option<&str>, Outcome, Vec<usize>)> = v
            .by_recipient
            .iter()
            .map(|r| (r.recipient.as_deref(), r.action, r.findings.clone()))
            .collect();
        assert_eq!(
            rows,
            vec![
                (Some("b@y.org"), Outcome::Block, vec![0, 2]),
                (Some("a@x.org"), Outcome::Warn, vec![1, 2]),
                (None, Outcome::Warn, vec![3]),
            ]
        );
        assert_eq!(
            v.summary,
            "Remove b@y.org. (+1 more reason)\nCheck a@x.org. (+1 more reason)\nConsider Bcc."
        );
    }

    #[test]
    fn a_block_goes_only_with_a_justification_it_asks_for() {
        let warn = Verdict::from_findings(vec![(0, Action::Warn, finding("w."))], &[]);
        assert!(warn.may_send(None));
        let block = Verdict::from_findings(vec![(0, Action::Block, finding("b."))], &[]);
        assert!(!block.may_send(Some("because")));
        let justify = Verdict::from_findings(
            vec![(0, Action::BlockWithJustification, finding("j."))],
            &[],
        );
        assert!(!justify.may_send(None) && !justify.may_send(Some("  ")));
        assert!(justify.may_send(Some("the contract requires it")));
    }
}
