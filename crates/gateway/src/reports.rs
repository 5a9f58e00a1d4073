//! The gateway's anonymous counts (docs/privacy.md, "The gateway"; docs/gateway.md, "What the
//! gateway reports"): each verdict the gateway acts on is tallied by the core's
//! `report::tally`, which alone decides what is counted (and whether: the signed policy's
//! `reporting.enabled`); this file only says what the sender met, sums the tallies per UTC
//! day and policy version within the server's bounds, and sends them to the policy server
//! the gateway gets its policy from. Never an address, never content: a tally has neither.
//!
//! What the sender met, by the gateway's answer: a block's refusal is `blocked`; a warning
//! confirmed by resending is `sent_anyway`, one whose refusal lapses without the resend is
//! `cancelled` (the mail did not go); a warning delivered with a header or put on hold showed
//! the sender nothing, so its findings count as `monitored`, like monitor mode's.
//!
//! Counting never waits on the network: a verdict's tally is added under a short lock, and
//! posting runs on its own thread ([`keep_posting`]) with a copy of what is due.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use sendguard_core::in_force::utc_date;
use sendguard_core::report::{self, Report, ReportingSettings, SenderOutcome, Tally};
use sendguard_core::Verdict;

use crate::files::write_atomically;
use crate::http_get::{self, BaseUrl};
use crate::server::log;

/// What the gateway did with a recipient the engine checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    /// Passed (an allow, perhaps with monitored findings).
    Passed,
    /// Refused for good (a block).
    Refused,
    /// Delivered with a warning header, or held: the sender was shown nothing.
    NotShown,
    /// Refused until the sender resends it within the window.
    AwaitingResend,
    /// The resend that confirmed an earlier refusal: delivered.
    Resent,
}

/// What a refusal awaiting its resend counts if it lapses: the verdict's tally with the
/// outcome `cancelled`, under the policy version it was checked with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lapse {
    version: u64,
    tally: Tally,
}

/// The facts to count for a verdict the gateway handled this way (`None` when the policy
/// switched reporting off, or there is nothing to count).
pub fn tally(settings: &ReportingSettings, verdict: &Verdict, handling: Handling) -> Option<Tally> {
    let counted = match handling {
        Handling::Passed => report::tally(settings, verdict, None, None),
        Handling::Refused => report::tally(settings, verdict, Some(SenderOutcome::Blocked), None),
        Handling::Resent => report::tally(settings, verdict, Some(SenderOutcome::SentAnyway), None),
        Handling::AwaitingResend => {
            report::tally(settings, verdict, Some(SenderOutcome::Cancelled), None)
        }
        Handling::NotShown => {
            // What the sender saw is what monitor mode shows: nothing. So the findings are
            // counted as the core counts monitored ones.
            let mut unseen = verdict.clone();
            let mut shown = std::mem::take(&mut unseen.findings);
            shown.append(&mut unseen.monitored);
            unseen.monitored = shown;
            report::tally(settings, &unseen, None, None)
        }
    };
    // An outcome that does not fit the verdict (`Err`) is a gateway bug; it counts nothing
    // rather than something untrue.
    counted
        .ok()
        .filter(|t| t.enabled && !(t.counts.is_empty() && t.domains.is_empty()))
}

impl Lapse {
    /// What to count if the refusal of this verdict lapses unconfirmed.
    pub fn of(settings: &ReportingSettings, verdict: &Verdict, version: u64) -> Option<Lapse> {
        let tally = tally(settings, verdict, Handling::AwaitingResend)?;
        Some(Lapse { version, tally })
    }

    /// Counts the lapsed refusal, on the day it lapsed.
    pub fn count_into(self, reports: &Reports, now: i64) {
        reports.count(self.version, &self.tally, now);
    }
}

/// The most batches (day and policy version) kept, as the add-ins' queue keeps them.
pub const MAX_BATCHES: usize = 31;
/// Batches of days older than this are dropped (the server would refuse most anyway).
pub const KEEP_DAYS: i64 = 31;

