//! The JavaScript-facing calls as plain Rust, shared by both WebAssembly builds: loading a
//! policy (plain JSON or a signed bundle) with its errors as codes, and the C ABI's engines
//! kept by handle with requests as JSON bytes.

use sendguard_core::bundle::{self, BundleError, HeldPolicy, VerifiedPolicy};
use sendguard_core::envelope::hex;
use sendguard_core::history::{HistorySummary, LearnOptions, TrimOptions};
use sendguard_core::in_force::{LoadError, PolicyInForce};
use sendguard_core::keyset::{self, KeyEntry, Keyset};
use sendguard_core::keyset_chain;
use sendguard_core::report::{self, SenderOutcome, Tally};
use sendguard_core::{Draft, Engine, FailMode, History, KnownRecipients};
use serde::{Deserialize, Serialize};

/// An error for JavaScript: a stable machine-readable code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
    /// For `expired`: the policy that verified but is stale, so a client can say how stale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<Box<PolicyInfo>>,
    /// For `expired` keysets: the keyset that verified but is stale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyset: Option<Box<KeysetInfo>>,
}

impl ApiError {
    fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            policy: None,
            keyset: None,
        }
    }

    fn bundle(error: BundleError, what: &str) -> ApiError {
        let mut api = ApiError::new(error.code(), format!("{what}: {error}"));
        match &error {
            BundleError::Expired(verified) => {
                api.policy = Some(Box::new(PolicyInfo::of(verified, None)))
            }
            BundleError::KeysetExpired(keyset) => {
                api.keyset = Some(Box::new(KeysetInfo::of(keyset)))
            }
            _ => {}
        }
        api
    }
}

/// What a client keeps about a verified signed policy (the next bundle's `held` is its
/// `{version, digest}`), and the decisions it follows: `fail_mode` when a check cannot run,
/// and `stale` when the policy expired (its checks then never run; see
/// `sendguard_core::in_force`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyInfo {
    pub tenant: String,
    pub version: u64,
    pub issued_at: i64,
    pub expires_at: i64,
    pub key_id: String,
    /// SHA-256 of the signed statement, hex.
    pub digest: String,
    pub fail_mode: FailMode,
    pub stale: bool,
}

impl PolicyInfo {
    fn of(verified: &VerifiedPolicy, in_force: Option<&PolicyInForce>) -> PolicyInfo {
        PolicyInfo {
            tenant: verified.tenant.clone(),
            version: verified.version,
            issued_at: verified.issued_at,
            expires_at: verified.expires_at,
            key_id: verified.key_id.clone(),
            digest: verified.digest_hex(),
            // Without the policy in force (an error's details), what is known: it expired.
            fail_mode: in_force.map_or(FailMode::Warn, PolicyInForce::fail_mode),
            stale: in_force.is_none_or(PolicyInForce::is_stale),
        }
    }
}

/// What a client keeps about a verified keyset (store the keyset's bytes themselves as the
/// next pinned keyset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeysetInfo {
    pub tenant: String,
    pub version: u64,
    pub issued_at: i64,
    pub expires_at: i64,
    /// SHA-256 of the signed statement, hex.
    pub digest: String,
}

impl KeysetInfo {
    fn of(keyset: &Keyset) -> KeysetInfo {
        KeysetInfo {
            tenant: keyset.tenant.clone(),
            version: keyset.version,
            issued_at: keyset.issued_at,
            expires_at: keyset.expires_at,
            digest: hex(&keyset.digest),
        }
    }
}

/// Root keys pinned at installation: `{keys: [{id, public_key}], threshold}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinnedRootsRequest {
    pub keys: Vec<KeyEntry>,
    pub threshold: usize,
}

/// How to verify a keyset: for `tenant` at `now`, against `pinned_roots` when given (a first
/// keyset), else against the current keyset passed beside it (an update), else as a keyset
/// pinned as given.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysetRequest {
    pub tenant: String,
    pub now: i64,
    #[serde(default)]
    pub pinned_roots: Option<PinnedRootsRequest>,
}

