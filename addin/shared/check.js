// Calling the engine from an add-in: the same code for the ES module (Thunderbird, the
// console) and the classic script's engine, which share one shape; and the one verdict for a
// check that could not run (the engine failed, no policy, the draft unreadable). ES2016.

/**
 * @typedef {import("./dialog.js").Verdict} Verdict
 * @typedef {import("./draft.js").Draft} Draft
 * @typedef {{ check(draft: Draft, context: { known: string[], history?: string }): Verdict }} LoadedEngine
 */

/** Outlook's dialog limit, which every client's summary keeps to. */
const FAILURE_LIMIT = 500;

/**
 * The verdict when no check could run: the admin's fail mode decides warn or block, and the
 * sentence leads with what the sender does, then says why (cut to fit 500 characters).
 * @param {string} why
 * @param {"warn" | "block"} failMode the policy's `fail_mode`
 * @returns {Verdict}
 */
export function couldNotCheck(why, failMode) {
  const block = failMode === "block";
  const lead = block
    ? "Try again in a minute, and ask your IT administrator if this email still cannot be sent: Sendguard could not check it ("
    : "Check this email yourself before sending: Sendguard could not check it (";
  const tail = ").";
  const room = FAILURE_LIMIT - lead.length - tail.length;
  const reason = why.length > room ? why.slice(0, room - 1) + "…" : why;
  return { action: block ? "block" : "warn", summary: lead + reason + tail, findings: [] };
}

/**
 * Checks a draft; if the check itself fails (an engine error), answers a verdict by the
 * policy's fail mode instead of throwing, so a send is never decided by an exception.
 * @param {LoadedEngine} engine
 * @param {Draft} draft
 * @param {string[]} known addresses the sender has written to before
 * @param {"warn" | "block"} failMode the policy's `fail_mode`
 * @param {string} [history] the sender's history text (docs/history-format.md), when the
 *   client keeps one
 * @returns {Verdict}
 */
export function checkOrFail(engine, draft, known, failMode, history) {
  try {
    return engine.check(draft, history === undefined ? { known: known } : { known: known, history: history });
  } catch (e) {
    const error = /** @type {{ code?: string, message?: string }} */ (e || {});
    return couldNotCheck((error.code || "error") + ": " + (error.message || String(e)), failMode);
  }
}
