// Fetching a newer signed policy from the server (ETag, short time-out), verifying it in the
// engine and keeping it in roamingSettings. Runs in the task pane's background; the send
// handler never waits for it.

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
 * @param {{ fetch: typeof fetch, api: import("./policy-session.js").EngineApi,
 *   config: import("./policy-session.js").AddinConfig,
 *   store: ReturnType<typeof import("./policy-store.js").createPolicyStore>, now(): number,
 *   timeoutMs?: number }} deps
 * @returns {Promise<{ status: "updated" | "unchanged" | "refused" | "failed" | "off", detail: string }>}
 */
export function refreshPolicy(deps) {
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
            loaded = deps.api.loadBundle(bundle, { tenant: deps.config.tenant, keyset: deps.config.keyset, held: held, now: deps.now() });
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
