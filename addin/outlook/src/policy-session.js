// Which policy the check runs on, decided without the network:
//   1. signed bundles, each if the engine verifies it (signature, tenant, not older than the
//      version held): the one last stored by a refresh (its store can be written by anything
//      with access to the mailbox or the origin, so only a signature makes it trustworthy),
//      then the one baked into the add-in's files by the packaging command. The first that is
//      current wins; if every one that verified has expired, the first of those is in force
//      as stale: the engine then answers every draft with the could-not-check verdict in its
//      fail mode (the core's one expiry rule), never a fall-back to an unsigned policy;
//   2. only when no signed bundle verifies at all: the plain policy baked into the add-in's
//      files (served from the same place as this code, so as trustworthy as the code).
// Bundles are verified against the trusted keyset: the end of the chain stored by a refresh
// as far as the engine verifies it from the pinned keyset, else the pinned one
// (addin/shared/keyset-trust.js). Every decision is the engine's (Rust); this file only
// chooses what to hand it and reports the outcome.
import { trustedKeyset } from "../../shared/keyset-trust.js";

/**
 * The engine, as the add-in needs it (adapter over the WASM module: engine-api.js).
 * @typedef {{ check(draft: any, context: { known: string[], history?: string }): any }} LoadedEngine
 * @typedef {{ engine: LoadedEngine, tenant: string | null, version: number | null,
 *   digest: string | null, expiresAt: number | null, stale: boolean,
 *   failMode: "warn" | "block" }} LoadedPolicy   as the engine reports it
 * @typedef {{ loadBundle(bundle: string, pins: { tenant: string, keyset: string,
 *   held: { version: number, digest: string } | undefined | null, now: number }): LoadedPolicy,
 *   loadPlain(policyJson: string): LoadedPolicy,
 *   trustKeysets: import("../../shared/keyset-trust.js").TrustKeysets,
 *   learnHistory(history: string, options: { recipients: string[], now_day: number, max_entries?: number }): string,
 *   trimHistory(history: string, options: { max_bytes?: number, max_entries?: number }): string,
 *   historySummary(history: string): { entries: number, last_day: number | null, rejected: number } }} EngineApi
 *   the history functions are the engine's (docs/history-format.md)
 * @typedef {{ tenant: string, keyset: string | null, bakedBundle: string | null,
 *   bakedPolicy: string | null, failMode: "warn" | "block",
 *   policyUrl: string | null, keysetUrl?: string | null, reportUrl?: string | null }} AddinConfig
 *   set by the packaging command; keyset: the pinned one; failMode: for when no policy loads
 *   at all; reportUrl: where the daily counts go (none: nothing is counted)
 * @typedef {LoadedPolicy & { source: "stored" | "baked", problems: string[], keysetExpiresAt?: number | null }} PolicyInUse
 * @typedef {ReturnType<typeof import("./policy-store.js").createPolicyStore>} PolicyStore
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
 * @param {PolicyStore} store
 * @param {number} now Unix seconds
 * @returns {import("../../shared/keyset-trust.js").KeysetTrust | null}
 */
export function keysetTrust(api, config, store, now) {
  if (!config.keyset) return null;
  const stored = store.readKeyset();
  return trustedKeyset(api.trustKeysets, { tenant: config.tenant, now: now, pinned: config.keyset, stored: stored ? stored.chain : null });
}

/**
 * Frees an engine's memory in the WebAssembly module (the event runtime may live for many
 * sends, and each loads the policy afresh).
 * @param {any} engine
 */
export function freeEngine(engine) {
  try {
    if (engine && typeof engine.free === "function") engine.free();
  } catch (e) {
    // Already freed: nothing to release.
  }
}

