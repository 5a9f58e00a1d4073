//! `sendguard-wasm`: the engine as an ES module (wasm-bindgen), for the admin console and the
//! Thunderbird extension. Only conversion and errors live here; every decision is made by
//! `sendguard-core`, so a verdict here is the same JSON as `sendguard check --format json`.
//! Loading policies (and their error codes) is shared with the classic build through
//! `sendguard_js_api::api`.
//!
//! From JavaScript (the module that `scripts/build-wasm` writes to `build/wasm/esm/`):
//!
//! ```js
//! import init, { Engine, version } from "./sendguard.js";
//! await init();
//! const engine = Engine.fromPolicyJson('{"internal_domains": ["army.mil"]}');
//! // or: Engine.fromBundle(bundleBytes, pinnedKeysetBytes, { tenant, held, now })
//! const verdict = engine.check({ to: ["colonel.smith@army.ml"] }, { known: [], history: text });
//! verdict.action; // "warn"
//! // The sender's history (docs/history-format.md), kept by the add-ins as text:
//! const next = learnHistory(text, { recipients: ["Ann <ann@acme.com>"], now_day: 20400 });
//! trimHistory(next, { max_bytes: 30000 }); historySummary(next); // {entries, last_day, rejected}
//! ```
//!
//! Errors are JavaScript `Error`s with a `code` (`bad_policy`, `bad_draft`, `bad_context`,
//! `bad_request`, or a bundle refusal such as `rollback`) and a `message`.
//!
//! The cold start's phases (instantiation, the first verification, index build and check)
//! leave User Timing marks (`src/phases.rs`).

mod convert;
mod phases;

use std::cell::RefCell;

use sendguard_core::in_force::PolicyInForce;
use sendguard_core::FailMode;
use sendguard_js_api::api::{self, KnownCache, PolicyInfo};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use convert::{api_error, context_from_js, draft_from_js, from_js, to_js};
use phases::Phase;

/// Runs once the module is instantiated: marks the end of that phase.
#[wasm_bindgen(start)]
fn instantiated() {
    phases::mark_instantiated();
}

/// The engine's version (the same as `sendguard --version`).
#[wasm_bindgen]
pub fn version() -> String {
    sendguard_core::VERSION.to_string()
}

/// Verifies a keyset (the bytes of its file) for `request.tenant` at `request.now`: a first
/// keyset against `request.pinned_roots` (`{keys: [{id, public_key}], threshold}`), an update
/// against `current_keyset` (the keyset trusted now), or, with neither, a keyset pinned as
/// given. Answers `{tenant, version, issued_at, expires_at, digest}`; a refusal is an error
/// with the core's code (`expired` also carries the stale `keyset`).
#[wasm_bindgen(js_name = verifyKeyset)]
pub fn verify_keyset(
    keyset: &[u8],
    current_keyset: Option<Vec<u8>>,
    request: JsValue,
) -> Result<JsValue, JsValue> {
    let request = from_js(request, "keyset request")?;
    let info = api::verify_keyset(keyset, current_keyset.as_deref(), &request)
        .map_err(|e| api_error(&e))?;
    to_js(&info)
}

/// Decides which keyset verifies bundles: `request` is `{tenant, now, pinned, stored?,
/// fetched?}` (keyset texts; `stored` the chain of updates accepted since the pinned one,
/// `fetched` one to offer as an update). Answers `{keyset, source, info, chain, problem,
/// outcome, refusal}`: every check is the core's (`trust::chain`).
#[wasm_bindgen(js_name = trustKeysets)]
pub fn trust_keysets(request: JsValue) -> Result<JsValue, JsValue> {
    let request = from_js(request, "keyset trust request")?;
    to_js(&api::trust_keysets(&request))
}

/// Whether a verdict (as `check` answered it) lets the sender send now, given the sender's
/// written justification (or `null`): the core's rule (`Verdict::may_send`), so that no
/// client decides it in JavaScript.
#[wasm_bindgen(js_name = maySend)]
pub fn may_send(verdict: JsValue, justification: Option<String>) -> Result<bool, JsValue> {
    let verdict: sendguard_core::Verdict = from_js(verdict, "verdict")?;
    Ok(verdict.may_send(justification.as_deref()))
}

/// The sender's history with a send (or, with `import: true`, an address-book import)
/// learnt: `options` is `{recipients: ["Name <a@b>", ...], now_day, max_entries?, import?}`.
/// Answers the new history text (`docs/history-format.md`).
#[wasm_bindgen(js_name = learnHistory)]
pub fn learn_history(history: &str, options: JsValue) -> Result<String, JsValue> {
    let options = json_of(&options, "learn options")?;
    api::learn_history(history, options.as_bytes()).map_err(|e| api_error(&e))
}

/// The most useful entries of a history that fit `options` (`{max_bytes?, max_entries?}`).
#[wasm_bindgen(js_name = trimHistory)]
pub fn trim_history(history: &str, options: JsValue) -> Result<String, JsValue> {
    let options = json_of(&options, "trim options")?;
    api::trim_history(history, options.as_bytes()).map_err(|e| api_error(&e))
}

/// `{entries, last_day, rejected}` of a history text.
#[wasm_bindgen(js_name = historySummary)]
pub fn history_summary(history: &str) -> Result<JsValue, JsValue> {
    to_js(&api::history_summary(history))
}

/// An options object as JSON text, read by the same reader as the classic build's.
fn json_of(value: &JsValue, what: &str) -> Result<String, JsValue> {
    match js_sys::JSON::stringify(value) {
        Ok(text) if value.is_object() => Ok(String::from(text)),
        _ => Err(convert::error(
            "bad_request",
            &format!("{what}: expected an object"),
        )),
    }
}