/// Verifies a keyset: a first one against pinned roots, an update against the current
/// keyset (itself verified as pinned), or one pinned as given.
pub fn verify_keyset(
    keyset_bytes: &[u8],
    current_keyset: Option<&[u8]>,
    request: &KeysetRequest,
) -> Result<KeysetInfo, ApiError> {
    let (tenant, now) = (request.tenant.as_str(), request.now);
    let verified = match (&request.pinned_roots, current_keyset) {
        (Some(_), Some(_)) => {
            return Err(ApiError::new(
                "bad_request",
                "give pinned_roots or a current keyset, not both",
            ))
        }
        (Some(pinned), None) => {
            let roots = keyset::pinned_roots(&pinned.keys, pinned.threshold)
                .map_err(|e| ApiError::new("bad_request", format!("pinned_roots: {e}")))?;
            keyset::verify_with_roots(keyset_bytes, &roots, tenant, now)
        }
        (None, Some(current)) => {
            let current = keyset::verify_pinned(current, tenant, now)
                .map_err(|e| ApiError::bundle(e, "current keyset"))?;
            keyset::verify_update(keyset_bytes, &current, now)
        }
        (None, None) => keyset::verify_pinned(keyset_bytes, tenant, now),
    };
    verified
        .map(|k| KeysetInfo::of(&k))
        .map_err(|e| ApiError::bundle(e, "keyset"))
}

/// Which keyset to trust (see `sendguard_core::trust::chain`): the `pinned` keyset's text,
/// the `stored` chain of updates accepted since (oldest first), and optionally a keyset
/// `fetched` from the server to offer as an update, for `tenant` at `now`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysetTrustRequest {
    pub tenant: String,
    pub now: i64,
    pub pinned: String,
    #[serde(default)]
    pub stored: Option<Vec<String>>,
    #[serde(default)]
    pub fetched: Option<String>,
}

/// A refusal or a limit of trust, as the add-ins show and record it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustProblem {
    pub code: &'static str,
    pub message: String,
}

impl TrustProblem {
    fn of(error: &BundleError, prefix: &str) -> TrustProblem {
        TrustProblem {
            code: error.code(),
            message: format!("{prefix}keyset: {error}"),
        }
    }
}

/// What the client trusts, after the offer if there was one: `keyset` (the text that verifies
/// bundles), `source` (`pinned` or `update`), its `info` (`null` when even the pinned keyset
/// does not verify), the `chain` to store, the `problem` that limits trust; with a fetched
/// keyset, its `outcome` (`updated`, `unchanged` or `refused`) and the `refusal`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeysetTrustAnswer {
    pub keyset: String,
    pub source: &'static str,
    pub info: Option<KeysetInfo>,
    pub chain: Vec<String>,
    pub problem: Option<TrustProblem>,
    pub outcome: Option<&'static str>,
    pub refusal: Option<TrustProblem>,
}

/// Decides which keyset to trust; see [`KeysetTrustRequest`] and [`KeysetTrustAnswer`].
pub fn trust_keysets(request: &KeysetTrustRequest) -> KeysetTrustAnswer {
    let (tenant, now) = (request.tenant.as_str(), request.now);
    let stored = request.stored.as_deref().unwrap_or_default();
    let trust = keyset_chain::trusted(&request.pinned, stored, tenant, now);
    let problem = trust.problem.as_ref().map(|p| {
        TrustProblem::of(
            &p.error,
            if p.set_aside {
                "the stored keyset was set aside: "
            } else {
                ""
            },
        )
    });
    let answer = |links: &[keyset_chain::Link], problem: Option<TrustProblem>| KeysetTrustAnswer {
        keyset: links
            .last()
            .map_or(request.pinned.clone(), |l| l.text.clone()),
        source: if links.len() > 1 { "update" } else { "pinned" },
        info: links.last().map(|l| KeysetInfo::of(&l.keyset)),
        chain: links.iter().skip(1).map(|l| l.text.clone()).collect(),
        problem,
        outcome: None,
        refusal: None,
    };
    let Some(fetched) = &request.fetched else {
        return answer(&trust.links, problem);
    };
    if trust.links.is_empty() {
        let refusal = TrustProblem {
            code: problem.as_ref().map_or("error", |p| p.code),
            message: format!(
                "no trusted keyset to verify an update against{}",
                problem
                    .as_ref()
                    .map(|p| format!(": {}", p.message))
                    .unwrap_or_default()
            ),
        };
        return KeysetTrustAnswer {
            outcome: Some("refused"),
            refusal: Some(refusal),
            ..answer(&trust.links, problem)
        };
    }
    match keyset_chain::offer(&trust.links, fetched, tenant, now) {
        keyset_chain::Offer::Updated(links) => KeysetTrustAnswer {
            outcome: Some("updated"),
            ..answer(&links, None)
        },
        keyset_chain::Offer::Unchanged => KeysetTrustAnswer {
            outcome: Some("unchanged"),
            ..answer(&trust.links, problem)
        },
        keyset_chain::Offer::Refused(error) => KeysetTrustAnswer {
            outcome: Some("refused"),
            refusal: Some(TrustProblem::of(&error, "")),
            ..answer(&trust.links, problem)
        },
    }
}

