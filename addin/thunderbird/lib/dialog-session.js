// One dialog window per held send. The background opens the window and waits; the window's
// page asks for the verdict, reports the sender's choices, and pings every 10 s so that
// Thunderbird does not shut the (Manifest V3) event page down while the sender thinks.
// Closing the window is the same as Cancel.

import { applyChoices } from "./fixes.js";

/** Messages the dialog page sends (`runtime.sendMessage`), by `type`. */
export const DIALOG_MESSAGES = ["dialog-open", "dialog-choose", "dialog-send", "dialog-cancel", "dialog-ping"];

/** How often the dialog page pings; well under the event page's 30 s idle limit. */
export const PING_INTERVAL_MS = 10000;

/**
 * @typedef {import("../../shared/dialog.js").Verdict} Verdict
 * @typedef {{ verdict: Verdict, choice: "fix" | "remove" }} Step
 *   one Fix or Remove, with the verdict on screen when the sender chose it
 * @typedef {({ cancel: true } | { details: Record<string, unknown[]>, justification?: string })
 *   & { steps: Step[], verdict: Verdict }} Answer
 *   `steps` and `verdict` (the one on screen at the end) say what the sender did, for the
 *   daily counts (reports.js)
 * @typedef {{ details: Record<string, unknown>, verdict: Verdict,
 *   recheck: (details: Record<string, unknown>) => Promise<Verdict> }} Question
 */

/**
 * @param {{ windows: { create(o: object): Promise<{ id?: number }>, remove(id: number): Promise<void> },
 *   pageUrl: (path: string) => string,
 *   maySend: (verdict: Verdict, justification: string | undefined) => Promise<boolean> }} deps
 *   maySend: the engine's rule for whether a verdict lets the send go, given a justification
 */
export function createDialogs(deps) {
  /** @type {Map<string, Question & { choices: any[], steps: Step[], changed: Record<string, unknown[]>, windowId?: number, finish: (a: Answer) => void }>} */
  const sessions = new Map();
  let counter = 0;

  /**
   * Ends a held send with the sender's answer, and what they did on the way.
   * @param {string} id
   * @param {{ cancel: true } | { details: Record<string, unknown[]>, justification?: string }} answer
   */
  function finish(id, answer) {
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    session.finish({ ...answer, steps: session.steps, verdict: session.verdict });
    if (session.windowId !== undefined) deps.windows.remove(session.windowId).catch(() => {});
  }

  return {
    /**
     * Opens the dialog for a held send; resolves with the sender's answer.
     * @param {Question} question
     * @returns {Promise<Answer>}
     */
    ask(question) {
      counter += 1;
      const id = `${Date.now().toString(36)}-${counter}`;
      return new Promise((resolve, reject) => {
        sessions.set(id, { ...question, choices: [], steps: [], changed: {}, finish: resolve });
        deps.windows
          .create({ type: "popup", url: deps.pageUrl(`thunderbird/dialog/dialog.html?session=${id}`), width: 620, height: 520 })
          .then((win) => {
            const session = sessions.get(id);
            if (session) session.windowId = win.id;
          })
          .catch((e) => {
            sessions.delete(id);
            reject(e);
          });
      });
    },

    /** How many sends wait for an answer (for tests and the options page). */
    get pending() {
      return sessions.size;
    },

    /**
     * A window was closed: its send is cancelled.
     * @param {number} windowId
     */
    onWindowRemoved(windowId) {
      for (const [id, session] of sessions) {
        if (session.windowId === windowId) {
          session.windowId = undefined;
          finish(id, { cancel: true });
        }
      }
    },

    /**
     * Handles a message from a dialog page; undefined for messages that are not ours.
     * @param {{ type: string, session: string, [k: string]: any }} message
     * @returns {Promise<object> | undefined}
     */
    onMessage(message) {
      if (!message || !DIALOG_MESSAGES.includes(message.type)) return undefined;
      const session = sessions.get(message.session);
      if (!session) return Promise.resolve({ error: "This send is no longer waiting (the window may be stale)." });
      switch (message.type) {
        case "dialog-ping":
          return Promise.resolve({ alive: true });
        case "dialog-open":
          return Promise.resolve({ verdict: session.verdict, changed: session.changed });
        case "dialog-choose":
          return choose(session, message);
        case "dialog-cancel":
          finish(message.session, { cancel: true });
          return Promise.resolve({ done: true });
        case "dialog-send":
          return send(message.session, session, message.justification);
      }
      return undefined;
    }
  };

  /** Send anyway, if the engine lets this verdict go with the sender's justification. */
  async function send(id, session, justification) {
    const text = typeof justification === "string" ? justification : undefined;
    let allowed;
    try {
      allowed = await deps.maySend(session.verdict, text);
    } catch (e) {
      // No engine to ask: the send stays held (never a silent pass) and the sender is told.
      return { error: `Sendguard could not confirm this send: ${e.message || e}` };
    }
    if (!allowed) {
      return { error: session.verdict.justification_required ? "A justification is required." : "This email cannot be sent as it is." };
    }
    const kept = text && text.trim() ? text.trim() : undefined;
    finish(id, { details: session.changed, ...(kept ? { justification: kept } : {}) });
    return { done: true };
  }

  /** Fix or Remove one recipient (a row of the engine's `by_recipient`), then check the corrected draft again. */
  async function choose(session, message) {
    const row = (session.verdict.by_recipient || [])[message.row];
    if (message.choice !== "fix" && message.choice !== "remove") return { error: "Choose Fix or Remove." };
    if (!row || !row.recipient || !row.field) return { error: "Nothing to change for this recipient." };
    if (message.choice === "fix" && !row.fix) return { error: "There is no corrected address for this recipient." };
    session.choices.push({ field: row.field, recipient: row.recipient, choice: message.choice, fix: row.fix });
    session.changed = applyChoices(session.details, session.choices);
    const before = session.verdict;
    session.verdict = await session.recheck({ ...session.details, ...session.changed });
    session.steps.push({ verdict: before, choice: message.choice });
    return { verdict: session.verdict, changed: session.changed };
  }
}
