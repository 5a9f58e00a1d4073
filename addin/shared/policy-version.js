// The highest policy version accepted, kept so that an older signed policy (a rollback) is
// refused. The engine's bundle check compares; this only remembers, in storage the add-in
// injects: Outlook's store (addin/outlook/src/policy-store.js: localStorage or
// roamingSettings) or Thunderbird's `storage.local`. ES2016, promises only.

/**
 * @typedef {{ version: number, digest: string }} HeldPolicy   the version and payload digest (hex)
 * @typedef {{ read(): Promise<string | null | undefined>, write(text: string): Promise<void> }} TextStorage
 */

/**
 * @param {unknown} value
 * @returns {HeldPolicy | undefined}
 */
function parseHeld(value) {
  if (typeof value !== "string") return undefined;
  try {
    const held = JSON.parse(value);
    const ok = held && Number.isSafeInteger(held.version) && held.version > 0 && /^[0-9a-f]{64}$/.test(held.digest);
    return ok ? { version: held.version, digest: held.digest } : undefined;
  } catch (e) {
    return undefined;
  }
}

/**
 * @param {TextStorage} storage
 */
export function createPolicyVersionStore(storage) {
  return {
    /**
     * The highest policy accepted so far, or undefined (first run, or unreadable storage).
     * @returns {Promise<HeldPolicy | undefined>}
     */
    held: function () {
      return storage.read().then(parseHeld);
    },
    /**
     * Records a policy the engine accepted; never lowers what is held.
     * @param {HeldPolicy} accepted
     * @returns {Promise<HeldPolicy>} what is held afterwards
     */
    accept: function (accepted) {
      if (!parseHeld(JSON.stringify(accepted))) {
        return Promise.reject(new Error("not a policy version: " + JSON.stringify(accepted)));
      }
      return storage.read().then(function (text) {
        const held = parseHeld(text);
        if (held && held.version >= accepted.version) return held;
        const next = { version: accepted.version, digest: accepted.digest };
        return storage.write(JSON.stringify(next)).then(function () {
          return next;
        });
      });
    }
  };
}

/**
 * Thunderbird: a key of `browser.storage.local`.
 * @param {browser.storage.StorageArea} area
 * @param {string} key
 * @returns {TextStorage}
 */
export function webExtensionStorage(area, key) {
  return {
    read: function () {
      return area.get(key).then(function (items) {
        return items[key];
      });
    },
    write: function (text) {
      /** @type {Record<string, string>} */
      const items = {};
      items[key] = text;
      return area.set(items);
    }
  };
}
