// The Outlook side of the daily report (docs/privacy.md, "Anonymous counts"): which verdicts
// Outlook can say anything about, the queue's storage in this runtime's store, and when the
// queue is sent. What a verdict counts for is the engine's decision (`engine.reportTally`, the
// core's `report::tally`, which also reports whether the policy switched reporting off); the
// batching per day and policy version, the offline queue and the posting are the shared
// queue's (addin/shared/report-queue.js). This file only says what Outlook observed:
//   - a send the verdict let go: its monitored findings went out with it (`monitored`);
//   - a send the verdict blocked: `blocked` (its monitored findings are counted when the
//     fixed email goes, not with each stopped attempt);
//   - a send the verdict warned about: nothing, because Outlook never tells an add-in whether
//     the sender then pressed Smart Alerts' own "Send Anyway" or went back to the draft;
//   - a one-click fix in the task pane of a recipient who was warned about: `fixed` (Replace)
//     or `removed` (Remove), for that recipient's own findings (a blocked recipient was
//     already counted as `blocked` when Send was stopped).
// Storage: key `sendguard.reports` in the runtime's store (policy-store.js): at most
// ROAMING_REPORTS_BUDGET bytes in roamingSettings (the oldest days go first; the policy and
// the history keep their room), LOCAL_REPORTS_BUDGET in localStorage. Sending: finished days
// at each launch event (send, compose) and when the pane opens, today's so far at most every
// PARTIAL_INTERVAL_SECONDS, one post at a time per runtime, always after `event.completed`.
import { createReportQueue, utcDay } from "../../shared/report-queue.js";
import { REPORTS_BUDGET, REPORTS_KEY, ROAMING_LIMIT, roamingBytes, roamingUsed } from "./policy-store.js";

/** roamingSettings: what the queue may take of Outlook's 32 KB (history-store.js leaves it). */
export const ROAMING_REPORTS_BUDGET = REPORTS_BUDGET;
/** localStorage: what the queue may take (31 full days would be far more; real days are small). */
export const LOCAL_REPORTS_BUDGET = 200000;
/** Today's counts so far are sent at most this often (seconds); finished days at every chance. */
export const PARTIAL_INTERVAL_SECONDS = 4 * 3600;
/** A report post that has not answered by then is given up (the day waits for the next chance). */
export const REPORT_TIMEOUT_MS = 10000;

/**
 * @typedef {import("../../shared/report-queue.js").Tally} Tally
 * @typedef {import("../../shared/dialog.js").Verdict & { monitored?: any[] }} EngineVerdict
 * @typedef {{ reportTally(request: { verdict: any, outcome?: string }): Tally }} TallyEngine
 * @typedef {{ engine: any, version: number | null, stale: boolean }} ReportPolicy   the
 *   policy the verdict came from (policy-session.js's PolicyInUse has these)
 * @typedef {{ current: Promise<unknown> | null }} Flight   the runtime's post in flight
 * @typedef {{ backend: import("./policy-store.js").Backend, reportUrl: string | null | undefined,
 *   fetch: ((url: string, init: any) => Promise<any>) | null, now(): number,
 *   flight: Flight, randomBytes?: (n: number) => Uint8Array, timeoutMs?: number }} ReporterDeps
 *   now: Unix seconds; flight: one per runtime (main-commands.js), so that at most one post is
 *   in flight whatever the number of events
 */

/** A runtime's post in flight: none yet. @returns {Flight} */
export function createFlight() {
  return { current: null };
}

/**
 * What reports.js keeps under REPORTS_KEY: the queue's state and when today's counts were
 * last sent. Unreadable: nothing kept.
 * @param {import("./policy-store.js").Backend} backend
 * @returns {{ queue: any, partial_at: number }}
 */
function readRecord(backend) {
  try {
    const text = backend.get(REPORTS_KEY);
    const record = typeof text === "string" ? JSON.parse(text) : null;
    if (record && typeof record === "object") return { queue: record.queue || null, partial_at: Number(record.partial_at) || 0 };
  } catch (e) {
    // Another program's value, or a torn write: start afresh (a new install id).
  }
  return { queue: null, partial_at: 0 };
}

/**
 * The bytes the record may take here: in roamingSettings ROAMING_REPORTS_BUDGET, or less when
 * the policy records (which always come first) leave less of Outlook's limit.
 * @param {import("./policy-store.js").Backend} backend
 */
function budgetOf(backend) {
  if (backend.kind !== "roamingSettings") return LOCAL_REPORTS_BUDGET;
  const left = ROAMING_LIMIT - roamingUsed(backend, REPORTS_KEY) - roamingBytes(REPORTS_KEY);
  return Math.min(ROAMING_REPORTS_BUDGET, left);
}