/// The policy a client holds, as stored: `{version, digest}` (digest in hex).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeldRequest {
    pub version: u64,
    pub digest: String,
}

/// How to verify a bundle, besides its bytes and the pinned keyset's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleRequest {
    pub tenant: String,
    /// The highest policy accepted before, or `null` on first install.
    #[serde(default)]
    pub held: Option<HeldRequest>,
    /// Unix seconds (the core has no clock).
    pub now: i64,
}

/// Loads a plain (unsigned) policy from its JSON.
pub fn engine_from_policy_json(policy_json: &str) -> Result<Engine, ApiError> {
    Engine::from_json(policy_json).map_err(|e| ApiError::new("bad_policy", e.to_string()))
}

/// Verifies the pinned keyset, then the bundle against it (signature, tenant, rollback),
/// then puts the signed policy in force by the core's expiry rule (an expired policy loads
/// as `stale`: its checks never run). Error codes are [`BundleError::code`]'s, or
/// `bad_request` / `bad_policy`.
pub fn engine_from_bundle(
    bundle_bytes: &[u8],
    keyset_bytes: &[u8],
    request: &BundleRequest,
) -> Result<(PolicyInForce, PolicyInfo), ApiError> {
    engine_from_verified(verify_bundle(bundle_bytes, keyset_bytes, request)?)
}

/// What bundle verification answers for the expiry rule: the verified policy, or
/// [`BundleError::Expired`] carrying it (every other refusal is an [`ApiError`]).
pub type Verification = Result<VerifiedPolicy, BundleError>;

/// The first half of [`engine_from_bundle`]: the pinned keyset, then the bundle against it.
pub fn verify_bundle(
    bundle_bytes: &[u8],
    keyset_bytes: &[u8],
    request: &BundleRequest,
) -> Result<Verification, ApiError> {
    let held = match &request.held {
        None => None,
        Some(h) => Some(HeldPolicy::from_hex(h.version, &h.digest).ok_or_else(|| {
            ApiError::new("bad_request", "held.digest must be 64 hexadecimal digits")
        })?),
    };
    let trust = keyset::verify_pinned(keyset_bytes, &request.tenant, request.now)
        .map_err(|e| ApiError::bundle(e, "pinned keyset"))?;
    match bundle::verify(
        bundle_bytes,
        &trust,
        &request.tenant,
        held.as_ref(),
        request.now,
    ) {
        Ok(verified) => Ok(Ok(verified)),
        Err(expired @ BundleError::Expired(_)) => Ok(Err(expired)),
        Err(refused) => Err(ApiError::bundle(refused, "policy bundle")),
    }
}

/// The second half of [`engine_from_bundle`]: the policy put in force by the core's expiry
/// rule (a current one's engine built, an expired one stale).
pub fn engine_from_verified(
    verification: Verification,
) -> Result<(PolicyInForce, PolicyInfo), ApiError> {
    match PolicyInForce::from_verification(verification) {
        Ok((in_force, verified)) => {
            let info = PolicyInfo::of(&verified, Some(&in_force));
            Ok((in_force, info))
        }
        Err(LoadError::Refused(e)) => Err(ApiError::bundle(e, "policy bundle")),
        Err(LoadError::BadPolicy(e)) => Err(ApiError::new("bad_policy", format!("signed {e}"))),
    }
}

/// What loading a policy answers: the handle for later checks, the policy's `fail_mode`
/// and, for a signed bundle, what was verified (`null` for a plain policy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Loaded {
    pub handle: u32,
    pub fail_mode: FailMode,
    pub policy: Option<PolicyInfo>,
}

