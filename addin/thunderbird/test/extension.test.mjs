// The extension's wiring against a fake `messenger` and the real WebAssembly engine (built-in
// policy): what Thunderbird gets back from onBeforeSend for each answer in the dialog.

import assert from "node:assert/strict";
import { test } from "node:test";

import { startExtension, HISTORY_ALARM, REFRESH_ALARM } from "../lib/extension.js";
import { REPORT_ALARM } from "../lib/reports.js";
import { eventually, fakeMessenger, lastDialogSession } from "./fake-messenger.mjs";
import { realEngineApi, wasm } from "./real-engine.mjs";

function start(options = {}, engineApi = realEngineApi) {
  const messenger = fakeMessenger({ identity: { email: "alice@northwind.org", name: "Alice" }, ...options });
  const logs = [];
  const extension = startExtension({ messenger, engineApi: async () => engineApi, fetch: async () => assert.fail("no server configured"), log: (m) => logs.push(m) });
  return { messenger, extension, logs };
}

const armyDraft = { identityId: "id1", to: ["Colonel Smith <colonel.smith@army.ml>", "Bob <bob@contoso.com>"], cc: [], bcc: [], subject: "Plan", plainTextBody: "See attached." };

/** Presses Send: fires onBeforeSend; the dialog (if any) is played by the caller. */
function pressSend(messenger, details) {
  return messenger.compose.onBeforeSend.fire({ id: 7 }, details);
}

/** What the dialog page would send. */
const page = (messenger, type, extra = {}) => messenger.runtime.sendMessage({ type, session: lastDialogSession(messenger), ...extra });

test("a clean draft goes without a dialog", async () => {
  const { messenger } = start();
  assert.deepEqual(await pressSend(messenger, { ...armyDraft, to: ["Bob <bob@contoso.com>"] }), {});
  assert.equal(messenger.opened.length, 0);
});

test("army.ml is held; Fix changes only that address, display name kept; the window closes", async () => {
  const { messenger, extension } = start();
  const result = pressSend(messenger, armyDraft);
  await eventually(() => messenger.opened.length === 1);
  assert.equal(messenger.opened[0].type, "popup");
  assert.match(messenger.opened[0].url, /^moz-extension:\/\/fake\/thunderbird\/dialog\/dialog\.html\?session=/);
  const opened = await page(messenger, "dialog-open");
  assert.equal(opened.verdict.action, "warn");
  const [finding] = opened.verdict.findings;
  assert.equal(finding.fix, "colonel.smith@army.mil");
  assert.match(finding.message, /Mali/);
  const fixed = await page(messenger, "dialog-choose", { row: 0, choice: "fix" });
  assert.equal(fixed.verdict.action, "allow", "the corrected draft is checked again");
  assert.deepEqual(await page(messenger, "dialog-ping"), { alive: true });
  await page(messenger, "dialog-send");
  assert.deepEqual(await result, { details: { to: ["Colonel Smith <colonel.smith@army.mil>", "Bob <bob@contoso.com>"] } });
  assert.equal(messenger.opened[0].open, false);
  assert.equal(extension.dialogs.pending, 0);
});

test("one row per recipient: two reasons for army.ml share one Fix and one Remove", async () => {
  const { messenger } = start();
  const seed = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
  const result = pressSend(messenger, { ...armyDraft, plainTextBody: `Seed: ${seed}` });
  await eventually(() => messenger.opened.length === 1);
  const { verdict } = await page(messenger, "dialog-open");
  const rows = verdict.by_recipient.filter((r) => r.recipient === "colonel.smith@army.ml");
  assert.equal(rows.length, 1, JSON.stringify(verdict.by_recipient));
  assert.equal(rows[0].findings.length, 2);
  assert.deepEqual(rows[0].findings.map((i) => verdict.findings[i].kind).sort(), ["sensitive_content", "tld_trap"]);
  assert.equal(rows[0].fix, "colonel.smith@army.mil");
  assert.match((await page(messenger, "dialog-choose", { row: 99, choice: "fix" })).error, /Nothing to change/);
  await page(messenger, "dialog-cancel");
  assert.deepEqual(await result, { cancel: true });
});

test("Cancel, Escape and closing the window all cancel the send", async () => {
  const { messenger } = start();
  const cancelled = pressSend(messenger, armyDraft);
  await eventually(() => messenger.opened.length === 1);
  await page(messenger, "dialog-cancel");
  assert.deepEqual(await cancelled, { cancel: true });

  const closed = pressSend(messenger, armyDraft);
  await eventually(() => messenger.opened.length === 2);
  await messenger.windows.remove(messenger.opened[1].id);
  assert.deepEqual(await closed, { cancel: true });
  assert.deepEqual(await page(messenger, "dialog-ping"), { error: "This send is no longer waiting (the window may be stale)." });
});

test("Send anyway sends as typed; Remove drops the recipient", async () => {
  const { messenger } = start();
  const anyway = pressSend(messenger, armyDraft);
  await eventually(() => messenger.opened.length === 1);
  await page(messenger, "dialog-send");
  assert.deepEqual(await anyway, {});

  const removed = pressSend(messenger, armyDraft);
  await eventually(() => messenger.opened.length === 2);
  await page(messenger, "dialog-choose", { row: 0, choice: "remove" });
  await page(messenger, "dialog-send");
  assert.deepEqual(await removed, { details: { to: ["Bob <bob@contoso.com>"] } });
});

