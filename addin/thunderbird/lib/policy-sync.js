// Keeps the tenant's signed policy: fetches it with ETag, has the engine verify it (signature,
// tenant, not older than what is held, expiry), stores it only when verified, and otherwise
// keeps the last good one. A refused bundle is recorded for the options page, never used.
// The highest version accepted is kept apart (shared with the Outlook add-in's logic), so
// the engine refuses anything older: a rollback.
// Bundles are verified against the trusted keyset: the pinned one, or a newer one fetched
// first on each refresh and accepted by the engine as an update of it (the rules are the
// core's keyset_chain.rs, reached through addin/shared/keyset-trust.js), stored per tenant
// with the keysets that link it to the pinned one. So a revoked or rotated signing key
// reaches every seat without touching policies.json.

import { offerKeyset, trustedKeyset } from "../../shared/keyset-trust.js";
import { createPolicyVersionStore, webExtensionStorage } from "../../shared/policy-version.js";

/**
 * @typedef {{ tenant: string, bundle: string, etag?: string, version: number, digest: string,
 *   fetchedAt: number, checkedAt: number, expiresAt?: number, failMode?: "warn" | "block" }} StoredPolicy
 * @typedef {{ code: string, message: string, at: number }} PolicyError
 * @typedef {{ tenant: string, chain: string[], etag?: string, version: number, acceptedAt: number }} StoredKeyset
 *   under `keyset:<tenant>`: the keysets accepted as updates since the pinned one, each an
 *   update of the one before (the last is the one the server serves, whose ETag this is)
 * @typedef {PolicyError & { tenant: string }} KeysetError   the last keyset refusal or fetch failure
 * @typedef {{ version: number | null, source: "pinned" | "update", error: { code: string, message: string } | null }} KeysetStatus
 * @typedef {{ engine: any, version: number, digest: string, expiresAt?: number, failMode?: "warn" | "block" }} Verified
 * @typedef {(input: { bundle: string, keyset: string, tenant: string,
 *   held?: { version: number, digest: string }, now: number }) => Verified | Promise<Verified>} Verify
 *   throws an Error with a `code` when the bundle is refused
 */

/** Policies older than this since the last successful check are shown as stale. */
export const STALE_AFTER_SECONDS = 24 * 3600;

/**
 * @param {{ fetch: typeof fetch, storage: { get(k: string): Promise<any>, set(o: object): Promise<void> },
 *   verify: Verify, trustKeysets: () => Promise<import("../../shared/keyset-trust.js").TrustKeysets>,
 *   defaultEngine: () => any | Promise<any>, now: () => number }} deps  now() in Unix seconds;
 *   trustKeysets() answers the engine's keyset trust decision (loading the engine if need be)
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
    return { stored, trust: trustedKeyset(await deps.trustKeysets(), { tenant: config.tenant, now: deps.now(), pinned: config.keyset, stored: stored && stored.chain }) };
  };

  /**
   * Fetches the tenant's keyset (ETag) and keeps it if the engine verifies it as an update of
   * the trusted one. A failure or refusal is recorded and the trust stays as it was.
   * @param {import("./config.js").PolicySource} config
   * @returns {Promise<import("../../shared/keyset-trust.js").KeysetTrust>} the trusted keyset afterwards
   */
  const refreshKeyset = async (config) => {
    const { stored, trust: current } = await trust(config);
    const url = `${config.server}/v1/tenants/${encodeURIComponent(config.tenant)}/keyset`;
    // The ETag only describes the stored keyset while that is the one trusted.
    const etag = stored && current.source === "update" && current.keyset === stored.chain[stored.chain.length - 1] ? stored.etag : undefined;
    let response;
    try {
      response = await deps.fetch(url, { headers: etag ? { "If-None-Match": etag } : {}, cache: "no-store" });
    } catch (e) {
      await recordKeysetError(config.tenant, "unreachable", `The keyset could not be fetched: ${e.message || e}`);
      return current;
    }
    if (response.status === 304 && etag) {
      await deps.storage.set({ keysetError: null });
      return current;
    }
    if (!response.ok) {
      await recordKeysetError(config.tenant, `http_${response.status}`, `The policy server answered ${response.status} for the keyset.`);
      return current;
    }
    const fetched = await response.text();
    const offer = offerKeyset(await deps.trustKeysets(), { tenant: config.tenant, now: deps.now(), trust: current, fetched });
    if (offer.outcome === "refused" && offer.refusal) {
      await recordKeysetError(config.tenant, offer.refusal.code, `A keyset from the server was refused: ${offer.refusal.message}`);
      return current;
    }
    if (offer.outcome === "updated" && offer.trust.info) {
      /** @type {StoredKeyset} */
      const record = { tenant: config.tenant, chain: offer.trust.chain, etag: response.headers.get("etag") || undefined, version: offer.trust.info.version, acceptedAt: deps.now() };
      await deps.storage.set({ [keysetKey(config.tenant)]: record });
    }
    await deps.storage.set({ keysetError: null });
    return offer.trust;
  };

  /**
   * The trusted keyset's version and origin, and the last keyset problem for this tenant.
   * @param {import("./config.js").PolicySource} config
   * @returns {Promise<KeysetStatus>}
   */
  const keysetStatus = async (config) => {
    const { trust: current } = await trust(config);
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
      const keyset = (await refreshKeyset(config)).keyset;
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
        verified = await deps.verify({ bundle, keyset, tenant: config.tenant, held: highest, now: deps.now() });
      } catch (e) {
        await recordError(e.code || "refused", `A policy from the server was refused: ${e.message || e}`);
        return "refused";
      }
      const now = deps.now();
      /** @type {StoredPolicy} */
      const policy = { tenant: config.tenant, bundle, etag: response.headers.get("etag") || undefined, version: verified.version, digest: verified.digest, fetchedAt: now, checkedAt: now, expiresAt: verified.expiresAt, failMode: verified.failMode };
      await deps.storage.set({ policy, policyError: null });
      await versions(config.tenant).accept({ version: verified.version, digest: verified.digest });
      cached = { digest: verified.digest, keyset, verified };
      return "updated";
    },

    /**
     * The engine for the policy in force: the stored one (verified again on load, and again
     * whenever the trusted keyset changed), else the built-in defaults.
     * @param {import("./config.js").Config} config
     */
    async currentEngine(config) {
      const policy = await stored(config);
      if (!policy || config.source === "none") return await deps.defaultEngine();
      const keyset = (await trust(config)).trust.keyset;
      if (cached && cached.digest === policy.digest && cached.keyset === keyset) return cached.verified.engine;
      try {
        const verified = await deps.verify({ bundle: policy.bundle, keyset, tenant: config.tenant, held: await versions(config.tenant).held(), now: deps.now() });
        cached = { digest: policy.digest, keyset, verified };
        return verified.engine;
      } catch (e) {
        // The stored policy no longer verifies (expired, its signing key revoked by a keyset
        // update, another keyset pinned since): the built-in checks run, and the options
        // page says why.
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
      const keyset = config.source === "none" ? {} : { keyset: await keysetStatus(config) };
      if (!policy) return { version: null, error: policyError || null, ...keyset };
      const age = now - policy.checkedAt;
      const expired = policy.expiresAt !== undefined && now >= policy.expiresAt;
      return { version: policy.version, fetchedAt: policy.fetchedAt, checkedAt: policy.checkedAt, ageSeconds: age, stale: expired || age > STALE_AFTER_SECONDS, error: policyError || null, ...keyset };
    }
  };
}
