//! The policy in force and the one expiry rule every client follows (the CLI, Outlook,
//! Thunderbird; docs/bundle-format.md, "Expiry"): a signed policy is trusted only until its
//! `expires_at`. A bundle that verifies in every other respect (signature, tenant, version)
//! but has expired runs none of its checks: every draft gets the could-not-check verdict,
//! warning or blocking as that policy's `fail_mode` says (the last choice its administrator
//! signed). Never a silent pass, and never an out-of-date list trusted.
//!
//! ```
//! use sendguard_core::in_force::PolicyInForce;
//! use sendguard_core::{Draft, Engine, KnownRecipients, Outcome, Policy};
//!
//! let plain = PolicyInForce::plain(Engine::new(Policy::default()).unwrap());
//! assert!(!plain.is_stale());
//! let stale = PolicyInForce::expired(1769817600, sendguard_core::FailMode::Block);
//! let verdict = stale.check(&Draft::default(), &KnownRecipients::default());
//! assert_eq!(verdict.action, Outcome::Block);
//! ```

use crate::engine::{Engine, KnownRecipients};
use crate::error::Error;
use crate::policy::FailMode;
use crate::trust::bundle::{self, BundleError, HeldPolicy, VerifiedPolicy};
use crate::trust::keyset::Keyset;
use crate::verdict::{Outcome, Verdict};
use crate::Draft;

/// What checks drafts: a trusted policy's engine, or an expired policy's fail mode.
#[derive(Debug, Clone)]
pub struct PolicyInForce {
    /// `None` for an expired policy: its checks never run.
    engine: Option<Engine>,
    fail_mode: FailMode,
    /// For an expired policy: when it expired (Unix seconds).
    expired_at: Option<i64>,
}

/// Why a signed policy cannot be put in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The bundle was refused (never [`BundleError::Expired`]: that one is put in force as
    /// stale).
    Refused(BundleError),
    /// The bundle verified, but the policy it carries does not load.
    BadPolicy(Error),
}

impl PolicyInForce {
    /// An unsigned policy (the built-in one, or one shipped with the client's own code).
    pub fn plain(engine: Engine) -> PolicyInForce {
        PolicyInForce {
            fail_mode: engine.policy().fail_mode,
            engine: Some(engine),
            expired_at: None,
        }
    }

    /// An expired policy: every check answers [`expired_verdict`].
    pub fn expired(expired_at: i64, fail_mode: FailMode) -> PolicyInForce {
        PolicyInForce {
            engine: None,
            fail_mode,
            expired_at: Some(expired_at),
        }
    }

    /// A bundle verified by [`bundle::verify`] (which judges expiry): a current policy runs,
    /// an expired one is in force as stale.
    pub fn from_verification(
        verification: Result<VerifiedPolicy, BundleError>,
    ) -> Result<(PolicyInForce, VerifiedPolicy), LoadError> {
        let (verified, stale) = match verification {
            Ok(verified) => (verified, false),
            Err(BundleError::Expired(verified)) => (*verified, true),
            Err(refused) => return Err(LoadError::Refused(refused)),
        };
        let policy = verified
            .policy()
            .map_err(|e| LoadError::BadPolicy(e.into()))?;
        let in_force = if stale {
            PolicyInForce::expired(verified.expires_at, policy.fail_mode)
        } else {
            PolicyInForce::plain(Engine::new(policy).map_err(LoadError::BadPolicy)?)
        };
        Ok((in_force, verified))
    }

    /// Verifies a bundle against the trusted keyset and puts it in force.
    pub fn from_bundle(
        bundle_bytes: &[u8],
        trust: &Keyset,
        tenant: &str,
        held: Option<&HeldPolicy>,
        now: i64,
    ) -> Result<(PolicyInForce, VerifiedPolicy), LoadError> {
        PolicyInForce::from_verification(bundle::verify(bundle_bytes, trust, tenant, held, now))
    }

    /// What a client does when a check cannot run, as the policy says.
    pub fn fail_mode(&self) -> FailMode {
        self.fail_mode
    }

    /// True when the policy expired: no check of it runs.
    pub fn is_stale(&self) -> bool {
        self.engine.is_none()
    }

    /// The engine of a current policy (`None` when stale).
    pub fn engine(&self) -> Option<&Engine> {
        self.engine.as_ref()
    }

    /// The verdict for a draft: the policy's, or the could-not-check verdict when stale.
    pub fn check(&self, draft: &Draft, known: &KnownRecipients) -> Verdict {
        match &self.engine {
            Some(engine) => engine.check(draft, known),
            None => expired_verdict(self.expired_at.unwrap_or(0), self.fail_mode),
        }
    }
}