test("a block needs a justification when the policy allows one, and cannot be sent otherwise", async () => {
  const policy = (action) => JSON.stringify({ actions: { tld_trap: action } });
  for (const [action, justified] of [["block_with_justification", true], ["block", false]]) {
    const engine = wasm.Engine.fromPolicyJson(policy(action));
    const { messenger } = start({}, { ...realEngineApi, defaultEngine: () => engine });
    const result = pressSend(messenger, armyDraft);
    await eventually(() => messenger.opened.length === 1);
    const { verdict } = await page(messenger, "dialog-open");
    assert.equal(verdict.action, "block");
    assert.match((await page(messenger, "dialog-send", { justification: "  " })).error, justified ? /justification is required/ : /cannot be sent/);
    const answer = await page(messenger, "dialog-send", { justification: "Mali office, confirmed by phone" });
    if (justified) assert.deepEqual(await result, {});
    else {
      assert.equal(answer.error, "This email cannot be sent as it is.");
      await page(messenger, "dialog-cancel");
      assert.deepEqual(await result, { cancel: true });
    }
  }
});

test("the sender identity, attachments and body reach the engine; a failing check asks the sender", async () => {
  let seen;
  const spyApi = { ...realEngineApi, defaultEngine: () => ({ check: (draft) => {
        seen = draft;
        throw new Error("engine exploded");
      } }) };
  const { messenger } = start({ attachments: [{ name: "plan.pdf", size: 1234 }] }, spyApi);
  const result = pressSend(messenger, armyDraft);
  await eventually(() => messenger.opened.length === 1);
  assert.deepEqual(seen, { from: "Alice <alice@northwind.org>", to: armyDraft.to, cc: [], bcc: [], subject: "Plan", body: "See attached.", attachments: [{ name: "plan.pdf", size: 1234 }] });
  const { verdict } = await page(messenger, "dialog-open");
  assert.match(verdict.summary, /could not check it \(error: engine exploded\)/);
  await page(messenger, "dialog-cancel");
  assert.deepEqual(await result, { cancel: true });
});

test("the refresh, history and report alarms are set up, and the options page gets the source and status", async () => {
  const { messenger, extension } = start();
  await extension.reportsScheduled;
  assert.deepEqual(messenger.alarmsCreated, [{ name: REFRESH_ALARM, periodInMinutes: 15 }, { name: HISTORY_ALARM, periodInMinutes: 360 }, { name: REPORT_ALARM, periodInMinutes: 60 }]);
  const info = await messenger.runtime.sendMessage({ type: "options-status" });
  assert.deepEqual(info, { source: "none", server: null, tenant: null, status: { version: null, error: null } });
});

/** A server that has no keyset for the tenant: the pinned one (here none that verifies) stays. */
const noKeyset = { status: 404, ok: false, text: async () => "", headers: { get: () => null } };

test("a send that starts during a policy refresh is checked with the refreshed policy", async () => {
  // The engine API is real except that bundles are plain policies here (signature checks are
  // the engine's own tests); the server answers slowly.
  /** @type {any} */
  const api = { ...realEngineApi, verify: ({ bundle }) => ({ engine: wasm.Engine.fromPolicyJson(bundle), version: 1, digest: "a".repeat(64) }) };
  let answer;
  const slowFetch = (url) => (url.endsWith("/keyset") ? Promise.resolve(noKeyset) : new Promise((resolve) => (answer = resolve)));
  const messenger = fakeMessenger({ local: { config: { server: "http://127.0.0.1:9", tenant: "t", keyset: "k" } } });
  startExtension({ messenger, engineApi: async () => api, fetch: slowFetch, log: () => {} });
  const result = pressSend(messenger, { to: ["x@tailspin-toys.com"] });
  await eventually(() => answer);
  answer({ status: 200, ok: true, text: async () => JSON.stringify({ blocked_domains: ["tailspin-toys.com"] }), headers: { get: () => null } });
  await eventually(() => messenger.opened.length === 1);
  const { verdict } = await page(messenger, "dialog-open");
  assert.equal(verdict.action, "block");
  await page(messenger, "dialog-cancel");
  assert.deepEqual(await result, { cancel: true });
});

test("when the check cannot run, the policy's fail_mode decides: block offers no way to send", async () => {
  const broken = { check: () => { throw new Error("engine exploded"); } };
  const policyFailingClosed = JSON.stringify({ fail_mode: "block" });
  /** @type {any} */
  const api = { ...realEngineApi, verify: () => ({ engine: broken, version: 1, digest: "b".repeat(64), failMode: "block" }) };
  /** @type {any} */
  const serve = async (url) => url.endsWith("/keyset") ? noKeyset : ({ status: 200, ok: true, text: async () => policyFailingClosed, headers: { get: () => null } });
  const messenger = fakeMessenger({ local: { config: { server: "http://127.0.0.1:9", tenant: "t", keyset: "k" } } });
  startExtension({ messenger, engineApi: async () => api, fetch: serve, log: () => {} });
  const result = pressSend(messenger, { to: ["bob@contoso.com"] });
  await eventually(() => messenger.opened.length === 1);
  const { verdict } = await page(messenger, "dialog-open");
  assert.equal(verdict.action, "block");
  assert.equal((await page(messenger, "dialog-send")).error, "This email cannot be sent as it is.");
  await page(messenger, "dialog-cancel");
  assert.deepEqual(await result, { cancel: true });
});
