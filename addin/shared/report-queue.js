// The add-ins' daily report (docs/privacy.md): sums the engine's tallies (`engine.reportTally`,
// the core's `report::tally`, which alone decides what is counted) into one batch per UTC
// day and policy version, keeps the batches in storage while offline (bounded), and sends
// each finished day once to `POST /v1/tenants/{tenant}/reports` (and today's so far when
// asked, e.g. on shutdown: a later report for the same day replaces it on the server).
// A random per-install id goes with each report, for rate limiting and de-duplication only.
// Fetch, storage, randomness and the clock are injected. ES2016, promises only.

/**
 * @typedef {{ kind: string, detector?: string, action: string, outcome: string, count: number }} ReportCount
 * @typedef {{ kind: string, domain: string, count: number }} ReportDomain
 * @typedef {{ kind: string, text: string }} ReportJustification
 * @typedef {{ enabled: boolean, counts: ReportCount[], domains: ReportDomain[], justification?: ReportJustification }} Tally
 * @typedef {{ day: string, policy_version: number, counts: ReportCount[], domains: ReportDomain[], justifications: ReportJustification[] }} Batch
 * @typedef {{ install_id: string, batches: Batch[] }} QueueState
 * @typedef {{ read(): Promise<string | null | undefined>, write(text: string): Promise<void> }} QueueStorage
 * @typedef {{ status: number, json(): Promise<any> }} ReportResponse
 */

/** The server's bounds on one report (crates/core/src/report.rs), and how many batches wait. */
export const REPORT_LIMITS = { counts: 512, domains: 200, justifications: 50, count: 10000, batches: 31 };

/** @param {string} text @returns {QueueState | undefined} */
function parseState(text) {
  try {
    const state = JSON.parse(text);
    const ok = state && /^[0-9a-f]{32}$/.test(state.install_id) && Array.isArray(state.batches);
    return ok ? state : undefined;
  } catch (e) {
    return undefined;
  }
}

/** @param {Uint8Array} bytes */
function hex(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  return out;
}

/** `YYYY-MM-DD` (UTC) of a time in milliseconds: the day a tally is counted under. @param {number} ms */
export function utcDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Whether two counts are of the same key (kind, detector, action, outcome). @param {ReportCount} a @param {ReportCount} b */
export function sameCount(a, b) {
  return a.kind === b.kind && a.detector === b.detector && a.action === b.action && a.outcome === b.outcome;
}

/** Whether two domain counts are of the same key (kind, domain). @param {ReportDomain} a @param {ReportDomain} b */
export function sameDomain(a, b) {
  return a.kind === b.kind && a.domain === b.domain;
}

/** @param {number} a @param {number} b */
function capped(a, b) {
  return Math.min(REPORT_LIMITS.count, a + b);
}

/**
 * Adds one tally to a batch (in place), within the server's bounds: counts saturate, new keys
 * past the limits are left out (the day's report stays one the server accepts).
 * @param {Batch} batch
 * @param {Tally} tally
 */
export function mergeTally(batch, tally) {
  tally.counts.forEach(function (c) {
    const same = batch.counts.find(function (b) { return sameCount(b, c); });
    if (same) same.count = capped(same.count, c.count);
    else if (batch.counts.length < REPORT_LIMITS.counts) batch.counts.push(Object.assign({}, c, { count: capped(0, c.count) }));
  });
  tally.domains.forEach(function (d) {
    const same = batch.domains.find(function (b) { return sameDomain(b, d); });
    if (same) same.count = capped(same.count, d.count);
    else if (batch.domains.length < REPORT_LIMITS.domains) batch.domains.push({ kind: d.kind, domain: d.domain, count: capped(0, d.count) });
  });
  if (tally.justification && batch.justifications.length < REPORT_LIMITS.justifications) {
    batch.justifications.push({ kind: tally.justification.kind, text: tally.justification.text });
  }
  return batch;
}

/**
 * @param {{ storage: QueueStorage, fetch: (url: string, init: any) => Promise<ReportResponse>,
 *           url: string, randomBytes: (n: number) => Uint8Array, now: () => number }} options
 *   `url`: the tenant's report endpoint; `now`: milliseconds since 1970.
 */
