// The daily counts (lib/reports.js) through the extension's wiring: a fake `messenger`, the
// real WebAssembly engine (a plain policy standing in for a verified bundle of version 3),
// and a fake policy server that records each report. For each thing a sender can do with a
// held send (and for a monitored finding), the report counts it under the core's outcome
// name, and carries no address, subject or body. Then when reports are sent, and when not.

import assert from "node:assert/strict";
import { test } from "node:test";

import { readConfig, REPORT_INTERVAL_DEFAULT_MINUTES } from "../lib/config.js";
import { startExtension } from "../lib/extension.js";
import { QUEUE_KEY, REPORT_ALARM } from "../lib/reports.js";
import { eventually, fakeMessenger, lastDialogSession } from "./fake-messenger.mjs";
import { realEngineApi, wasm } from "./real-engine.mjs";

/** Noon, 3 December 2026 (UTC), in seconds. */
const NOON = Date.UTC(2026, 11, 3, 12) / 1000;
const TODAY = "2026-12-03";
const DAY = 86400;
const CONFIG = { server: "https://sendguard.northwind.org", tenant: "northwind", keyset: "k" };
const REPORT_URL = "https://sendguard.northwind.org/v1/tenants/northwind/reports";
const INSTALL_ID = "ab".repeat(16);
const VERSION = 3;

const colonel = "Colonel Smith <colonel.smith@army.ml>";
const major = "Major Jones <major.jones@navy.ml>";
const bob = "Bob <bob@contoso.com>";
const draft = (to) => ({ identityId: "id1", to, cc: [], bcc: [], subject: "Exercise Falcon itinerary", plainTextBody: "Colonel, the plan for Falcon." });
/** What no report may carry: the addresses, their local parts, the subject and the body. */
const SECRETS = ["@", "colonel", "major", "bob", "alice", "contoso", "northwind.org", "falcon", "itinerary", "plan"];

/** A policy server with no keyset (the pinned one stays), the policy as plain text, and a report endpoint. */
function fakeServer(policy) {
  /** @type {any[]} the report bodies received, in order */
  const reports = [];
  const server = {
    reports,
    /** What the report endpoint answers: a status (or "offline" to fail the request). */
    answer: /** @type {number | "offline"} */ (200),
    /** @type {any} */
    fetch: async (url, init = {}) => {
      if (url.endsWith("/keyset")) return { status: 404, ok: false, text: async () => "", headers: { get: () => null } };
      if (url.endsWith("/reports")) {
        assert.equal(url, REPORT_URL);
        assert.equal(init.method, "POST");
        if (server.answer === "offline") throw new TypeError("NetworkError when attempting to fetch resource.");
        reports.push(JSON.parse(init.body));
        const status = server.answer;
        return { status, json: async () => (status === 403 ? { error: { code: "reporting_off" } } : { stored: "new", justifications_dropped: 0 }) };
      }
      return { status: 200, ok: true, text: async () => JSON.stringify(policy), headers: { get: () => null } };
    }
  };
  return server;
}

/** The real engine for a plain policy, as the verified bundle of `version` would be. */
function signedAs(policyText, version) {
  const engine = wasm.Engine.fromPolicyJson(policyText);
  return { check: (d, c) => engine.check(d, c), reportTally: (r) => engine.reportTally(r), policyVersion: version, failMode: "warn" };
}

/**
 * The extension with `policy` in force from the tenant's server; `clock.now` (seconds) moves.
 * @param {object} policy
 * @param {{ managed?: object }} [options]
 */
async function start(policy, options = {}) {
  const server = fakeServer(policy);
  const clock = { now: NOON };
  /** @type {any} */
  const api = { ...realEngineApi, verify: ({ bundle }) => ({ engine: signedAs(bundle, VERSION), version: VERSION, digest: "d".repeat(64), failMode: "warn", stale: false }) };
  const messenger = fakeMessenger({ identity: { email: "alice@northwind.org", name: "Alice" }, local: { config: CONFIG }, managed: options.managed });
  const logs = [];
  const extension = startExtension({ messenger, engineApi: async () => api, fetch: server.fetch, log: (m) => logs.push(m), now: () => clock.now, randomBytes: (n) => new Uint8Array(n).fill(0xab) });
  await extension.ready;
  await extension.reported;
  return { messenger, extension, server, clock, logs };
}

