// The sender's history never leaves the device (docs/privacy.md): every request the
// extension's code makes (fetch and EventSource: URL, method, headers, body) is recorded while
// it imports a history from address books and Sent folders, checks and sends mail, learns
// from the sends, refreshes its policy and sends its daily counts; none may carry an address
// of the history.

import assert from "node:assert/strict";
import { test } from "node:test";

import { startExtension } from "../lib/extension.js";
import { eventually, fakeMessenger, lastDialogSession, vCard } from "./fake-messenger.mjs";
import { realEngineApi, wasm } from "./real-engine.mjs";

const NOW = Math.floor(Date.now() / 1000);
const ADDRESSES = ["john.smith@lockheedmartin.com", "carol@fabrikam.com", "dana@contoso.com", "new.person@example.org"];

test("no request made by the extension carries an address from the history", async () => {
  /** @type {{ url: string, method: string, headers: string, body: string }[]} */
  const requests = [];
  /** @type {any} */
  const recordingFetch = async (url, init = {}) => {
    requests.push({ url: String(url), method: init.method || "GET", headers: JSON.stringify(init.headers || {}), body: String(init.body ?? "") });
    // No keyset on this server; the policy is a plain one (verification is the engine's own test).
    if (String(url).endsWith("/keyset")) return { status: 404, ok: false, text: async () => "", headers: { get: () => null } };
    return { status: 200, ok: true, text: async () => JSON.stringify({ blocked_domains: ["tailspin-toys.com"] }), headers: { get: () => null } };
  };
  class RecordingEventSource {
    constructor(url) {
      requests.push({ url: String(url), method: "GET", headers: "", body: "" });
    }
    addEventListener() {}
    close() {}
  }
  // The plain policy stands for a verified bundle of version 1 (whose checks are reported).
  const signed = (bundle) => {
    const engine = wasm.Engine.fromPolicyJson(bundle);
    return { check: (d, c) => engine.check(d, c), reportTally: (r) => engine.reportTally(r), policyVersion: 1 };
  };
  /** @type {any} */
  const api = { ...realEngineApi, verify: ({ bundle }) => ({ engine: signed(bundle), version: 1, digest: "c".repeat(64), failMode: "warn", stale: false }) };
  const messenger = fakeMessenger({
    identity: { email: "alice@northwind.org", name: "Alice" },
    local: { config: { server: "https://sendguard.northwind.org", tenant: "northwind", keyset: "k" } },
    books: [{ id: "ab", contacts: [{ id: "c1", vCard: vCard("John Smith", ADDRESSES[0]) }, { id: "c2", vCard: vCard("Dana", ADDRESSES[2]) }] }],
    sent: [{ date: new Date((NOW - 3 * 86400) * 1000), headerMessageId: "<s1@northwind.org>", recipients: [`Carol <${ADDRESSES[1]}>`], ccList: [], bccList: [] }]
  });
  const extension = startExtension({ messenger, engineApi: async () => api, fetch: recordingFetch, EventSource: /** @type {any} */ (RecordingEventSource), log: () => {}, pause: async () => {} });
  await extension.ready;
  assert.equal(await extension.imported, undefined);

  // A send to a new address (learned after it went out), and one held by the policy.
  const tab = { id: 7 };
  assert.deepEqual(await messenger.compose.onBeforeSend.fire(tab, { to: [ADDRESSES[3]], cc: [`Carol <${ADDRESSES[1]}>`], bcc: [], subject: "Hi", plainTextBody: "x" }), {});
  await messenger.compose.onAfterSend.fire(tab, { mode: "sendNow", headerMessageId: "<s2@northwind.org>" });
  const held = messenger.compose.onBeforeSend.fire({ id: 8 }, { to: ["sales@tailspin-toys.com", ADDRESSES[0]], subject: "Offer", plainTextBody: "x" });
  await eventually(() => messenger.opened.length === 1);
  await messenger.runtime.sendMessage({ type: "dialog-cancel", session: lastDialogSession(messenger) });
  assert.deepEqual(await held, { cancel: true });
  await extension.refresh();
  await messenger.runtime.sendMessage({ type: "options-history" });
  assert.equal(await extension.sendReports(true), "sent");
  assert.ok(requests.some((r) => r.method === "POST" && r.url.endsWith("/v1/tenants/northwind/reports")), "the day's counts were sent");

  let text = "";
  await eventually(() => {
    extension.history.text().then((t) => (text = t));
    return text.includes(ADDRESSES[3]);
  });
  for (const address of ADDRESSES) assert.ok(text.includes(address), `${address} is in the history`);

  assert.ok(requests.length >= 4, `the extension did make requests: ${requests.map((r) => r.url).join(" ")}`);
  for (const request of requests) {
    const everything = `${request.method} ${request.url} ${request.headers} ${request.body}`.toLowerCase();
    for (const address of ADDRESSES) {
      assert.ok(!everything.includes(address), `a request carries ${address}: ${everything}`);
      assert.ok(!everything.includes(encodeURIComponent(address).toLowerCase()), `a request carries ${address} (encoded)`);
    }
  }
});