/** @param {import("./policy-store.js").Backend} backend @param {string} text */
function sizeIn(backend, text) {
  return backend.kind === "roamingSettings" ? roamingBytes(text) : text.length;
}

/**
 * The queue's storage (report-queue.js QueueStorage) in this runtime's store, within its
 * budget: a state that does not fit loses its oldest days until it does (nothing at all is
 * kept when not even an empty queue fits).
 * @param {import("./policy-store.js").Backend} backend
 */
export function reportStorage(backend) {
  /** @param {{ queue: any, partial_at: number } | null} record */
  function store(record) {
    if (record === null) backend.remove(REPORTS_KEY);
    else backend.set(REPORTS_KEY, JSON.stringify(record));
    return backend.save();
  }
  return {
    /** @returns {Promise<string | null>} */
    read: function () {
      return Promise.resolve().then(function () {
        const record = readRecord(backend);
        return record.queue ? JSON.stringify(record.queue) : null;
      });
    },
    /** @param {string} text the queue's state @returns {Promise<void>} */
    write: function (text) {
      return Promise.resolve().then(function () {
        const record = { queue: JSON.parse(text), partial_at: readRecord(backend).partial_at };
        const batches = Array.isArray(record.queue.batches) ? record.queue.batches : [];
        const budget = budgetOf(backend);
        while (batches.length > 0 && sizeIn(backend, JSON.stringify(record)) > budget) batches.shift();
        return store(sizeIn(backend, JSON.stringify(record)) <= budget ? record : null);
      });
    },
    /** When today's counts were last sent (Unix seconds; 0: never). */
    partialAt: function () {
      return readRecord(backend).partial_at;
    },
    /** @param {number} now Unix seconds @returns {Promise<void>} */
    setPartialAt: function (now) {
      const record = readRecord(backend);
      if (!record.queue) return Promise.resolve();
      record.partial_at = now;
      return store(record);
    },
    /**
     * Whether a kept day is due: before `today` (`YYYY-MM-DD`, UTC), or today itself.
     * @param {string} today
     * @param {boolean} includeToday
     */
    hasDue: function (today, includeToday) {
      const queue = readRecord(backend).queue;
      const batches = queue && Array.isArray(queue.batches) ? queue.batches : [];
      return batches.some(function (/** @type {any} */ b) { return b.day < today || (includeToday && b.day === today); });
    },
    /** Whether anything is kept (a queue, or at least its install id). */
    present: function () {
      const text = backend.get(REPORTS_KEY);
      return text !== undefined && text !== null;
    },
    /** Erases everything kept, install id included (the policy switched reporting off). */
    forget: function () {
      return store(null);
    }
  };
}

/**
 * Random bytes for the install id: the platform's generator where there is one. The id only
 * lets the server rate-limit and de-duplicate; it is not a secret.
 * @param {number} n
 * @returns {Uint8Array}
 */
function platformRandomBytes(n) {
  const bytes = new Uint8Array(n);
  const cryptoApi = typeof crypto !== "undefined" ? crypto : null;
  if (cryptoApi && typeof cryptoApi.getRandomValues === "function") return cryptoApi.getRandomValues(bytes);
  for (let i = 0; i < n; i++) bytes[i] = Math.floor(Math.random() * 256);
  return bytes;
}

/**
 * A fetch that gives up after `ms` (the post then counts as failed: the day waits).
 * @param {(url: string, init: any) => Promise<any>} fetchFn
 * @param {number} ms
 */
function fetchWithin(fetchFn, ms) {
  return function (/** @type {string} */ url, /** @type {any} */ init) {
    return new Promise(function (resolve, reject) {
      const timer = setTimeout(function () { reject(new Error("the report server did not answer within " + ms + " ms")); }, ms);
      fetchFn(url, init).then(
        function (response) { clearTimeout(timer); resolve(response); },
        function (error) { clearTimeout(timer); reject(error); }
      );
    });
  };
}

/**
 * What Outlook observed of a send: the verdict to tally and the sender's outcome (see the top
 * of this file). A warning's outcome is never known: an empty verdict, whose tally still says
 * whether reporting is on.
 * @param {EngineVerdict} verdict as the engine answered it
 * @returns {{ verdict: any, outcome?: string }}
 */
export function observedAtSend(verdict) {
  if (verdict.action === "allow") return { verdict: verdict };
  if (verdict.action === "block") return { verdict: Object.assign({}, verdict, { monitored: [] }), outcome: "blocked" };
  return { verdict: { action: "allow", summary: "", findings: [] } };
}

/**
 * What Outlook observed of a one-click fix in the pane: the fixed recipient's own findings
 * (not those it shares with other recipients, such as content sent to several), with the
 * outcome; null when the row's findings were already counted (a block, counted as `blocked`
 * when Send was stopped) or it has none of its own.
 * @param {EngineVerdict} verdict the pane's live verdict, from the engine
 * @param {import("../../shared/dialog.js").RecipientFindings} row
 * @param {"fixed" | "removed"} outcome
 * @returns {{ verdict: any, outcome: string } | null}
 */
