// The sender's history in Outlook, against the real engine in a fake Outlook
// (office-addin-mock), in each store the add-in uses: localStorage (the HTML runtimes) and
// roamingSettings (classic Outlook on Windows, 32 KB shared with the policy). A send the
// verdict lets go is learnt after event.completed; the next slip in that address is caught
// with the right fix; a reply that adds a new domain warns; a corrupt history never fails a
// check; the pane's count and Forget work on the same store.
import { test } from "node:test";
import assert from "node:assert/strict";
import { send, config, realEngine, memoryLocalStorage } from "./helpers.mjs";
import { fakeOutlook, sendEvent } from "./fake-outlook.mjs";
import { createEngineApi } from "../src/engine-api.js";
import { createComposeHandler } from "../src/compose-handler.js";
import { createSendHandler } from "../src/send-handler.js";
import { createPolicyStore, pickBackend, roamingBackend, HISTORY_KEY, ROAMING_LIMIT, roamingUsed } from "../src/policy-store.js";
import { createHistoryStore } from "../src/history-store.js";
import { historyCount } from "../src/history.js";
import { createPolicyCache, POLICY_CACHE_SECONDS } from "../src/policy-session.js";
import { ORIGINAL_KEY, parseOriginal } from "../src/reply-snapshot.js";

const NOW = 1_800_000_000;
const JOHN = "John Smith <john.smith@lockheedmartin.com>";
const SLIP = "jon.smith@lockheedmartin.com";
const api = async () => createEngineApi(await realEngine());

/** The fixes the dialog carries to the pane: [field, recipient, fix, kind]. */
const fixesOf = (completed) => (completed.contextData ? JSON.parse(completed.contextData).fixes.map((f) => [f.field, f.recipient, f.fix, f.kind]) : []);

/** The history a store holds, as the engine summarises it. */
async function summary(text) {
  return createEngineApi(await realEngine()).historySummary(text || "");
}

for (const kind of ["localStorage", "roamingSettings"]) {
  test(`${kind}: a send learns its recipients; the next one-letter slip in that address is caught with the right fix`, async () => {
    const local = kind === "localStorage" ? memoryLocalStorage() : undefined;
    const roaming = {};
    const stored = (fake) => (local ? local.items.get(HISTORY_KEY) : fake.roaming.get(HISTORY_KEY));

    const first = await send({ to: [JOHN], roaming }, { localStorage: local, now: NOW });
    assert.deepEqual(first.completed, { allowEvent: true });
    const history = stored(first.fake);
    assert.equal(typeof history, "string", "the send was learnt");
    assert.equal((await summary(history)).entries, 1);
    if (local) assert.equal(first.fake.roaming.size, 0, "nothing in roamingSettings when localStorage is there");

    const second = await send({ to: [`Jon <${SLIP}>`], roaming: Object.fromEntries(first.fake.roaming) }, { localStorage: local, now: NOW + 86400 });
    assert.equal(second.completed.allowEvent, false, JSON.stringify(second.completed));
    assert.match(second.completed.errorMessage, /john\.smith@lockheedmartin\.com/);
    assert.deepEqual(fixesOf(second.completed).map((f) => f.slice(0, 3)), [["to", SLIP, "john.smith@lockheedmartin.com"]]);
    assert.equal((await summary(stored(second.fake))).entries, 1, "a send that was stopped is not learnt");
  });
}

test("learning happens after event.completed and only when the verdict let the send go", async () => {
  const local = memoryLocalStorage();
  let atCompletion = "unset";
  const clean = await send({ to: ["Bob <bob@partnerco.com>"] }, { localStorage: local, now: NOW, onCompleted: () => { atCompletion = local.items.get(HISTORY_KEY); } });
  assert.deepEqual(clean.completed, { allowEvent: true });
  assert.equal(atCompletion, undefined, "nothing learnt before Outlook was answered");
  assert.equal((await summary(local.items.get(HISTORY_KEY))).entries, 1);

  const before = local.items.get(HISTORY_KEY);
  const warned = await send({ to: ["colonel.smith@army.ml"] }, { localStorage: local, now: NOW });
  assert.equal(warned.completed.allowEvent, false);
  assert.equal(local.items.get(HISTORY_KEY), before, "a stopped send is not learnt (Send Anyway is invisible to add-ins)");
});

