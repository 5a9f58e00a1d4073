//! `sendguard-wasm`: the engine as an ES module (wasm-bindgen), for the admin console and the
//! Thunderbird extension. Only conversion and errors live here; every decision is made by
//! `sendguard-core`, so a verdict here is the same JSON as `sendguard check --format json`.
//!
//! From JavaScript (the module that `scripts/build-wasm` writes to `build/wasm/esm/`):
//!
//! ```js
//! import init, { Engine, version } from "./sendguard.js";
//! await init();
//! const engine = Engine.fromPolicyJson('{"internal_domains": ["army.mil"]}');
//! const verdict = engine.check({ to: ["colonel.smith@army.ml"] }, { known: [] });
//! verdict.action; // "warn"
//! ```
//!
//! Errors are JavaScript `Error`s with a `code` (`bad_policy`, `bad_draft`, `bad_context`, …)
//! and a `message`.

mod convert;

use sendguard_core::KnownRecipients;
use wasm_bindgen::prelude::*;

use convert::{draft_from_js, error, known_from_js, verdict_to_js};

/// The engine's version (the same as `sendguard --version`).
#[wasm_bindgen]
pub fn version() -> String {
    sendguard_core::VERSION.to_string()
}

/// A policy compiled into its indexes, ready for many checks.
#[wasm_bindgen]
pub struct Engine {
    inner: sendguard_core::Engine,
    policy_version: Option<u64>,
}

#[wasm_bindgen]
impl Engine {
    /// Loads a plain (unsigned) policy from its JSON text.
    #[wasm_bindgen(js_name = fromPolicyJson)]
    pub fn from_policy_json(policy_json: &str) -> Result<Engine, JsValue> {
        let inner = sendguard_core::Engine::from_json(policy_json)
            .map_err(|e| error("bad_policy", &e.to_string()))?;
        Ok(Engine {
            inner,
            policy_version: None,
        })
    }

    /// The version of the signed policy bundle loaded, or `undefined` for a plain policy.
    #[wasm_bindgen(getter, js_name = policyVersion)]
    pub fn policy_version(&self) -> Option<f64> {
        // JavaScript numbers are exact up to 2^53, far beyond any policy version.
        self.policy_version.map(|v| v as f64)
    }

    /// Checks a draft (`{from, to, cc, bcc, subject, body, attachments}`) given a context
    /// (`{known: [addresses]}`, or nothing) and answers the verdict as a plain object.
    pub fn check(&self, draft: JsValue, context: JsValue) -> Result<JsValue, JsValue> {
        let draft = draft_from_js(&draft)?;
        let known: Vec<String> = known_from_js(context)?;
        let verdict = self.inner.check(&draft, &KnownRecipients::new(&known));
        verdict_to_js(&verdict)
    }
}