/// A policy compiled into its indexes, ready for many checks (or, for an expired signed
/// policy, its fail mode alone: the core's expiry rule).
#[wasm_bindgen]
pub struct Engine {
    inner: PolicyInForce,
    /// What was verified, for a signed policy bundle.
    policy: Option<PolicyInfo>,
    /// The history value of the last check (compared with `===`, so an unchanged history
    /// string is never copied again) and the index of the last context.
    known: RefCell<(JsValue, KnownCache)>,
}

#[wasm_bindgen]
impl Engine {
    /// Loads a plain (unsigned) policy from its JSON text.
    #[wasm_bindgen(js_name = fromPolicyJson)]
    pub fn from_policy_json(policy_json: &str) -> Result<Engine, JsValue> {
        let engine = phases::measure(Phase::Index, || api::engine_from_policy_json(policy_json))
            .map_err(|e| api_error(&e))?;
        Ok(Engine {
            inner: PolicyInForce::plain(engine),
            policy: None,
            known: RefCell::default(),
        })
    }

    /// Loads a signed policy bundle: verifies the pinned keyset (the bytes of its file), then
    /// the bundle against it. `request` is `{tenant, held: {version, digest} | null, now}`
    /// with `now` in Unix seconds. A refusal is an error with the core's code (`rollback`,
    /// `wrong_tenant`, …). An expired policy loads with `policy.stale` true: every check then
    /// answers the could-not-check verdict in its `fail_mode`.
    #[wasm_bindgen(js_name = fromBundle)]
    pub fn from_bundle(
        bundle: &[u8],
        pinned_keyset: &[u8],
        request: JsValue,
    ) -> Result<Engine, JsValue> {
        let request = from_js(request, "bundle request")?;
        let verified = phases::measure(Phase::Verify, || {
            api::verify_bundle(bundle, pinned_keyset, &request)
        })
        .map_err(|e| api_error(&e))?;
        let (inner, info) = phases::measure(Phase::Index, || api::engine_from_verified(verified))
            .map_err(|e| api_error(&e))?;
        Ok(Engine {
            inner,
            policy: Some(info),
            known: RefCell::default(),
        })
    }

    /// The version of the signed policy bundle loaded, or `undefined` for a plain policy.
    #[wasm_bindgen(getter, js_name = policyVersion)]
    pub fn policy_version(&self) -> Option<f64> {
        // JavaScript numbers are exact up to 2^53, the bundle format's limit for versions.
        self.policy.as_ref().map(|p| p.version as f64)
    }

    /// `{tenant, version, issued_at, expires_at, key_id, digest, fail_mode, stale}` of the
    /// signed policy loaded, or `null` for a plain policy; `{version, digest}` is the next
    /// load's `held`.
    #[wasm_bindgen(getter)]
    pub fn policy(&self) -> Result<JsValue, JsValue> {
        to_js(&self.policy)
    }

    /// `"warn"` or `"block"`: what a client does when a check cannot run, as the policy says.
    #[wasm_bindgen(getter, js_name = failMode)]
    pub fn fail_mode(&self) -> String {
        match self.inner.fail_mode() {
            FailMode::Warn => "warn".into(),
            FailMode::Block => "block".into(),
        }
    }

    /// Checks a draft (`{from, to, cc, bcc, subject, body, attachments, original?}`) given a
    /// context (`{known?: [addresses], history?: text}`, or nothing) and answers the verdict
    /// as a plain object. The history is parsed and indexed again only when it changes.
    pub fn check(&self, draft: JsValue, context: JsValue) -> Result<JsValue, JsValue> {
        let draft = draft_from_js(&draft)?;
        let (known, history) = context_from_js(&context)?;
        let mut cache = self.known.borrow_mut();
        let (last_history, index) = &mut *cache;
        let changed = history != *last_history;
        let read = || {
            let text = changed.then(|| convert::history_text(&history));
            index.set_context(text, known);
        };
        // (Only a history that holds something: the console's simulator passes "".)
        let read_something = history
            .dyn_ref::<js_sys::JsString>()
            .is_some_and(|h| h.length() > 0);
        if changed && read_something {
            phases::measure(Phase::History, read);
        } else {
            read();
        }
        *last_history = history;
        let verdict = phases::measure(Phase::FirstCheck, || {
            self.inner.check(&draft, index.index())
        });
        to_js(&verdict)
    }

    /// The countable facts of a verdict for the daily report: `request` is `{verdict,
    /// outcome?, justification?}` (`outcome`: `fixed`, `removed`, `cancelled`, `sent_anyway`,
    /// `sent_with_justification` or `blocked`; absent when nothing was shown). Answers
    /// `{enabled, counts, domains, justification?}`: what is counted is the core's decision
    /// (`report::tally`), never an address or content.
    #[wasm_bindgen(js_name = reportTally)]
    pub fn report_tally(&self, request: JsValue) -> Result<JsValue, JsValue> {
        if !request.is_object() {
            return Err(convert::error(
                "bad_request",
                "tally request: expected an object",
            ));
        }
        // Read as a JavaScript object with the verdict reader `maySend` uses (a second,
        // JSON reader of verdicts would cost the module ~25 KB gzipped).
        let request: api::TallyRequest = from_js(request, "tally request")?;
        let tally = api::tally_of(&self.inner, &request).map_err(|e| api_error(&e))?;
        to_js(&tally)
    }
}