export function createReportQueue(options) {
  /** Storage changes one at a time (an add during a flush waits for the write before it). */
  let chain = Promise.resolve();
  /** @template T @param {() => Promise<T>} step @returns {Promise<T>} */
  function serial(step) {
    const next = chain.then(step, step);
    chain = next.then(function () {}, function () {});
    return next;
  }
  /** @returns {Promise<QueueState>} */
  function load() {
    return options.storage.read().then(function (text) {
      return parseState(typeof text === "string" ? text : "") || { install_id: hex(options.randomBytes(16)), batches: [] };
    });
  }
  /** @param {QueueState} state */
  function save(state) {
    return options.storage.write(JSON.stringify(state));
  }
  /** @param {Batch} batch @param {string} installId */
  function send(batch, installId) {
    const body = JSON.stringify({
      install_id: installId, day: batch.day, policy_version: batch.policy_version,
      counts: batch.counts, domains: batch.domains, justifications: batch.justifications
    });
    return options.fetch(options.url, { method: "POST", headers: { "Content-Type": "application/json" }, body: body })
      .then(function (response) {
        if (response.status === 200) return "sent";
        if (response.status === 403) {
          return response.json().then(function (answer) {
            return answer && answer.error && answer.error.code === "reporting_off" ? "off" : "later";
          }, function () { return "later"; });
        }
        // Refused for good (a malformed or too old report): sending it again cannot help.
        if (response.status === 400 || response.status === 413) return "refused";
        return "later";
      }, function () { return "later"; });
  }

  return {
    /**
     * Counts one verdict's tally (from `engine.reportTally`) under the policy version it ran with.
     * @param {Tally} tally
     * @param {number} policyVersion
     * @returns {Promise<void>}
     */
    add: function (tally, policyVersion) {
      const empty = !tally || !tally.enabled || (tally.counts.length === 0 && tally.domains.length === 0 && !tally.justification);
      if (empty || !(policyVersion > 0)) return Promise.resolve();
      return serial(function () {
        return load().then(function (state) {
          const day = utcDay(options.now());
          let batch = state.batches.find(function (b) { return b.day === day && b.policy_version === policyVersion; });
          if (!batch) {
            batch = { day: day, policy_version: policyVersion, counts: [], domains: [], justifications: [] };
            state.batches.push(batch);
            // Offline for weeks: the oldest days go first.
            state.batches.splice(0, Math.max(0, state.batches.length - REPORT_LIMITS.batches));
          }
          mergeTally(batch, tally);
          return save(state);
        });
      });
    },

    /**
     * Sends every finished day (and today's so far when `includeToday`). A day sent is
     * forgotten; one the server cannot take now (offline, rate-limited) waits for the next
     * flush; a policy that switched reporting off empties the queue.
     * @param {{ includeToday?: boolean }} [flushOptions]
     * @returns {Promise<{ sent: number, waiting: number, off: boolean }>}
     */
    flush: function (flushOptions) {
      const includeToday = Boolean(flushOptions && flushOptions.includeToday);
      return serial(function () {
        return load().then(function (state) {
          const today = utcDay(options.now());
          const due = state.batches.filter(function (b) { return b.day < today || (includeToday && b.day === today); });
          /** @type {Batch[]} */
          const done = [];
          let off = false;
          // One at a time, oldest first; stop at the first that must wait.
          const sendAll = due.reduce(function (previous, batch) {
            return previous.then(function (go) {
              if (!go) return false;
              return send(batch, state.install_id).then(function (result) {
                if (result === "off") off = true;
                if (result === "sent" || result === "refused") done.push(batch);
                return result === "sent" || result === "refused";
              });
            });
          }, Promise.resolve(true));
          return sendAll.then(function () {
            // Today's batch stays after sending: the day goes on, and its next report replaces this one.
            state.batches = off ? [] : state.batches.filter(function (b) { return done.indexOf(b) < 0 || b.day === today; });
            return save(state).then(function () {
              return { sent: done.length, waiting: state.batches.length, off: off };
            });
          });
        });
      });
    },

    /** Forgets everything queued (the policy switched reporting off). @returns {Promise<void>} */
    discard: function () {
      return serial(function () {
        return load().then(function (state) {
          state.batches = [];
          return save(state);
        });
      });
    },

    /** What waits to be sent, for an options page or a test. @returns {Promise<QueueState>} */
    pending: function () {
      return serial(load);
    }
  };
}
