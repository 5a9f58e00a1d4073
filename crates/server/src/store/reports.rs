//! Devices' reports in SQLite: storing one (a newer report for the same install, day and
//! policy version replaces the older, so a retried or re-sent day counts once), the admin's
//! summary of a tenant's days, and retention. Days are days since 1970 (UTC); installs are
//! stored only as a hash of their id (`routes::reports`).

use std::collections::BTreeMap;

use rusqlite::{params, TransactionBehavior};
use sendguard_core::in_force::utc_date;
use sendguard_core::report::{Report, SenderOutcome};
use serde::Serialize;

use super::Store;

/// What storing a report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stored {
    /// The first report for this install, day and policy version.
    New,
    /// It replaced the one this install sent before for the same day and version.
    Replaced,
}

/// One day's counts of one finding kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DailyCounts {
    pub day: String,
    pub kind: String,
    /// The sender fixed, removed, cancelled or was blocked: the slip did not go out.
    pub prevented: i64,
    /// The sender sent anyway or with a justification.
    pub overridden: i64,
    /// Counted only (monitor mode).
    pub monitored: i64,
}

/// What senders did with one rule (a kind, a content detector, an action) over the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleCounts {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detector: Option<String>,
    pub action: String,
    pub prevented: i64,
    pub overridden: i64,
    pub monitored: i64,
    /// overridden / (prevented + overridden); `null` when nothing was shown.
    pub override_rate: Option<f64>,
}

/// A destination domain that at least `min_installs` installs reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainRow {
    pub kind: String,
    pub domain: String,
    /// Distinct installs that reported it.
    pub installs: i64,
    /// Distinct (install, day) pairs: one install adds at most one a day, whatever it claims.
    pub install_days: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JustificationRow {
    pub day: String,
    pub policy_version: i64,
    pub kind: String,
    pub text: String,
}

/// A tenant's reports over a window of days, as the console's dashboard shows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportSummary {
    pub from: String,
    pub to: String,
    pub min_installs: u32,
    /// Distinct installs that reported in the window.
    pub installs: i64,
    pub daily: Vec<DailyCounts>,
    /// Noisiest first (highest override rate, then most shown).
    pub rules: Vec<RuleCounts>,
    /// Most reported first, at most [`TOP_DOMAINS`].
    pub domains: Vec<DomainRow>,
    /// Domains reported by fewer than `min_installs` installs: counted, never named.
    pub hidden_domains: i64,
    /// Newest first, at most [`LATEST_JUSTIFICATIONS`].
    pub justifications: Vec<JustificationRow>,
}

/// Most domains in a summary.
pub const TOP_DOMAINS: i64 = 50;
/// Most justifications in a summary.
pub const LATEST_JUSTIFICATIONS: i64 = 100;

