// The engine as the add-in uses it, over the WASM module (the classic script's
// `SendguardEngine.instantiate()` or the ES module: both have the same shape). Only glue:
// verification and checks happen in the engine.
import { policyUnavailable } from "./policy-session.js";

/**
 * The policy's `fail_mode`, which the add-in needs when a later check cannot run. Reading
 * one setting is glue; the engine has validated the whole policy by the time this runs.
 * @param {string} policyJson
 * @returns {"warn" | "block"}
 */
export function failModeOf(policyJson) {
  try {
    return JSON.parse(policyJson).fail_mode === "block" ? "block" : "warn";
  } catch (e) {
    return "warn";
  }
}

/**
 * A signed bundle through the engine: `Engine.fromBundle(bundle, pinnedKeyset, request)`
 * verifies the pinned keyset, then the bundle (signature, tenant, rollback, expiry), then
 * builds the engine. An expired bundle is refused with `code: "expired"` and the verified
 * policy's details; the add-in still runs it (and says it is stale), so it is loaded again as
 * of its last valid second: everything else has just been verified.
 * @param {any} Engine
 * @param {string} bundle
 * @param {{ tenant: string, keyset: string, held: { version: number, digest: string } | undefined, now: number }} pins
 * @returns {import("./policy-session.js").LoadedPolicy}
 */
function loadSignedBundle(Engine, bundle, pins) {
  const request = { tenant: pins.tenant, held: pins.held || null, now: pins.now };
  let engine;
  let expired = false;
  try {
    engine = Engine.fromBundle(bundle, pins.keyset || "", request);
  } catch (e) {
    const error = /** @type {{ code?: string, policy?: { expires_at: number } }} */ (e || {});
    if (error.code !== "expired" || !error.policy) throw e;
    engine = Engine.fromBundle(bundle, pins.keyset || "", { tenant: request.tenant, held: request.held, now: error.policy.expires_at - 1 });
    expired = true;
  }
  const info = engine.policy;
  return {
    engine: engine,
    tenant: info.tenant,
    version: info.version,
    digest: info.digest,
    expiresAt: info.expires_at,
    expired: expired,
    failMode: info.fail_mode === "block" ? "block" : info.fail_mode === "warn" ? "warn" : undefined
  };
}

/**
 * @param {{ Engine: { fromPolicyJson(text: string): any, fromBundle?: Function },
 *   trustKeysets?: import("../../shared/keyset-trust.js").TrustKeysets }} engineModule
 * @returns {import("./policy-session.js").EngineApi}
 */
export function createEngineApi(engineModule) {
  const Engine = engineModule.Engine;
  return {
    trustKeysets: function (request) {
      if (typeof engineModule.trustKeysets !== "function") {
        // As for bundles: an engine that cannot verify keysets trusts none.
        throw Object.assign(new Error("this engine build cannot verify keysets"), { code: "unsupported" });
      }
      return engineModule.trustKeysets(request);
    },
    loadPlain: function (policyJson) {
      const engine = Engine.fromPolicyJson(policyJson);
      return { engine: engine, tenant: null, version: null, digest: null, expiresAt: null, expired: false, failMode: failModeOf(policyJson) };
    },
    loadBundle: function (bundle, pins) {
      if (typeof Engine.fromBundle !== "function") {
        // An engine build without bundle verification: refuse rather than run an
        // unverified policy.
        const error = policyUnavailable("this engine build cannot verify signed policy bundles", "warn");
        error.code = "unsupported";
        throw error;
      }
      return loadSignedBundle(Engine, bundle, pins);
    }
  };
}
