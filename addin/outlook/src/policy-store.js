// The last good signed policy bundle, kept in Outlook's roamingSettings (the classic runtime
// has no localStorage; OfficeRuntime.storage is missing in Outlook). roamingSettings holds at
// most 32 KB for the whole add-in, so a bundle is stored only when it fits the budget below;
// a bigger one is not stored and the policy baked into the add-in's files stands in for it.
// Both records name their tenant: after repackaging for another tenant, the old tenant's
// bundle and version are ignored (its version would otherwise make the new tenant's first
// bundles look like rollbacks). roamingSettings cannot list keys, so the keys stay fixed.
import { roamingSettingsStorage, createPolicyVersionStore } from "../../shared/policy-version.js";

/** roamingSettings keys. */
export const BUNDLE_KEY = "sendguard.bundle";
export const HELD_KEY = "sendguard.held";
/** Characters allowed for the stored bundle and its ETag: 32 KB less room for the other keys. */
export const BUNDLE_BUDGET = 30000;

/**
 * @typedef {{ bundle: string, etag: string | null, fetchedAt: number }} StoredBundle
 */

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
     * older bundle) when it does not fit roamingSettings.
     * @param {StoredBundle} stored
     * @returns {Promise<boolean>}
     */
    write: function (stored) {
      const text = JSON.stringify({ tenant: tenant, bundle: stored.bundle, etag: stored.etag, fetchedAt: stored.fetchedAt });
      const fits = text.length <= BUNDLE_BUDGET;
      if (fits) settings.set(BUNDLE_KEY, text);
      else settings.remove(BUNDLE_KEY);
      return new Promise(function (resolve, reject) {
        settings.saveAsync(function (/** @type {any} */ result) {
          if (result && result.status === "failed") reject(new Error("roamingSettings.saveAsync: " + (result.error && result.error.message)));
          else resolve(fits);
        });
      });
    }
  };
}
