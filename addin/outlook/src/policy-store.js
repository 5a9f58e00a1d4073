// Where the add-in keeps the last good signed policy bundle, the keysets accepted as updates
// and the highest version held (the store of addin/shared/policy-refresh.js), per runtime:
//   - localStorage in the HTML runtimes (Outlook on the web, new Outlook on Windows, Mac):
//     room for any policy, shared by the task pane and the event runtime of one origin;
//   - roamingSettings in classic Outlook on Windows, whose JavaScript-only runtime has no
//     localStorage (OfficeRuntime.storage is reported missing in Outlook): mailbox-wide but at
//     most 32 KB for the whole add-in, so the bundle and the keysets stay within BUNDLE_BUDGET,
//     the keysets first (they decide which bundles count); a bundle that does not fit is not
//     stored and the policy baked into the add-in stands in for it.
// The sender's history (history-store.js) and the queued daily counts (reports.js) share the
// backend: in roamingSettings the counts have at most 2,000 bytes and the history what the
// policy records and those leave of the 32 KB; a policy record that needs that room takes it
// (the history is removed, then learnt again within what is left; then the counts).
// The records name their tenant: after repackaging for another tenant, the old tenant's
// bundle and version are ignored (its version would otherwise make the new tenant's first
// bundles look like rollbacks). Stored bundles are verified again before use: at every send,
// or, where the event runtime keeps its policy between sends (policy-session.js), whenever a
// stored record changes and at least every 10 minutes.
import { createPolicyVersionStore } from "../../shared/policy-version.js";

/** Storage keys (the same in both stores). */
export const BUNDLE_KEY = "sendguard.bundle";
export const HELD_KEY = "sendguard.held";
export const KEYSET_KEY = "sendguard.keyset";
/** The sender's history (history-store.js). */
export const HISTORY_KEY = "sendguard.history";
/** The daily report's queue (reports.js). */
export const REPORTS_KEY = "sendguard.reports";
/** roamingSettings: bytes the daily report's queue may take (the history leaves them free). */
export const REPORTS_BUDGET = 2000;
/** Every key the add-in keeps in roamingSettings. */
export const ROAMING_KEYS = [BUNDLE_KEY, HELD_KEY, KEYSET_KEY, HISTORY_KEY, REPORTS_KEY];
/** roamingSettings: what Outlook allows one add-in (32 KB, counted here as the UTF-8 of
 * each setting's JSON, as Outlook stores it), less a margin. */
export const ROAMING_LIMIT = 32000;
/** roamingSettings: characters allowed for the bundle and keyset records together, 32 KB
 * less room for the other keys. */
export const BUNDLE_BUDGET = 30000;
/** A keyset record larger than this is not stored in roamingSettings (the keyset trusted
 * before stays in force); real keysets are 1-2 KB. */
export const KEYSET_BUDGET = 8000;
/** localStorage: what a policy record may take (browsers give an origin about 5 MB; a
 * bundle is at most 1 MiB, MAX_BUNDLE_BYTES in the core). */
export const LOCAL_BUDGET = 2500000;

/**
 * @typedef {{ kind: "localStorage" | "roamingSettings", budget: number, keysetBudget: number,
 *   get(key: string): unknown, set(key: string, text: string): void, remove(key: string): void,
 *   save(): Promise<void> }} Backend
 */

/**
 * Office's roamingSettings (saved to the mailbox by saveAsync).
 * @param {any} settings `Office.context.roamingSettings`
 * @returns {Backend}
 */
export function roamingBackend(settings) {
  return {
    kind: "roamingSettings",
    budget: BUNDLE_BUDGET,
    keysetBudget: KEYSET_BUDGET,
    get: function (key) { return settings.get(key); },
    set: function (key, text) { settings.set(key, text); },
    remove: function (key) { settings.remove(key); },
    save: function () {
      return new Promise(function (resolve, reject) {
        settings.saveAsync(function (/** @type {any} */ result) {
          if (result && result.status === "failed") reject(new Error("roamingSettings.saveAsync: " + (result.error && result.error.message)));
          else resolve();
        });
      });
    }
  };
}

/**
 * The page's localStorage.
 * @param {Storage} storage
 * @returns {Backend}
 */
export function localBackend(storage) {
  return {
    kind: "localStorage",
    budget: LOCAL_BUDGET,
    keysetBudget: LOCAL_BUDGET,
    get: function (key) { return storage.getItem(key); },
    set: function (key, text) { storage.setItem(key, text); },
    remove: function (key) { storage.removeItem(key); },
    save: function () { return Promise.resolve(); }
  };
}

/**
 * The store this runtime has: localStorage when it exists and takes a write (the HTML
 * runtimes), else roamingSettings (classic Outlook's JavaScript-only runtime).
 * @param {{ localStorage?: Storage, roamingSettings: any }} runtime
 * @returns {Backend}
 */
export function pickBackend(runtime) {
  try {
    const storage = runtime.localStorage;
    if (storage && typeof storage.setItem === "function") {
      storage.setItem("sendguard.probe", "1");
      storage.removeItem("sendguard.probe");
      return localBackend(storage);
    }
  } catch (e) {
    // Access denied (a privacy setting) or full: roamingSettings it is.
  }
  return roamingBackend(runtime.roamingSettings);
}

/**
 * Bytes a value takes in roamingSettings: the UTF-8 of its JSON.
 * @param {unknown} value
 */
