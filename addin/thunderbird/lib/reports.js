// The extension's daily report of anonymous counts (docs/privacy.md, "Anonymous counts").
// After each check, what the sender did with it goes to the engine (`engine.reportTally`,
// the core's `report::tally`, which alone decides what is counted and whether the policy in
// force reports at all: never an address, never content), and the engine's tally goes into
// the add-ins' shared queue (addin/shared/report-queue.js), kept in storage.local under one
// key. The queue goes to the policy server and tenant the extension already uses: finished
// days once, today's so far every `reportIntervalMinutes` and when Thunderbird suspends the
// event page, each time only if it changed since it was last sent (a later report for the
// same day replaces the earlier one on the server).

import { createReportQueue, sameCount, sameDomain, utcDay } from "../../shared/report-queue.js";

/** The alarm that sends today's counts so far. */
export const REPORT_ALARM = "sendguard-report";
/** The storage.local key of the queue (install id and batches), tagged with its server and tenant. */
export const QUEUE_KEY = "reports";
/** The storage.local key of what was last sent of today: `YYYY-MM-DD:<sum of its counts>`. */
export const SENT_KEY = "reportsSent";
/** How long one report may take to send before it waits for the next flush. */
export const SEND_TIMEOUT_MS = 10000;

/**
 * What the sender did, by the names the core's `report::SenderOutcome` reads. (`monitored`
 * is the core's own: a monitored finding is counted as such with no outcome given.)
 */
export const OUTCOMES = Object.freeze({
  fixed: "fixed",
  removed: "removed",
  cancelled: "cancelled",
  sentAnyway: "sent_anyway",
  sentWithJustification: "sent_with_justification",
  blocked: "blocked"
});

/** The outcome of each choice the dialog offers per recipient. */
const CHOICE_OUTCOMES = Object.freeze({ fix: OUTCOMES.fixed, remove: OUTCOMES.removed });

/**
 * A verdict that shows nothing: its tally answers only whether the policy in force reports.
 * @type {import("../../shared/dialog.js").Verdict}
 */
const NOTHING_SHOWN = { action: "allow", summary: "", findings: [] };

/**
 * @typedef {import("../../shared/dialog.js").Verdict & { monitored?: object[] }} Verdict
 * @typedef {import("../../shared/report-queue.js").Tally} Tally
 * @typedef {import("../../shared/report-queue.js").ReportCount} ReportCount
 * @typedef {import("../../shared/report-queue.js").ReportDomain} ReportDomain
 * @typedef {{ verdict: Verdict, outcome?: string, justification?: string }} TallyRequest
 * @typedef {{ reportTally?: (request: TallyRequest) => Tally, policyVersion?: number }} ReportingEngine
 *   the engine that made the verdicts (the WebAssembly `Engine`); `policyVersion` is undefined
 *   for the built-in policy, whose checks are never reported (no server to report to)
 * @typedef {{ verdict: Verdict, choice: "fix" | "remove" }} DialogStep
 *   one Fix or Remove, with the verdict on screen when the sender chose it
 * @typedef {{ cancel?: true, details?: object, justification?: string, steps: DialogStep[], verdict: Verdict }} DialogOutcome
 *   how a held send ended (dialog-session.js): `verdict` is the one on screen at the end
 * @typedef {{ plus: TallyRequest[], minus: TallyRequest[] }} TallyPlan
 */

/**
 * The outcome for the findings still shown when the send went.
 * @param {Verdict} verdict
 */
function sentOutcome(verdict) {
  if (verdict.action === "warn") return OUTCOMES.sentAnyway;
  if (verdict.action === "block" && verdict.justification_required) return OUTCOMES.sentWithJustification;
  return undefined; // allow: everything was fixed; only monitored findings are left to count
}

/**
 * What to ask the engine to tally for one check, as sums and differences of tallies.
 * Nothing shown (`ended` undefined): the verdict as it is (its monitored findings). Cancelled
 * (or the window closed): the first verdict, `blocked` when it was a block the sender could
 * not release, else `cancelled`. Sent: each Fix or Remove counts the findings it took away
 * (the verdict before it, less the verdict after it, both under that choice's outcome), and
 * whatever was still shown at the end counts as sent anyway or with the justification.
 * @param {Verdict} first the verdict of the check as the sender pressed Send
 * @param {DialogOutcome} [ended]
 * @returns {TallyPlan}
 */
