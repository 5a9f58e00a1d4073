// The daily report in Outlook (src/reports.js) with office-addin-mock, the real engine and
// real signed policies: what a send counts (blocked, monitored; a warning nothing, since
// Outlook hides "Send Anyway"), what a pane fix counts, the queue in both stores (roamingSettings
// capped beside the policy, localStorage), reporting switched off by the policy, a server that
// is down, the send's answer never waiting on a report; and, against the real `sendguard
// serve`, the counts arriving, with no address or content in any request.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { send, config, storedBundle, heldRecord, memoryLocalStorage, realEngine } from "./helpers.mjs";
import { signedTenant, realNow } from "./signed.mjs";
import { startPolicyServer } from "./policy-server.mjs";
import { fakeOutlook, sendEvent } from "./fake-outlook.mjs";
import { createComposeHandler } from "../src/compose-handler.js";
import { createEngineApi } from "../src/engine-api.js";
import { createPolicyStore, roamingBackend, localBackend, roamingBytes, roamingUsed, BUNDLE_KEY, HELD_KEY, REPORTS_KEY, ROAMING_LIMIT } from "../src/policy-store.js";
import { createHistoryStore, POLICY_GROWTH } from "../src/history-store.js";
import { createFlight, createReporter, observedFix, PARTIAL_INTERVAL_SECONDS, ROAMING_REPORTS_BUDGET, LOCAL_REPORTS_BUDGET } from "../src/reports.js";

const DAY = 86400;
const REPORT_URL = "https://guard.example.org/v1/tenants/acme/reports";
/** tld_trap (army.ml) shown as a warning; lookalike_domain (gmial.com, army.ml) only counted. */
const WARN_POLICY = { monitor: { kinds: ["lookalike_domain"] } };
const BLOCK_POLICY = { monitor: { kinds: ["lookalike_domain"] }, actions: { tld_trap: "block" } };
const TRAP = { to: ["Colonel Smith <colonel.smith@army.ml>"], subject: "Exercise Nightfall", body: "Grid reference attached" };
const MONITORED_ONLY = { to: ["Bob Jones <bob.jones@gmial.com>"], subject: "Exercise Nightfall", body: "Grid reference attached" };
/** Words of the drafts that must never appear in a request. */
const PRIVATE = ["@", "colonel", "smith", "bob", "jones", "nightfall", "exercise", "grid", "reference"];

const acme = signedTenant("acme");
after(() => acme.remove());

/** A report server the test scripts: answers in order (default 200; none while `down`),
 * every request kept; `hold`, a promise, answers every request until it is cleared. */
function scriptedServer(answers = [], { down = false } = {}) {
  const world = { requests: [], answers, hold: null, down };
  world.fetch = (url, init) => {
    world.requests.push({ url, body: JSON.parse(init.body), text: init.body });
    if (world.hold) return world.hold;
    if (world.down) return Promise.reject(new TypeError("Failed to fetch"));
    const answer = world.answers.length ? world.answers.shift() : { status: 200 };
    if (answer.offline) return Promise.reject(new TypeError("Failed to fetch"));
    return Promise.resolve({ status: answer.status, json: () => Promise.resolve(answer.body || {}) });
  };
  return world;
}

/**
 * One mailbox: its roamingSettings (classic Outlook) or localStorage, a signed policy stored,
 * a clock and a report server; `send` runs one send through the handler with the reporter.
 */
function mailbox(policy, version, { local = null, server = scriptedServer(), now = realNow() } = {}) {
  /** @type {any} */
  const box = { roaming: { "sendguard.bundle": storedBundle(acme.sign(policy, version)) }, local, server, now, flight: createFlight() };
  if (local) local.setItem("sendguard.bundle", box.roaming["sendguard.bundle"]);
  box.send = async (draft) => {
    const result = await send({ ...draft, roaming: box.roaming }, {
      config: config(null, { keyset: acme.keyset, reportUrl: REPORT_URL }),
      localStorage: local || undefined,
      now: box.now,
      reporter: (backend) => createReporter({ backend, reportUrl: REPORT_URL, fetch: server.fetch, now: () => box.now, flight: box.flight })
    });
    box.roaming = Object.fromEntries(result.fake.roaming);
    return result.completed;
  };
  box.queued = () => {
    const text = local ? local.getItem(REPORTS_KEY) : box.roaming[REPORTS_KEY];
    return text ? JSON.parse(text) : null;
  };
  return box;
}

