// The engine as the add-in uses it, over the WASM module (the classic script's
// `SendguardEngine.instantiate()` or the ES module: both have the same shape). Only glue:
// verification, the expiry rule, the fail mode and the checks are the engine's; this reads
// what it reports.
import { policyUnavailable, freeEngine } from "./policy-session.js";

/**
 * @param {unknown} failMode the engine's `fail_mode` / `failMode`
 * @returns {"warn" | "block"}
 */
function failModeFrom(failMode) {
  return failMode === "block" ? "block" : "warn";
}

/**
 * One of the engine's pure history functions (docs/history-format.md), or one that throws
 * `unsupported` when this engine build has none: the add-in then keeps no history, and
 * checks as before.
 * @param {any} engineModule
 * @param {"learnHistory" | "trimHistory" | "historySummary"} name
 * @returns {Function}
 */
function historyFunction(engineModule, name) {
  const fn = engineModule[name];
  if (typeof fn === "function") return fn;
  return function () {
    throw Object.assign(new Error("this engine build has no " + name), { code: "unsupported" });
  };
}

/**
 * @param {{ Engine: { fromPolicyJson(text: string): any, fromBundle?: Function },
 *   trustKeysets?: import("../../shared/keyset-trust.js").TrustKeysets,
 *   learnHistory?: Function, trimHistory?: Function, historySummary?: Function }} engineModule
 * @returns {import("./policy-session.js").EngineApi}
 */
export function createEngineApi(engineModule) {
  const Engine = engineModule.Engine;
  return {
    // The sender's history: the engine's own functions; the add-in stores the text they
    // return and passes it back, never reading it itself.
    learnHistory: /** @type {import("./policy-session.js").EngineApi["learnHistory"]} */ (historyFunction(engineModule, "learnHistory")),
    trimHistory: /** @type {import("./policy-session.js").EngineApi["trimHistory"]} */ (historyFunction(engineModule, "trimHistory")),
    historySummary: /** @type {import("./policy-session.js").EngineApi["historySummary"]} */ (historyFunction(engineModule, "historySummary")),
    trustKeysets: function (request) {
      if (typeof engineModule.trustKeysets !== "function") {
        // As for bundles: an engine that cannot verify keysets trusts none.
        throw Object.assign(new Error("this engine build cannot verify keysets"), { code: "unsupported" });
      }
      return engineModule.trustKeysets(request);
    },
    loadPlain: function (policyJson) {
      const engine = Engine.fromPolicyJson(policyJson);
      return { engine: engine, tenant: null, version: null, digest: null, expiresAt: null, stale: false, failMode: failModeFrom(engine.failMode) };
    },
    /**
     * `Engine.fromBundle(bundle, keyset, request)` verifies the keyset, then the bundle
     * (signature, tenant, rollback) and applies the expiry rule; `engine.policy` reports it.
     */
    loadBundle: function (bundle, pins) {
      if (typeof Engine.fromBundle !== "function") {
        // An engine build without bundle verification: refuse rather than run an
        // unverified policy.
        const error = policyUnavailable("this engine build cannot verify signed policy bundles", "warn");
        error.code = "unsupported";
        throw error;
      }
      const engine = Engine.fromBundle(bundle, pins.keyset || "", { tenant: pins.tenant, held: pins.held || null, now: pins.now });
      const info = engine.policy;
      return { engine: engine, tenant: info.tenant, version: info.version, digest: info.digest, expiresAt: info.expires_at, stale: info.stale === true, failMode: failModeFrom(info.fail_mode) };
    }
  };
}

/**
 * The engine as the refresh protocol needs it (addin/shared/policy-refresh.js): a bundle
 * verified and reported, its engine freed at once.
 * @param {import("./policy-session.js").EngineApi} api
 * @returns {import("../../shared/policy-refresh.js").RefreshEngine}
 */
export function refreshEngine(api) {
  return {
    trustKeysets: api.trustKeysets,
    verifyBundle: function (bundle, pins) {
      const loaded = api.loadBundle(bundle, pins);
      freeEngine(loaded.engine);
      return { version: Number(loaded.version), digest: String(loaded.digest), expiresAt: loaded.expiresAt, failMode: loaded.failMode, stale: loaded.stale };
    }
  };
}