/// The engines loaded so far. A handle is an index; dropped engines leave a hole.
#[derive(Default)]
pub struct Engines {
    slots: Vec<Option<Slot>>,
}

/// One loaded engine and the index of the last context it checked with.
struct Slot {
    engine: PolicyInForce,
    known: KnownCache,
}

/// What a check needs besides the draft: `{known?: [...], history?: "text"}` (a bare list is
/// `known`, as before the history existed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CheckContext {
    /// Addresses the sender has written to before, one string each.
    pub known: Vec<String>,
    /// The sender's history (`docs/history-format.md`).
    pub history: Option<String>,
}

impl CheckContext {
    /// Reads the context JSON: an object, or a list of known addresses.
    pub fn from_json(bytes: &[u8]) -> Result<CheckContext, ApiError> {
        let bad = |e: &dyn std::fmt::Display| {
            ApiError::new(
                "bad_context",
                format!("the context must be {{known: [strings], history: string}}: {e}"),
            )
        };
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            let known = sendguard_core::json::from_slice(bytes).map_err(|e| bad(&e))?;
            return Ok(CheckContext {
                known,
                history: None,
            });
        }
        sendguard_core::json::from_slice(bytes).map_err(|e| bad(&e))
    }
}

/// The known-recipient index of the last context, rebuilt only when the history or the known
/// list changes: a client passes the same history with every check, and parsing and indexing
/// it once per change keeps a warm check as fast as one without it. The index keeps the
/// history's text (read in place), which is what a new one is compared with.
#[derive(Debug, Default)]
pub struct KnownCache {
    known: Vec<String>,
    index: KnownRecipients,
}

impl KnownCache {
    /// Sets the history text (empty: none); the index is rebuilt (reading this text in
    /// place) if it changed.
    pub fn set_history(&mut self, history: String) {
        if self.index.history_text() != history {
            self.rebuild(history);
        }
    }

    /// Sets the context of a check: the history (`None`: keep the current one) and the known
    /// list; the index is rebuilt once if either changed.
    pub fn set_context(&mut self, history: Option<String>, known: Vec<String>) {
        let history = history.filter(|h| h != self.index.history_text());
        if history.is_none() && known == self.known {
            return;
        }
        let text = history.unwrap_or_else(|| self.index.history_text().to_string());
        self.known = known;
        self.rebuild(text);
    }

    pub fn index(&self) -> &KnownRecipients {
        &self.index
    }

    /// The summary of the history (the index's, kept with it).
    pub fn summary(&self) -> HistorySummary {
        self.index.history_summary()
    }

    fn rebuild(&mut self, history: String) {
        self.index = KnownRecipients::from_history_text(history, &self.known);
    }
}

/// `learnHistory`: the history text with a send (or an import) learnt; `options_json` is
/// `{recipients, now_day, max_entries?, import?}`. An unreadable history line is dropped
/// (counted by `historySummary` before), never an error.
pub fn learn_history(history: &str, options_json: &[u8]) -> Result<String, ApiError> {
    let options: LearnOptions = sendguard_core::json::from_slice(options_json)
        .map_err(|e| ApiError::new("bad_request", format!("learn options: {e}")))?;
    let mut parsed = History::parse(history);
    parsed.learn(&options);
    Ok(parsed.to_text())
}

/// `trimHistory`: the most useful entries that fit; `options_json` is `{max_bytes?, max_entries?}`.
pub fn trim_history(history: &str, options_json: &[u8]) -> Result<String, ApiError> {
    let options: TrimOptions = sendguard_core::json::from_slice(options_json)
        .map_err(|e| ApiError::new("bad_request", format!("trim options: {e}")))?;
    let mut parsed = History::parse(history);
    parsed.trim(&options);
    Ok(parsed.to_text())
}

/// `historySummary`: `{entries, last_day, rejected}`.
pub fn history_summary(history: &str) -> HistorySummary {
    History::parse(history).summary()
}