/** Presses Send on `details` and, when the dialog opens, plays `play(page)` as the sender. */
async function pressSend(messenger, details, play) {
  const before = messenger.opened.length;
  const result = messenger.compose.onBeforeSend.fire({ id: 7 }, details);
  if (play) {
    await eventually(() => messenger.opened.length === before + 1);
    const session = lastDialogSession(messenger);
    await play((type, extra = {}) => messenger.runtime.sendMessage({ type, session, ...extra }));
  }
  return result;
}

/** Sends today's report and answers the one the server received. */
async function todaysReport(ctx) {
  const before = ctx.server.reports.length;
  assert.equal(await ctx.extension.sendReports(true), "sent");
  assert.equal(ctx.server.reports.length, before + 1, "one report for today's one policy version");
  const report = ctx.server.reports[before];
  assertNothingPersonal(report);
  return report;
}

/** The counts waiting in the queue (storage.local), all days together. */
function queuedCounts(ctx) {
  const record = ctx.messenger.storage.local.data.get(QUEUE_KEY);
  return record ? JSON.parse(record.queue).batches.flatMap((b) => b.counts) : [];
}

/** No address, local part, subject or body text anywhere in a report. */
function assertNothingPersonal(report) {
  const text = JSON.stringify(report).toLowerCase();
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `the report carries "${secret}": ${text}`);
}

const count = (outcome, n = 1, kind = "tld_trap", action = "warn") => ({ kind, action, outcome, count: n });
const domain = (name, n = 1) => ({ kind: "tld_trap", domain: name, count: n });

test("Fix: counted as fixed, with the destination domain and nothing else", async () => {
  const ctx = await start({});
  const result = await pressSend(ctx.messenger, draft([colonel, bob]), async (page) => {
    await page("dialog-choose", { row: 0, choice: "fix" });
    await page("dialog-send");
  });
  assert.deepEqual(result, { details: { to: ["Colonel Smith <colonel.smith@army.mil>", bob] } });
  assert.deepEqual(await todaysReport(ctx), {
    install_id: INSTALL_ID,
    day: TODAY,
    policy_version: VERSION,
    counts: [count("fixed")],
    domains: [domain("army.ml")],
    justifications: []
  });
});

test("Remove: counted as removed", async () => {
  const ctx = await start({});
  await pressSend(ctx.messenger, draft([colonel, bob]), async (page) => {
    await page("dialog-choose", { row: 0, choice: "remove" });
    await page("dialog-send");
  });
  const report = await todaysReport(ctx);
  assert.deepEqual([report.counts, report.domains], [[count("removed")], [domain("army.ml")]]);
});

test("Cancel and closing the window: counted as cancelled", async () => {
  const ctx = await start({});
  assert.deepEqual(await pressSend(ctx.messenger, draft([colonel]), (page) => page("dialog-cancel")), { cancel: true });
  await pressSend(ctx.messenger, draft([colonel]), async () => {
    await ctx.messenger.windows.remove(ctx.messenger.opened[1].id);
  });
  const report = await todaysReport(ctx);
  assert.deepEqual([report.counts, report.domains], [[count("cancelled", 2)], [domain("army.ml", 2)]]);
});

test("Send anyway: counted as sent anyway", async () => {
  const ctx = await start({});
  assert.deepEqual(await pressSend(ctx.messenger, draft([major]), (page) => page("dialog-send")), {});
  const report = await todaysReport(ctx);
  assert.deepEqual([report.counts, report.domains], [[count("sent_anyway")], [domain("navy.ml")]]);
});

test("A block the sender cannot release, then Cancel: counted as blocked", async () => {
  const ctx = await start({ actions: { tld_trap: "block" } });
  await pressSend(ctx.messenger, draft([colonel]), async (page) => {
    assert.equal((await page("dialog-send")).error, "This email cannot be sent as it is.");
    await page("dialog-cancel");
  });
  const report = await todaysReport(ctx);
  assert.deepEqual(report.counts, [count("blocked", 1, "tld_trap", "block")]);
});

