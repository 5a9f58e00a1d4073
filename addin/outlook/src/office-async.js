// Office's callback APIs (`getAsync(options, callback)`) as promises. ES2016: this code also
// runs in classic Outlook's JavaScript-only runtime, where async/await is not safe.

/**
 * Calls `target[method](...args, callback)` and settles with the result's value, or rejects
 * with an Error naming the call when Office reports a failure.
 * @param {any} target an Office object, e.g. `item.to`
 * @param {string} method e.g. "getAsync"
 * @param {any[]} args the arguments before the callback
 * @returns {Promise<any>}
 */
export function officeCall(target, method, args) {
  return new Promise(function (resolve, reject) {
    if (!target || typeof target[method] !== "function") {
      reject(new Error(method + " is not available in this Outlook"));
      return;
    }
    target[method].apply(target, args.concat([function (/** @type {any} */ result) {
      if (result && result.status === "failed") {
        const why = result.error ? result.error.message || result.error.name : "failed";
        reject(new Error(method + ": " + why));
      } else {
        resolve(result ? result.value : undefined);
      }
    }]));
  });
}

/**
 * True when the client supports `Mailbox` at `version` (e.g. "1.14").
 * @param {any} office the `Office` global
 * @param {string} version
 */
export function supportsMailbox(office, version) {
  try {
    return Boolean(office.context.requirements.isSetSupported("Mailbox", version));
  } catch (e) {
    return false;
  }
}