export function tallyPlan(first, ended) {
  if (!ended) return { plus: [{ verdict: first }], minus: [] };
  if (ended.cancel) {
    const hardBlock = first.action === "block" && !first.justification_required;
    return { plus: [{ verdict: first, outcome: hardBlock ? OUTCOMES.blocked : OUTCOMES.cancelled }], minus: [] };
  }
  /** @type {TallyPlan} */
  const plan = { plus: [], minus: [] };
  ended.steps.forEach((step, i) => {
    const outcome = CHOICE_OUTCOMES[step.choice];
    const after = i + 1 < ended.steps.length ? ended.steps[i + 1].verdict : ended.verdict;
    plan.plus.push({ verdict: step.verdict, outcome });
    plan.minus.push({ verdict: after, outcome });
  });
  const outcome = sentOutcome(ended.verdict);
  /** @type {TallyRequest} */
  const last = { verdict: ended.verdict };
  if (outcome) last.outcome = outcome;
  if (outcome === OUTCOMES.sentWithJustification && ended.justification) last.justification = ended.justification;
  plan.plus.push(last);
  return plan;
}

/**
 * Counts of `plus` less those of `minus` with the same key, never below zero; entries that
 * come to zero are left out.
 * @template {{ count: number }} T
 * @param {T[]} plus
 * @param {T[]} minus
 * @param {(a: T, b: T) => boolean} same
 * @returns {T[]}
 */
function subtract(plus, minus, same) {
  /** @type {T[]} */
  const out = [];
  for (const entry of plus) {
    const taken = minus.filter((m) => same(entry, m)).reduce((sum, m) => sum + m.count, 0);
    const left = entry.count - taken;
    if (left > 0) out.push({ ...entry, count: left });
  }
  return out;
}

/**
 * The engine's tallies for a plan: each `plus` tally less the `minus` tally beside it (a
 * finding the sender's choice took away is counted once, under that choice). Empty when the
 * policy in force does not report.
 * @param {ReportingEngine & { reportTally: (request: TallyRequest) => Tally }} engine
 * @param {TallyPlan} plan
 * @returns {Tally[]}
 */
export function talliesOf(engine, plan) {
  const plus = plan.plus.map((request) => engine.reportTally(request));
  const minus = plan.minus.map((request) => engine.reportTally(request));
  if (plus.some((t) => !t.enabled)) return [];
  return plus.map((tally, i) => {
    const taken = minus[i];
    if (!taken) return tally;
    return { enabled: true, counts: subtract(tally.counts, taken.counts, sameCount), domains: subtract(tally.domains, taken.domains, sameDomain) };
  });
}

/**
 * What of today has been counted, as one string that changes whenever today's batches do
 * (counts and domains only grow within a day; a count that stopped at the server's cap no
 * longer changes, and needs no new report).
 * @param {import("../../shared/report-queue.js").Batch[]} batches
 * @param {string} today
 */
function todaySignature(batches, today) {
  let sum = 0;
  for (const batch of batches.filter((b) => b.day === today)) {
    sum += batch.policy_version;
    for (const c of batch.counts) sum += c.count;
    for (const d of batch.domains) sum += d.count;
    sum += batch.justifications.length;
  }
  return `${today}:${sum}`;
}

/**
 * `fetch` that gives up after `ms` (the queue then keeps the report for the next flush).
 * @param {typeof fetch} fetchImpl
 * @param {number} ms
 * @returns {(url: string, init: any) => Promise<any>}
 */
function fetchWithTimeout(fetchImpl, ms) {
  return (url, init) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ms);
    return fetchImpl(url, { ...init, signal: controller.signal }).finally(() => clearTimeout(timer));
  };
}

/**
 * @param {{ storage: { get(k: string): Promise<any>, set(o: object): Promise<void> },
 *   fetch: typeof fetch, config: () => Promise<import("./config.js").Config>,
 *   engine: () => Promise<ReportingEngine>, nowMs: () => number,
 *   randomBytes: (n: number) => Uint8Array, log: (message: string) => void }} deps
 *   engine: the engine for the policy in force (asked whether it reports before a flush)
 */
