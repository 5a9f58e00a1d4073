// Calling the engine from an add-in: the same code for the ES module (Thunderbird, the
// console) and the classic script's engine, which share one shape. ES2016.

/**
 * @typedef {import("./dialog.js").Verdict} Verdict
 * @typedef {import("./draft.js").Draft} Draft
 * @typedef {{ check(draft: Draft, context: { known: string[] }): Verdict }} LoadedEngine
 */

/**
 * Checks a draft; if the check itself fails (an engine error), answers a verdict by the
 * policy's fail mode instead of throwing, so a send is never decided by an exception.
 * @param {LoadedEngine} engine
 * @param {Draft} draft
 * @param {string[]} known addresses the sender has written to before
 * @param {"warn" | "block"} failMode the policy's `fail_mode`
 * @returns {Verdict}
 */
export function checkOrFail(engine, draft, known, failMode) {
  try {
    return engine.check(draft, { known: known });
  } catch (e) {
    const error = /** @type {{ code?: string, message?: string }} */ (e || {});
    const why = error.message || String(e);
    const message = "Sendguard could not check this email (" + (error.code || "error") + ": " + why + ").";
    return {
      action: failMode === "block" ? "block" : "warn",
      summary: message.length > 500 ? message.slice(0, 499) + "…" : message,
      findings: []
    };
  }
}
