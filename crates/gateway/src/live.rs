//! The policy in force, swapped whole when a newer verified one arrives: every connection
//! reads it through one lock, and a request checks against one policy from start to end.

use std::sync::{Arc, RwLock};

use sendguard_core::bundle::effective_now;
use sendguard_core::gateway_policy::{ExceptionMatch, ExceptionSet};
use sendguard_core::in_force::{expired_verdict, PolicyInForce};
use sendguard_core::{Draft, FailMode, KnownRecipients, Verdict};

/// One policy in force and what its bundle said about it (nothing for a plain policy).
#[derive(Debug)]
pub struct InForce {
    pub policy: PolicyInForce,
    /// The signed version (for logs, metrics and `/healthz`).
    pub version: Option<u64>,
    /// When a signed policy goes stale (Unix seconds).
    pub expires_at: Option<i64>,
    /// When it was signed: the clock is never taken as earlier (`bundle::effective_now`).
    pub issued_at: i64,
    /// The policy's `gateway.exceptions` (none for an expired policy: none of it applies).
    exceptions: ExceptionSet,
}

impl InForce {
    pub fn plain(policy: PolicyInForce) -> InForce {
        InForce::signed(policy, None, None, 0)
    }

    pub fn signed(
        policy: PolicyInForce,
        version: Option<u64>,
        expires_at: Option<i64>,
        issued_at: i64,
    ) -> InForce {
        // Validated with the policy, so compiling again cannot fail; an empty set if it did.
        let exceptions = policy
            .engine()
            .and_then(|e| e.policy().gateway.compile().ok())
            .unwrap_or_default();
        InForce {
            policy,
            version,
            expires_at,
            issued_at,
            exceptions,
        }
    }

    /// The policy's exception that lets this recipient through, while the policy is current.
    pub fn exception(&self, sender: &str, recipient: &str, now: i64) -> Option<ExceptionMatch> {
        if self.is_stale(now) {
            return None;
        }
        self.exceptions.matches(sender, recipient)
    }

    /// True once the policy has expired (or was loaded expired): none of its checks run.
    pub fn is_stale(&self, now: i64) -> bool {
        let now = effective_now(now, self.issued_at);
        self.policy.is_stale() || self.expires_at.is_some_and(|e| now >= e)
    }

    /// The verdict on `draft`: the policy's, or, once it has expired while in force, the
    /// core's could-not-check verdict in its `fail_mode` (the one expiry rule).
    pub fn check(&self, draft: &Draft, known: &KnownRecipients, now: i64) -> Verdict {
        match self.expires_at {
            Some(expired_at) if !self.policy.is_stale() && self.is_stale(now) => {
                expired_verdict(expired_at, self.policy.fail_mode())
            }
            _ => self.policy.check(draft, known),
        }
    }

    pub fn fail_mode(&self) -> FailMode {
        self.policy.fail_mode()
    }
}

/// The shared, replaceable policy; `None` until a first policy is verified.
#[derive(Debug, Default)]
pub struct LivePolicy {
    current: RwLock<Option<Arc<InForce>>>,
}

impl LivePolicy {
    pub fn new(current: Option<InForce>) -> LivePolicy {
        LivePolicy {
            current: RwLock::new(current.map(Arc::new)),
        }
    }

    pub fn get(&self) -> Option<Arc<InForce>> {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub fn set(&self, policy: InForce) {
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Arc::new(policy));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sendguard_core::{Engine, Outcome, Policy};

    #[test]
    fn a_policy_that_expires_while_in_force_stops_checking() {
        let policy = Policy::from_json(r#"{"fail_mode": "block"}"#).unwrap();
        let engine = Engine::new(policy).unwrap();
        let in_force = InForce::signed(PolicyInForce::plain(engine), Some(3), Some(2_000), 1_000);
        let draft = Draft {
            to: vec!["a@army.mil".into()],
            ..Draft::default()
        };
        let known = KnownRecipients::default();
        assert_eq!(in_force.check(&draft, &known, 1_999).action, Outcome::Allow);
        assert_eq!(in_force.check(&draft, &known, 2_000).action, Outcome::Block);
        // A clock wound back before the signing time cannot revive it either way.
        assert!(!in_force.is_stale(0));
        let live = LivePolicy::new(None);
        assert!(live.get().is_none());
        live.set(in_force);
        assert_eq!(live.get().unwrap().version, Some(3));
    }
}