test("a corrupt or foreign history never fails a check, and the next send replaces it with the engine's", async () => {
  for (const bad of ["not a history\n\u0000\t\t", "#sendguard-history 99\nx", "x".repeat(100_000)]) {
    const local = memoryLocalStorage({ [HISTORY_KEY]: bad });
    const risky = await send({ to: ["colonel.smith@army.ml"] }, { localStorage: local, now: NOW });
    assert.equal(risky.completed.allowEvent, false);
    assert.match(risky.completed.errorMessage, /did you mean army\.mil/);
    const clean = await send({ to: ["bob@partnerco.com"] }, { localStorage: local, now: NOW });
    assert.deepEqual(clean.completed, { allowEvent: true });
  }
  // roamingSettings may hold anything another client of the mailbox wrote.
  const odd = await send({ to: ["colonel.smith@army.ml"], roaming: { [HISTORY_KEY]: { entries: 5 } } }, { now: NOW });
  assert.match(odd.completed.errorMessage, /did you mean army\.mil/);
});

test("roamingSettings: a large history is cut by the engine to what the policy leaves of 32 KB, keeping the newest", async () => {
  const engine = createEngineApi(await realEngine());
  // 3,000 addresses written long ago (e.g. by a build that kept more).
  const old = Array.from({ length: 3000 }, (_, i) => `Contact ${i} <contact${i}@firm${i % 50}.example>`);
  const big = engine.learnHistory("", { recipients: old, now_day: Math.floor(NOW / 86400) - 300 });
  assert.ok(big.length > ROAMING_LIMIT);
  const policyRecords = { "sendguard.bundle": JSON.stringify({ tenant: "acme", bundle: "b".repeat(8000) }) };
  const first = await send({ to: [JOHN], roaming: { ...policyRecords, [HISTORY_KEY]: big } }, { now: NOW });
  assert.deepEqual(first.completed, { allowEvent: true });
  const backend = roamingBackend(first.fake.office.context.roamingSettings);
  assert.ok(roamingUsed(backend) <= ROAMING_LIMIT, `roamingSettings holds ${roamingUsed(backend)} bytes`);
  assert.equal(first.fake.roaming.get("sendguard.bundle"), policyRecords["sendguard.bundle"], "the policy keeps its place");
  const kept = await summary(first.fake.roaming.get(HISTORY_KEY));
  assert.ok(kept.entries >= 200 && kept.entries < 3000, `kept ${kept.entries}`);
  // The newest address is among the kept: its slip is caught.
  const second = await send({ to: [SLIP], roaming: Object.fromEntries(first.fake.roaming) }, { now: NOW });
  assert.deepEqual(fixesOf(second.completed).map((f) => f.slice(0, 3)), [["to", SLIP, "john.smith@lockheedmartin.com"]]);
});

test("roamingSettings: a policy record that needs the room takes it from the history", async () => {
  const engine = createEngineApi(await realEngine());
  const fake = fakeOutlook({});
  const backend = roamingBackend(fake.office.context.roamingSettings);
  const history = createHistoryStore(backend);
  const text = engine.trimHistory(engine.learnHistory("", { recipients: Array.from({ length: 2000 }, (_, i) => `p${i}@firm.example`), now_day: 20000 }), { max_bytes: history.room() - 2000 });
  await history.write(text);
  assert.ok(roamingUsed(backend) <= ROAMING_LIMIT);
  const written = await createPolicyStore(backend, "acme").writeBundle({ bundle: "b".repeat(25000), etag: null, fetchedAt: 1, checkedAt: 1, version: 1, digest: "d", expiresAt: null, failMode: "warn", stale: false });
  assert.equal(written, true);
  assert.equal(fake.roaming.has(HISTORY_KEY), false, "the history gave way to the policy");
  assert.ok(roamingUsed(backend) <= ROAMING_LIMIT);
  assert.equal(history.room() > 0, true, "and is learnt again in what is left");
});

