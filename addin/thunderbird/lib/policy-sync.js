// Keeps the tenant's signed policy through the add-ins' one refresh protocol
// (addin/shared/policy-refresh.js: keyset then policy, ETag, time-outs, verified by the
// engine, highest version kept), over storage.local, and records what went wrong for the
// options page. A refused bundle is never used; the last good one stays. Bundles are
// verified against the trusted keyset: the pinned one, or a newer one the engine accepted as
// an update (the core's keyset_chain.rs, through addin/shared/keyset-trust.js), stored per
// tenant with the keysets that link it to the pinned one, so a revoked or rotated signing key
// reaches every seat without touching policies.json. An expired policy is put in force by the
// engine's expiry rule (its checks never run; every draft gets the could-not-check verdict).

import { trustedKeyset } from "../../shared/keyset-trust.js";
import { createPolicyVersionStore, webExtensionStorage } from "../../shared/policy-version.js";
import { refreshPolicy } from "../../shared/policy-refresh.js";

/**
 * @typedef {{ tenant: string, bundle: string, etag?: string, version: number, digest: string,
 *   fetchedAt: number, checkedAt: number, expiresAt?: number | null, failMode?: "warn" | "block",
 *   stale?: boolean }} StoredPolicy
 * @typedef {{ code: string, message: string, at: number }} PolicyError
 * @typedef {{ version: number | null, fetchedAt?: number, checkedAt?: number, ageSeconds?: number,
 *   stale?: boolean, error: PolicyError | null, keyset?: KeysetStatus }} PolicyStatus
 * @typedef {{ tenant: string, chain: string[], etag?: string, version: number | null, acceptedAt: number }} StoredKeyset
 *   under `keyset:<tenant>`: the keysets accepted as updates since the pinned one, each an
 *   update of the one before (the last is the one the server serves, whose ETag this is)
 * @typedef {{ version: number | null, source: "pinned" | "update", error: { code: string, message: string } | null }} KeysetStatus
 * @typedef {{ engine: any, version: number, digest: string, expiresAt: number | null,
 *   failMode: "warn" | "block", stale: boolean }} Verified
 * @typedef {{ verify(input: { bundle: string, keyset: string, tenant: string,
 *   held?: { version: number, digest: string } | null, now: number }): Verified,
 *   trustKeysets: import("../../shared/keyset-trust.js").TrustKeysets,
 *   defaultEngine(): any, maySend(verdict: object, justification: string | undefined): boolean,
 *   history: import("./engine.js").HistoryApi }} EngineApi
 *   verify throws an Error with a `code` when the bundle is refused
 */

/** Policies older than this since the last successful check are shown as stale. */
export const STALE_AFTER_SECONDS = 24 * 3600;

/**
 * @param {{ fetch: typeof fetch, storage: { get(k: string): Promise<any>, set(o: object): Promise<void> },
 *   engine: () => Promise<EngineApi>, now: () => number, timeoutMs?: number }} deps  now() in Unix
 *   seconds; engine() loads the engine if need be
 */