/// History text from JavaScript: always UTF-8 (the glue encodes a string), but never a reason
/// to fail a check if not.
pub fn history_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// [`history_text`] of bytes handed over (kept as the text when they are UTF-8, the usual case).
pub fn owned_history_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn utf8<'a>(bytes: &'a [u8], what: &str, code: &'static str) -> Result<&'a str, ApiError> {
    std::str::from_utf8(bytes).map_err(|_| ApiError::new(code, format!("{what}: not UTF-8 text")))
}

impl Engines {
    /// Loads a plain (unsigned) policy from its JSON.
    pub fn load_policy(&mut self, policy_json: &[u8]) -> Result<Loaded, ApiError> {
        let engine = engine_from_policy_json(utf8(policy_json, "policy", "bad_policy")?)?;
        Ok(self.keep(PolicyInForce::plain(engine), None))
    }

    /// Loads a signed policy bundle; `request_json` is a [`BundleRequest`].
    pub fn load_bundle(
        &mut self,
        bundle_bytes: &[u8],
        keyset_bytes: &[u8],
        request_json: &[u8],
    ) -> Result<Loaded, ApiError> {
        let request: BundleRequest = sendguard_core::json::from_slice(request_json)
            .map_err(|e| ApiError::new("bad_request", format!("bundle request: {e}")))?;
        let (engine, info) = engine_from_bundle(bundle_bytes, keyset_bytes, &request)?;
        Ok(self.keep(engine, Some(info)))
    }

    /// Verifies a keyset (see [`verify_keyset`]); `request_json` is a [`KeysetRequest`].
    pub fn verify_keyset(
        &self,
        keyset_bytes: &[u8],
        current_keyset: Option<&[u8]>,
        request_json: &[u8],
    ) -> Result<KeysetInfo, ApiError> {
        let request: KeysetRequest = sendguard_core::json::from_slice(request_json)
            .map_err(|e| ApiError::new("bad_request", format!("keyset request: {e}")))?;
        verify_keyset(keyset_bytes, current_keyset, &request)
    }

    /// Decides which keyset to trust (see [`trust_keysets`]); `request_json` is a
    /// [`KeysetTrustRequest`].
    pub fn trust_keysets(&self, request_json: &[u8]) -> Result<KeysetTrustAnswer, ApiError> {
        let request: KeysetTrustRequest = sendguard_core::json::from_slice(request_json)
            .map_err(|e| ApiError::new("bad_request", format!("keyset trust request: {e}")))?;
        Ok(trust_keysets(&request))
    }

    fn keep(&mut self, in_force: PolicyInForce, policy: Option<PolicyInfo>) -> Loaded {
        let fail_mode = in_force.fail_mode();
        self.slots.push(Some(Slot {
            engine: in_force,
            known: KnownCache::default(),
        }));
        Loaded {
            handle: (self.slots.len() - 1) as u32,
            fail_mode,
            policy,
        }
    }

    /// Frees an engine; later calls with its handle fail with `bad_handle`.
    pub fn drop_engine(&mut self, handle: u32) -> Result<(), ApiError> {
        let slot = self
            .slots
            .get_mut(handle as usize)
            .filter(|s| s.is_some())
            .ok_or_else(|| bad_handle(handle))?;
        *slot = None;
        Ok(())
    }

    fn slot(&mut self, handle: u32) -> Result<&mut Slot, ApiError> {
        (self.slots.get_mut(handle as usize))
            .and_then(Option::as_mut)
            .ok_or_else(|| bad_handle(handle))
    }

    /// Sets the history later checks with this engine use (see [`Engines::check`]) from its
    /// UTF-8 bytes, taken as they are (no copy: a history is a megabyte, and this is on the
    /// first check of a cold start); answers its summary.
    pub fn set_history(
        &mut self,
        handle: u32,
        history: Vec<u8>,
    ) -> Result<HistorySummary, ApiError> {
        let slot = self.slot(handle)?;
        slot.known.set_history(owned_history_text(history));
        Ok(slot.known.summary())
    }

    /// Checks a draft (JSON) given the context JSON ([`CheckContext`]); answers the verdict
    /// JSON, byte for byte what `sendguard check --format json` prints. The history is the
    /// context's, or without one the engine's current history (the one set last, by
    /// [`Engines::set_history`] or a context): the classic glue sets it only when it changes.
    pub fn check(
        &mut self,
        handle: u32,
        draft_json: &[u8],
        context_json: &[u8],
    ) -> Result<String, ApiError> {
        let slot = self.slot(handle)?;
        let draft = Draft::from_json(utf8(draft_json, "draft", "bad_draft")?)
            .map_err(|e| ApiError::new("bad_draft", e.to_string()))?;
        let context = CheckContext::from_json(context_json)?;
        (slot.known).set_context(context.history, context.known);
        let verdict = slot.engine.check(&draft, slot.known.index());
        Ok(serde_json::to_string(&verdict).expect("a verdict always serialises"))
    }