export function roamingBytes(value) {
  if (value === undefined || value === null) return 0;
  const json = JSON.stringify(value);
  let bytes = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    // Surrogate pairs count 2 + 2: 4 bytes of UTF-8.
    bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c < 0xe000) ? 2 : 3;
  }
  return bytes;
}

/**
 * Bytes the add-in's roamingSettings take, the key names included, leaving out `except`.
 * @param {Backend} backend
 * @param {string | string[]} [except]
 */
export function roamingUsed(backend, except) {
  const left = Array.isArray(except) ? except : except ? [except] : [];
  let used = 0;
  ROAMING_KEYS.forEach(function (key) {
    if (left.indexOf(key) >= 0) return;
    const value = backend.get(key);
    if (value !== undefined && value !== null) used += roamingBytes(key) + roamingBytes(value);
  });
  return used;
}

/**
 * The policy first: in roamingSettings, when the policy records, the history and the queued
 * daily counts together would pass Outlook's limit, the history goes (the next send learns
 * again in what is left), then the counts if need be.
 * @param {Backend} backend
 */
function policyFirst(backend) {
  if (backend.kind !== "roamingSettings") return;
  if (roamingUsed(backend) > ROAMING_LIMIT) backend.remove(HISTORY_KEY);
  if (roamingUsed(backend) > ROAMING_LIMIT) backend.remove(REPORTS_KEY);
}

/**
 * The length of a stored record (0 when absent).
 * @param {Backend} backend
 * @param {string} key
 */
function storedSize(backend, key) {
  const text = backend.get(key);
  return typeof text === "string" ? text.length : 0;
}

/**
 * A JSON record, or undefined unless it is an object for `tenant`.
 * @param {unknown} text
 * @param {string} tenant
 * @returns {any}
 */
function recordFor(text, tenant) {
  if (typeof text !== "string") return undefined;
  try {
    const record = JSON.parse(text);
    return record && typeof record === "object" && record.tenant === tenant ? record : undefined;
  } catch (e) {
    // Unreadable: treated as nothing stored; the baked policy stands in.
    return undefined;
  }
}

/**
 * @param {Backend} backend
 * @param {string} tenant the pinned tenant
 */
export function createPolicyStore(backend, tenant) {
  const held = createPolicyVersionStore({
    read: function () {
      const record = recordFor(backend.get(HELD_KEY), tenant);
      return Promise.resolve(record ? JSON.stringify(record.held) : undefined);
    },
    write: function (text) {
      backend.set(HELD_KEY, JSON.stringify({ tenant: tenant, held: JSON.parse(text) }));
      policyFirst(backend);
      return backend.save();
    }
  });
  return {
    kind: backend.kind,
    held: held,
    /**
     * The stored bundle, or undefined when nothing (readable) is stored.
     * @returns {import("../../shared/policy-refresh.js").StoredBundle | undefined}
     */
    readBundle: function () {
      const stored = recordFor(backend.get(BUNDLE_KEY), tenant);
      if (!stored || typeof stored.bundle !== "string") return undefined;
      const number = function (/** @type {unknown} */ n) { return typeof n === "number" ? n : null; };
      return {
        bundle: stored.bundle,
        etag: typeof stored.etag === "string" ? stored.etag : null,
        fetchedAt: Number(stored.fetchedAt) || 0,
        checkedAt: Number(stored.checkedAt) || 0,
        version: Number(stored.version) || 0,
        digest: String(stored.digest || ""),
        expiresAt: number(stored.expiresAt),
        failMode: stored.failMode === "block" ? "block" : "warn",
        stale: stored.stale === true
      };
    },
    /**
     * Stores a bundle the engine accepted. Answers false (and stores nothing, removing any
     * older bundle) when it does not fit beside the stored keyset.
     * @param {import("../../shared/policy-refresh.js").StoredBundle} stored
     * @returns {Promise<boolean>}
     */
    writeBundle: function (stored) {
      const text = JSON.stringify(Object.assign({ tenant: tenant }, stored));
      const fits = text.length + storedSize(backend, KEYSET_KEY) <= backend.budget;
      if (fits) backend.set(BUNDLE_KEY, text);
      else backend.remove(BUNDLE_KEY);
      policyFirst(backend);
      return backend.save().then(function () { return fits; });
    },
    /**
     * The stored keyset chain (verified again before use), or undefined.
     * @returns {import("../../shared/policy-refresh.js").StoredKeyset | undefined}
     */
    readKeyset: function () {
      const stored = recordFor(backend.get(KEYSET_KEY), tenant);
      if (!stored || !Array.isArray(stored.chain)) return undefined;
      return { chain: stored.chain, etag: typeof stored.etag === "string" ? stored.etag : null, acceptedAt: Number(stored.acceptedAt) || 0 };
    },
    /**
     * Stores the keyset chain the engine accepted. Answers false (storing nothing) when it is
     * over the keyset budget; a stored bundle that no longer fits beside it is removed.
     * @param {import("../../shared/policy-refresh.js").StoredKeyset} stored
     * @returns {Promise<boolean>}
     */
    writeKeyset: function (stored) {
      const text = JSON.stringify({ tenant: tenant, chain: stored.chain, etag: stored.etag, acceptedAt: stored.acceptedAt });
      if (text.length > backend.keysetBudget) return Promise.resolve(false);
      backend.set(KEYSET_KEY, text);
      if (text.length + storedSize(backend, BUNDLE_KEY) > backend.budget) backend.remove(BUNDLE_KEY);
      policyFirst(backend);
      return backend.save().then(function () { return true; });
    }
  };
}
