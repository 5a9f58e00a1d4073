// The one refresh protocol of both add-ins (Outlook and Thunderbird): fetch the tenant's
// keyset, then its signed policy, each with its ETag and a short time-out; the engine
// verifies both (keyset-trust.js for the keyset; the bundle against the keyset trusted
// afterwards, not older than the version held); only what it accepts is stored, and the
// highest version accepted is kept (policy-version.js) so that nothing older is taken later.
// Fetch, storage and the engine are injected: each add-in stores its own way (Outlook:
// localStorage or roamingSettings; Thunderbird: storage.local). ES2016, promises only.
import { offerKeyset, trustedKeyset } from "./keyset-trust.js";

/** Long enough for a healthy server, short enough never to hold anything up. */
export const REFRESH_TIMEOUT_MS = 4000;

/**
 * @typedef {{ chain: string[], etag: string | null, acceptedAt: number, version?: number | null }} StoredKeyset
 *   the keysets accepted since the pinned one (keyset-trust.js); the ETag and version are the
 *   last one's
 * @typedef {{ bundle: string, etag: string | null, fetchedAt: number, checkedAt: number,
 *   version: number, digest: string, expiresAt: number | null, failMode: "warn" | "block",
 *   stale: boolean }} StoredBundle   a bundle the engine accepted, with what it reported
 * @typedef {{ readKeyset(): StoredKeyset | undefined | Promise<StoredKeyset | undefined>,
 *   writeKeyset(record: StoredKeyset): Promise<boolean>,
 *   readBundle(): StoredBundle | undefined | Promise<StoredBundle | undefined>,
 *   writeBundle(record: StoredBundle): Promise<boolean>,
 *   held: { held(): Promise<{ version: number, digest: string } | undefined>,
 *     accept(held: { version: number, digest: string }): Promise<unknown> } }} RefreshStore
 *   write* answer false when the record was not kept (too big for the store)
 * @typedef {{ version: number, digest: string, expiresAt: number | null,
 *   failMode: "warn" | "block", stale: boolean }} BundleVerdict   what the engine reports
 *   about a bundle it accepted (its PolicyInfo)
 * @typedef {{ trustKeysets: import("./keyset-trust.js").TrustKeysets,
 *   verifyBundle(bundle: string, pins: { tenant: string, keyset: string,
 *     held: { version: number, digest: string } | null, now: number }): BundleVerdict }} RefreshEngine
 *   verifyBundle throws an Error with the engine's `code` when it refuses the bundle
 * @typedef {{ fetch: (url: string, init: object) => Promise<any>, store: RefreshStore,
 *   engine: () => Promise<RefreshEngine>, tenant: string, pinnedKeyset: string | null,
 *   keysetUrl: string | null, policyUrl: string | null, now(): number,
 *   timeoutMs?: number }} RefreshDeps   now() in Unix seconds
 * @typedef {{ status: "updated" | "unchanged" | "refused" | "failed" | "off", code: string | null,
 *   detail: string }} RefreshStep   code: "unreachable", "http_NNN", "too_big" or the
 *   engine's refusal code
 * @typedef {RefreshStep & { keyset: RefreshStep, verified: BundleVerdict | null }} RefreshResult
 */

/**
 * @param {RefreshStep["status"]} status
 * @param {string | null} code
 * @param {string} detail
 * @returns {RefreshStep}
 */
function refreshStep(status, code, detail) {
  return { status: status, code: code, detail: detail };
}

/**
 * `fetch(url)` with an ETag and the time-out: answers the response, or rejects.
 * @param {RefreshDeps} deps
 * @param {string} url
 * @param {string | null} etag
 */
function fetchWithin(deps, url, etag) {
  const ms = deps.timeoutMs || REFRESH_TIMEOUT_MS;
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (etag) headers["If-None-Match"] = etag;
  return new Promise(function (resolve, reject) {
    const timer = setTimeout(function () {
      reject(new Error("no answer within " + ms + " ms"));
    }, ms);
    Promise.resolve()
      .then(function () {
        return deps.fetch(url, { headers: headers, cache: "no-store" });
      })
      .then(
        function (response) { clearTimeout(timer); resolve(response); },
        function (error) { clearTimeout(timer); reject(error); }
      );
  });
}

/**
 * @param {unknown} e
 * @returns {RefreshStep}
 */
function unreachable(e) {
  const error = /** @type {{ message?: string }} */ (e || {});
  return refreshStep("failed", "unreachable", error.message || String(e));
}

/**
 * The keyset trusted now, without the network; null when none is pinned.
 * @param {RefreshEngine} engine
 * @param {RefreshDeps} deps
 * @param {StoredKeyset | undefined} stored
 */
function trustNow(engine, deps, stored) {
  if (!deps.pinnedKeyset) return null;
  return trustedKeyset(engine.trustKeysets, { tenant: deps.tenant, now: deps.now(), pinned: deps.pinnedKeyset, stored: stored ? stored.chain : null });
}

/**
 * Fetches the tenant's keyset and keeps it if the engine accepts it as an update of the
 * trusted one; anything else leaves the trust as it was.
 * @param {RefreshDeps} deps
 * @param {RefreshEngine} engine
 * @returns {Promise<{ step: RefreshStep, trust: import("./keyset-trust.js").KeysetTrust | null }>}
 */