    /// The countable facts of a verdict (see [`report_tally`]).
    pub fn report_tally(&self, handle: u32, request_json: &[u8]) -> Result<Tally, ApiError> {
        let slot = self
            .slots
            .get(handle as usize)
            .and_then(Option::as_ref)
            .ok_or_else(|| bad_handle(handle))?;
        report_tally(&slot.engine, request_json)
    }
}

/// What `reportTally` takes: a verdict as `check` answered it, what the sender did about it
/// (absent when nothing was shown) and the justification they wrote, if any.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallyRequest {
    pub verdict: sendguard_core::Verdict,
    #[serde(default)]
    pub outcome: Option<SenderOutcome>,
    #[serde(default)]
    pub justification: Option<String>,
}

/// The countable facts of one verdict under the policy in force (`report::tally`); an expired
/// policy reports nothing (`enabled` false). `request_json` is a [`TallyRequest`].
pub fn report_tally(in_force: &PolicyInForce, request_json: &[u8]) -> Result<Tally, ApiError> {
    let request: TallyRequest = sendguard_core::json::from_slice(request_json)
        .map_err(|e| ApiError::new("bad_request", format!("tally request: {e}")))?;
    tally_of(in_force, &request)
}

/// [`report_tally`] of a request already read (the ES module reads it as a JavaScript
/// object, with the verdict reader `maySend` already uses: no second JSON reader of verdicts).
pub fn tally_of(in_force: &PolicyInForce, request: &TallyRequest) -> Result<Tally, ApiError> {
    let Some(engine) = in_force.engine() else {
        return Ok(Tally::default());
    };
    report::tally(
        &engine.policy().reporting,
        &request.verdict,
        request.outcome,
        request.justification.as_deref(),
    )
    .map_err(|e| ApiError::new("bad_outcome", e.to_string()))
}

