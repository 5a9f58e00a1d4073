// The last good signed policy bundle and the keysets accepted as updates, kept in
// Outlook's roamingSettings (the classic runtime has no localStorage; OfficeRuntime.storage
// is missing in Outlook). roamingSettings holds at most 32 KB for the whole add-in, so the
// bundle and the keysets together stay within the budget below: the keysets (1-2 KB each,
// usually one) first, since they decide which bundles count; a bundle that does not fit beside it is not stored
// and the policy baked into the add-in's files stands in for it.
// The records name their tenant: after repackaging for another tenant, the old tenant's
// bundle and version are ignored (its version would otherwise make the new tenant's first
// bundles look like rollbacks). roamingSettings cannot list keys, so the keys stay fixed.
import { roamingSettingsStorage, createPolicyVersionStore } from "../../shared/policy-version.js";

/** roamingSettings keys. */
export const BUNDLE_KEY = "sendguard.bundle";
export const HELD_KEY = "sendguard.held";
export const KEYSET_KEY = "sendguard.keyset";
/** Characters allowed for the stored bundle and keyset records (with their ETags) together:
 * 32 KB less room for the other keys. */
export const BUNDLE_BUDGET = 30000;
/** A keyset record larger than this is not stored (the keyset trusted before stays in
 * force); real keysets are 1-2 KB and the chain holds one more per root rotation since the
 * pinned keyset, and this leaves most of the budget to the bundle. */
export const KEYSET_BUDGET = 8000;

/**
 * @typedef {{ bundle: string, etag: string | null, fetchedAt: number }} StoredBundle
 * @typedef {{ chain: string[], etag: string | null, acceptedAt: number }} StoredKeyset
 *   the keysets accepted since the pinned one, each an update of the one before
 *   (addin/shared/keyset-trust.js); the ETag is the last one's
 */

/**
 * The length of a roamingSettings record (0 when absent).
 * @param {any} settings
 * @param {string} key
 */
function sizeOf(settings, key) {
  const text = settings.get(key);
  return typeof text === "string" ? text.length : 0;
}

/**
 * Saves roamingSettings; answers `value` once saved.
 * @template T
 * @param {any} settings
 * @param {T} value
 * @returns {Promise<T>}
 */
function save(settings, value) {
  return new Promise(function (resolve, reject) {
    settings.saveAsync(function (/** @type {any} */ result) {
      if (result && result.status === "failed") reject(new Error("roamingSettings.saveAsync: " + (result.error && result.error.message)));
      else resolve(value);
    });
  });
}

/**
 * A JSON record of roamingSettings, or undefined unless it is an object for `tenant`.
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
 * The highest accepted version (addin/shared/policy-version.js), kept for one tenant.
 * @param {any} settings
 * @param {string} tenant
 * @returns {import("../../shared/policy-version.js").TextStorage}
 */
function tenantHeldStorage(settings, tenant) {
  const raw = roamingSettingsStorage(settings, HELD_KEY);
  return {
    read: function () {
      return raw.read().then(function (text) {
        const record = recordFor(text, tenant);
        return record ? JSON.stringify(record.held) : undefined;
      });
    },
    write: function (text) {
      return raw.write(JSON.stringify({ tenant: tenant, held: JSON.parse(text) }));
    }
  };
}

/**
 * @param {any} settings `Office.context.roamingSettings`
 * @param {string} tenant the pinned tenant
 */
export function createPolicyStore(settings, tenant) {
  const held = createPolicyVersionStore(tenantHeldStorage(settings, tenant));
  return {
    held: held,
    /**
     * The stored bundle, or undefined when nothing (readable) is stored.
     * @returns {StoredBundle | undefined}
     */
    read: function () {
      const stored = recordFor(settings.get(BUNDLE_KEY), tenant);
      if (!stored || typeof stored.bundle !== "string") return undefined;
      return { bundle: stored.bundle, etag: typeof stored.etag === "string" ? stored.etag : null, fetchedAt: Number(stored.fetchedAt) || 0 };
    },
    /**
     * Stores a bundle the engine accepted. Answers false (and stores nothing, removing any
     * older bundle) when it does not fit roamingSettings beside the stored keyset.
     * @param {StoredBundle} stored
     * @returns {Promise<boolean>}
     */
    write: function (stored) {
      const text = JSON.stringify({ tenant: tenant, bundle: stored.bundle, etag: stored.etag, fetchedAt: stored.fetchedAt });
      const fits = text.length + sizeOf(settings, KEYSET_KEY) <= BUNDLE_BUDGET;
      if (fits) settings.set(BUNDLE_KEY, text);
      else settings.remove(BUNDLE_KEY);
      return save(settings, fits);
    },
    /**
     * The stored keyset chain (verified again before use), or undefined.
     * @returns {StoredKeyset | undefined}
     */
    readKeyset: function () {
      const stored = recordFor(settings.get(KEYSET_KEY), tenant);
      if (!stored || !Array.isArray(stored.chain)) return undefined;
      return { chain: stored.chain, etag: typeof stored.etag === "string" ? stored.etag : null, acceptedAt: Number(stored.acceptedAt) || 0 };
    },
    /**
     * Stores the keyset chain the engine accepted. Answers false (storing nothing) when it is
     * over KEYSET_BUDGET; a stored bundle that no longer fits beside it is removed.
     * @param {StoredKeyset} stored
     * @returns {Promise<boolean>}
     */
    writeKeyset: function (stored) {
      const text = JSON.stringify({ tenant: tenant, chain: stored.chain, etag: stored.etag, acceptedAt: stored.acceptedAt });
      if (text.length > KEYSET_BUDGET) return Promise.resolve(false);
      settings.set(KEYSET_KEY, text);
      if (text.length + sizeOf(settings, BUNDLE_KEY) > BUNDLE_BUDGET) settings.remove(BUNDLE_KEY);
      return save(settings, true);
    }
  };
}