test("a blocked send counts `blocked`, a send that goes counts its monitored findings; nothing carries an address or content", async () => {
  const box = mailbox(BLOCK_POLICY, 4);
  // The army.ml trap is blocked; the gmial.com lookalike beside it is only monitored.
  const stopped = await box.send({ ...TRAP, to: [...TRAP.to, "Bob Jones <bob.jones@gmial.com>"] });
  assert.equal(stopped.allowEvent, false);
  const went = await box.send(MONITORED_ONLY);
  assert.deepEqual(went, { allowEvent: true });
  // The first send posted today's counts so far (nothing sent yet today); the second waits
  // PARTIAL_INTERVAL_SECONDS for its turn.
  assert.equal(box.server.requests.length, 1);
  assert.deepEqual(box.server.requests[0].body.counts, [{ kind: "tld_trap", action: "block", outcome: "blocked", count: 1 }]);
  assert.deepEqual(box.server.requests[0].body.domains, [{ kind: "tld_trap", domain: "army.ml", count: 1 }]);
  const [batch] = box.queued().queue.batches;
  assert.equal(batch.policy_version, 4);
  assert.deepEqual(batch.counts, [
    { kind: "tld_trap", action: "block", outcome: "blocked", count: 1 },
    { kind: "lookalike_domain", action: "warn", outcome: "monitored", count: 1 }
  ], "the stopped send's monitored lookalike is counted when the email goes, not with each attempt");
  box.now += PARTIAL_INTERVAL_SECONDS;
  await box.send({ to: ["carol@army.mil"] });
  assert.equal(box.server.requests.length, 2);
  const body = box.server.requests[1].body;
  assert.equal(body.install_id, box.server.requests[0].body.install_id);
  assert.equal(body.counts.length, 2, "today's whole day so far: it replaces the earlier report on the server");
  for (const request of box.server.requests) {
    assert.equal(request.url, REPORT_URL);
    for (const word of PRIVATE) assert.ok(!request.text.toLowerCase().includes(word), `${word} in ${request.text}`);
  }
});

test("a warning counts nothing: Outlook never says whether the sender chose Send Anyway", async () => {
  const box = mailbox(WARN_POLICY, 5);
  const warned = await box.send(TRAP);
  assert.equal(warned.sendModeOverride, "promptUser");
  assert.equal(box.queued(), null, "nothing queued");
  assert.equal(box.server.requests.length, 0);
});

test("a one-click fix in the pane counts the warned recipient's own findings as fixed or removed; a blocked row is not counted twice", async () => {
  const engine = await realEngine();
  const warn = engine.Engine.fromPolicyJson(JSON.stringify(WARN_POLICY));
  const draft = { to: ["Colonel Smith <colonel.smith@army.ml>", "ops@army.ml"], cc: [], bcc: [], subject: "", body: "", attachments: [] };
  const verdict = warn.check(draft, { known: [] });
  const row = verdict.by_recipient.find((r) => r.recipient === "colonel.smith@army.ml");
  const fixed = observedFix(verdict, row, "fixed");
  const tally = warn.reportTally(fixed);
  // The engine runs in its own context: compare plain copies.
  assert.deepEqual(JSON.parse(JSON.stringify(tally.counts)), [{ kind: "tld_trap", action: "warn", outcome: "fixed", count: 1 }], "only that recipient's finding, no monitored ones");
  assert.deepEqual(JSON.parse(JSON.stringify(tally.domains)), [{ kind: "tld_trap", domain: "army.ml", count: 1 }]);
  assert.equal(warn.reportTally(observedFix(verdict, row, "removed")).counts[0].outcome, "removed");
  const block = engine.Engine.fromPolicyJson(JSON.stringify(BLOCK_POLICY));
  const blocked = block.check(draft, { known: [] });
  assert.equal(observedFix(blocked, blocked.by_recipient[0], "fixed"), null);
  warn.free();
  block.free();
});