test("Sent with a justification: counted; the text goes only where the policy records justifications", async () => {
  for (const record of [false, true]) {
    const ctx = await start({ actions: { tld_trap: "block_with_justification" }, reporting: { record_justifications: record } });
    await pressSend(ctx.messenger, draft([colonel]), (page) => page("dialog-send", { justification: "  Mali office,\nconfirmed by phone " }));
    const report = await todaysReport(ctx);
    assert.deepEqual(report.counts, [count("sent_with_justification", 1, "tld_trap", "block_with_justification")]);
    assert.deepEqual(report.justifications, record ? [{ kind: "tld_trap", text: "Mali office, confirmed by phone" }] : []);
  }
});

test("A monitored finding: nothing is shown, the send goes, counted as monitored", async () => {
  const ctx = await start({ monitor: { kinds: ["tld_trap"] } });
  assert.deepEqual(await pressSend(ctx.messenger, draft([colonel])), {});
  assert.equal(ctx.messenger.opened.length, 0, "no dialog");
  const report = await todaysReport(ctx);
  assert.deepEqual([report.counts, report.domains], [[count("monitored")], [domain("army.ml")]]);
});

test("Fix one recipient and send the other anyway: each finding counted once, under what became of it", async () => {
  const ctx = await start({});
  await pressSend(ctx.messenger, draft([colonel, major]), async (page) => {
    const { verdict } = await page("dialog-open");
    const row = verdict.by_recipient.findIndex((r) => r.recipient === "colonel.smith@army.ml");
    await page("dialog-choose", { row, choice: "fix" });
    await page("dialog-send");
  });
  const report = await todaysReport(ctx);
  assert.deepEqual(report.counts, [count("fixed"), count("sent_anyway")]);
  assert.deepEqual(report.domains, [domain("army.ml"), domain("navy.ml")]);
});

test("A clean send counts nothing and sends nothing", async () => {
  const ctx = await start({});
  assert.deepEqual(await pressSend(ctx.messenger, draft([bob])), {});
  assert.equal(await ctx.extension.sendReports(true), "nothing");
  assert.equal(ctx.server.reports.length, 0);
});

test("A policy that switches reporting off: nothing is counted or sent, and what was queued is forgotten", async () => {
  const ctx = await start({ reporting: { enabled: false } });
  // Counts queued under an earlier policy that reported.
  await ctx.messenger.storage.local.set({ [QUEUE_KEY]: { server: CONFIG.server, tenant: CONFIG.tenant, queue: JSON.stringify({ install_id: INSTALL_ID, batches: [{ day: TODAY, policy_version: 2, counts: [count("fixed")], domains: [], justifications: [] }] }) } });
  await pressSend(ctx.messenger, draft([colonel]), (page) => page("dialog-send"));
  assert.equal(await ctx.extension.sendReports(true), "off");
  assert.equal(ctx.server.reports.length, 0);
  const { queue } = (await ctx.messenger.storage.local.get(QUEUE_KEY))[QUEUE_KEY];
  assert.deepEqual(JSON.parse(queue).batches, []);
});

test("Today's counts are sent again only when they changed; a finished day is sent once", async () => {
  const ctx = await start({});
  await pressSend(ctx.messenger, draft([major]), (page) => page("dialog-send"));
  assert.deepEqual((await todaysReport(ctx)).counts, [count("sent_anyway")]);
  assert.equal(await ctx.extension.sendReports(true), "nothing", "unchanged since sent");
  await pressSend(ctx.messenger, draft([major]), (page) => page("dialog-send"));
  assert.deepEqual((await todaysReport(ctx)).counts, [count("sent_anyway", 2)], "the whole day again: the server replaces the earlier report");
  await pressSend(ctx.messenger, draft([colonel]), (page) => page("dialog-cancel"));
  await eventually(() => queuedCounts(ctx).some((c) => c.outcome === "cancelled"));
  // The next morning (Thunderbird started again): the finished day goes, whole, once.
  ctx.clock.now = NOON + DAY;
  assert.equal(await ctx.extension.sendReports(false), "sent");
  const yesterday = ctx.server.reports[ctx.server.reports.length - 1];
  assert.equal(yesterday.day, TODAY);
  assert.deepEqual(yesterday.counts, [count("sent_anyway", 2), count("cancelled")]);
  assert.equal(await ctx.extension.sendReports(true), "nothing");
  assert.equal(ctx.server.reports.length, 3);
});

