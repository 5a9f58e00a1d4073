// The last good signed policy bundle, kept in Outlook's roamingSettings (the classic runtime
// has no localStorage; OfficeRuntime.storage is missing in Outlook). roamingSettings holds at
// most 32 KB for the whole add-in, so a bundle is stored only when it fits the budget below;
// a bigger one is not stored and the policy baked into the add-in's files stands in for it.
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
 * @param {any} settings `Office.context.roamingSettings`
 */
export function createPolicyStore(settings) {
  const held = createPolicyVersionStore(roamingSettingsStorage(settings, HELD_KEY));
  return {
    held: held,
    /**
     * The stored bundle, or undefined when nothing (readable) is stored.
     * @returns {StoredBundle | undefined}
     */
    read: function () {
      const text = settings.get(BUNDLE_KEY);
      if (typeof text !== "string") return undefined;
      try {
        const stored = JSON.parse(text);
        if (stored && typeof stored.bundle === "string") {
          return { bundle: stored.bundle, etag: typeof stored.etag === "string" ? stored.etag : null, fetchedAt: Number(stored.fetchedAt) || 0 };
        }
      } catch (e) {
        // Unreadable: treated as nothing stored; the baked policy stands in.
      }
      return undefined;
    },
    /**
     * Stores a bundle the engine accepted. Answers false (and stores nothing, removing any
     * older bundle) when it does not fit roamingSettings.
     * @param {StoredBundle} stored
     * @returns {Promise<boolean>}
     */
    write: function (stored) {
      const text = JSON.stringify({ bundle: stored.bundle, etag: stored.etag, fetchedAt: stored.fetchedAt });
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