test("server down: the day waits in the store and goes at a later launch event, once", async () => {
  const server = scriptedServer([{ offline: true }, { status: 503 }]);
  const box = mailbox(BLOCK_POLICY, 6, { server });
  await box.send(TRAP);
  await box.send(TRAP);
  assert.equal(server.requests.length, 2, "tried at each send while nothing got through");
  assert.equal(box.queued().queue.batches[0].counts[0].count, 2);
  // The next day's first launch event is a compose: it sends the finished day.
  box.now += DAY;
  const fake = fakeOutlook({ roaming: box.roaming });
  const backend = roamingBackend(fake.office.context.roamingSettings);
  const store = createPolicyStore(backend, "acme");
  const reports = createReporter({ backend, reportUrl: REPORT_URL, fetch: server.fetch, now: () => box.now, flight: box.flight });
  const compose = sendEvent();
  // Nothing to refresh from (no policy URL): the compose event only sends what is due.
  await createComposeHandler({ office: fake.office, fetch: server.fetch, api: async () => createEngineApi(await realEngine()), config: config(null, { keyset: acme.keyset }), store, now: () => box.now, reports })(compose.event);
  assert.equal(await compose.done, undefined);
  assert.equal(server.requests.length, 3);
  assert.equal(server.requests[2].body.counts[0].count, 2);
  assert.deepEqual(JSON.parse(String(fake.roaming.get(REPORTS_KEY))).queue.batches, [], "sent once, then forgotten");
});