export function createPolicySync(deps) {
  /** The engine kept for the policy in force, and the keyset that verified it. @type {{ digest: string, keyset: string, verified: Verified } | undefined} */
  let cached;
  /** The highest version accepted, per tenant (a new tenant starts from nothing). */
  const versions = (tenant) => createPolicyVersionStore(webExtensionStorage(/** @type {any} */ (deps.storage), `heldPolicy:${tenant}`));

  /**
   * The stored policy, if it is this configuration's tenant's.
   * @param {import("./config.js").Config} config
   * @returns {Promise<StoredPolicy | undefined>}
   */
  const stored = async (config) => {
    const policy = (await deps.storage.get("policy")).policy;
    return policy && config.source !== "none" && policy.tenant === config.tenant ? policy : undefined;
  };
  const recordError = (code, message) => deps.storage.set({ policyError: { code, message, at: deps.now() } });
  const keysetKey = (tenant) => `keyset:${tenant}`;
  /** @returns {Promise<StoredKeyset | undefined>} */
  const storedKeyset = async (tenant) => {
    const record = (await deps.storage.get(keysetKey(tenant)))[keysetKey(tenant)];
    return record && record.tenant === tenant && Array.isArray(record.chain) ? record : undefined;
  };
  const recordKeysetError = (tenant, code, message) => deps.storage.set({ keysetError: { tenant, code, message, at: deps.now() } });

  /**
   * The keyset trusted now (no network): the end of the stored chain as far as the engine
   * verifies it from the pinned keyset, else the pinned one.
   * @param {import("./config.js").PolicySource} config
   */
  const trust = async (config) => {
    const stored = await storedKeyset(config.tenant);
    return trustedKeyset((await deps.engine()).trustKeysets, { tenant: config.tenant, now: deps.now(), pinned: config.keyset, stored: stored && stored.chain });
  };

  /**
   * The refresh protocol's store: storage.local, for one tenant.
   * @param {import("./config.js").PolicySource} config
   * @returns {import("../../shared/policy-refresh.js").RefreshStore}
   */
  const refreshStore = (config) => ({
    readKeyset: async () => {
      const record = await storedKeyset(config.tenant);
      return record && { chain: record.chain, etag: record.etag || null, acceptedAt: record.acceptedAt };
    },
    writeKeyset: async (record) => {
      /** @type {StoredKeyset} */
      const kept = { tenant: config.tenant, chain: record.chain, etag: record.etag || undefined, version: record.version === undefined ? null : record.version, acceptedAt: record.acceptedAt };
      await deps.storage.set({ [keysetKey(config.tenant)]: kept });
      return true;
    },
    readBundle: async () => {
      const policy = await stored(/** @type {any} */ ({ ...config, source: "options" }));
      return policy && { ...policy, etag: policy.etag || null, expiresAt: policy.expiresAt ?? null, failMode: policy.failMode === "block" ? "block" : "warn", stale: policy.stale === true };
    },
    writeBundle: async (record) => {
      await deps.storage.set({ policy: { tenant: config.tenant, ...record, etag: record.etag || undefined } });
      return true;
    },
    held: versions(config.tenant)
  });

  /**
   * Records what a refresh found for the options page.
   * @param {import("./config.js").PolicySource} config
   * @param {import("../../shared/policy-refresh.js").RefreshResult} result
   */
  const record = async (config, result) => {
    const keyset = result.keyset;
    if (keyset.status === "failed") {
      await recordKeysetError(config.tenant, keyset.code || "unreachable", keyset.code === "unreachable" ? `The keyset could not be fetched: ${keyset.detail}` : `The policy server answered ${keyset.code ? keyset.code.replace("http_", "") : "an error"} for the keyset.`);
    } else if (keyset.status === "refused") {
      await recordKeysetError(config.tenant, keyset.code || "refused", `A keyset from the server was refused: ${keyset.detail}`);
    } else if (keyset.status !== "off") {
      await deps.storage.set({ keysetError: null });
    }
    if (result.status === "failed") {
      await recordError(result.code || "unreachable", result.code === "unreachable" || result.code === "engine" ? `The policy server could not be reached: ${result.detail}` : `The policy server answered ${(result.code || "").replace("http_", "")}.`);
    } else if (result.status === "refused") {
      await recordError(result.code || "refused", `A policy from the server was refused: ${result.detail}`);
    } else if (result.status !== "off") {
      await deps.storage.set({ policyError: null });
    }
  };

  /**
   * The trusted keyset's version and origin, and the last keyset problem for this tenant.
   * @param {import("./config.js").PolicySource} config
   * @returns {Promise<KeysetStatus>}
   */
  const keysetStatus = async (config) => {
    const current = await trust(config);
    const { keysetError } = await deps.storage.get("keysetError");
    const problem = keysetError && keysetError.tenant === config.tenant ? { code: keysetError.code, message: keysetError.message } : current.problem;
    return { version: current.info ? current.info.version : null, source: current.source, error: problem || null };
  };

  return {
    /**
     * Fetches the tenant's keyset, then its policy if it changed; verifies before storing.
     * @param {import("./config.js").Config} config
     * @returns {Promise<"unchanged" | "updated" | "refused" | "failed" | "unconfigured">}
     */
    async refresh(config) {
      if (config.source === "none") return "unconfigured";
      const base = `${config.server}/v1/tenants/${encodeURIComponent(config.tenant)}`;
      const result = await refreshPolicy({
        fetch: deps.fetch,
        store: refreshStore(config),
        engine: async () => {
          const api = await deps.engine();
          return { trustKeysets: api.trustKeysets, verifyBundle: (bundle, pins) => api.verify({ bundle, keyset: pins.keyset, tenant: pins.tenant, held: pins.held, now: pins.now }) };
        },
        tenant: config.tenant,
        pinnedKeyset: config.keyset,
        keysetUrl: `${base}/keyset`,
        policyUrl: `${base}/policy`,
        now: deps.now,
        timeoutMs: deps.timeoutMs
      });
      await record(config, result);
      if (result.status === "updated") cached = undefined;
      return result.status === "off" ? "failed" : result.status;
    },

    /**
     * The engine for the policy in force: the stored one (verified again on load, and again
     * whenever the trusted keyset changed; an expired one in force as stale, by the engine's
     * rule), else the built-in defaults.
     * @param {import("./config.js").Config} config
     */
    async currentEngine(config) {
      const policy = await stored(config);
      const api = await deps.engine();
      if (!policy || config.source === "none") return api.defaultEngine();
      const keyset = (await trust(config)).keyset;
      if (cached && cached.digest === policy.digest && cached.keyset === keyset) return cached.verified.engine;
      try {
        const verified = api.verify({ bundle: policy.bundle, keyset, tenant: config.tenant, held: await versions(config.tenant).held(), now: deps.now() });
        cached = { digest: policy.digest, keyset, verified };
        return verified.engine;
      } catch (e) {
        // The stored policy no longer verifies (its signing key revoked by a keyset update,
        // another keyset pinned since): the built-in checks run, and the options page says why.
        await recordError(e.code || "refused", `The stored policy is no longer accepted: ${e.message || e}`);
        return api.defaultEngine();
      }
    },

    /**
     * What to do when a check cannot run: the stored policy's choice as the engine reported
     * it, readable without the engine (which may be what failed).
     * @param {import("./config.js").Config} config
     * @returns {Promise<"warn" | "block">}
     */
    async failMode(config) {
      const policy = await stored(config);
      return policy && policy.failMode === "block" ? "block" : "warn";
    },

    /**
     * What the options page shows.
     * @param {import("./config.js").Config} config
     * @returns {Promise<PolicyStatus>}
     */
    async status(config) {
      const policy = await stored(config);
      const { policyError } = await deps.storage.get("policyError");
      const now = deps.now();
      const keyset = config.source === "none" ? {} : { keyset: await keysetStatus(config) };
      if (!policy) return { version: null, error: policyError || null, ...keyset };
      const age = now - policy.checkedAt;
      const expired = typeof policy.expiresAt === "number" && now >= policy.expiresAt;
      return { version: policy.version, fetchedAt: policy.fetchedAt, checkedAt: policy.checkedAt, ageSeconds: age, stale: expired || age > STALE_AFTER_SECONDS, error: policyError || null, ...keyset };
    }
  };
}
