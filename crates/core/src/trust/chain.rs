//! Which keyset a client trusts to verify policy bundles: the one pinned at installation, or
//! a newer one reached from it through the updates the client accepted since (a chain).
//!
//! A client stores the chain, not just its newest keyset: after a root rotation, later
//! keysets are signed by the new roots only, so they verify as updates of the rotated keyset,
//! not of the pinned one. Storage can be rewritten (Outlook's roamingSettings by anything with
//! mailbox access), so the chain is verified again, link by link from the pinned keyset,
//! each time it is used.
//!
//! Rules:
//! - A stored link is used only if it verifies as an update of the link before it, for this
//!   tenant; the first that does not ends the chain (it and the rest are set aside).
//! - A stored link not newer than the one before is skipped: the administrator pinned it, or a
//!   newer keyset, since it was stored, and the pinned one wins.
//! - A fetched keyset is accepted only as an update of the trusted one; it is chained after
//!   the earliest link it also updates directly, so the chain grows only with root rotations.
//! - Expiry along the chain is not the question, only at its end: an update is checked as of
//!   the last valid second of the keyset it updates when that one has expired, so a client
//!   that missed a keyset's renewal can still take its successor; an expired update whose
//!   predecessor is still valid is set aside.
//!
//! ```
//! use sendguard_core::trust::chain::{offer, trusted, Offer};
//! # let pinned = include_str!("../../../../tests/vectors/bundles/keyset-v1.json");
//! # let update = include_str!("../../../../tests/vectors/bundles/keyset-v2.json");
//! # let now = 1767312000;
//! let trust = trusted(pinned, &[], "acme", now);
//! assert_eq!(trust.current().unwrap().version, 1);
//! let Offer::Updated(links) = offer(&trust.links, update, "acme", now) else { panic!() };
//! assert_eq!(links.last().unwrap().keyset.version, 2);
//! ```

use super::keyset::{self, Keyset};
use super::verification::BundleError;

/// A keyset's text with what verifying it found.
#[derive(Debug, Clone)]
pub struct Link {
    pub text: String,
    pub keyset: Keyset,
}

/// What the client trusts now.
#[derive(Debug, Clone)]
pub struct KeysetTrust {
    /// The pinned keyset, then the accepted updates, each verified as an update of the one
    /// before. Empty when even the pinned keyset does not verify.
    pub links: Vec<Link>,
    /// Why trust ends where it does: the pinned keyset's own refusal (its end then verifies no
    /// bundle), a stored link set aside, or an end that has expired.
    pub problem: Option<Problem>,
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub error: BundleError,
    /// A stored update was set aside (the trust ends before it).
    pub set_aside: bool,
}

impl KeysetTrust {
    /// The keyset that verifies bundles (the newest link).
    pub fn current(&self) -> Option<&Keyset> {
        self.links.last().map(|l| &l.keyset)
    }

    /// What to store: the links after the pinned keyset.
    pub fn chain(&self) -> impl Iterator<Item = &str> {
        self.links.iter().skip(1).map(|l| l.text.as_str())
    }
}

/// What became of a fetched keyset.
#[derive(Debug, Clone)]
pub enum Offer {
    /// Accepted: the new links, pinned keyset first, the fetched one last.
    Updated(Vec<Link>),
    /// The trusted keyset itself.
    Unchanged,
    /// Refused; trust stays as it was.
    Refused(BundleError),
}

