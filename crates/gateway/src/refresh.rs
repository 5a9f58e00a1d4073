//! The policy from a Sendguard server or an exported folder, by the add-ins' refresh
//! protocol (addin/shared/policy-refresh.js, docs/bundle-format.md): the tenant's keyset
//! first, accepted only as a verified update of the trusted one (`trust::chain`), then its
//! signed policy, verified against the keyset trusted after that and never older than the
//! one held (`in_force`). ETags avoid re-downloading. What is accepted is kept on disk, so a
//! restart starts from the last good policy; anything refused leaves it in force. All trust
//! decisions are the core's; this file fetches, stores and logs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use sendguard_core::bundle::{effective_now, HeldPolicy, MAX_BUNDLE_BYTES};
use sendguard_core::in_force::{utc_date, LoadError, PolicyInForce};
use sendguard_core::trust::chain::{self, KeysetTrust, Offer};

use crate::files::write_atomically;
use crate::http_get::{self, BaseUrl};
use crate::live::{InForce, LivePolicy};
use crate::server::log;

/// Where bundles come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A Sendguard server: `GET {base}/v1/tenants/{tenant}/keyset` and `.../policy`.
    Server(BaseUrl),
    /// A folder written by `sendguard export` (the same paths under it).
    Folder(PathBuf),
}

/// What a fetch gave.
enum Fetched {
    Body(Vec<u8>, Option<String>),
    NotModified,
}

impl Source {
    fn fetch(&self, tenant: &str, what: &str, etag: Option<&str>) -> Result<Fetched, String> {
        let path = format!("/v1/tenants/{tenant}/{what}");
        match self {
            Source::Server(base) => {
                let response = http_get::get(base, &path, etag, MAX_BUNDLE_BYTES, FETCH_TIMEOUT)?;
                match response.status {
                    304 if etag.is_some() => Ok(Fetched::NotModified),
                    200 => Ok(Fetched::Body(response.body, response.etag)),
                    status => Err(format!("the server answered {status} for the {what}")),
                }
            }
            Source::Folder(dir) => {
                let file = dir.join(path.trim_start_matches('/'));
                let bytes = read_bounded(&file)?;
                Ok(Fetched::Body(bytes, None))
            }
        }
    }
}

/// Long enough for a healthy server, short enough not to hold a refresh up.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .len();
    if size > MAX_BUNDLE_BYTES as u64 {
        return Err(format!("{}: over {MAX_BUNDLE_BYTES} bytes", path.display()));
    }
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// What is kept on disk besides the bundle itself (`state.json`).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Kept {
    /// The keysets accepted after the pinned one, oldest first.
    keyset_chain: Vec<String>,
    keyset_etag: Option<String>,
    policy_etag: Option<String>,
    /// The policy held: never replaced by an older one (a rollback is refused).
    held_version: Option<u64>,
    held_digest: Option<String>,
    /// The newest `issued_at` accepted: the clock is never taken as earlier.
    issued_at: i64,
}

/// The refresher of one tenant's policy.
pub struct Refresher {
    source: Source,
    tenant: String,
    /// The pinned keyset's text (as an add-in pins it at installation).
    pinned: String,
    state_dir: PathBuf,
    kept: Kept,
    /// The bytes of the policy in force, to tell an unchanged file from a new one.
    bundle: Option<Vec<u8>>,
}

/// How one refresh went, for logs, metrics and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Updated(u64),
    Unchanged,
    /// Refused by the core (its stable code): the policy held stays in force.
    Refused(String),
    /// Not reached, or no keyset to verify with.
    Failed(String),
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Updated(_) => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Refused(_) => "refused",
            Outcome::Failed(_) => "failed",
        }
    }
}

const STATE_FILE: &str = "state.json";
const BUNDLE_FILE: &str = "policy.bundle";

