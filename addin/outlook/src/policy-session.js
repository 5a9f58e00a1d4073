// Which policy the check runs on, decided without the network, first that loads of:
//   1. the signed bundle last stored in roamingSettings, if the engine verifies it (signature,
//      tenant, not older than the version held): roamingSettings can be written by anything
//      with access to the mailbox, so only a signature makes it trustworthy;
//   2. the signed bundle baked into the add-in's files by the packaging command;
//   3. the plain policy baked into the add-in's files: served from the same place as this
//      code, so as trustworthy as the code itself.
// Bundles are verified against the trusted keyset: the end of the chain stored by the pane's
// refresh as far as the engine verifies it from the pinned keyset, else the pinned one
// (addin/shared/keyset-trust.js).
// Signature and version checks are the engine's (Rust); this file only chooses what to hand
// it and reports the outcome.
import { trustedKeyset } from "../../shared/keyset-trust.js";

/**
 * The engine, as the add-in needs it (adapter over the WASM module: engine-api.js).
 * @typedef {{ check(draft: any, context: { known: string[] }): any }} LoadedEngine
 * @typedef {{ engine: LoadedEngine, tenant: string | null, version: number | null,
 *   digest: string | null, expiresAt: number | null, expired: boolean,
 *   failMode: "warn" | "block" | undefined }} LoadedPolicy   failMode undefined: the
 *   packaged one applies
 * @typedef {{ loadBundle(bundle: string, pins: { tenant: string, keyset: string,
 *   held: { version: number, digest: string } | undefined, now: number }): LoadedPolicy,
 *   loadPlain(policyJson: string): LoadedPolicy,
 *   trustKeysets: import("../../shared/keyset-trust.js").TrustKeysets }} EngineApi
 * @typedef {{ tenant: string, keyset: string | null, bakedBundle: string | null,
 *   bakedPolicy: string | null, failMode: "warn" | "block",
 *   policyUrl: string | null, keysetUrl?: string | null }} AddinConfig   set by the packaging
 *   command; keyset: the pinned one
 * @typedef {LoadedPolicy & { failMode: "warn" | "block", source: "stored" | "baked",
 *   problems: string[] }} PolicyInUse
 */

/**
 * A check cannot run: no policy verified. Carries the fail mode to apply.
 * @param {string} message
 * @param {"warn" | "block"} failMode
 */
export function policyUnavailable(message, failMode) {
  const error = /** @type {Error & { code: string, failMode: string }} */ (new Error(message));
  error.code = "policy_unavailable";
  error.failMode = failMode;
  return error;
}

/**
 * The keyset to verify bundles with, without the network; null when none is pinned.
 * @param {EngineApi} api
 * @param {AddinConfig} config
 * @param {ReturnType<typeof import("./policy-store.js").createPolicyStore>} store
 * @param {number} now Unix seconds
 * @returns {import("../../shared/keyset-trust.js").KeysetTrust | null}
 */
export function keysetTrust(api, config, store, now) {
  if (!config.keyset) return null;
  const stored = store.readKeyset();
  return trustedKeyset(api.trustKeysets, { tenant: config.tenant, now: now, pinned: config.keyset, stored: stored ? stored.chain : null });
}

/**
 * @param {EngineApi} api
 * @param {AddinConfig} config
 * @param {ReturnType<typeof import("./policy-store.js").createPolicyStore>} store
 * @param {number} now Unix seconds
 * @returns {Promise<PolicyInUse>}
 */
export function loadPolicy(api, config, store, now) {
  return store.held.held().then(function (held) {
    /** @type {string[]} */
    const problems = [];
    const trust = keysetTrust(api, config, store, now);
    if (trust && trust.problem) problems.push("keyset (" + trust.problem.code + "): " + trust.problem.message);
    const pins = { tenant: config.tenant, keyset: trust ? trust.keyset : "", held: held, now: now };
    /** @type {{ source: "stored" | "baked", load(): LoadedPolicy }[]} */
    const candidates = [];
    const stored = store.read();
    const bakedBundle = config.bakedBundle;
    const bakedPolicy = config.bakedPolicy;
    if (stored) candidates.push({ source: "stored", load: function () { return api.loadBundle(stored.bundle, pins); } });
    if (bakedBundle) candidates.push({ source: "baked", load: function () { return api.loadBundle(bakedBundle, pins); } });
    if (bakedPolicy) candidates.push({ source: "baked", load: function () { return api.loadPlain(bakedPolicy); } });
    for (let i = 0; i < candidates.length; i++) {
      try {
        const loaded = candidates[i].load();
        const inUse = /** @type {PolicyInUse} */ (Object.assign({}, loaded, { tenant: loaded.tenant || config.tenant, failMode: loaded.failMode || config.failMode, source: candidates[i].source, problems: problems }));
        return inUse;
      } catch (e) {
        const error = /** @type {{ code?: string, message?: string }} */ (e || {});
        problems.push(candidates[i].source + " policy refused (" + (error.code || "error") + "): " + (error.message || String(e)));
      }
    }
    const why = problems.length ? problems.join("; ") : "no policy is stored or built in";
    throw policyUnavailable(why, config.failMode);
  });
}