/// One day's and policy version's counts, and whether the server holds them as they are.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    report: Report,
    /// The server accepted this report as it is now (a later count makes it due again).
    posted: bool,
}

/// The file of batches kept across restarts (a restart must not send a smaller day that
/// would replace the morning's counts on the server).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Kept {
    batches: Vec<Batch>,
}

const INSTALL_ID_FILE: &str = "report-install-id";
const KEPT_FILE: &str = "reports.json";
/// Largest kept file read: 31 full batches are well under it.
const MAX_KEPT_BYTES: u64 = 8 << 20;

/// Where the reports go: the policy server's `POST /v1/tenants/{tenant}/reports`.
#[derive(Debug, Clone)]
pub struct Destination {
    pub base: BaseUrl,
    pub tenant: String,
}

/// How one report's sending went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sent {
    Accepted,
    /// The tenant's policy switched reporting off (403 `reporting_off`): forget everything.
    ReportingOff,
    /// Refused for good (400, 413: malformed or a day the server no longer keeps).
    Refused,
    /// Not now (offline, rate-limited, a server error): tried again at the next round.
    Later,
}

impl Sent {
    /// The result's metric label (`metrics::REPORT_RESULTS`).
    fn label(self) -> &'static str {
        match self {
            Sent::Accepted => "accepted",
            Sent::ReportingOff => "reporting_off",
            Sent::Refused => "refused",
            Sent::Later => "later",
        }
    }
}

/// The counts not yet sent, per day and policy version, with this install's random id.
pub struct Reports {
    install_id: String,
    kept_file: PathBuf,
    batches: Mutex<Vec<Batch>>,
}