impl Refresher {
    /// Reads what an earlier run kept in `state_dir` (created if missing). A state file that
    /// does not read is set aside, logged: the next fetch starts over from the pinned keyset.
    pub fn new(
        source: Source,
        tenant: &str,
        pinned: String,
        state_dir: &Path,
    ) -> Result<Refresher, String> {
        std::fs::create_dir_all(state_dir)
            .map_err(|e| format!("cannot create {}: {e}", state_dir.display()))?;
        let kept = match std::fs::read(state_dir.join(STATE_FILE)) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                log(format_args!(
                    "{}: unreadable ({e}); starting again from the pinned keyset",
                    state_dir.join(STATE_FILE).display()
                ));
                Kept::default()
            }),
            Err(_) => Kept::default(),
        };
        Ok(Refresher {
            source,
            tenant: tenant.to_string(),
            pinned,
            state_dir: state_dir.to_path_buf(),
            kept,
            bundle: None,
        })
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    fn trust(&self, now: i64) -> KeysetTrust {
        chain::trusted(&self.pinned, &self.kept.keyset_chain, &self.tenant, now)
    }

    fn held(&self) -> Option<HeldPolicy> {
        HeldPolicy::from_hex(self.kept.held_version?, self.kept.held_digest.as_deref()?)
    }

    fn now(&self, clock: i64) -> i64 {
        effective_now(clock, self.kept.issued_at)
    }

    /// The last good policy kept on disk, verified again (signature, tenant, keyset chain
    /// from the pinned keyset, same version and digest as held): a file changed on disk is
    /// refused like a fetched one.
    pub fn load_kept(&mut self, clock: i64) -> Option<InForce> {
        let now = self.now(clock);
        let bytes = std::fs::read(self.state_dir.join(BUNDLE_FILE)).ok()?;
        let held = self.held();
        let trust = self.trust(now);
        let keyset = trust.current()?;
        match PolicyInForce::from_bundle(&bytes, keyset, &self.tenant, held.as_ref(), now) {
            Ok((policy, verified)) if Some(verified.version) == self.kept.held_version => {
                self.bundle = Some(bytes);
                Some(self.in_force(policy, &verified))
            }
            Ok(_) => {
                log(format_args!(
                    "the kept policy is not the version held; ignored"
                ));
                None
            }
            Err(e) => {
                log(format_args!(
                    "the kept policy is refused ({}); ignored",
                    load_error(&e)
                ));
                None
            }
        }
    }

    fn in_force(
        &self,
        policy: PolicyInForce,
        verified: &sendguard_core::bundle::VerifiedPolicy,
    ) -> InForce {
        InForce::signed(
            policy,
            Some(verified.version),
            Some(verified.expires_at),
            verified.issued_at,
        )
    }

    /// One refresh: keyset, then policy. A newly accepted policy is stored and put in force
    /// in `live`; anything else leaves `live` as it was.
    pub fn refresh(&mut self, clock: i64, live: &LivePolicy) -> Outcome {
        let now = self.now(clock);
        let trust = self.refresh_keyset(now);
        let Some(keyset) = trust.current() else {
            let why = trust
                .problem
                .map(|p| format!("{} [{}]", p.error, p.error.code()))
                .unwrap_or_default();
            return Outcome::Failed(format!("no trusted keyset: {why}"));
        };
        let etag = self.bundle.as_ref().and(self.kept.policy_etag.clone());
        let (bytes, etag) = match self.source.fetch(&self.tenant, "policy", etag.as_deref()) {
            Ok(Fetched::NotModified) => return Outcome::Unchanged,
            Ok(Fetched::Body(bytes, etag)) => (bytes, etag),
            Err(e) => return Outcome::Failed(e),
        };
        if self.bundle.as_ref() == Some(&bytes) {
            return Outcome::Unchanged;
        }
        let held = self.held();
        match PolicyInForce::from_bundle(&bytes, keyset, &self.tenant, held.as_ref(), now) {
            Ok((policy, verified)) => {
                let in_force = self.in_force(policy, &verified);
                if let Err(e) = self.keep_bundle(&bytes, etag, &verified) {
                    // Not kept, so not held: a restart must not find an older one refused.
                    return Outcome::Failed(e);
                }
                self.bundle = Some(bytes);
                if in_force.is_stale(now) {
                    log(format_args!(
                        "policy version {} arrived already expired (on {}): no check of it runs; every recipient gets the fail_mode `{}` answer",
                        verified.version,
                        utc_date(verified.expires_at),
                        fail_mode_name(in_force.fail_mode())
                    ));
                }
                live.set(in_force);
                Outcome::Updated(verified.version)
            }
            Err(e) => Outcome::Refused(load_error(&e)),
        }
    }

    /// The keyset trusted after offering the server's (kept on disk when it is an update).
    fn refresh_keyset(&mut self, now: i64) -> KeysetTrust {
        let trust = self.trust(now);
        if trust.current().is_none() {
            return trust;
        }
        // The ETag only describes the stored keyset while that is the one trusted.
        let trusted_stored =
            trust.links.len() > 1 && trust.links.len() == self.kept.keyset_chain.len() + 1;
        let etag = trusted_stored
            .then(|| self.kept.keyset_etag.clone())
            .flatten();
        let (text, etag) = match self.source.fetch(&self.tenant, "keyset", etag.as_deref()) {
            Ok(Fetched::NotModified) => return trust,
            Ok(Fetched::Body(bytes, etag)) => match String::from_utf8(bytes) {
                Ok(text) => (text, etag),
                Err(_) => {
                    log(format_args!("the fetched keyset is not UTF-8; refused"));
                    return trust;
                }
            },
            Err(e) => {
                log(format_args!("keyset not refreshed: {e}"));
                return trust;
            }
        };
        match chain::offer(&trust.links, &text, &self.tenant, now) {
            Offer::Updated(links) => {
                let version = links.last().map_or(0, |l| l.keyset.version);
                let updated = KeysetTrust {
                    links,
                    problem: None,
                };
                self.kept.keyset_chain = updated.chain().map(str::to_string).collect();
                self.kept.keyset_etag = etag;
                match self.save_state() {
                    Ok(()) => log(format_args!("keyset version {version} accepted")),
                    Err(e) => log(format_args!(
                        "keyset version {version} accepted, not kept: {e}"
                    )),
                }
                updated
            }
            Offer::Unchanged => trust,
            Offer::Refused(e) => {
                log(format_args!(
                    "the fetched keyset is refused: {e} [{}]; the keyset trusted before stays",
                    e.code()
                ));
                trust
            }
        }
    }

    fn keep_bundle(
        &mut self,
        bytes: &[u8],
        etag: Option<String>,
        verified: &sendguard_core::bundle::VerifiedPolicy,
    ) -> Result<(), String> {
        write_atomically(&self.state_dir.join(BUNDLE_FILE), bytes)?;
        self.kept.policy_etag = etag;
        self.kept.held_version = Some(verified.version);
        self.kept.held_digest = Some(verified.digest_hex());
        self.kept.issued_at = self.kept.issued_at.max(verified.issued_at);
        self.save_state()
    }

    fn save_state(&self) -> Result<(), String> {
        let json = serde_json::to_vec_pretty(&self.kept).map_err(|e| e.to_string())?;
        write_atomically(&self.state_dir.join(STATE_FILE), &json)
    }
}

fn load_error(e: &LoadError) -> String {
    match e {
        LoadError::Refused(e) => format!("{e} [{}]", e.code()),
        LoadError::BadPolicy(e) => format!("signed, but {e} [bad_policy]"),
    }
}

pub fn fail_mode_name(mode: sendguard_core::FailMode) -> &'static str {
    match mode {
        sendguard_core::FailMode::Block => "block",
        sendguard_core::FailMode::Warn => "warn",
    }
}