function refreshKeysetStep(deps, engine) {
  return Promise.resolve(deps.store.readKeyset()).then(function (stored) {
    const current = trustNow(engine, deps, stored);
    if (!current || !deps.keysetUrl) return { step: refreshStep("off", null, "no keyset is pinned or no server is configured"), trust: current };
    // The ETag only describes the stored keyset while that is the one trusted.
    const etag = stored && stored.etag && current.source === "update" && current.keyset === stored.chain[stored.chain.length - 1] ? stored.etag : null;
    return fetchWithin(deps, deps.keysetUrl, etag).then(
      function (response) {
        if (response.status === 304 && etag) return { step: refreshStep("unchanged", null, "the keyset is up to date"), trust: current };
        if (!response.ok) return { step: refreshStep("failed", "http_" + response.status, "the server answered " + response.status + " for the keyset"), trust: current };
        return response.text().then(function (/** @type {string} */ fetched) {
          const offer = offerKeyset(engine.trustKeysets, { tenant: deps.tenant, now: deps.now(), trust: current, fetched: fetched });
          if (offer.outcome === "refused") {
            const refusal = offer.refusal || { code: "refused", message: "refused" };
            return { step: refreshStep("refused", refusal.code, refusal.code + ": " + refusal.message), trust: current };
          }
          const version = offer.trust.info ? offer.trust.info.version : null;
          if (offer.outcome === "unchanged") return { step: refreshStep("unchanged", null, "keyset version " + version), trust: current };
          const record = { chain: offer.trust.chain, etag: response.headers.get("ETag"), acceptedAt: deps.now(), version: version };
          return deps.store.writeKeyset(record).then(function (kept) {
            if (!kept) return { step: refreshStep("refused", "too_big", "keyset version " + version + " is too big to store; the keyset trusted before stays in force"), trust: current };
            return { step: refreshStep("updated", null, "keyset version " + version), trust: offer.trust };
          });
        });
      },
      function (e) {
        return { step: unreachable(e), trust: current };
      }
    );
  });
}

/**
 * Fetches the policy (ETag) and keeps it if the engine accepts it against `trust`.
 * @param {RefreshDeps} deps
 * @param {RefreshEngine} engine
 * @param {import("./keyset-trust.js").KeysetTrust | null} trust
 * @returns {Promise<RefreshStep & { verified: BundleVerdict | null }>}
 */
function refreshBundleStep(deps, engine, trust) {
  /** @param {RefreshStep} step @param {BundleVerdict | null} verified */
  const answer = function (step, verified) {
    return { status: step.status, code: step.code, detail: step.detail, verified: verified };
  };
  if (!deps.policyUrl || !deps.pinnedKeyset) return Promise.resolve(answer(refreshStep("off", null, "no keyset is pinned or no policy server is configured"), null));
  return Promise.resolve(deps.store.readBundle()).then(function (stored) {
    const etag = stored && stored.etag ? stored.etag : null;
    return fetchWithin(deps, /** @type {string} */ (deps.policyUrl), etag).then(
      function (response) {
        if (response.status === 304 && stored) {
          const confirmed = Object.assign({}, stored, { checkedAt: deps.now() });
          return deps.store.writeBundle(confirmed).then(function () {
            return answer(refreshStep("unchanged", null, "policy version " + stored.version + " is up to date"), null);
          });
        }
        if (!response.ok) return answer(refreshStep("failed", "http_" + response.status, "the server answered " + response.status + " for the policy"), null);
        return response.text().then(function (/** @type {string} */ bundle) {
          return deps.store.held.held().then(function (held) {
            let verified;
            try {
              verified = engine.verifyBundle(bundle, { tenant: deps.tenant, keyset: trust ? trust.keyset : "", held: held || null, now: deps.now() });
            } catch (e) {
              const error = /** @type {{ code?: string, message?: string }} */ (e || {});
              return answer(refreshStep("refused", error.code || "error", (error.code || "error") + ": " + (error.message || String(e))), null);
            }
            const now = deps.now();
            const record = { bundle: bundle, etag: response.headers.get("ETag"), fetchedAt: now, checkedAt: now, version: verified.version, digest: verified.digest, expiresAt: verified.expiresAt, failMode: verified.failMode, stale: verified.stale };
            return deps.store.writeBundle(record).then(function (kept) {
              // A bundle not kept must not raise the version held, or the policy that stands
              // in for it would then be refused as a rollback.
              if (!kept) return answer(refreshStep("refused", "too_big", "policy version " + verified.version + " is too big to store; the policy held before stays in force"), null);
              return deps.store.held.accept({ version: verified.version, digest: verified.digest }).then(function () {
                return answer(refreshStep("updated", null, "policy version " + verified.version + (verified.stale ? " (already expired)" : "")), verified);
              });
            });
          });
        });
      },
      function (e) {
        return answer(unreachable(e), null);
      }
    );
  });
}

/**
 * The keyset first, then the policy verified against the keyset trusted after that.
 * Never rejects: every failure is a step's status.
 * @param {RefreshDeps} deps
 * @returns {Promise<RefreshResult>}
 */
export function refreshPolicy(deps) {
  return deps.engine().then(
    function (engine) {
      return refreshKeysetStep(deps, engine).then(function (keyset) {
        return refreshBundleStep(deps, engine, keyset.trust).then(function (policy) {
          return { status: policy.status, code: policy.code, detail: policy.detail, verified: policy.verified, keyset: keyset.step };
        });
      });
    },
    function (e) {
      const error = /** @type {{ message?: string }} */ (e || {});
      const failed = refreshStep("failed", "engine", "the engine did not start: " + (error.message || String(e)));
      return { status: failed.status, code: failed.code, detail: failed.detail, verified: null, keyset: failed };
    }
  );
}

/**
 * Whether a held policy should be refreshed now: none held, or it expires within `margin`
 * seconds (a background refresh then renews it before it lapses).
 * @param {{ expiresAt: number | null } | undefined} held
 * @param {number} now Unix seconds
 * @param {number} margin seconds
 */
export function nearExpiry(held, now, margin) {
  return !held || held.expiresAt === null || held.expiresAt - now <= margin;
}