/**
 * @param {EngineApi} api
 * @param {AddinConfig} config
 * @param {PolicyStore} store
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
    /** @type {{ source: "stored" | "baked", signed: boolean, load(): LoadedPolicy }[]} */
    const candidates = [];
    const stored = store.readBundle();
    const bakedBundle = config.bakedBundle;
    const bakedPolicy = config.bakedPolicy;
    if (stored) candidates.push({ source: "stored", signed: true, load: function () { return api.loadBundle(stored.bundle, pins); } });
    if (bakedBundle) candidates.push({ source: "baked", signed: true, load: function () { return api.loadBundle(bakedBundle, pins); } });
    if (bakedPolicy) candidates.push({ source: "baked", signed: false, load: function () { return api.loadPlain(bakedPolicy); } });
    /** @type {PolicyInUse | null} */
    let stale = null;
    for (let i = 0; i < candidates.length; i++) {
      if (!candidates[i].signed && stale) break;
      let loaded;
      try {
        loaded = candidates[i].load();
      } catch (e) {
        const error = /** @type {{ code?: string, message?: string }} */ (e || {});
        problems.push(candidates[i].source + " policy refused (" + (error.code || "error") + "): " + (error.message || String(e)));
        continue;
      }
      const keysetExpiresAt = candidates[i].signed && trust && trust.info ? trust.info.expires_at : null;
      const inUse = /** @type {PolicyInUse} */ (Object.assign({}, loaded, { tenant: loaded.tenant || config.tenant, source: candidates[i].source, problems: problems, keysetExpiresAt: keysetExpiresAt }));
      if (!inUse.stale) {
        if (stale) freeEngine(stale.engine);
        return inUse;
      }
      if (stale) freeEngine(inUse.engine);
      else stale = inUse;
    }
    if (stale) return stale;
    const why = problems.length ? problems.join("; ") : "no policy is stored or built in";
    throw policyUnavailable(why, config.failMode);
  });
}

/** A send reuses the engine of an earlier send for at most this long (seconds). */
export const POLICY_CACHE_SECONDS = 600;

/**
 * The policy last loaded in this runtime, kept for the next send (so that the engine keeps
 * the sender's history indexed between sends: indexing 20,000 addresses costs far more than
 * a check). Reused only while every input of loadPolicy is unchanged (the stored bundle,
 * keyset chain and held version, the same engine module), the policy is neither stale nor
 * past its expiry nor its keyset's (the engine re-decides both on the next load), and for at
 * most POLICY_CACHE_SECONDS; otherwise loaded and verified afresh.
 * @returns {{ entry: { key: string, api: EngineApi, policy: PolicyInUse, loadedAt: number } | null }}
 */
export function createPolicyCache() {
  return { entry: null };
}

/**
 * loadPolicy through the runtime's cache; the cache owns the engine (do not free it).
 * @param {ReturnType<typeof createPolicyCache>} cache
 * @param {EngineApi} api
 * @param {AddinConfig} config
 * @param {PolicyStore} store
 * @param {number} now Unix seconds
 * @returns {Promise<PolicyInUse>}
 */
export function loadPolicyCached(cache, api, config, store, now) {
  return store.held.held().then(function (held) {
    const key = JSON.stringify([store.readBundle() || null, store.readKeyset() || null, held || null]);
    const entry = cache.entry;
    if (entry && entry.key === key && entry.api === api && !entry.policy.stale && now >= entry.loadedAt &&
        now - entry.loadedAt < POLICY_CACHE_SECONDS && (entry.policy.expiresAt === null || now < entry.policy.expiresAt) &&
        (entry.policy.keysetExpiresAt == null || now < entry.policy.keysetExpiresAt)) {
      return entry.policy;
    }
    return loadPolicy(api, config, store, now).then(function (policy) {
      if (cache.entry) freeEngine(cache.entry.policy.engine);
      cache.entry = { key: key, api: api, policy: policy, loadedAt: now };
      return policy;
    }, function (e) {
      if (cache.entry) freeEngine(cache.entry.policy.engine);
      cache.entry = null;
      throw e;
    });
  });
}
