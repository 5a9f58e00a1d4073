// The sender's history with the real engine (WebAssembly) through the extension's wiring and
// a fake `messenger`: the first import, a one-letter slip in a known contact's address caught
// with the right fix, a reply that adds an outside domain held, a send learned so that the
// next one is quiet, and Forget.

import assert from "node:assert/strict";
import { test } from "node:test";

import { startExtension } from "../lib/extension.js";
import { eventually, fakeMessenger, lastDialogSession, vCard } from "./fake-messenger.mjs";
import { realEngineApi } from "./real-engine.mjs";
const NOW = Math.floor(Date.now() / 1000);
const JOHN = "john.smith@lockheedmartin.com";

function start() {
  const messenger = fakeMessenger({
    identity: { email: "alice@northwind.org", name: "Alice" },
    books: [{ id: "ab", contacts: [{ id: "c1", vCard: vCard("John Smith", JOHN) }] }],
    sent: [
      { date: new Date((NOW - 9 * 86400) * 1000), headerMessageId: "<s1@northwind.org>", recipients: [`John Smith <${JOHN}>`], ccList: [], bccList: [] },
      { date: new Date((NOW - 4 * 86400) * 1000), headerMessageId: "<s2@northwind.org>", recipients: ["Ann <ann@acme.com>"], ccList: ["Nat <nat@nato.int>"], bccList: [] }
    ],
    originals: { 11: { author: "Alice <alice@northwind.org>", recipients: ["Ann <ann@acme.com>"], ccList: ["Nat <nat@nato.int>"] } }
  });
  const extension = startExtension({ messenger, engineApi: async () => realEngineApi, fetch: async () => assert.fail("no server configured"), log: () => {}, pause: async () => {} });
  return { messenger, extension };
}

const page = (messenger, type, extra = {}) => messenger.runtime.sendMessage({ type, session: lastDialogSession(messenger), ...extra });

/** Presses Send on `details` in tab `tabId`; if a dialog opens, `play` answers it. */
async function send(messenger, tabId, details, play) {
  const opened = messenger.opened.length;
  const result = messenger.compose.onBeforeSend.fire({ id: tabId }, { bcc: [], subject: "s", plainTextBody: "x", ...details });
  const shown = await Promise.race([result.then(() => null), eventually(() => messenger.opened.length > opened).then(() => page(messenger, "dialog-open"))]);
  if (shown && play) await play(shown.verdict);
  return { result: await result, verdict: shown && shown.verdict };
}

test("the first import, then jon.smith@ for the known john.smith@ is held and Fix sends to john.smith@", async () => {
  const { messenger, extension } = start();
  await extension.imported;
  assert.equal((await messenger.runtime.sendMessage({ type: "options-history" })).entries, 3);
  const { result, verdict } = await send(messenger, 1, { to: ["jon.smith@lockheedmartin.com"], cc: [] }, async (v) => {
    const row = v.by_recipient.findIndex((r) => r.recipient === "jon.smith@lockheedmartin.com");
    assert.equal(v.by_recipient[row].fix, JOHN);
    await page(messenger, "dialog-choose", { row, choice: "fix" });
    await page(messenger, "dialog-send");
  });
  assert.ok(verdict.findings.some((f) => f.kind === "lookalike_address"), JSON.stringify(verdict.findings));
  assert.deepEqual(result, { details: { to: [JOHN] } });
});

test("a reply to a thread at acme.com and nato.int that adds globex.com is held", async () => {
  const { messenger, extension } = start();
  await extension.imported;
  const { result, verdict } = await send(messenger, 2, { type: "reply", relatedMessageId: 11, to: ["Ann <ann@acme.com>", "Dan <d.lee@globex.com>"], cc: ["Nat <nat@nato.int>"] }, () => page(messenger, "dialog-cancel"));
  const finding = verdict.findings.find((f) => f.kind === "reply_adds_domain");
  assert.ok(finding, JSON.stringify(verdict.findings));
  assert.match(finding.message, /globex\.com/);
  assert.deepEqual(result, { cancel: true });
});

test("a send teaches its recipients: after Send anyway, the next send to the same address is quiet; Forget forgets", async () => {
  const { messenger, extension } = start();
  await extension.imported;
  const first = await send(messenger, 3, { to: ["jon.smith@lockheedmartin.com"], cc: [] }, () => page(messenger, "dialog-send"));
  assert.ok(first.verdict, "the first send was held");
  await messenger.compose.onAfterSend.fire({ id: 3 }, { mode: "sendNow", headerMessageId: "<s3@northwind.org>" });
  await eventually(() => messenger.storage.local.data.get("history").includes("jon.smith@lockheedmartin.com"));
  const again = await send(messenger, 4, { to: ["jon.smith@lockheedmartin.com"], cc: [] });
  assert.equal(again.verdict, null, "no dialog");
  assert.deepEqual(again.result, {});

  const summary = await messenger.runtime.sendMessage({ type: "options-history-forget" });
  assert.equal(summary.entries, 0);
  assert.equal(messenger.storage.local.data.get("history"), "");
});

test("at start, the engine in force indexes the stored history in the background, so the first send does not wait for it", async () => {
  const stored = realEngineApi.history.learn("", { recipients: [`John Smith <${JOHN}>`], day: Math.floor(NOW / 86400) });
  /** The history each check of the built-in engine was given. */
  const checkedWith = [];
  const watched = (engine) =>
    new Proxy(engine, {
      get(target, key) {
        if (key === "check") return (draft, context) => (checkedWith.push(context && context.history), target.check(draft, context));
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      }
    });
  const api = { ...realEngineApi, defaultEngine: () => watched(realEngineApi.defaultEngine()) };
  const messenger = fakeMessenger({ identity: { email: "alice@northwind.org", name: "Alice" }, local: { history: stored } });
  const extension = startExtension({ messenger, engineApi: async () => api, fetch: async () => assert.fail("no server configured"), log: () => {}, pause: async () => {} });
  await extension.ready;
  await eventually(() => checkedWith.includes(stored));
  assert.equal(messenger.opened.length, 0, "no send, no dialog: the check was the background one");
});