fn bad_handle(handle: u32) -> ApiError {
    ApiError::new(
        "bad_handle",
        format!("no engine is loaded with handle {handle}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_is_kept_until_it_changes() {
        let mut engines = Engines::default();
        let h = engines.load_policy(b"{}").unwrap().handle;
        let draft = br#"{"to": ["jon.smith@lockheedmartin.com"]}"#;
        let history =
            "#sendguard-history 1\njohn.smith@lockheedmartin.com\t3\t20400\tJohn Smith\nbad line\n";
        let summary = engines.set_history(h, history.as_bytes().to_vec()).unwrap();
        assert_eq!(
            (summary.entries, summary.last_day, summary.rejected),
            (1, Some(20400), 1)
        );
        // Without `history` in the context, the one set last is used.
        let with = engines.check(h, draft, br#"{"known": []}"#).unwrap();
        assert!(
            with.contains("did you mean john.smith@lockheedmartin.com"),
            "{with}"
        );
        let context = serde_json::json!({ "history": "" }).to_string();
        let without = engines.check(h, draft, context.as_bytes()).unwrap();
        assert!(!without.contains("john.smith"), "{without}");
        let context = serde_json::json!({ "history": history }).to_string();
        assert_eq!(engines.check(h, draft, context.as_bytes()).unwrap(), with);
        assert_eq!(
            engines.set_history(9, Vec::new()).unwrap_err().code,
            "bad_handle"
        );
    }

    #[test]
    fn history_functions_answer_text_and_summaries() {
        let learnt = learn_history(
            "",
            br#"{"recipients": ["Ann <ann@acme.com>", "nonsense"], "now_day": 20000}"#,
        )
        .unwrap();
        assert_eq!(
            learnt,
            "#sendguard-history 1\nann@acme.com\t1\t20000\tAnn\n"
        );
        let trimmed = trim_history(&learnt, br#"{"max_entries": 0}"#).unwrap();
        assert_eq!(trimmed, "#sendguard-history 1\n");
        assert_eq!(history_summary(&learnt).entries, 1);
        let e = learn_history("", br#"{"recipients": [], "now_day": -1}"#).unwrap_err();
        assert_eq!(e.code, "bad_request");
        let e = trim_history("", br#"{"max_bites": 1}"#).unwrap_err();
        assert_eq!(e.code, "bad_request");
    }

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/bundles/");

    fn vector(name: &str) -> Vec<u8> {
        std::fs::read(format!("{VECTORS}{name}")).unwrap()
    }

    fn request(held: &str, now: i64) -> Vec<u8> {
        format!(r#"{{"tenant": "acme", "held": {held}, "now": {now}}}"#).into_bytes()
    }

    const NOW: i64 = 1767312000;

    #[test]
    fn bundles_load_and_refusals_carry_the_core_codes() {
        let mut engines = Engines::default();
        let keyset = vector("keyset-v1.json");
        let loaded = engines
            .load_bundle(&vector("policy-v5.json"), &keyset, &request("null", NOW))
            .unwrap();
        let info = loaded.policy.clone().unwrap();
        assert_eq!((info.version, info.tenant.as_str()), (5, "acme"));
        // The signed policy is in force: acme.example is internal, so its lookalike is caught.
        let verdict = engines
            .check(loaded.handle, br#"{"to": ["x@acme.exmaple"]}"#, b"[]")
            .unwrap();
        assert!(verdict.contains("acme.example"), "{verdict}");

        let held = format!(r#"{{"version": 5, "digest": "{}"}}"#, info.digest);
        let e = engines
            .load_bundle(&vector("policy-v4.json"), &keyset, &request(&held, NOW))
            .unwrap_err();
        assert_eq!(e.code, "rollback");
        assert_eq!((info.stale, info.fail_mode), (false, FailMode::Warn));
        // Expired: loaded as stale (the core's one expiry rule), its checks never run.
        let stale = engines
            .load_bundle(
                &vector("policy-v5.json"),
                &keyset,
                &request("null", 1769904000),
            )
            .unwrap();
        let stale_info = stale.policy.unwrap();
        assert_eq!((stale_info.version, stale_info.stale), (5, true));
        let verdict = engines
            .check(stale.handle, br#"{"to": ["x@acme.exmaple"]}"#, b"[]")
            .unwrap();
        assert!(verdict.contains("expired on 2026-01-31"), "{verdict}");
        assert!(!verdict.contains("acme.example"), "{verdict}");
        let e = engines
            .load_bundle(&vector("policy-v5.json"), b"{}", &request("null", NOW))
            .unwrap_err();
        assert!(e.message.starts_with("pinned keyset:"), "{}", e.message);
        let bad_held = request(r#"{"version": 1, "digest": "zz"}"#, NOW);
        let e = engines
            .load_bundle(&vector("policy-v5.json"), &keyset, &bad_held)
            .unwrap_err();
        assert_eq!(e.code, "bad_request");
        assert_eq!(
            engines.load_bundle(b"", &keyset, b"{}").unwrap_err().code,
            "bad_request"
        );
    }

    #[test]
    fn keysets_verify_as_first_update_or_pinned() {
        let engines = Engines::default();
        let manifest: serde_json::Value = serde_json::from_slice(&vector("manifest.json")).unwrap();
        let roots = manifest["pinned_roots"].to_string();
        let first = format!(r#"{{"tenant": "acme", "now": {NOW}, "pinned_roots": {roots}}}"#);
        let v1 = vector("keyset-v1.json");
        assert_eq!(
            engines
                .verify_keyset(&v1, None, first.as_bytes())
                .unwrap()
                .version,
            1
        );
        let update = format!(r#"{{"tenant": "acme", "now": {NOW}}}"#);
        let v2 = engines
            .verify_keyset(&vector("keyset-v2.json"), Some(&v1), update.as_bytes())
            .unwrap();
        assert_eq!(v2.version, 2);
        let e = engines
            .verify_keyset(&v1, Some(&vector("keyset-v2.json")), update.as_bytes())
            .unwrap_err();
        assert_eq!(e.code, "rollback");
        let e = engines
            .verify_keyset(&v1, Some(&v1), first.as_bytes())
            .unwrap_err();
        assert_eq!(e.code, "bad_request");
        let late = r#"{"tenant": "acme", "now": 1767484800}"#;
        let e = engines
            .verify_keyset(
                &vector("keyset-v2-expires-day-2.json"),
                Some(&v1),
                late.as_bytes(),
            )
            .unwrap_err();
        assert_eq!((e.code, e.keyset.map(|k| k.version)), ("expired", Some(2)));
    }

    #[test]
    fn errors_carry_codes_and_name_the_field() {
        let mut engines = Engines::default();
        let e = engines
            .load_policy(br#"{"actions": {"tld_trapp": "warn"}}"#)
            .unwrap_err();
        assert_eq!(e.code, "bad_policy");
        assert!(e.message.contains("actions"), "{}", e.message);
        assert_eq!(engines.load_policy(b"\xff").unwrap_err().code, "bad_policy");

        let loaded = engines.load_policy(b"{}").unwrap();
        assert_eq!((loaded.policy, loaded.fail_mode), (None, FailMode::Warn));
        let strict = engines.load_policy(br#"{"fail_mode": "block"}"#).unwrap();
        assert_eq!(strict.fail_mode, FailMode::Block);
        let e = engines
            .check(loaded.handle, br#"{"to": "not-a-list"}"#, b"[]")
            .unwrap_err();
        assert_eq!(e.code, "bad_draft");
        assert!(e.message.contains("to"), "{}", e.message);
        for context in [
            &br#"{"known": 1}"#[..],
            br#"{"history": []}"#,
            b"{} {}",
            b"7",
        ] {
            let e = engines.check(loaded.handle, b"{}", context).unwrap_err();
            assert_eq!(e.code, "bad_context", "{}", e.message);
        }
        assert!(engines.check(loaded.handle, b"{}", b"{}").is_ok());
        assert_eq!(
            engines.check(99, b"{}", b"[]").unwrap_err().code,
            "bad_handle"
        );
    }

    #[test]
    fn known_recipients_are_used_and_dropped_engines_refused() {
        let mut engines = Engines::default();
        let h = engines.load_policy(b"{}").unwrap().handle;
        let draft = br#"{"to": ["bob@gmial.com"]}"#;
        let unknown = engines.check(h, draft, b"[]").unwrap();
        let known = engines.check(h, draft, br#"["bob@gmial.com"]"#).unwrap();
        assert_ne!(
            unknown, known,
            "knowing the recipient must change the verdict"
        );
        let as_object = engines
            .check(h, draft, br#"{"known": ["bob@gmial.com"]}"#)
            .unwrap();
        assert_eq!(known, as_object);
        engines.drop_engine(h).unwrap();
        assert_eq!(
            engines.check(h, draft, b"[]").unwrap_err().code,
            "bad_handle"
        );
        assert_eq!(engines.drop_engine(h).unwrap_err().code, "bad_handle");
    }

    #[test]
    fn tallies_come_from_the_policy_in_force() {
        let mut engines = Engines::default();
        let h = engines.load_policy(b"{}").unwrap().handle;
        let verdict = engines
            .check(h, br#"{"to": ["a@army.ml"]}"#, b"[]")
            .unwrap();
        let request = format!(r#"{{"verdict": {verdict}, "outcome": "fixed"}}"#);
        let tally = engines.report_tally(h, request.as_bytes()).unwrap();
        assert_eq!(tally.domains[0].domain, "army.ml");
        let wrong = format!(r#"{{"verdict": {verdict}, "outcome": "blocked"}}"#);
        let e = engines.report_tally(h, wrong.as_bytes()).unwrap_err();
        assert_eq!(e.code, "bad_outcome");
        let extra = format!(r#"{{"verdict": {verdict}, "outcome": "fixed", "to": "a@army.ml"}}"#);
        assert_eq!(
            engines.report_tally(h, extra.as_bytes()).unwrap_err().code,
            "bad_request"
        );
        let off = engines
            .load_policy(br#"{"reporting": {"enabled": false}}"#)
            .unwrap()
            .handle;
        let request = format!(r#"{{"verdict": {verdict}, "outcome": "fixed"}}"#);
        assert!(
            !engines
                .report_tally(off, request.as_bytes())
                .unwrap()
                .enabled
        );
    }
}
