// Wires the extension together inside the background event page. Everything Thunderbird
// provides comes in as `messenger` (and fetch, EventSource, the clock), so that the unit
// tests run the same wiring against a fake. Listeners are added synchronously, as an event
// page must, before anything is awaited.

import { readConfig, readReportInterval } from "./config.js";
import { createDialogs } from "./dialog-session.js";
import { createHistoryImport } from "./history-import.js";
import { createHistoryStore } from "./history-store.js";
import { createPolicySync } from "./policy-sync.js";
import { createReports, REPORT_ALARM } from "./reports.js";
import { createSendGuard } from "./send-guard.js";
import { createSendHistory, originalOf, resolveContacts } from "./send-history.js";

/** The alarm that re-checks the policy server; the event stream makes updates immediate. */
export const REFRESH_ALARM = "sendguard-policy-refresh";
export const REFRESH_PERIOD_MINUTES = 15;
/** How long a send waits for a policy refresh already under way (e.g. just after waking). */
export const REFRESH_WAIT_MS = 3000;
/** How long after the history last changed the engine indexes it (in the background). */
export const WARM_DELAY_MS = 500;
/** The alarm that imports what is new in the Sent folders (sends from elsewhere). */
export const HISTORY_ALARM = "sendguard-history-import";
export const HISTORY_PERIOD_MINUTES = 360; // history-import.js INCREMENTAL_EVERY

/**
 * @param {{ messenger: any, engineApi: () => Promise<import("./policy-sync.js").EngineApi>,
 *   fetch: typeof fetch, EventSource?: typeof EventSource, now?: () => number, log?: (m: string) => void,
 *   pause?: () => Promise<void>, randomBytes?: (n: number) => Uint8Array }} deps
 *   pause: the history import's yield between pages; randomBytes: for the report's install id
 */
