// Where the add-in keeps the sender's history (the engine's text, docs/history-format.md),
// in the store this runtime has (policy-store.js, pickBackend), beside the policy records:
//   - localStorage (Outlook on the web, new Outlook on Windows, Mac): the whole history, as
//     long as the engine keeps it (at most 50,000 addresses);
//   - roamingSettings (classic Outlook on Windows' JavaScript-only runtime): what the policy
//     records leave of Outlook's 32 KB, less a margin for the policy to grow and the daily
//     counts' budget (reports.js); the engine chooses which entries fit (history.js).
// The text is stored as the engine wrote it and never read here: a store that holds anything
// but a string answers "" (no history), so a corrupt store never stops a check.
import { HISTORY_KEY, REPORTS_BUDGET, REPORTS_KEY, ROAMING_LIMIT, roamingBytes, roamingUsed } from "./policy-store.js";

/** roamingSettings: bytes left free for the policy records to grow into before the history
 * has to give way (policy-store.js removes it then). */
export const POLICY_GROWTH = 2000;

/**
 * @param {import("./policy-store.js").Backend} backend
 */
export function createHistoryStore(backend) {
  return {
    kind: backend.kind,
    /** The stored history text, or "" when none (or not a string). */
    read: function () {
      try {
        const text = backend.get(HISTORY_KEY);
        return typeof text === "string" ? text : "";
      } catch (e) {
        return "";
      }
    },
    /**
     * The bytes (as roamingSettings counts them) the history may take, or null when the
     * store has no fixed bound (localStorage: the engine's entry limit bounds it).
     * @returns {number | null}
     */
    room: function () {
      if (backend.kind !== "roamingSettings") return null;
      // The daily counts' queue (reports.js) keeps its budget whether or not it uses it yet.
      const reports = roamingBytes(REPORTS_KEY) + REPORTS_BUDGET;
      return Math.max(0, ROAMING_LIMIT - POLICY_GROWTH - reports - roamingUsed(backend, [HISTORY_KEY, REPORTS_KEY]) - roamingBytes(HISTORY_KEY));
    },
    /**
     * Stores the history; rejects when the store refuses it (localStorage full).
     * @param {string} text
     * @returns {Promise<void>}
     */
    write: function (text) {
      try {
        backend.set(HISTORY_KEY, text);
      } catch (e) {
        return Promise.reject(e);
      }
      return backend.save();
    },
    /** Erases the history from this store. @returns {Promise<void>} */
    forget: function () {
      backend.remove(HISTORY_KEY);
      return backend.save();
    }
  };
}

/** @typedef {ReturnType<typeof createHistoryStore>} HistoryStore */

/**
 * The history as the task pane sees it. The pane is an HTML page, with localStorage, even in
 * classic Outlook on Windows, whose send handler keeps the history in roamingSettings (which
 * also roam to the user's other Outlooks); so the pane checks with and counts whichever store
 * holds more, and Forget erases every one.
 * @param {HistoryStore[]} stores the page's own store first
 * @returns {HistoryStore}
 */
export function combinedHistoryStore(stores) {
  return {
    kind: stores[0].kind,
    read: function () {
      return stores.map(function (s) { return s.read(); }).reduce(function (a, b) { return b.length > a.length ? b : a; }, "");
    },
    room: function () { return stores[0].room(); },
    write: function (text) { return stores[0].write(text); },
    forget: function () {
      return Promise.all(stores.map(function (s) { return s.forget(); })).then(function () {});
    }
  };
}