/** A compose event on a reply, then the user's edits, then Send, in one fake Outlook. */
async function replyThenSend(draft, edit, local) {
  const fake = fakeOutlook({ ...draft, composeType: "reply" });
  globalThis.Office = fake.office;
  const backend = pickBackend({ localStorage: local, roamingSettings: fake.office.context.roamingSettings });
  const cfg = config();
  const requests = [];
  const deps = {
    office: fake.office, api, config: cfg, store: createPolicyStore(backend, cfg.tenant), history: createHistoryStore(backend),
    fetch: (url, init) => { requests.push({ url, init }); return Promise.reject(new Error("offline")); }, now: () => NOW
  };
  const compose = sendEvent();
  await createComposeHandler(deps)(compose.event);
  await compose.done;
  edit(fake.fields);
  const sent = sendEvent();
  await createSendHandler(deps)(sent.event);
  return { completed: await sent.done, fake, requests };
}

const THREAD = { from: "Me <me@home.example>", to: ["Alice <alice@acme.com>", "Nils <nils@nato.int>"], cc: ["carol@acme.com"] };

test("a reply records the recipients it started with; adding a new outside domain warns, with the known neighbour as fix", async () => {
  const local = memoryLocalStorage();
  // Earlier sends: bob@acme.com is a known contact.
  await send({ to: ["Bob <bob@acme.com>"] }, { localStorage: local, now: NOW });
  const { completed, fake } = await replyThenSend(THREAD, (fields) => { fields.to.push({ displayName: "Bob", emailAddress: "bob@acme-corp.com", recipientType: "other" }); }, local);
  const original = parseOriginal(fake.session.get(ORIGINAL_KEY));
  assert.deepEqual(original, { kind: "reply", participants: ["\"Me\" <me@home.example>", "\"Alice\" <alice@acme.com>", "\"Nils\" <nils@nato.int>", "carol@acme.com"] });
  assert.equal(completed.allowEvent, false, JSON.stringify(completed));
  assert.equal(completed.sendModeOverride, "promptUser", "a warning by default");
  assert.deepEqual(fixesOf(completed), [["to", "bob@acme-corp.com", "bob@acme.com", "reply_adds_domain"]]);
});

test("a reply that stays within its participants' domains goes; a new mail or a forward records nothing", async () => {
  const local = memoryLocalStorage();
  const within = await replyThenSend(THREAD, (fields) => { fields.cc.push({ displayName: "Dan", emailAddress: "dan@acme.com", recipientType: "other" }); }, local);
  assert.deepEqual(within.completed, { allowEvent: true });
  for (const composeType of /** @type {const} */ (["newMail", "forward"])) {
    const fake = fakeOutlook({ ...THREAD, composeType });
    const compose = sendEvent();
    await createComposeHandler({ office: fake.office, api, config: config(), store: createPolicyStore(roamingBackend(fake.office.context.roamingSettings), "acme"), fetch: () => Promise.reject(new Error("offline")), now: () => NOW })(compose.event);
    await compose.done;
    assert.equal(fake.session.has(ORIGINAL_KEY), false, composeType);
  }
});

test("a client without session data still checks a reply (without the reply check); a bad snapshot is ignored", async () => {
  const noSession = await replyThenSend({ ...THREAD, session: null }, (fields) => { fields.to.push({ displayName: "Bob", emailAddress: "bob@acme-corp.com", recipientType: "other" }); }, memoryLocalStorage());
  assert.deepEqual(noSession.completed, { allowEvent: true });
  for (const bad of ["{", "[]", JSON.stringify({ kind: "reply", participants: [1] }), JSON.stringify({ kind: "reply", participants: [], extra: 1 })]) {
    assert.equal(parseOriginal(bad), null, bad);
    const { completed } = await send({ to: ["colonel.smith@army.ml"], session: { [ORIGINAL_KEY]: bad } }, { now: NOW });
    assert.match(completed.errorMessage, /did you mean army\.mil/);
  }
});