impl Reports {
    /// Opens the counts kept in `state_dir`, with the install id made there once (random,
    /// 128 bits). A kept file that does not read, or holds a report the server would refuse,
    /// is set aside (logged): counting starts again.
    pub fn open(state_dir: &Path) -> Result<Reports, String> {
        std::fs::create_dir_all(state_dir)
            .map_err(|e| format!("cannot create {}: {e}", state_dir.display()))?;
        let install_id = install_id(&state_dir.join(INSTALL_ID_FILE))?;
        let kept_file = state_dir.join(KEPT_FILE);
        let batches = match read_kept(&kept_file, &install_id) {
            Ok(batches) => batches,
            Err(why) => {
                log(format_args!(
                    "{}: {why}; the counts not yet sent start again from zero",
                    kept_file.display()
                ));
                Vec::new()
            }
        };
        Ok(Reports {
            install_id,
            kept_file,
            batches: Mutex::new(batches),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Batch>> {
        self.batches.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds one tally to the batch of `now`'s UTC day and `version`.
    pub fn count(&self, version: u64, tally: &Tally, now: i64) {
        let day = utc_date(now);
        let mut batches = self.lock();
        let i = match batches
            .iter()
            .position(|b| b.report.day == day && b.report.policy_version == version)
        {
            Some(i) => i,
            None => {
                batches.push(Batch {
                    report: Report {
                        install_id: self.install_id.clone(),
                        day,
                        policy_version: version,
                        counts: Vec::new(),
                        domains: Vec::new(),
                        justifications: Vec::new(),
                    },
                    posted: false,
                });
                drop_old(&mut batches, now);
                batches.len() - 1
            }
        };
        batches[i].report.add_tally(tally);
        batches[i].posted = false;
    }

    /// The counts not yet sent (or sent and counted since), oldest first.
    pub fn pending(&self) -> Vec<Report> {
        self.lock().iter().map(|b| b.report.clone()).collect()
    }

    /// Sends each report with counts the server does not hold yet, oldest first, stopping
    /// at the first the server cannot take now; a day over once the server has it is
    /// forgotten; then keeps what remains on disk. Returns how many were accepted.
    pub fn post(&self, to: &Destination, now: i64, timeout: Duration) -> usize {
        let due: Vec<Report> = {
            let mut batches = self.lock();
            drop_old(&mut batches, now);
            batches
                .iter()
                .filter(|b| !b.posted)
                .map(|b| b.report.clone())
                .collect()
        };
        let mut accepted = 0;
        for report in due {
            let sent = send(to, &report, timeout);
            crate::metrics::METRICS.report(sent.label());
            let mut batches = self.lock();
            let same = |b: &Batch| {
                b.report.day == report.day && b.report.policy_version == report.policy_version
            };
            match sent {
                Sent::Accepted => {
                    accepted += 1;
                    // Counted again meanwhile: still due, with the new counts.
                    if let Some(batch) = batches.iter_mut().find(|b| same(b)) {
                        batch.posted = batch.report == report;
                    }
                    let today = utc_date(now);
                    batches.retain(|b| !(b.posted && b.report.day < today));
                }
                Sent::Refused => batches.retain(|b| !same(b)),
                Sent::ReportingOff => {
                    batches.clear();
                    break;
                }
                Sent::Later => break,
            }
        }
        self.save();
        accepted
    }

    /// Writes the batches to disk (whole or not at all).
    pub fn save(&self) {
        let kept = Kept {
            batches: self.lock().clone(),
        };
        let written = serde_json::to_vec(&kept)
            .map_err(|e| e.to_string())
            .and_then(|json| write_atomically(&self.kept_file, &json));
        if let Err(e) = written {
            log(format_args!("the counts not yet sent are not kept: {e}"));
        }
    }
}

/// Drops the batches of days older than [`KEEP_DAYS`], then the oldest past [`MAX_BATCHES`].
fn drop_old(batches: &mut Vec<Batch>, now: i64) {
    let first_kept = now.div_euclid(86_400) - KEEP_DAYS + 1;
    batches.retain(|b| report::days_since_epoch(&b.report.day).is_some_and(|d| d >= first_kept));
    let extra = batches.len().saturating_sub(MAX_BATCHES);
    batches.drain(..extra);
}

/// The largest answer read from the report endpoint.
const MAX_ANSWER_BYTES: usize = 16 * 1024;

fn send(to: &Destination, report: &Report, timeout: Duration) -> Sent {
    let path = format!("/v1/tenants/{}/reports", to.tenant);
    let body = match serde_json::to_vec(report) {
        Ok(body) => body,
        Err(_) => return Sent::Refused,
    };
    let response = match http_get::post_json(&to.base, &path, &body, MAX_ANSWER_BYTES, timeout) {
        Ok(response) => response,
        Err(e) => {
            log(format_args!("counts not sent: {e}; trying again later"));
            return Sent::Later;
        }
    };
    let code = || {
        serde_json::from_slice::<serde_json::Value>(&response.body)
            .ok()
            .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
            .unwrap_or_default()
    };
    match response.status {
        200 => Sent::Accepted,
        403 if code() == "reporting_off" => {
            log(format_args!(
                "the tenant's policy switched reporting off: the counts not yet sent are forgotten"
            ));
            Sent::ReportingOff
        }
        400 | 413 => {
            log(format_args!(
                "the server refused the counts of {} (policy version {}): {}; they are dropped",
                report.day,
                report.policy_version,
                crate::action::one_line(&String::from_utf8_lossy(&response.body))
            ));
            Sent::Refused
        }
        status => {
            log(format_args!(
                "counts not sent: the server answered {status}; trying again later"
            ));
            Sent::Later
        }
    }
}

/// The install's random id, made once and kept in `file`; one that does not read is made
/// again (logged: the server then counts this gateway as a new install).
fn install_id(file: &Path) -> Result<String, String> {
    if let Ok(text) = std::fs::read_to_string(file) {
        let id = text.trim();
        if is_install_id(id) {
            return Ok(id.to_string());
        }
        log(format_args!(
            "{}: not an install id; a new one is made",
            file.display()
        ));
    }
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| format!("no randomness for an install id: {e}"))?;
    let id = sendguard_core::envelope::hex(&bytes);
    write_atomically(file, format!("{id}\n").as_bytes())?;
    Ok(id)
}

fn is_install_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The kept batches, each a report the server would accept, of this install.
fn read_kept(file: &Path, install_id: &str) -> Result<Vec<Batch>, String> {
    let size = match std::fs::metadata(file) {
        Ok(meta) => meta.len(),
        Err(_) => return Ok(Vec::new()),
    };
    if size > MAX_KEPT_BYTES {
        return Err(format!("over {MAX_KEPT_BYTES} bytes"));
    }
    let bytes = std::fs::read(file).map_err(|e| e.to_string())?;
    let kept: Kept = sendguard_core::json::from_slice(&bytes).map_err(|e| e.to_string())?;
    for batch in &kept.batches {
        batch.report.validate().map_err(|e| e.to_string())?;
        if batch.report.install_id != install_id {
            return Err("counts of another install id".into());
        }
    }
    let mut batches = kept.batches;
    batches.truncate(MAX_BATCHES);
    Ok(batches)
}

/// How long one report's sending may take.
pub const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends the counts every `interval` for ever, on this thread (call it on one of its own).
/// Before each round, refusals whose resend window closed are counted (`cancelled`).
pub fn keep_posting(
    reports: &Reports,
    decider: &crate::Decider,
    to: &Destination,
    interval: Duration,
) {
    loop {
        std::thread::sleep(interval);
        let now = crate::server::unix_now();
        decider.count_lapsed(now);
        reports.post(to, now, POST_TIMEOUT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sendguard_core::report::{MAX_COUNT, MAX_DOMAINS};
    use sendguard_core::{Action, Draft, Engine, FindingKind, KnownRecipients, Policy};

    fn verdict(policy: &str, to: &str) -> (ReportingSettings, Verdict) {
        let engine = Engine::new(Policy::from_json(policy).unwrap()).unwrap();
        let draft = Draft {
            to: vec![to.into()],
            ..Draft::default()
        };
        let verdict = engine.check(&draft, &KnownRecipients::default());
        (engine.policy().reporting.clone(), verdict)
    }

    fn outcome_of(t: &Tally) -> (FindingKind, Action, SenderOutcome) {
        assert_eq!(t.counts.len(), 1, "{t:?}");
        (t.counts[0].kind, t.counts[0].action, t.counts[0].outcome)
    }

    #[test]
    fn each_handling_counts_what_the_sender_met() {
        let (settings, warned) = verdict("{}", "colonel.smith@army.ml");
        let warn = |h| outcome_of(&tally(&settings, &warned, h).unwrap());
        use SenderOutcome::*;
        let trap = FindingKind::TldTrap;
        assert_eq!(warn(Handling::Resent), (trap, Action::Warn, SentAnyway));
        assert_eq!(
            warn(Handling::AwaitingResend),
            (trap, Action::Warn, Cancelled)
        );
        assert_eq!(warn(Handling::NotShown), (trap, Action::Warn, Monitored));
        // A warning passed is not an outcome the gateway gives: nothing untrue is counted.
        assert_eq!(tally(&settings, &warned, Handling::Passed), None);

        let (settings, blocked) = verdict(r#"{"blocked_domains": ["ml"]}"#, "c@army.ml");
        let block = tally(&settings, &blocked, Handling::Refused).unwrap();
        // Every finding of the refused recipient met the refusal, the warned ones too.
        assert!(
            block.counts.iter().all(|c| c.outcome == Blocked),
            "{block:?}"
        );
        assert!(block
            .counts
            .iter()
            .any(|c| c.kind == FindingKind::BlockedDomain && c.action == Action::Block));
        assert_eq!(tally(&settings, &blocked, Handling::Resent), None);

        let (settings, monitored) = verdict(r#"{"monitor": {"all": true}}"#, "c@army.ml");
        let passed = tally(&settings, &monitored, Handling::Passed).unwrap();
        assert_eq!(outcome_of(&passed), (trap, Action::Warn, Monitored));
        assert_eq!(passed.domains[0].domain, "army.ml");

        let (settings, allowed) = verdict("{}", "colonel.smith@army.mil");
        assert_eq!(tally(&settings, &allowed, Handling::Passed), None);
    }

    #[test]
    fn reporting_switched_off_in_the_policy_counts_nothing() {
        let (settings, warned) = verdict(r#"{"reporting": {"enabled": false}}"#, "c@army.ml");
        for h in [
            Handling::Resent,
            Handling::NotShown,
            Handling::AwaitingResend,
        ] {
            assert_eq!(tally(&settings, &warned, h), None);
        }
        assert_eq!(Lapse::of(&settings, &warned, 1), None);
    }

    fn state(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sg-gw-reports-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    const DAY: i64 = 86_400 * 20_000; // 2024-10-04

    #[test]
    fn tallies_sum_per_day_and_version_within_the_servers_bounds() {
        let dir = state("sum");
        let reports = Reports::open(&dir).unwrap();
        let (settings, warned) = verdict("{}", "colonel.smith@army.ml");
        let t = tally(&settings, &warned, Handling::Resent).unwrap();
        reports.count(3, &t, DAY);
        reports.count(3, &t, DAY + 100);
        reports.count(4, &t, DAY + 200);
        reports.count(4, &t, DAY + 86_400);
        let pending = reports.pending();
        assert_eq!(pending.len(), 3);
        assert_eq!(
            (pending[0].day.as_str(), pending[0].policy_version),
            ("2024-10-04", 3)
        );
        assert_eq!(pending[0].counts[0].count, 2);
        assert_eq!(pending[0].domains[0].count, 2);
        assert_eq!(pending[2].day, "2024-10-05");
        for report in &pending {
            report.validate().unwrap();
            let json = serde_json::to_string(report).unwrap();
            assert!(!json.contains('@') && !json.contains("colonel"), "{json}");
        }

        // Saturated counts and too many domains stay a report the server accepts.
        let mut big = Report {
            counts: Vec::new(),
            domains: Vec::new(),
            ..pending[0].clone()
        };
        let mut many = t.clone();
        many.counts[0].count = MAX_COUNT;
        big.add_tally(&many);
        big.add_tally(&many);
        assert_eq!(big.counts[0].count, MAX_COUNT);
        for i in 0..MAX_DOMAINS + 5 {
            let mut one = t.clone();
            one.domains[0].domain = format!("d{i}.ml");
            big.add_tally(&one);
        }
        assert_eq!(big.domains.len(), MAX_DOMAINS);
        big.validate().unwrap();

        // The same id and the counts not yet sent survive a restart.
        reports.save();
        let again = Reports::open(&dir).unwrap();
        assert_eq!(again.install_id, reports.install_id);
        assert!(is_install_id(&again.install_id));
        assert_eq!(again.pending(), pending);
        // A kept file changed by hand to carry an address is refused, not sent.
        let kept = std::fs::read_to_string(dir.join(KEPT_FILE)).unwrap();
        std::fs::write(dir.join(KEPT_FILE), kept.replace("army.ml", "c@army.ml")).unwrap();
        assert!(Reports::open(&dir).unwrap().pending().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn old_days_and_batches_past_the_bound_are_dropped() {
        let dir = state("bound");
        let reports = Reports::open(&dir).unwrap();
        let (settings, warned) = verdict("{}", "c@army.ml");
        let t = tally(&settings, &warned, Handling::NotShown).unwrap();
        for version in 1..=40 {
            reports.count(version, &t, DAY);
        }
        let pending = reports.pending();
        assert_eq!(pending.len(), MAX_BATCHES);
        assert_eq!(pending[0].policy_version, 10, "the oldest go first");
        reports.count(1, &t, DAY + KEEP_DAYS * 86_400);
        assert_eq!(
            reports.pending().len(),
            1,
            "days past KEEP_DAYS are dropped"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
