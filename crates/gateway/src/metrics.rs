//! Counters for Prometheus (`/metrics`), kept in atomics so that counting never waits. No
//! label carries an address or a sentence: only fixed words.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::live::LivePolicy;
use crate::refresh::Outcome;

#[derive(Default)]
pub struct Metrics {
    answers: [AtomicU64; ACTIONS.len()],
    malformed: AtomicU64,
    exceptions: AtomicU64,
    confirmed_resends: AtomicU64,
    connections_open: AtomicU64,
    connections_refused: AtomicU64,
    refreshes: [AtomicU64; REFRESH_OUTCOMES.len()],
    reports: [AtomicU64; REPORT_RESULTS.len()],
}

const ACTIONS: [&str; 5] = ["DUNNO", "REJECT", "DEFER", "PREPEND", "HOLD"];
const REFRESH_OUTCOMES: [&str; 4] = ["updated", "unchanged", "refused", "failed"];
/// How sending one daily report went (`reports.rs`).
pub const REPORT_RESULTS: [&str; 4] = ["accepted", "refused", "reporting_off", "later"];

/// The service's one set of counters.
pub static METRICS: Metrics = Metrics {
    answers: [const { AtomicU64::new(0) }; ACTIONS.len()],
    malformed: AtomicU64::new(0),
    exceptions: AtomicU64::new(0),
    confirmed_resends: AtomicU64::new(0),
    connections_open: AtomicU64::new(0),
    connections_refused: AtomicU64::new(0),
    refreshes: [const { AtomicU64::new(0) }; REFRESH_OUTCOMES.len()],
    reports: [const { AtomicU64::new(0) }; REPORT_RESULTS.len()],
};

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Metrics {
    pub fn answer(&self, action_name: &str) {
        if let Some(i) = ACTIONS.iter().position(|a| *a == action_name) {
            bump(&self.answers[i]);
        }
    }
    pub fn malformed(&self) {
        bump(&self.malformed);
    }
    pub fn exception(&self) {
        bump(&self.exceptions);
    }
    pub fn confirmed_resend(&self) {
        bump(&self.confirmed_resends);
    }
    pub fn connection_opened(&self) {
        bump(&self.connections_open);
    }
    pub fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Ordering::Relaxed);
    }
    pub fn connection_refused(&self) {
        bump(&self.connections_refused);
    }
    pub fn refresh(&self, outcome: &Outcome) {
        if let Some(i) = REFRESH_OUTCOMES.iter().position(|o| *o == outcome.label()) {
            bump(&self.refreshes[i]);
        }
    }

    /// One daily report sent, by result (one of [`REPORT_RESULTS`]).
    pub fn report(&self, result: &str) {
        if let Some(i) = REPORT_RESULTS.iter().position(|r| *r == result) {
            bump(&self.reports[i]);
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self, live: &LivePolicy, now: i64) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        let mut family = |name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        family(
            "sendguard_gateway_answers_total",
            "counter",
            "Answers sent to Postfix, by action.",
        );
        for (i, action) in ACTIONS.iter().enumerate() {
            let _ = writeln!(
                out,
                "sendguard_gateway_answers_total{{action=\"{action}\"}} {}",
                get(&self.answers[i])
            );
        }
        let mut single = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        single(
            "sendguard_gateway_malformed_requests_total",
            "counter",
            "Requests that could not be read or checked (answered by the fail mode).",
            get(&self.malformed),
        );
        single(
            "sendguard_gateway_exceptions_total",
            "counter",
            "Recipients passed by an exception in the policy's gateway section.",
            get(&self.exceptions),
        );
        single(
            "sendguard_gateway_confirmed_resends_total",
            "counter",
            "Warned recipients passed because the sender sent again within the window.",
            get(&self.confirmed_resends),
        );
        single(
            "sendguard_gateway_connections_open",
            "gauge",
            "Policy connections open now.",
            get(&self.connections_open),
        );
        single(
            "sendguard_gateway_connections_refused_total",
            "counter",
            "Policy connections closed at once because the connection limit was reached.",
            get(&self.connections_refused),
        );
        let policy = live.get();
        single(
            "sendguard_gateway_policy_version",
            "gauge",
            "Version of the signed policy in force (0: none, or a plain policy).",
            policy.as_ref().and_then(|p| p.version).unwrap_or(0),
        );
        single(
            "sendguard_gateway_policy_stale",
            "gauge",
            "1 when no current policy is in force (none yet, or expired): recipients get the fail-mode answer.",
            u64::from(policy.as_ref().is_none_or(|p| p.is_stale(now))),
        );
        let _ = writeln!(
            out,
            "# HELP sendguard_gateway_policy_refreshes_total Policy refreshes, by outcome.\n# TYPE sendguard_gateway_policy_refreshes_total counter"
        );
        for (i, outcome) in REFRESH_OUTCOMES.iter().enumerate() {
            let _ = writeln!(
                out,
                "sendguard_gateway_policy_refreshes_total{{outcome=\"{outcome}\"}} {}",
                get(&self.refreshes[i])
            );
        }
        let _ = writeln!(
            out,
            "# HELP sendguard_gateway_reports_total Daily count reports sent to the policy server, by result.\n# TYPE sendguard_gateway_reports_total counter"
        );
        for (i, result) in REPORT_RESULTS.iter().enumerate() {
            let _ = writeln!(
                out,
                "sendguard_gateway_reports_total{{result=\"{result}\"}} {}",
                get(&self.reports[i])
            );
        }
        out
    }
}