/// The keyset trusted now, without the network: the end of the `stored` chain as far as it
/// verifies from the `pinned` keyset, for `tenant` at `now`.
pub fn trusted(pinned: &str, stored: &[String], tenant: &str, now: i64) -> KeysetTrust {
    let (pin, pin_problem) = inspect(pinned, tenant, now);
    let problem = pin_problem.map(|error| Problem {
        error,
        set_aside: false,
    });
    let Some(pin) = pin else {
        return KeysetTrust {
            links: Vec::new(),
            problem,
        };
    };
    let mut trust = KeysetTrust {
        links: vec![Link {
            text: pinned.to_string(),
            keyset: pin,
        }],
        problem,
    };
    for text in stored {
        let text = text.as_str();
        let (own, own_problem) = inspect(text, tenant, now);
        // Not this tenant's, or not a keyset: the rest hangs on it.
        let Some(own) = own else { break };
        let last = &trust.links[trust.links.len() - 1].keyset;
        if own.version <= last.version {
            continue;
        }
        if let Err(error) = update_of(text, last, now) {
            trust.problem = Some(Problem {
                error,
                set_aside: true,
            });
            break;
        }
        trust.links.push(Link {
            text: text.to_string(),
            keyset: own,
        });
        // An expired end still anchors its successor, but is reported.
        trust.problem = own_problem.map(|error| Problem {
            error,
            set_aside: false,
        });
    }
    trust
}

/// A fetched keyset offered as an update of the end of `links` (the trusted chain, pinned
/// keyset first).
pub fn offer(links: &[Link], fetched: &str, tenant: &str, now: i64) -> Offer {
    let Some(current) = links.last() else {
        return Offer::Refused(BundleError::Malformed(
            "no trusted keyset to verify an update against".into(),
        ));
    };
    // The trusted roots' signatures are checked before the fetched keyset is even parsed.
    let offered = match update_of(fetched, &current.keyset, now) {
        Ok(keyset) => keyset,
        Err(error) => return Offer::Refused(error),
    };
    if offered.digest == current.keyset.digest {
        return Offer::Unchanged;
    }
    if current.keyset.is_expired(now) {
        // Checked as of the trusted keyset's last valid second: now its own expiry.
        if let (_, Some(error)) = inspect(fetched, tenant, now) {
            return Offer::Refused(error);
        }
    }
    // After the earliest link it also updates directly (the trusted end at the latest).
    let from = (0..links.len() - 1)
        .find(|&i| update_of(fetched, &links[i].keyset, now).is_ok())
        .unwrap_or(links.len() - 1);
    let mut updated = links[..=from].to_vec();
    updated.push(Link {
        text: fetched.to_string(),
        keyset: offered,
    });
    Offer::Updated(updated)
}

/// A keyset checked on its own (its own roots, the tenant); an expired one is still answered,
/// with the expiry as its problem.
fn inspect(text: &str, tenant: &str, now: i64) -> (Option<Keyset>, Option<BundleError>) {
    match keyset::verify_pinned(text.as_bytes(), tenant, now) {
        Ok(keyset) => (Some(keyset), None),
        Err(BundleError::KeysetExpired(keyset)) => {
            let found = (*keyset).clone();
            (Some(found), Some(BundleError::KeysetExpired(keyset)))
        }
        Err(error) => (None, Some(error)),
    }
}