/// The verdict for every draft while only an expired policy is held: no findings, the fail
/// mode's outcome, and a sentence that leads with what the sender does.
pub fn expired_verdict(expired_at: i64, fail_mode: FailMode) -> Verdict {
    let date = utc_date(expired_at);
    let (action, summary) = match fail_mode {
        FailMode::Warn => (
            Outcome::Warn,
            format!(
                "Check this email yourself before sending: Sendguard could not check it because \
                 its policy expired on {date}. If this keeps happening, tell your IT administrator."
            ),
        ),
        FailMode::Block => (
            Outcome::Block,
            format!(
                "Ask your IT administrator to renew Sendguard's policy, then send again: \
                 Sendguard could not check this email because its policy expired on {date}."
            ),
        ),
    };
    Verdict {
        action,
        justification_required: false,
        summary,
        findings: Vec::new(),
        by_recipient: Vec::new(),
        monitored: Vec::new(),
    }
}

/// `YYYY-MM-DD` (UTC) of a Unix time; the days-to-civil conversion of H. Hinnant's
/// `chrono`-compatible algorithms, since the core has no date library.
pub fn utc_date(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::keyset;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/bundles/");
    /// policy-v5.json is valid from 2026-01-01 and expires at 1769817600 (2026-01-31).
    const VALID: i64 = 1767312000;
    const EXPIRED: i64 = 1769904000;

    fn load(now: i64) -> Result<(PolicyInForce, VerifiedPolicy), LoadError> {
        let read = |name: &str| std::fs::read(format!("{VECTORS}{name}")).unwrap();
        let trust = keyset::verify_pinned(&read("keyset-v1.json"), "acme", VALID).unwrap();
        PolicyInForce::from_bundle(&read("policy-v5.json"), &trust, "acme", None, now)
    }

    fn lookalike() -> Draft {
        Draft {
            to: vec!["x@acme.exmaple".into()],
            ..Draft::default()
        }
    }

    #[test]
    fn a_current_policy_runs_its_checks() {
        let (in_force, verified) = load(VALID).unwrap();
        assert!(!in_force.is_stale());
        assert_eq!(verified.version, 5);
        let verdict = in_force.check(&lookalike(), &KnownRecipients::default());
        assert_eq!(
            verdict.findings[0].suggestion.as_deref(),
            Some("acme.example")
        );
    }

    #[test]
    fn an_expired_policy_runs_no_check_and_fails_as_it_says() {
        let (in_force, verified) = load(EXPIRED).unwrap();
        assert!(in_force.is_stale() && in_force.engine().is_none());
        assert_eq!(verified.version, 5);
        // The lookalike the policy would catch is not reported: an expired list is not trusted.
        let verdict = in_force.check(&lookalike(), &KnownRecipients::default());
        assert_eq!(
            verdict.action,
            Outcome::Warn,
            "policy-v5 keeps the default fail_mode"
        );
        assert!(verdict.findings.is_empty());
        assert!(verdict.summary.starts_with("Check this email yourself"));
        assert!(
            verdict.summary.contains("expired on 2026-01-31"),
            "{}",
            verdict.summary
        );
        let clean = in_force.check(&Draft::default(), &KnownRecipients::default());
        assert_eq!(clean.action, Outcome::Warn, "never a silent pass");
    }

    #[test]
    fn the_fail_mode_decides_the_outcome() {
        let block = expired_verdict(0, FailMode::Block);
        assert_eq!(block.action, Outcome::Block);
        assert!(block.summary.starts_with("Ask your IT administrator"));
        assert!(block.summary.contains("1970-01-01"));
        let plain = PolicyInForce::plain(Engine::from_json(r#"{"fail_mode": "block"}"#).unwrap());
        assert_eq!(plain.fail_mode(), FailMode::Block);
    }

    #[test]
    fn refusals_other_than_expiry_stay_refusals() {
        let read = |name: &str| std::fs::read(format!("{VECTORS}{name}")).unwrap();
        let trust = keyset::verify_pinned(&read("keyset-v1.json"), "acme", VALID).unwrap();
        let e = PolicyInForce::from_bundle(&read("policy-v5.json"), &trust, "globex", None, VALID)
            .unwrap_err();
        assert!(
            matches!(e, LoadError::Refused(BundleError::WrongTenant { .. })),
            "{e:?}"
        );
    }

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(1769817600), "2026-01-31");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(-1), "1969-12-31");
    }
}