export function observedFix(verdict, row, outcome) {
  if (row.action !== "warn" || !row.recipient) return null;
  const own = row.findings.map(function (i) { return /** @type {any} */ (verdict.findings[i]); }).filter(function (finding) {
    return finding && finding.recipient === row.recipient && !(finding.recipients && finding.recipients.length > 1);
  });
  if (own.length === 0) return null;
  return { verdict: { action: row.action, summary: "", findings: own, monitored: [] }, outcome: outcome };
}

/**
 * The runtime's reporter: counts what was observed with the engine of the verdict's policy,
 * and sends what is due. Its methods never reject and never throw.
 * @param {ReporterDeps} deps
 */
export function createReporter(deps) {
  const storage = reportStorage(deps.backend);
  const fetchFn = deps.fetch;
  const queue = deps.reportUrl && fetchFn
    ? createReportQueue({
      storage: storage,
      fetch: fetchWithin(fetchFn, deps.timeoutMs || REPORT_TIMEOUT_MS),
      url: deps.reportUrl,
      randomBytes: deps.randomBytes || platformRandomBytes,
      now: function () { return deps.now() * 1000; }
    })
    : null;

  /**
   * Counts an observation with the engine that made the verdict. The engine says whether the
   * policy reports at all: when it switched reporting off (and is not merely expired, when the
   * engine reports nothing either), what was kept is erased and nothing is sent.
   * @param {ReportPolicy} policy
   * @param {{ verdict: any, outcome?: string } | null} observed
   * @returns {Promise<boolean>} whether reporting is on, as far as this verdict tells
   */
  function count(policy, observed) {
    if (!queue || !observed || !policy.engine || typeof policy.engine.reportTally !== "function") return Promise.resolve(false);
    /** @type {Tally} */
    let tally;
    try {
      // Now, not later: the caller may free the engine once this returns.
      tally = /** @type {TallyEngine} */ (policy.engine).reportTally(observed);
    } catch (e) {
      // A verdict the engine cannot tally is not counted; the check is unaffected.
      return Promise.resolve(false);
    }
    return Promise.resolve()
      .then(function () {
        if (tally.enabled) return queue.add(tally, Number(policy.version)).then(function () { return true; });
        if (!policy.stale && storage.present()) return storage.forget().then(function () { return false; });
        return false;
      })
      .catch(function () {
        // A count that cannot be kept (a full store) is lost; the check is unaffected.
        return false;
      });
  }

  /**
   * Sends the finished days, and today's when PARTIAL_INTERVAL_SECONDS have passed since it
   * was last sent; joins the post in flight instead when there is one.
   * @returns {Promise<unknown>}
   */
  function sendDue() {
    if (!queue) return Promise.resolve(null);
    if (deps.flight.current) return deps.flight.current;
    const now = deps.now();
    const includeToday = now - storage.partialAt() >= PARTIAL_INTERVAL_SECONDS;
    // Nothing due: no request, and no write to the store (a roamingSettings save each time).
    if (!storage.hasDue(utcDay(now * 1000), includeToday)) return Promise.resolve(null);
    const posting = queue.flush({ includeToday: includeToday })
      .then(function (result) {
        if (includeToday && result.sent > 0 && !result.off) return storage.setPartialAt(now).then(function () { return result; });
        return result;
      })
      .catch(function () { return null; })
      .then(function (result) {
        deps.flight.current = null;
        return result;
      });
    deps.flight.current = posting;
    return posting;
  }

  return {
    /**
     * After a send's `event.completed`: counts what Outlook saw of it, then sends what is due
     * (unless the policy switched reporting off).
     * @param {ReportPolicy} policy
     * @param {EngineVerdict} verdict
     */
    afterSend: function (policy, verdict) {
      return count(policy, observedAtSend(verdict)).then(function (on) { return on ? sendDue() : null; });
    },
    /**
     * After the pane applied a one-click fix to a recipient's row.
     * @param {ReportPolicy} policy
     * @param {EngineVerdict} verdict
     * @param {import("../../shared/dialog.js").RecipientFindings} row
     * @param {"fixed" | "removed"} outcome
     */
    afterFix: function (policy, verdict, row, outcome) {
      return count(policy, observedFix(verdict, row, outcome));
    },
    sendDue: sendDue,
    /** What waits to be sent (tests, and a curious admin's console). */
    pending: function () {
      return queue ? queue.pending() : Promise.resolve(null);
    }
  };
}

/** @typedef {ReturnType<typeof createReporter>} Reporter */
