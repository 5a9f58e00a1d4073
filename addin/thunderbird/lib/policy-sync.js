// Keeps the tenant's signed policy: fetches it with ETag, has the engine verify it (signature,
// tenant, not older than what is held, expiry), stores it only when verified, and otherwise
// keeps the last good one. A refused bundle is recorded for the options page, never used.
// The highest version accepted is kept apart (shared with the Outlook add-in's logic), so
// the engine refuses anything older: a rollback.

import { createPolicyVersionStore, webExtensionStorage } from "../../shared/policy-version.js";

/**
 * @typedef {{ tenant: string, bundle: string, etag?: string, version: number, digest: string,
 *   fetchedAt: number, checkedAt: number, expiresAt?: number, failMode?: "warn" | "block" }} StoredPolicy
 * @typedef {{ code: string, message: string, at: number }} PolicyError
 * @typedef {{ engine: any, version: number, digest: string, expiresAt?: number, failMode?: "warn" | "block" }} Verified
 * @typedef {(input: { bundle: string, keyset: string, tenant: string,
 *   held?: { version: number, digest: string }, now: number }) => Verified | Promise<Verified>} Verify
 *   throws an Error with a `code` when the bundle is refused
 */

/** Policies older than this since the last successful check are shown as stale. */
export const STALE_AFTER_SECONDS = 24 * 3600;

/**
 * @param {{ fetch: typeof fetch, storage: { get(k: string): Promise<any>, set(o: object): Promise<void> },
 *   verify: Verify, defaultEngine: () => any | Promise<any>, now: () => number }} deps  now() in Unix seconds
 */
export function createPolicySync(deps) {
  /** @type {{ digest: string, verified: Verified } | undefined} */
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

  return {
    /**
     * Fetches the tenant's policy if it changed; verifies before storing.
     * @param {import("./config.js").Config} config
     * @returns {Promise<"unchanged" | "updated" | "refused" | "failed" | "unconfigured">}
     */
    async refresh(config) {
      if (config.source === "none") return "unconfigured";
      const held = await stored(config);
      const highest = await versions(config.tenant).held();
      const url = `${config.server}/v1/tenants/${encodeURIComponent(config.tenant)}/policy`;
      let response;
      try {
        response = await deps.fetch(url, { headers: held && held.etag ? { "If-None-Match": held.etag } : {}, cache: "no-store" });
      } catch (e) {
        await recordError("unreachable", `The policy server could not be reached: ${e.message || e}`);
        return "failed";
      }
      if (response.status === 304 && held) {
        await deps.storage.set({ policy: { ...held, checkedAt: deps.now() }, policyError: null });
        return "unchanged";
      }
      if (!response.ok) {
        await recordError(`http_${response.status}`, `The policy server answered ${response.status}.`);
        return "failed";
      }
      const bundle = await response.text();
      let verified;
      try {
        verified = await deps.verify({ bundle, keyset: config.keyset, tenant: config.tenant, held: highest, now: deps.now() });
      } catch (e) {
        await recordError(e.code || "refused", `A policy from the server was refused: ${e.message || e}`);
        return "refused";
      }
      const now = deps.now();
      /** @type {StoredPolicy} */
      const policy = { tenant: config.tenant, bundle, etag: response.headers.get("etag") || undefined, version: verified.version, digest: verified.digest, fetchedAt: now, checkedAt: now, expiresAt: verified.expiresAt, failMode: verified.failMode };
      await deps.storage.set({ policy, policyError: null });
      await versions(config.tenant).accept({ version: verified.version, digest: verified.digest });
      cached = { digest: verified.digest, verified };
      return "updated";
    },

    /**
     * The engine for the policy in force: the stored one (verified again on load), else the
     * built-in defaults.
     * @param {import("./config.js").Config} config
     */
    async currentEngine(config) {
      const policy = await stored(config);
      if (!policy) return await deps.defaultEngine();
      if (cached && cached.digest === policy.digest) return cached.verified.engine;
      try {
        const verified = await deps.verify({ bundle: policy.bundle, keyset: config.keyset, tenant: config.tenant, held: await versions(config.tenant).held(), now: deps.now() });
        cached = { digest: policy.digest, verified };
        return verified.engine;
      } catch (e) {
        // The stored policy no longer verifies (expired, or another keyset pinned since):
        // the built-in checks run, and the options page says why.
        await recordError(e.code || "refused", `The stored policy is no longer accepted: ${e.message || e}`);
        return await deps.defaultEngine();
      }
    },

    /**
     * What to do when a check cannot run: the stored policy's choice, readable without the
     * engine (which may be what failed).
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
     */
    async status(config) {
      const policy = await stored(config);
      const { policyError } = await deps.storage.get("policyError");
      const now = deps.now();
      if (!policy) return { version: null, error: policyError || null };
      const age = now - policy.checkedAt;
      const expired = policy.expiresAt !== undefined && now >= policy.expiresAt;
      return { version: policy.version, fetchedAt: policy.fetchedAt, checkedAt: policy.checkedAt, ageSeconds: age, stale: expired || age > STALE_AFTER_SECONDS, error: policyError || null };
    }
  };
}
