// Fetching the tenant's keyset and then a newer signed policy from the server (ETag, short
// time-out each), verifying them in the engine and keeping them in roamingSettings. A keyset
// is kept only if the engine verifies it as an update of the trusted one
// (addin/shared/keyset-trust.js); the bundle is then verified against the keyset trusted
// afterwards. Runs in the task pane's background; the send handler never waits for it.
import { offerKeyset } from "../../shared/keyset-trust.js";
import { keysetTrust } from "./policy-session.js";

/** Long enough for a healthy server, short enough never to hold anything up. */
export const REFRESH_TIMEOUT_MS = 4000;

/**
 * @param {Promise<any>} promise
 * @param {number} ms
 */
function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    const timer = setTimeout(function () {
      reject(new Error("no answer within " + ms + " ms"));
    }, ms);
    promise.then(
      function (value) { clearTimeout(timer); resolve(value); },
      function (error) { clearTimeout(timer); reject(error); }
    );
  });
}

/**
 * @typedef {{ fetch: typeof fetch, api: import("./policy-session.js").EngineApi,
 *   config: import("./policy-session.js").AddinConfig,
 *   store: ReturnType<typeof import("./policy-store.js").createPolicyStore>, now(): number,
 *   timeoutMs?: number }} RefreshDeps
 * @typedef {{ status: "updated" | "unchanged" | "refused" | "failed" | "off", detail: string }} RefreshResult
 */

/**
 * Fetches the tenant's keyset and keeps it if the engine verifies it as an update of the
 * trusted one; anything else leaves the trust as it was.
 * @param {RefreshDeps} deps
 * @returns {Promise<RefreshResult>}
 */
export function refreshKeyset(deps) {
  const url = deps.config.keysetUrl;
  if (!url || !deps.config.keyset) return Promise.resolve({ status: "off", detail: "no keyset is pinned or no server is configured" });
  const now = deps.now();
  const stored = deps.store.readKeyset();
  const current = keysetTrust(deps.api, deps.config, deps.store, now);
  if (!current) return Promise.resolve({ status: "off", detail: "no keyset is pinned" });
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  // The ETag only describes the stored keyset while that is the one trusted.
  if (stored && stored.etag && current.source === "update" && current.keyset === stored.chain[stored.chain.length - 1]) headers["If-None-Match"] = stored.etag;
  return withTimeout(deps.fetch(url, { headers: headers, cache: "no-store" }), deps.timeoutMs || REFRESH_TIMEOUT_MS)
    .then(function (response) {
      if (response.status === 304) return { status: "unchanged", detail: "the keyset is up to date" };
      if (!response.ok) throw new Error("the server answered " + response.status + " for the keyset");
      return response.text().then(function (/** @type {string} */ fetched) {
        const offer = offerKeyset(deps.api.trustKeysets, { tenant: deps.config.tenant, now: deps.now(), trust: current, fetched: fetched });
        if (offer.outcome === "refused") return { status: "refused", detail: offer.refusal ? offer.refusal.code + ": " + offer.refusal.message : "refused" };
        const version = offer.trust.info ? offer.trust.info.version : null;
        if (offer.outcome === "unchanged") return { status: "unchanged", detail: "keyset version " + version };
        return deps.store.writeKeyset({ chain: offer.trust.chain, etag: response.headers.get("ETag"), acceptedAt: deps.now() }).then(function (kept) {
          if (!kept) return { status: "refused", detail: "keyset version " + version + " is too big for roamingSettings; the keyset trusted before stays in force" };
          return { status: "updated", detail: "keyset version " + version };
        });
      });
    })
    .catch(function (e) {
      return { status: "failed", detail: e && e.message ? e.message : String(e) };
    });
}

/**
 * The keyset first (refreshKeyset), then the policy, verified against the keyset trusted
 * after that.
 * @param {RefreshDeps} deps
 * @returns {Promise<RefreshResult & { keyset: RefreshResult }>}
 */
export function refreshPolicy(deps) {
  return refreshKeyset(deps).then(function (keyset) {
    return refreshBundle(deps).then(function (result) {
      return { status: result.status, detail: result.detail, keyset: keyset };
    });
  });
}

/**
 * @param {RefreshDeps} deps
 * @returns {Promise<RefreshResult>}
 */
function refreshBundle(deps) {
  const url = deps.config.policyUrl;
  if (!url) return Promise.resolve({ status: "off", detail: "no policy server is configured" });
  const stored = deps.store.read();
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (stored && stored.etag) headers["If-None-Match"] = stored.etag;
  return withTimeout(deps.fetch(url, { headers: headers, cache: "no-store" }), deps.timeoutMs || REFRESH_TIMEOUT_MS)
    .then(function (response) {
      if (response.status === 304) return { status: "unchanged", detail: "the policy is up to date" };
      if (!response.ok) throw new Error("the server answered " + response.status);
      return response.text().then(function (/** @type {string} */ bundle) {
        return deps.store.held.held().then(function (held) {
          let loaded;
          try {
            const trust = keysetTrust(deps.api, deps.config, deps.store, deps.now());
            loaded = deps.api.loadBundle(bundle, { tenant: deps.config.tenant, keyset: trust ? trust.keyset : "", held: held, now: deps.now() });
          } catch (e) {
            const error = /** @type {{ code?: string, message?: string }} */ (e || {});
            return { status: "refused", detail: (error.code || "error") + ": " + (error.message || String(e)) };
          }
          const etag = response.headers.get("ETag");
          const version = Number(loaded.version);
          const digest = String(loaded.digest);
          return deps.store.write({ bundle: bundle, etag: etag, fetchedAt: deps.now() })
            .then(function (fits) {
              // A bundle not kept must not raise the version held, or the built-in policy
              // that stands in for it would then be refused as a rollback.
              if (!fits) return { status: "refused", detail: "policy version " + version + " is too big for roamingSettings; the built-in policy stands in" };
              return deps.store.held.accept({ version: version, digest: digest }).then(function () {
                return { status: "updated", detail: "policy version " + version };
              });
            });
        });
      });
    })
    .catch(function (e) {
      return { status: "failed", detail: e && e.message ? e.message : String(e) };
    });
}