/// A value's JSON name (`tld_trap`, `sent_anyway`), as stored.
fn name(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Findings by what became of them: prevented, overridden, monitored.
#[derive(Debug, Clone, Copy, Default)]
struct Fates {
    prevented: i64,
    overridden: i64,
    monitored: i64,
}

impl Fates {
    /// Adds `sum` findings whose stored outcome is `outcome` (an unknown one adds nothing).
    fn add(&mut self, outcome: &str, sum: i64) {
        let Ok(outcome) = serde_json::from_value::<SenderOutcome>(outcome.into()) else {
            return;
        };
        if outcome == SenderOutcome::Monitored {
            self.monitored += sum;
        } else if outcome.overridden() {
            self.overridden += sum;
        } else if outcome.prevented() {
            self.prevented += sum;
        }
    }
}

impl Store {
    /// Stores a validated report of `install` (already hashed) for `tenant` in one
    /// transaction, replacing this install's earlier report for the same day and version.
    /// Justifications are stored only when `keep_justifications`.
    pub fn store_report(
        &self,
        tenant: &str,
        install: &str,
        day: i64,
        report: &Report,
        keep_justifications: bool,
        now: i64,
    ) -> rusqlite::Result<Stored> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version = report.policy_version as i64;
        let key = params![tenant, day, version, install];
        let replaced = tx.execute(
            "DELETE FROM report_sends WHERE tenant = ?1 AND day = ?2 AND policy_version = ?3 AND install = ?4",
            key,
        )? > 0;
        tx.execute(
            "INSERT INTO report_sends (tenant, day, policy_version, install, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![tenant, day, version, install, now],
        )?;
        {
            let mut count = tx.prepare(
                "INSERT INTO report_counts (tenant, day, policy_version, install, kind, detector, action, outcome, count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for c in &report.counts {
                let detector = c.detector.clone().unwrap_or_default();
                count.execute(params![
                    tenant,
                    day,
                    version,
                    install,
                    name(&c.kind),
                    detector,
                    name(&c.action),
                    name(&c.outcome),
                    c.count
                ])?;
            }
            let mut domain = tx.prepare(
                "INSERT INTO report_domains (tenant, day, policy_version, install, kind, domain, count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for d in &report.domains {
                domain.execute(params![
                    tenant,
                    day,
                    version,
                    install,
                    name(&d.kind),
                    d.domain,
                    d.count
                ])?;
            }
            let mut justification = tx.prepare(
                "INSERT INTO report_justifications (tenant, day, policy_version, install, kind, text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for j in report.justifications.iter().filter(|_| keep_justifications) {
                justification.execute(params![
                    tenant,
                    day,
                    version,
                    install,
                    name(&j.kind),
                    j.text
                ])?;
            }
        }
        tx.commit()?;
        Ok(if replaced {
            Stored::Replaced
        } else {
            Stored::New
        })
    }

    /// Deletes every report counting a day before `first_kept_day`; answers how many reports.
    pub fn delete_reports_before(&self, first_kept_day: i64) -> rusqlite::Result<usize> {
        self.conn()
            .execute("DELETE FROM report_sends WHERE day < ?1", [first_kept_day])
    }

    /// A tenant's reports for days `from..=to`; domains named only once `min_installs`
    /// installs reported them.
    pub fn report_summary(
        &self,
        tenant: &str,
        (from, to): (i64, i64),
        min_installs: u32,
    ) -> rusqlite::Result<ReportSummary> {
        let conn = self.conn();
        let window = params![tenant, from, to];
        let installs = conn.query_row(
            "SELECT COUNT(DISTINCT install) FROM report_sends WHERE tenant = ?1 AND day BETWEEN ?2 AND ?3",
            window,
            |r| r.get(0),
        )?;

        let mut daily: BTreeMap<(i64, String), Fates> = BTreeMap::new();
        let mut stmt = conn.prepare(
            "SELECT day, kind, outcome, SUM(count) FROM report_counts
             WHERE tenant = ?1 AND day BETWEEN ?2 AND ?3 GROUP BY day, kind, outcome",
        )?;
        let rows = stmt.query_map(window, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        for row in rows {
            let (day, kind, outcome, sum) = row?;
            daily.entry((day, kind)).or_default().add(&outcome, sum);
        }

        let mut rules: BTreeMap<(String, String, String), Fates> = BTreeMap::new();
        let mut stmt = conn.prepare(
            "SELECT kind, detector, action, outcome, SUM(count) FROM report_counts
             WHERE tenant = ?1 AND day BETWEEN ?2 AND ?3 GROUP BY kind, detector, action, outcome",
        )?;
        let rows = stmt.query_map(window, |r| {
            Ok((
                (
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ),
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        for row in rows {
            let (key, outcome, sum) = row?;
            rules.entry(key).or_default().add(&outcome, sum);
        }

        let mut stmt = conn.prepare(
            "SELECT kind, domain, COUNT(DISTINCT install), COUNT(DISTINCT day || ':' || install)
             FROM report_domains WHERE tenant = ?1 AND day BETWEEN ?2 AND ?3
             GROUP BY kind, domain HAVING COUNT(DISTINCT install) >= ?4
             ORDER BY 4 DESC, 3 DESC, domain LIMIT ?5",
        )?;
        let domains = stmt
            .query_map(params![tenant, from, to, min_installs, TOP_DOMAINS], |r| {
                Ok(DomainRow {
                    kind: r.get(0)?,
                    domain: r.get(1)?,
                    installs: r.get(2)?,
                    install_days: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let hidden_domains = conn.query_row(
            "SELECT COUNT(*) FROM (SELECT 1 FROM report_domains WHERE tenant = ?1 AND day BETWEEN ?2 AND ?3
             GROUP BY kind, domain HAVING COUNT(DISTINCT install) < ?4)",
            params![tenant, from, to, min_installs],
            |r| r.get(0),
        )?;

        let mut stmt = conn.prepare(
            "SELECT day, policy_version, kind, text FROM report_justifications
             WHERE tenant = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY day DESC, rowid DESC LIMIT ?4",
        )?;
        let justifications = stmt
            .query_map(params![tenant, from, to, LATEST_JUSTIFICATIONS], |r| {
                Ok(JustificationRow {
                    day: utc_date(r.get::<_, i64>(0)? * 86_400),
                    policy_version: r.get(1)?,
                    kind: r.get(2)?,
                    text: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;

        Ok(ReportSummary {
            from: utc_date(from * 86_400),
            to: utc_date(to * 86_400),
            min_installs,
            installs,
            daily: daily
                .into_iter()
                .map(
                    |(
                        (day, kind),
                        Fates {
                            prevented,
                            overridden,
                            monitored,
                        },
                    )| DailyCounts {
                        day: utc_date(day * 86_400),
                        kind,
                        prevented,
                        overridden,
                        monitored,
                    },
                )
                .collect(),
            rules: ranked_rules(rules),
            domains,
            hidden_domains,
            justifications,
        })
    }
}

/// The rules with their override rates, noisiest first.
fn ranked_rules(rules: BTreeMap<(String, String, String), Fates>) -> Vec<RuleCounts> {
    let mut rules: Vec<RuleCounts> = rules
        .into_iter()
        .map(
            |(
                (kind, detector, action),
                Fates {
                    prevented,
                    overridden,
                    monitored,
                },
            )| {
                let shown = prevented + overridden;
                RuleCounts {
                    kind,
                    detector: (!detector.is_empty()).then_some(detector),
                    action,
                    prevented,
                    overridden,
                    monitored,
                    override_rate: (shown > 0).then(|| overridden as f64 / shown as f64),
                }
            },
        )
        .collect();
    rules.sort_by(|a, b| {
        let rate = |r: &RuleCounts| r.override_rate.unwrap_or(-1.0);
        rate(b)
            .total_cmp(&rate(a))
            .then((b.prevented + b.overridden).cmp(&(a.prevented + a.overridden)))
    });
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(install: &str, day: &str, counts: &str, domains: &str) -> Report {
        let text = format!(
            r#"{{"install_id": "{install}", "day": "{day}", "policy_version": 1, "counts": [{counts}], "domains": [{domains}],
                "justifications": [{{"kind": "tld_trap", "text": "asked by the Mali office"}}]}}"#
        );
        Report::from_json(text.as_bytes()).unwrap()
    }

    const FIXED: &str = r#"{"kind": "tld_trap", "action": "warn", "outcome": "fixed", "count": 3},
        {"kind": "tld_trap", "action": "warn", "outcome": "sent_anyway", "count": 1},
        {"kind": "lookalike_domain", "action": "warn", "outcome": "monitored", "count": 2}"#;

    #[test]
    fn a_newer_report_replaces_and_summaries_add_up() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        assert!(store.create_tenant("acme", "Acme", (1, b"ks"), 1).unwrap());
        let day = sendguard_core::report::days_since_epoch("2026-12-01").unwrap();
        let domain = r#"{"kind": "tld_trap", "domain": "army.ml", "count": 9}"#;
        let r = report(&"a".repeat(32), "2026-12-01", FIXED, domain);
        assert_eq!(
            store.store_report("acme", "h1", day, &r, false, 0).unwrap(),
            Stored::New
        );
        assert_eq!(
            store.store_report("acme", "h1", day, &r, true, 0).unwrap(),
            Stored::Replaced
        );
        store.store_report("acme", "h2", day, &r, false, 0).unwrap();
        let summary = store.report_summary("acme", (day - 6, day), 2).unwrap();
        assert_eq!(summary.installs, 2);
        assert_eq!(summary.daily.len(), 2);
        let trap = summary.daily.iter().find(|d| d.kind == "tld_trap").unwrap();
        assert_eq!(
            (trap.prevented, trap.overridden, trap.monitored),
            (6, 2, 0),
            "replaced, not added"
        );
        assert_eq!(summary.rules[0].override_rate, Some(0.25));
        assert_eq!(summary.rules[1].monitored, 4);
        assert_eq!(summary.domains.len(), 1);
        assert_eq!(
            (summary.domains[0].installs, summary.domains[0].install_days),
            (2, 2),
            "one per install and day, not 9"
        );
        assert_eq!(
            summary.justifications.len(),
            1,
            "kept only where the policy recorded them"
        );
        let strict = store.report_summary("acme", (day - 6, day), 3).unwrap();
        assert!(strict.domains.is_empty());
        assert_eq!(strict.hidden_domains, 1);
        assert_eq!(store.delete_reports_before(day + 1).unwrap(), 2);
        let empty = store.report_summary("acme", (day - 6, day), 2).unwrap();
        assert_eq!(
            (
                empty.installs,
                empty.daily.len(),
                empty.justifications.len()
            ),
            (0, 0, 0)
        );
        let leftover: i64 = store
            .conn()
            .query_row("SELECT (SELECT COUNT(*) FROM report_counts) + (SELECT COUNT(*) FROM report_domains)", [], |r| r.get(0))
            .unwrap();
        assert_eq!(leftover, 0, "counts and domains go with their report");
    }
}
