// The Outlook side of the one refresh protocol (addin/shared/policy-refresh.js): the
// packaged URLs and pinned keyset, the engine adapter and the store of this runtime. Run by
// the compose launch event and the task pane in the background, and by a send whose held
// policy is near expiry without waiting for it; a send never waits on the network.
import { refreshPolicy, nearExpiry } from "../../shared/policy-refresh.js";
import { refreshEngine } from "./engine-api.js";

/** A held policy this close to expiry (seconds) is refreshed at the next chance. */
export const EXPIRY_MARGIN_SECONDS = 3 * 86400;
/** The compose event re-asks the server (with the ETag) at most this often (seconds). */
export const REFRESH_INTERVAL_SECONDS = 3600;

/**
 * @typedef {{ fetch: (url: string, init: object) => Promise<any>,
 *   api(): Promise<import("./policy-session.js").EngineApi>,
 *   config: import("./policy-session.js").AddinConfig,
 *   store: import("./policy-session.js").PolicyStore, now(): number,
 *   timeoutMs?: number }} RefreshDeps
 */

/**
 * Keyset, then policy, from the packaged server; never rejects.
 * @param {RefreshDeps} deps
 * @returns {Promise<import("../../shared/policy-refresh.js").RefreshResult>}
 */
export function refreshFromServer(deps) {
  return refreshPolicy({
    fetch: deps.fetch,
    store: deps.store,
    engine: function () {
      return Promise.resolve().then(deps.api).then(refreshEngine);
    },
    tenant: deps.config.tenant,
    pinnedKeyset: deps.config.keyset,
    keysetUrl: deps.config.keysetUrl || null,
    policyUrl: deps.config.policyUrl,
    now: deps.now,
    timeoutMs: deps.timeoutMs
  });
}

/**
 * Whether the held policy needs the server now: none stored, near its expiry, or not
 * confirmed for REFRESH_INTERVAL_SECONDS.
 * @param {import("./policy-session.js").PolicyStore} store
 * @param {number} now
 */
export function refreshDue(store, now) {
  const stored = store.readBundle();
  return nearExpiry(stored, now, EXPIRY_MARGIN_SECONDS) || !stored || now - stored.checkedAt >= REFRESH_INTERVAL_SECONDS;
}

/**
 * Whether a send should start a background refresh: the held policy is near expiry.
 * @param {import("./policy-session.js").PolicyStore} store
 * @param {number} now
 */
export function expirySoon(store, now) {
  return nearExpiry(store.readBundle(), now, EXPIRY_MARGIN_SECONDS);
}
