// The policy reaches a mailbox without the pane: the compose launch event (OnNewMessageCompose)
// refreshes keyset and policy from the real `sendguard serve` on 127.0.0.1 into this runtime's
// store, verified by the real engine, and the next send runs on it. office-addin-mock stands
// in for Outlook (roamingSettings: classic Outlook's store; localStorage: the HTML runtimes').
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fakeOutlook, sendEvent } from "./fake-outlook.mjs";
import { config, realEngine, memoryLocalStorage } from "./helpers.mjs";
import { startPolicyServer } from "./policy-server.mjs";
import { createComposeHandler } from "../src/compose-handler.js";
import { createSendHandler } from "../src/send-handler.js";
import { createEngineApi } from "../src/engine-api.js";
import { createPolicyStore, pickBackend, roamingBackend, HISTORY_KEY } from "../src/policy-store.js";
import { createHistoryStore } from "../src/history-store.js";

let dir, server, keyset;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "sendguard-compose-refresh-"));
  server = await startPolicyServer(join(dir, "data"));
  await server.admin("POST", "/api/v1/tenants", { id: "acme" });
  keyset = await (await fetch(`${server.local}/v1/tenants/acme/keyset`)).text();
});

after(() => {
  server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The add-in as packaged with --keyset and the built-in default policy baked. */
const packaged = () => config({}, {
  keyset,
  policyUrl: `${server.local}/v1/tenants/acme/policy`,
  keysetUrl: `${server.local}/v1/tenants/acme/keyset`
});


/** Every request the add-in makes in these tests: URL, method, headers and body. */
const requests = [];

/** One Outlook runtime: a compose event, then a send of `draft`, sharing `backend` (the
 * policy's store and the sender's history). */
async function composeThenSend(draft, backendOf, now = () => Math.floor(Date.now() / 1000)) {
  const fake = fakeOutlook(draft);
  globalThis.Office = fake.office;
  const engine = await realEngine();
  const api = async () => createEngineApi(engine);
  const cfg = packaged();
  const backend = backendOf(fake);
  const store = createPolicyStore(backend, cfg.tenant);
  const recordingFetch = (url, init = {}) => {
    requests.push({ url: String(url), method: init.method || "GET", headers: JSON.stringify(init.headers || {}), body: init.body === undefined ? "" : String(init.body) });
    return fetch(url, init);
  };
  const deps = { office: fake.office, api, config: cfg, store, history: createHistoryStore(backend), fetch: recordingFetch, now };
  const compose = sendEvent();
  await createComposeHandler(deps)(compose.event);
  assert.equal(await compose.done, undefined, "the compose event completes");
  const send = sendEvent();
  await createSendHandler(deps)(send.event);
  return { completed: await send.done, fake, store };
}

test("a policy published on the server is enforced at the next compose-and-send (classic: roamingSettings)", async () => {
  await server.admin("POST", "/api/v1/tenants/acme/policy", { blocked_domains: ["ml"], fail_mode: "block" });
  const { completed, fake, store } = await composeThenSend({ to: ["Colonel Smith <colonel.smith@army.ml>"], mailbox: "1.15" }, (f) => roamingBackend(f.office.context.roamingSettings));
  assert.equal(completed.allowEvent, false);
  assert.equal(completed.sendModeOverride, undefined, "blocked by the server's policy, not warned by the built-in one");
  assert.equal(JSON.parse(completed.contextData).version, 1);
  assert.equal(store.kind, "roamingSettings");
  assert.ok(fake.roaming.has("sendguard.bundle") && fake.roaming.has("sendguard.held"));
});

test("the HTML runtimes keep the policy in localStorage; a newer publish reaches the next compose", async () => {
  const local = memoryLocalStorage();
  const backendOf = (f) => pickBackend({ localStorage: local, roamingSettings: f.office.context.roamingSettings });
  const first = await composeThenSend({ to: ["bob@partner.example"] }, backendOf);
  assert.equal(first.store.kind, "localStorage");
  assert.equal(first.fake.roaming.size, 0, "nothing in roamingSettings when localStorage is there");
  assert.equal(JSON.parse(local.items.get("sendguard.held")).held.version, 1);
  await server.admin("POST", "/api/v1/tenants/acme/policy", { blocked_domains: ["partner.example"] });
  // The next compose is within the hour, but the fetch is cheap and the test forces it by the clock.
  const later = () => Math.floor(Date.now() / 1000) + 2 * 3600;
  const second = await composeThenSend({ to: ["bob@partner.example"] }, backendOf, later);
  assert.equal(second.completed.allowEvent, false);
  assert.equal(JSON.parse(second.completed.contextData).version, 2);
});

test("no request the add-in makes carries an address from the sender's history", async () => {
  const local = memoryLocalStorage();
  const backendOf = (f) => pickBackend({ localStorage: local, roamingSettings: f.office.context.roamingSettings });
  const known = ["Secret Partner <secret.partner@hidden-co.net>", "quiet.supplier@undisclosed.org", "Ops <ops@army.mil>"];
  const clock = (hours) => () => Math.floor(Date.now() / 1000) + hours * 3600;
  await composeThenSend({ to: known }, backendOf, clock(3));
  assert.ok(local.items.get(HISTORY_KEY).includes("hidden-co.net"), "the send was learnt");
  const seen = requests.length;
  // Later composes refresh from the server with the history on the device.
  await composeThenSend({ to: ["bob@partner.example"] }, backendOf, clock(5));
  await composeThenSend({ to: ["carol@partner.example"] }, backendOf, clock(7));
  assert.ok(requests.length > seen, "the refreshes reached the server");
  const words = ["secret.partner", "hidden-co", "quiet.supplier", "undisclosed", "ops@army.mil", "Secret Partner"];
  for (const request of requests) {
    const text = `${request.method} ${request.url} ${request.headers} ${request.body}`.toLowerCase();
    for (const word of words) assert.ok(!text.includes(word.toLowerCase()), `${word} in ${text}`);
  }
});

test("with the server down the compose event still completes and the send runs on what is held", async () => {
  const local = memoryLocalStorage();
  const backendOf = (f) => pickBackend({ localStorage: local, roamingSettings: f.office.context.roamingSettings });
  await composeThenSend({ to: ["bob@army.mil"] }, backendOf);
  const heldBefore = local.items.get("sendguard.held");
  server.stop();
  const later = () => Math.floor(Date.now() / 1000) + 2 * 3600;
  const { completed } = await composeThenSend({ to: ["bob@partner.example"] }, backendOf, later);
  assert.equal(completed.allowEvent, false, "the held policy (blocking partner.example) is in force");
  assert.equal(local.items.get("sendguard.held"), heldBefore);
});
