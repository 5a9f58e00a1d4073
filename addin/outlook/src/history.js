// The sender's history as the add-in uses it: checking a draft with it, learning from a send
// that went through (after the verdict, never delaying a send), keeping the most useful
// entries that fit the store, and forgetting it. Every decision about the text (what an entry
// is, which to keep) is the engine's (engine-api.js); this only stores what the engine
// returns and passes it back. A history the engine cannot use never fails a check.
import { checkOrFail } from "../../shared/check.js";
import { roamingBytes } from "./policy-store.js";

/** At most this many attempts to trim a history into the room roamingSettings leaves. */
const FIT_ATTEMPTS = 4;

/**
 * Checks the draft with the history (and the message it answers, when known); if the engine
 * cannot check with them, checks without them, so that a corrupt history or snapshot never
 * turns into a failed check. Failures of the check itself follow the fail mode (check.js).
 * @param {import("./policy-session.js").LoadedEngine} engine
 * @param {import("../../shared/draft.js").Draft} draft
 * @param {string} history the stored history text ("" for none)
 * @param {import("./reply-snapshot.js").Original | null} original
 * @param {"warn" | "block"} failMode
 */
export function checkWithHistory(engine, draft, history, original, failMode) {
  if (history || original) {
    try {
      const withContext = original ? Object.assign({}, draft, { original: original }) : draft;
      return engine.check(withContext, history ? { known: [], history: history } : { known: [] });
    } catch (e) {
      // Checked again below without them.
    }
  }
  return checkOrFail(engine, draft, [], failMode);
}

/**
 * The history trimmed by the engine to what the store has room for; null when not even an
 * empty history fits.
 * @param {import("./policy-session.js").EngineApi} api
 * @param {import("./history-store.js").HistoryStore} store
 * @param {string} text
 * @returns {string | null}
 */
export function fitHistory(api, store, text) {
  const room = store.room();
  if (room === null || roamingBytes(text) <= room) return text;
  // The engine counts the text's bytes; roamingSettings stores it as JSON, where each TAB and
  // line break takes two: aim lower by what the last attempt overshot.
  let maxBytes = room;
  for (let attempt = 0; attempt < FIT_ATTEMPTS && maxBytes > 0; attempt++) {
    const trimmed = api.trimHistory(text, { max_bytes: maxBytes });
    const size = roamingBytes(trimmed);
    if (size <= room) return trimmed;
    maxBytes = Math.floor(maxBytes * room / size) - 64;
  }
  return null;
}

/**
 * Learns a send's recipients into the stored history (called after the verdict let the send
 * go). Never rejects: a history that cannot be learnt or stored stays as it was.
 * @param {import("./policy-session.js").EngineApi} api
 * @param {import("./history-store.js").HistoryStore} store
 * @param {string[]} recipients the draft's To, Cc and Bcc as the engine reads them
 * @param {number} now Unix seconds
 * @returns {Promise<string | null>} the history stored, or null when nothing new was
 */
export function learnFromSend(api, store, recipients, now) {
  return Promise.resolve()
    .then(function () {
      if (recipients.length === 0 || typeof api.learnHistory !== "function") return null;
      const learnt = api.learnHistory(store.read(), { recipients: recipients, now_day: Math.floor(now / 86400) });
      const fitted = fitHistory(api, store, learnt);
      if (fitted === null) return store.forget().then(function () { return null; });
      return store.write(fitted).then(
        function () { return fitted; },
        function () {
          // localStorage full (other data of the origin): keep the more useful half.
          const half = api.trimHistory(fitted, { max_bytes: Math.floor(fitted.length / 2) });
          return store.write(half).then(function () { return half; });
        }
      );
    })
    .catch(function () {
      return null;
    });
}

/**
 * Has a kept engine index `history` (the engine re-indexes only when the text changes), so
 * that the next send's check costs what it costs without one. Best effort.
 * @param {import("./policy-session.js").LoadedEngine} engine
 * @param {string} history
 */
export function primeHistory(engine, history) {
  try {
    engine.check({ to: [], cc: [], bcc: [] }, { known: [], history: history });
  } catch (e) {
    // The next send checks (and indexes) as usual.
  }
}

/**
 * What the pane shows: how many addresses are known, or null when the engine cannot say.
 * @param {import("./policy-session.js").EngineApi} api
 * @param {string} history the stored text
 * @returns {{ entries: number, last_day: number | null, rejected: number } | null}
 */
export function historyCount(api, history) {
  try {
    return api.historySummary(history);
  } catch (e) {
    return null;
  }
}