export function createReports(deps) {
  /** One queue per server and tenant (counts of one tenant never go to another). */
  const queues = new Map();
  /** The checks being counted, one after another; a flush waits for them. */
  let recording = Promise.resolve();

  /** @param {import("./config.js").PolicySource} config */
  function queueFor(config) {
    const id = `${config.server}\n${config.tenant}`;
    if (!queues.has(id)) {
      queues.set(id, createReportQueue({
        storage: {
          read: async () => {
            const record = (await deps.storage.get(QUEUE_KEY))[QUEUE_KEY];
            return record && record.server === config.server && record.tenant === config.tenant ? record.queue : null;
          },
          write: (text) => deps.storage.set({ [QUEUE_KEY]: { server: config.server, tenant: config.tenant, queue: text } })
        },
        fetch: fetchWithTimeout(deps.fetch, SEND_TIMEOUT_MS),
        url: `${config.server}/v1/tenants/${encodeURIComponent(config.tenant)}/reports`,
        randomBytes: deps.randomBytes,
        now: deps.nowMs
      }));
    }
    return queues.get(id);
  }

  /**
   * Counts one check (see `record`).
   * @param {ReportingEngine} engine
   * @param {Verdict} first
   * @param {DialogOutcome} [ended]
   */
  async function count(engine, first, ended) {
    const config = await deps.config();
    const version = engine.policyVersion;
    // The built-in policy (no server) and an engine that failed to load report nothing.
    if (config.source === "none" || !engine.reportTally || !(typeof version === "number" && version > 0)) return;
    const nothingToCount = first.findings.length === 0 && !(first.monitored && first.monitored.length);
    if (nothingToCount && !ended) return;
    const queue = queueFor(config);
    for (const tally of talliesOf(/** @type {any} */ (engine), tallyPlan(first, ended))) await queue.add(tally, version);
  }

  return {
    /**
     * Counts one check: the engine tallies what the sender did, the tallies wait in the
     * queue. Never rejects (a count that cannot be made is logged and left out).
     * @param {ReportingEngine} engine the engine that made `first`
     * @param {Verdict} first
     * @param {DialogOutcome} [ended] how the dialog ended; absent when nothing was shown
     * @returns {Promise<void>}
     */
    record(engine, first, ended) {
      recording = recording.then(() => count(engine, first, ended)).catch((e) => deps.log(`report: ${e.message || e}`));
      return recording;
    },

    /**
     * Sends what is due: finished days, and today's so far when `includeToday` and it changed
     * since it was last sent. When the policy in force does not report, nothing is sent and
     * what was queued is forgotten.
     * @param {{ includeToday: boolean }} options
     * @returns {Promise<"unconfigured" | "off" | "nothing" | "sent" | "waiting">}
     */
    async flush(options) {
      await recording; // the check that just ended belongs in this report
      const config = await deps.config();
      if (config.source === "none") return "unconfigured";
      const queue = queueFor(config);
      const engine = await deps.engine();
      if (!engine.reportTally || !engine.reportTally({ verdict: NOTHING_SHOWN }).enabled) {
        await queue.discard();
        return "off";
      }
      const { batches } = await queue.pending();
      const today = utcDay(deps.nowMs());
      const signature = todaySignature(batches, today);
      const lastSent = (await deps.storage.get(SENT_KEY))[SENT_KEY];
      const todayDue = options.includeToday && batches.some((b) => b.day === today) && signature !== lastSent;
      const due = batches.filter((b) => b.day < today).length + (todayDue ? batches.filter((b) => b.day === today).length : 0);
      if (due === 0) return "nothing";
      const result = await queue.flush({ includeToday: todayDue });
      if (result.off) {
        deps.log("report: the server says reporting is off for this tenant; the queue is emptied");
        return "off";
      }
      if (result.sent < due) return "waiting";
      if (todayDue) await deps.storage.set({ [SENT_KEY]: signature });
      return "sent";
    }
  };
}