export function startExtension(deps) {
  const { messenger } = deps;
  const now = deps.now || (() => Math.floor(Date.now() / 1000));
  const log = deps.log || ((m) => console.log(`sendguard: ${m}`));
  const config = () => readConfig(messenger.storage);

  const policy = createPolicySync({ fetch: deps.fetch, storage: messenger.storage.local, engine: deps.engineApi, now });
  const dialogs = createDialogs({
    windows: messenger.windows,
    pageUrl: (p) => messenger.runtime.getURL(p),
    // Whether a verdict lets the send go is the engine's rule.
    maySend: async (verdict, justification) => (await deps.engineApi()).maySend(verdict, justification)
  });
  // The engine indexes a history when it differs from the one it checked with last (about
  // 70 ms for 20,000 addresses), and each engine (a new one comes with each new policy) keeps
  // its own index: after a change of either, and at start, it does so in the background, once
  // things are quiet, so that the next send is not the one that waits for it.
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let warmTimer;
  const warmEngine = () => {
    clearTimeout(warmTimer);
    warmTimer = setTimeout(async () => {
      try {
        (await policy.currentEngine(await config())).check({ to: [] }, { known: [], history: await history.text() });
      } catch (e) {
        log(`history: ${e.message || e}`); // the next send indexes it instead
      }
    }, WARM_DELAY_MS);
  };
  const history = createHistoryStore({ storage: messenger.storage.local, history: async () => (await deps.engineApi()).history, now, changed: warmEngine });
  const addressBooks = messenger.addressBooks;
  const importer = createHistoryImport({ store: history, addressBooks, folders: messenger.folders, messages: messenger.messages, now, log, pause: deps.pause });
  const sendHistory = createSendHistory({ store: history, addressBooks, now, log });
  const importHistory = () => importer.run().then((outcome) => log(`history import: ${outcome}`));
  const reports = createReports({
    storage: messenger.storage.local,
    fetch: deps.fetch,
    config,
    engine: async () => policy.currentEngine(await config()),
    nowMs: () => now() * 1000,
    randomBytes: deps.randomBytes || ((n) => crypto.getRandomValues(new Uint8Array(n))),
    log
  });
  /** Sends the finished days (and today's so far, when asked) that wait. */
  const sendReports = (includeToday) =>
    reports.flush({ includeToday }).then(
      (outcome) => {
        if (outcome !== "nothing") log(`report: ${outcome}`);
        return outcome;
      },
      (e) => log(`report: ${e.message || e}`)
    );

  const onBeforeSend = createSendGuard({
    compose: messenger.compose,
    identities: messenger.identities,
    currentEngine: async () => {
      // A refresh under way (the page just woke up, or the server announced a new version)
      // may bring a newer policy: wait for it briefly, never for long.
      let timer;
      await Promise.race([inflight, new Promise((r) => (timer = setTimeout(r, REFRESH_WAIT_MS)))]);
      clearTimeout(timer);
      return policy.currentEngine(await config());
    },
    failMode: async () => policy.failMode(await config()),
    dialogs,
    contacts: (details) => resolveContacts(details, addressBooks),
    history: async (details) => ({ history: await history.text(), original: await originalOf(details, messenger.messages) }),
    sending: (tabId, details) => sendHistory.sending(tabId, details),
    report: (engine, verdict, ended) => reports.record(engine, verdict, ended),
    log
  });

  /** @type {Promise<unknown>} */
  let inflight = Promise.resolve();
  const refresh = () => {
    const run = (async () => {
      const outcome = await policy.refresh(await config());
      log(`policy refresh: ${outcome}`);
      return outcome;
    })();
    inflight = run.catch(() => {});
    // Refreshed or not, the engine in force (a new policy's, or the one held) indexes the
    // history before a send asks it to.
    run.then(warmEngine, warmEngine);
    return run;
  };

  messenger.compose.onBeforeSend.addListener(onBeforeSend);
  messenger.compose.onAfterSend.addListener((tab, sendInfo) => {
    sendHistory.sent(tab, sendInfo).catch((e) => log(`history: ${e.message || e}`));
  });
  if (addressBooks && addressBooks.contacts) {
    const learnContact = (node) => {
      importer.contactChanged(node).catch((e) => log(`history: ${e.message || e}`));
    };
    addressBooks.contacts.onCreated.addListener(learnContact);
    addressBooks.contacts.onUpdated.addListener(learnContact);
  }
  messenger.windows.onRemoved.addListener((windowId) => dialogs.onWindowRemoved(windowId));
  messenger.runtime.onMessage.addListener((message) => {
    const answer = dialogs.onMessage(message);
    if (answer) return answer;
    if (message && message.type === "options-status") {
      return config().then(async (c) => ({ source: c.source, server: c.source === "none" ? null : c.server, tenant: c.source === "none" ? null : c.tenant, status: await policy.status(c) }));
    }
    if (message && message.type === "options-refresh") return refresh().then((outcome) => ({ outcome }));
    if (message && message.type === "options-history") return history.summary();
    if (message && message.type === "options-history-forget") return history.forget().then(() => history.summary());
    return undefined;
  });
  messenger.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === REFRESH_ALARM) refresh();
    if (alarm.name === HISTORY_ALARM) importHistory();
    if (alarm.name === REPORT_ALARM) sendReports(true);
  });
  // Thunderbird suspends an idle event page (and, where it fires onSuspend then, at
  // shutdown): today's counts so far go then, if it lets the request finish (else they wait
  // in storage for the next try).
  if (messenger.runtime.onSuspend) messenger.runtime.onSuspend.addListener(() => sendReports(true));
  messenger.storage.onChanged.addListener((changes, area) => {
    if (area === "local" && changes.config) refresh().then(listen);
  });
  messenger.alarms.create(REFRESH_ALARM, { periodInMinutes: REFRESH_PERIOD_MINUTES });
  messenger.alarms.create(HISTORY_ALARM, { periodInMinutes: HISTORY_PERIOD_MINUTES });
  const reportsScheduled = scheduleReports().catch((e) => log(`report: ${e.message || e}`));

  /**
   * The report alarm at the administrator's interval. Created only when missing or changed:
   * creating it again on each wake of the event page would put its next firing off each time.
   */
  async function scheduleReports() {
    const minutes = await readReportInterval(messenger.storage);
    const existing = await messenger.alarms.get(REPORT_ALARM);
    if (!existing || existing.periodInMinutes !== minutes) await messenger.alarms.create(REPORT_ALARM, { periodInMinutes: minutes });
  }

  /** @type {EventSource | undefined} */
  let events;
  /** Follows the server's event stream while this page lives: each publish refreshes at once. */
  async function listen() {
    const c = await config();
    if (events) events.close();
    events = undefined;
    if (c.source === "none" || !deps.EventSource) return;
    events = new deps.EventSource(`${c.server}/v1/tenants/${encodeURIComponent(c.tenant)}/policy/events`);
    events.addEventListener("policy", () => refresh());
  }

  const ready = refresh().then(listen, (e) => log(`policy refresh failed: ${e.message || e}`));
  // Days that ended while Thunderbird was closed or offline, once the policy is known.
  const reported = ready.then(() => sendReports(false));
  // In the background: a send meanwhile is checked with what has been learned so far.
  const imported = importHistory();
  return { onBeforeSend, dialogs, policy, refresh, ready, history, importer, imported, reports, reported, reportsScheduled, sendReports };
}