/// `text` verified as an update of `anchor`, as of the anchor's last valid second when that
/// has passed.
fn update_of(text: &str, anchor: &Keyset, now: i64) -> Result<Keyset, BundleError> {
    keyset::verify_update(text.as_bytes(), anchor, now.min(anchor.expires_at - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_312_000;
    const V1: &str = include_str!("../../../../tests/vectors/bundles/keyset-v1.json");
    const V2: &str = include_str!("../../../../tests/vectors/bundles/keyset-v2.json");
    const V3_ROTATED: &str =
        include_str!("../../../../tests/vectors/bundles/keyset-v3-rotated.json");
    const V3_NEW_ROOT_ONLY: &str =
        include_str!("../../../../tests/vectors/bundles/keyset-v3-signed-by-new-root-only.json");
    const V2_EXPIRES_DAY_2: &str =
        include_str!("../../../../tests/vectors/bundles/keyset-v2-expires-day-2.json");
    // Signed by the rotated-to root alone (made with the CLI; see its README).
    const V4_ROOT_B_ONLY: &str =
        include_str!("../../../../addin/test/fixtures/keyset-v4-root-b-only.json");

    fn versions(links: &[Link]) -> Vec<u64> {
        links.iter().map(|l| l.keyset.version).collect()
    }

    fn updated(links: &[Link], fetched: &str, now: i64) -> Vec<Link> {
        match offer(links, fetched, "acme", now) {
            Offer::Updated(links) => links,
            other => panic!("not accepted: {other:?}"),
        }
    }

    fn refusal(links: &[Link], fetched: &str, now: i64) -> &'static str {
        match offer(links, fetched, "acme", now) {
            Offer::Refused(error) => error.code(),
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn an_update_is_accepted_and_a_rollback_refused() {
        let pinned = trusted(V1, &[], "acme", NOW);
        assert_eq!(versions(&pinned.links), [1]);
        assert!(pinned.problem.is_none());
        let links = updated(&pinned.links, V2, NOW);
        assert_eq!(versions(&links), [1, 2]);
        assert!(matches!(offer(&links, V2, "acme", NOW), Offer::Unchanged));
        assert_eq!(refusal(&links, V1, NOW), "rollback");
        assert_eq!(refusal(&links, V3_NEW_ROOT_ONLY, NOW), "unknown_key");
        let tampered = V2.replacen("\"payload\":\"", "\"payload\":\"A", 1);
        assert_ne!(tampered, V2);
        assert!(matches!(
            offer(&links, &tampered, "acme", NOW),
            Offer::Refused(_)
        ));
    }

    #[test]
    fn a_root_rotation_is_followed_and_survives_a_restart() {
        let start = trusted(V1, &[V2.to_string()], "acme", NOW);
        assert_eq!(versions(&start.links), [1, 2]);
        // Signed by the old and the new root: it updates the pinned keyset directly.
        let rotated = updated(&start.links, V3_ROTATED, NOW);
        assert_eq!(versions(&rotated), [1, 3]);
        // Signed by the new root alone: only the rotated keyset vouches for it.
        let after = updated(&rotated, V4_ROOT_B_ONLY, NOW);
        assert_eq!(versions(&after), [1, 3, 4]);
        let stored: Vec<String> = after.iter().skip(1).map(|l| l.text.clone()).collect();
        let restarted = trusted(V1, &stored, "acme", NOW);
        assert_eq!(restarted.current().map(|k| k.version), Some(4));
        assert_eq!(restarted.chain().count(), 2);
    }

    #[test]
    fn a_stored_link_that_does_not_verify_is_set_aside() {
        // v4 stored straight after the pinned keyset: the pinned roots never signed it.
        let trust = trusted(V1, &[V4_ROOT_B_ONLY.to_string()], "acme", NOW);
        assert_eq!(versions(&trust.links), [1]);
        let problem = trust.problem.expect("a problem");
        assert!(problem.set_aside);
        assert_eq!(problem.error.code(), "unknown_key");
        // A stored keyset of another tenant, or not a keyset, ends the chain quietly.
        let junk = trusted(V1, &["not a keyset".to_string()], "acme", NOW);
        assert_eq!(versions(&junk.links), [1]);
        assert!(trusted("not a keyset", &[], "acme", NOW).links.is_empty());
    }

    #[test]
    fn expiry_counts_only_at_the_end_of_the_chain() {
        let pinned = trusted(V1, &[], "acme", NOW);
        let day_3 = NOW + 2 * 86_400;
        // Expired on arrival: refused, the pinned keyset stays.
        assert_eq!(refusal(&pinned.links, V2_EXPIRES_DAY_2, day_3), "expired");
        // Accepted while valid, stored, then expired while the pinned keyset is still valid:
        // set aside, and trust falls back to the pinned keyset.
        let links = updated(&pinned.links, V2_EXPIRES_DAY_2, NOW);
        let stored: Vec<String> = vec![links[1].text.clone()];
        assert_eq!(
            trusted(V1, &stored, "acme", NOW)
                .current()
                .map(|k| k.version),
            Some(2)
        );
        let later = trusted(V1, &stored, "acme", day_3);
        assert_eq!(later.current().map(|k| k.version), Some(1));
        let problem = later.problem.expect("a problem");
        assert!(problem.set_aside);
        assert_eq!(problem.error.code(), "expired");
    }
}