test("the send's answer never waits for a report: a server that hangs holds only the post", async () => {
  const server = scriptedServer();
  const box = mailbox(BLOCK_POLICY, 7, { server });
  await box.send(TRAP);
  box.now += DAY;
  let release;
  server.hold = new Promise((resolve) => { release = resolve; });
  let answered = null;
  const sending = send({ ...TRAP, roaming: box.roaming }, {
    config: config(null, { keyset: acme.keyset, reportUrl: REPORT_URL }),
    now: box.now,
    onCompleted: (options) => { answered = options; },
    reporter: (backend) => createReporter({ backend, reportUrl: REPORT_URL, fetch: server.fetch, now: () => box.now, flight: box.flight })
  });
  // Wait until yesterday's post is on its way: Outlook had its answer before it started.
  while (server.requests.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(answered && answered.allowEvent, false, "event.completed came first");
  const inFlight = box.flight.current;
  assert.ok(inFlight, "the post is in flight");
  // Another event of the same runtime joins it rather than posting again.
  const other = createReporter({ backend: localBackend(memoryLocalStorage()), reportUrl: REPORT_URL, fetch: server.fetch, now: () => box.now, flight: box.flight });
  assert.equal(other.sendDue(), inFlight);
  assert.equal(server.requests.length, 2);
  const answer = { status: 200, json: () => Promise.resolve({}) };
  server.hold = null;
  release(answer);
  await sending;
  const dayOf = (seconds) => new Date(seconds * 1000).toISOString().slice(0, 10);
  assert.deepEqual(server.requests.map((r) => r.body.day), [dayOf(box.now - DAY), dayOf(box.now - DAY), dayOf(box.now)], "yesterday's partial, then yesterday's whole day, then today's");
  assert.equal(box.flight.current, null);
});

test("a policy with reporting off: the engine says so, what was queued is erased and nothing is sent", async () => {
  const box = mailbox(BLOCK_POLICY, 8, { server: scriptedServer([{ offline: true }]) });
  await box.send(TRAP);
  assert.equal(box.queued().queue.batches.length, 1);
  box.roaming["sendguard.bundle"] = storedBundle(acme.sign({ ...BLOCK_POLICY, reporting: { enabled: false } }, 9));
  box.now += DAY;
  await box.send(TRAP);
  assert.equal(box.queued(), null, "install id and counts gone");
  assert.equal(box.server.requests.length, 1, "only the first, failed, attempt");
});

test("roamingSettings: the queue stays within 2,000 bytes, oldest days first, and never pushes out the policy", async () => {
  const box = mailbox(BLOCK_POLICY, 10, { server: scriptedServer([], { down: true }) });
  const domains = ["army.ml", "navy.ml", "af.ml", "usmc.ml", "dla.ml", "disa.ml"];
  for (let day = 0; day < 12; day++) {
    for (const domain of domains) await box.send({ to: [`x <colonel@${domain}>`] });
    box.now += DAY;
  }
  const text = box.roaming[REPORTS_KEY];
  assert.ok(roamingBytes(text) <= ROAMING_REPORTS_BUDGET, `${roamingBytes(text)} bytes`);
  const days = JSON.parse(text).queue.batches.map((b) => b.day);
  assert.ok(days.length >= 1 && days.length < 12, `${days.length} days kept`);
  const newest = new Date((box.now - DAY) * 1000).toISOString().slice(0, 10);
  assert.equal(days[days.length - 1], newest, "the newest day is kept");
  assert.ok(box.roaming[BUNDLE_KEY], "the policy stays");

  // A policy that needs all of the room takes it from the queue, never the other way round.
  const fake = fakeOutlook({ roaming: { ...box.roaming } });
  const backend = roamingBackend(fake.office.context.roamingSettings);
  const store = createPolicyStore(backend, "acme");
  // A keyset and a bundle that take all of their 30,000 characters, and a held version.
  assert.equal(await store.writeKeyset({ chain: ["k".repeat(2000)], etag: null, acceptedAt: 1 }), true);
  backend.set(HELD_KEY, heldRecord(11, "d".repeat(500)));
  /** @type {any} */
  const big = { bundle: "", etag: null, fetchedAt: 1, checkedAt: 1, version: 11, digest: "d", expiresAt: null, failMode: "warn", stale: false };
  big.bundle = "x".repeat(30000 - String(backend.get("sendguard.keyset")).length - JSON.stringify({ tenant: "acme", ...big }).length);
  assert.equal(await store.writeBundle(big), true);
  assert.ok(roamingUsed(backend) <= ROAMING_LIMIT);
  assert.equal(backend.get(REPORTS_KEY), undefined, "the policy took the queue's room");
  const reports = createReporter({ backend, reportUrl: REPORT_URL, fetch: scriptedServer([], { down: true }).fetch, now: () => box.now, flight: createFlight() });
  const engine = (await realEngine()).Engine.fromPolicyJson(JSON.stringify(BLOCK_POLICY));
  const verdict = engine.check({ to: ["colonel@army.ml"], cc: [], bcc: [] }, { known: [] });
  await reports.afterSend({ engine, version: 11, stale: false }, verdict);
  engine.free();
  assert.ok(roamingUsed(backend) <= ROAMING_LIMIT, `${roamingUsed(backend)} bytes in roamingSettings`);
  assert.ok(backend.get(BUNDLE_KEY), "the policy stays");
  // The history leaves the queue its whole budget, whether the queue uses it yet or not.
  const roomBeside = (roaming) => {
    const settings = roamingBackend(fakeOutlook({ roaming }).office.context.roamingSettings);
    return { room: createHistoryStore(settings).room(), policy: roamingUsed(settings, ["sendguard.history", REPORTS_KEY]) };
  };
  const withQueue = roomBeside({ [BUNDLE_KEY]: box.roaming[BUNDLE_KEY], [REPORTS_KEY]: box.roaming[REPORTS_KEY] });
  const withoutQueue = roomBeside({ [BUNDLE_KEY]: box.roaming[BUNDLE_KEY] });
  assert.equal(withQueue.room, withoutQueue.room);
  assert.equal(withQueue.room, ROAMING_LIMIT - POLICY_GROWTH - roamingBytes(REPORTS_KEY) - ROAMING_REPORTS_BUDGET - withQueue.policy - roamingBytes("sendguard.history"));
});

test("localStorage (the HTML runtimes): the queue is kept there, within 200,000 characters, and not in roamingSettings", async () => {
  const local = memoryLocalStorage();
  const box = mailbox(BLOCK_POLICY, 12, { local, server: scriptedServer([], { down: true }) });
  await box.send(TRAP);
  assert.equal(box.roaming[REPORTS_KEY], undefined);
  assert.equal(box.queued().queue.batches[0].counts[0].outcome, "blocked");
  // A month offline with a full day each day still fits: the queue keeps at most 31 days.
  const backend = localBackend(local);
  const reports = createReporter({ backend, reportUrl: REPORT_URL, fetch: scriptedServer([], { down: true }).fetch, now: () => box.now, flight: createFlight() });
  const engine = (await realEngine()).Engine.fromPolicyJson(JSON.stringify(BLOCK_POLICY));
  const draft = { to: Array.from({ length: 40 }, (_, i) => `c@unit${i}.ml`), cc: [], bcc: [] };
  const verdict = engine.check(draft, { known: [] });
  for (let day = 0; day < 35; day++) {
    await reports.afterSend({ engine, version: 12, stale: false }, verdict);
    box.now += DAY;
  }
  engine.free();
  const text = local.getItem(REPORTS_KEY);
  assert.ok(text.length <= LOCAL_REPORTS_BUDGET, `${text.length} characters`);
  assert.ok(JSON.parse(text).queue.batches.length >= 25, "weeks of days kept");
});

// Against the real policy server: its ingest endpoint takes what the add-in sends.
let dir, server;
/** `sendguard serve` with tenant acme and its signed BLOCK_POLICY, started once. */
async function realServer() {
  if (!server) {
    dir = mkdtempSync(join(tmpdir(), "sendguard-outlook-reports-"));
    server = await startPolicyServer(join(dir, "data"));
    await server.admin("POST", "/api/v1/tenants", { id: "acme" });
    await server.admin("POST", "/api/v1/tenants/acme/policy", BLOCK_POLICY);
  }
  return server;
}
after(() => {
  server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

for (const kind of ["roamingSettings", "localStorage"]) {
  test(`the real server: a blocked send's counts arrive (${kind}); the request holds no address or content`, async () => {
    const server = await realServer();
    const keyset = await (await fetch(`${server.local}/v1/tenants/acme/keyset`)).text();
    const bundle = await (await fetch(`${server.local}/v1/tenants/acme/policy`)).text();
    const reportUrl = `${server.local}/v1/tenants/acme/reports`;
    const local = kind === "localStorage" ? memoryLocalStorage({ "sendguard.bundle": storedBundle(bundle) }) : undefined;
    const requests = [];
    const recording = (url, init) => {
      requests.push(`${init.method} ${url} ${JSON.stringify(init.headers)} ${init.body}`);
      return fetch(url, init);
    };
    const result = await send({ ...TRAP, roaming: local ? {} : { "sendguard.bundle": storedBundle(bundle) } }, {
      config: config(null, { keyset, reportUrl }),
      localStorage: local,
      now: realNow(),
      reporter: (backend) => createReporter({ backend, reportUrl, fetch: recording, now: realNow, flight: createFlight() })
    });
    assert.equal(result.completed.allowEvent, false);
    assert.equal(requests.length, 1);
    for (const word of PRIVATE) assert.ok(!requests[0].toLowerCase().includes(word), `${word} in ${requests[0]}`);
    const summary = await (await server.admin("GET", "/api/v1/tenants/acme/reports?days=2")).json();
    const rule = summary.rules.find((r) => r.kind === "tld_trap" && r.action === "block");
    assert.ok(rule && rule.prevented >= 1, JSON.stringify(summary));
    const stored = local ? local.getItem(REPORTS_KEY) : result.fake.roaming.get(REPORTS_KEY);
    assert.equal(JSON.parse(stored).queue.batches.length, 1, "today's batch stays, to be replaced by the whole day");
  });
}
