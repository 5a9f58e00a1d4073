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
 * @param {{ Engine: { fromPolicyJson(text: string): any, fromBundle?: Function } }} engineModule
 * @returns {import("./policy-session.js").EngineApi}
 */
export function createEngineApi(engineModule) {
  return {
    loadPlain: function (policyJson) {
      const engine = engineModule.Engine.fromPolicyJson(policyJson);
      return { engine: engine, tenant: null, version: null, digest: null, expiresAt: null, expired: false, failMode: failModeOf(policyJson) };
    },
    loadBundle: function () {
      // The WASM build does not verify signed bundles yet (see docs/outlook.md): refuse
      // rather than run an unverified policy.
      const error = policyUnavailable("this engine build cannot verify signed policy bundles", "warn");
      error.code = "unsupported";
      throw error;
    }
  };
}