test("the pane's count and Forget: the engine's summary of the store, erased from it", async () => {
  const local = memoryLocalStorage();
  await send({ to: [JOHN, "Bob <bob@partnerco.com>"] }, { localStorage: local, now: NOW });
  const fake = fakeOutlook({});
  const store = createHistoryStore(pickBackend({ localStorage: local, roamingSettings: fake.office.context.roamingSettings }));
  const engine = await api();
  assert.equal(historyCount(engine, store.read()).entries, 2);
  await store.forget();
  assert.equal(local.items.has(HISTORY_KEY), false);
  assert.equal(historyCount(engine, store.read()).entries, 0);
});

test("a runtime that stays keeps its policy between sends and has the engine index the history after each send", async () => {
  const local = memoryLocalStorage();
  const policyCache = createPolicyCache();
  const adapter = createEngineApi(await realEngine());
  let loads = 0;
  const counted = { ...adapter, loadPlain: (json) => { loads++; return adapter.loadPlain(json); } };
  const runtimeApi = async () => counted;
  assert.deepEqual((await send({ to: [JOHN] }, { localStorage: local, policyCache, api: runtimeApi, now: NOW })).completed, { allowEvent: true });
  const second = await send({ to: [SLIP] }, { localStorage: local, policyCache, api: runtimeApi, now: NOW + 60 });
  assert.deepEqual(fixesOf(second.completed).map((f) => f.slice(0, 3)), [["to", SLIP, "john.smith@lockheedmartin.com"]]);
  assert.equal(loads, 1, "the second send reused the first one's engine");
  // Past POLICY_CACHE_SECONDS, or with another policy stored, the policy is loaded afresh.
  await send({ to: [JOHN] }, { localStorage: local, policyCache, api: runtimeApi, now: NOW + 60 + POLICY_CACHE_SECONDS });
  assert.equal(loads, 2);
  // A refresh stored a bundle (this one does not verify: the baked policy stands in again).
  local.items.set("sendguard.bundle", JSON.stringify({ tenant: "acme", bundle: "{}", etag: null, fetchedAt: 1 }));
  await send({ to: [JOHN] }, { localStorage: local, policyCache, api: runtimeApi, now: NOW + 61 + POLICY_CACHE_SECONDS });
  assert.equal(loads, 3);
});

test("the engine indexes the history while Outlook is still answering the draft's reads, then checks with it once", async () => {
  const engine = await realEngine();
  const text = engine.learnHistory("", { recipients: [JOHN], now_day: Math.floor(NOW / 86400) });
  /** What happened, in order: Outlook's answers and the engine's checks. */
  const log = [];
  const spyApi = async () => {
    const real = createEngineApi(engine);
    const spied = (p) => ({ ...p, engine: { check: (d, k) => (log.push(`check ${d.to.length ? "draft" : "history only"} ${k.history ? "with" : "without"} history`), p.engine.check(d, k)) } });
    return { ...real, loadPlain: (json) => spied(real.loadPlain(json)) };
  };
  const local = memoryLocalStorage({ [HISTORY_KEY]: text });
  const { completed } = await send({ to: [SLIP], hostLatencyMs: 20, log }, { api: spyApi, localStorage: local, now: NOW });
  assert.deepEqual(fixesOf(completed), [["to", SLIP, "john.smith@lockheedmartin.com", "lookalike_address"]]);
  const indexed = log.indexOf("check history only with history");
  assert.ok(indexed >= 0 && indexed < log.indexOf("answered to.getAsync") && indexed < log.indexOf("answered body.getAsync"), log.join("; "));
  assert.equal(log.filter((l) => l === "check draft with history").length, 1, log.join("; "));
});