test("Offline or rate-limited: the counts wait and go with a later flush", async () => {
  const ctx = await start({});
  await pressSend(ctx.messenger, draft([major]), (page) => page("dialog-send"));
  ctx.server.answer = "offline";
  assert.equal(await ctx.extension.sendReports(true), "waiting");
  ctx.server.answer = 429;
  assert.equal(await ctx.extension.sendReports(true), "waiting");
  ctx.server.answer = 200;
  assert.deepEqual((await todaysReport(ctx)).counts, [count("sent_anyway")]);
});

test("The server says reporting is off for the tenant: the queue is emptied", async () => {
  const ctx = await start({});
  await pressSend(ctx.messenger, draft([major]), (page) => page("dialog-send"));
  ctx.server.answer = 403;
  assert.equal(await ctx.extension.sendReports(true), "off");
  const { queue } = (await ctx.messenger.storage.local.get(QUEUE_KEY))[QUEUE_KEY];
  assert.deepEqual(JSON.parse(queue).batches, []);
});

test("Counts made for one tenant are never sent to another", async () => {
  const ctx = await start({});
  await pressSend(ctx.messenger, draft([major]), (page) => page("dialog-send"));
  await ctx.messenger.storage.local.set({ config: { ...CONFIG, tenant: "contoso" } });
  assert.equal(await ctx.extension.sendReports(true), "nothing");
  assert.equal(ctx.server.reports.length, 0);
});

test("The report alarm and the page's suspension send today's counts", async () => {
  const ctx = await start({});
  await pressSend(ctx.messenger, draft([major]), (page) => page("dialog-send"));
  ctx.messenger.alarms.onAlarm.fire({ name: REPORT_ALARM });
  await eventually(() => ctx.server.reports.length === 1);
  await pressSend(ctx.messenger, draft([colonel]), (page) => page("dialog-cancel"));
  ctx.messenger.runtime.onSuspend.fire();
  await eventually(() => ctx.server.reports.length === 2);
  assert.deepEqual(ctx.server.reports[1].counts, [count("sent_anyway"), count("cancelled")]);
});

test("The administrator sets the report interval (bounded); the alarm is not re-created on each wake", async () => {
  for (const [set, minutes] of [[undefined, REPORT_INTERVAL_DEFAULT_MINUTES], [0.5, 0.5], [0.01, 0.5], [5000, 1440], ["10", REPORT_INTERVAL_DEFAULT_MINUTES], [15, 15]]) {
    const ctx = await start({}, { managed: set === undefined ? undefined : { reportIntervalMinutes: set } });
    await ctx.extension.reportsScheduled;
    assert.deepEqual(ctx.messenger.alarmsCreated.filter((a) => a.name === REPORT_ALARM), [{ name: REPORT_ALARM, periodInMinutes: minutes }], `reportIntervalMinutes ${set}`);
  }
  // The event page wakes again (a new start on the same Thunderbird): the alarm stands.
  const ctx = await start({});
  await ctx.extension.reportsScheduled;
  const again = startExtension({ messenger: ctx.messenger, engineApi: async () => realEngineApi, fetch: ctx.server.fetch, log: () => {} });
  await again.reportsScheduled;
  assert.equal(ctx.messenger.alarmsCreated.filter((a) => a.name === REPORT_ALARM).length, 1);
});

test("A count that cannot be made is logged and never holds up or stops a send", async () => {
  const ctx = await start({});
  const engine = await ctx.extension.policy.currentEngine(await readConfig(ctx.messenger.storage));
  engine.reportTally = () => {
    throw Object.assign(new Error("tally request: expected an object"), { code: "bad_request" });
  };
  assert.deepEqual(await pressSend(ctx.messenger, draft([major]), (page) => page("dialog-send")), {});
  await ctx.extension.sendReports(false); // waits for the count under way
  assert.ok(ctx.logs.includes("report: tally request: expected an object"), ctx.logs.join("\n"));
  assert.equal(ctx.server.reports.length, 0);
});
