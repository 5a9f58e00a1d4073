// End to end with the real policy server: `sendguard serve` on 127.0.0.1 serves the packaged
// add-in (Chromium sees it at its public https URL, forwarded to 127.0.0.1); the compose
// event or the task pane fetches the tenant's signed policy in the background, the engine
// verifies it against the pinned keyset, the page keeps it in localStorage (the HTML
// runtimes' store), and the next send runs on it. The daily counts a send and a pane fix make
// reach the server's ingest endpoint (kept while it is down), with no address or content in
// them. Needs the `sendguard` binary
// (SENDGUARD_BIN, default target/debug/sendguard: `cargo build -p sendguard-cli`).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium, openAddinPage, pressSend, runEvents, runHandler, localStorageOf } from "./chromium.mjs";
import { writePackage } from "../package.mjs";
import { classicScriptPath, classicWebScriptPath } from "./engine.mjs";
import { startPolicyServer } from "./policy-server.mjs";

const PUBLIC = "https://guard.example.org";
let dir, server, local, admin, browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "sendguard-outlook-e2e-"));
  const addinDir = join(dir, "addin");
  mkdirSync(addinDir);
  server = await startPolicyServer(join(dir, "data"), addinDir);
  local = server.local;
  admin = server.admin;
  await admin("POST", "/api/v1/tenants", { id: "acme" });
  await admin("POST", "/api/v1/tenants/acme/policy", { blocked_domains: ["ml"], fail_mode: "block" });
  const keyset = await (await fetch(`${local}/v1/tenants/acme/keyset`)).text();
  writeFileSync(join(dir, "keyset.json"), keyset);
  writeFileSync(join(dir, "policy.json"), "{}");
  writePackage({ url: PUBLIC, tenant: "acme", keyset: join(dir, "keyset.json"), policy: join(dir, "policy.json"), engine: classicScriptPath, "engine-web": classicWebScriptPath, out: addinDir });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const forward = (url) => (url.startsWith(`${PUBLIC}/`) ? local + url.slice(PUBLIC.length) : null);
const DRAFT = { to: [{ displayName: "Colonel Smith", emailAddress: "colonel.smith@army.ml" }], cc: [], bcc: [] };

test("the server serves the Office allow-list for the packaged add-in, and each runtime its engine", async () => {
  const response = await fetch(`${local}/.well-known/microsoft-officeaddins-allowed.json`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { allowed: [`${PUBLIC}/addin/outlook/commands.js`] });
  const served = async (file) => (await fetch(`${local}/addin/outlook/${file}`)).text();
  // Classic Outlook's JavaScript-only runtime (and pages without WebAssembly): the full engine;
  // the pages Chromium runs below: the lean one, picked by load-engine.js.
  for (const file of ["commands.js", "taskpane.js"]) assert.ok((await served(file)).includes(readFileSync(classicScriptPath, "utf8")), file);
  assert.match(await served("commands.html"), /<script src="load-engine\.js" data-entry="commands"><\/script>/);
  assert.match(await served("load-engine.js"), /document\.write/);
  for (const file of ["commands-web.js", "taskpane-web.js"]) assert.ok((await served(file)).includes(readFileSync(classicWebScriptPath, "utf8")), file);
});

test("the task pane fetches and verifies the signed policy; the next send runs on it", async () => {
  // Before: only the baked (empty) policy, so army.ml is a warning.
  const before = await pressSend(browser, `${PUBLIC}/addin/outlook/commands.html`, { draft: DRAFT, forward });
  assert.equal(before.allowEvent, false);
  assert.equal(before.sendModeOverride, "promptUser");

  const { tab, context, errors } = await openAddinPage(browser, `${PUBLIC}/addin/outlook/taskpane.html`, { draft: DRAFT, forward });
  await tab.getByText("Policy version 1 for acme: current").waitFor();
  const local = await localStorageOf(tab);
  const roamingAfter = await tab.evaluate(() => window.__roaming);
  await context.close();
  assert.deepEqual(errors, []);
  assert.deepEqual(roamingAfter, {}, "the HTML runtime keeps the policy in localStorage, not roamingSettings");
  assert.deepEqual(JSON.parse(local["sendguard.held"]).tenant, "acme");
  assert.equal(JSON.parse(local["sendguard.held"]).held.version, 1);
  assert.match(JSON.parse(local["sendguard.bundle"]).etag, /^"/);

  // After: the stored signed policy blocks .ml outright (no Send Anyway).
  const after = await pressSend(browser, `${PUBLIC}/addin/outlook/commands.html`, { draft: DRAFT, forward, local });
  assert.equal(after.allowEvent, false);
  assert.equal(after.sendModeOverride, undefined);
  assert.match(after.errorMessageMarkdown, /cannot be sent/);
  assert.deepEqual(JSON.parse(after.contextData).version, 1);

  // A tampered copy in localStorage is not trusted: back to the baked policy.
  const stored = JSON.parse(local["sendguard.bundle"]);
  const envelope = JSON.parse(stored.bundle);
  envelope.payload = Buffer.from(Buffer.from(envelope.payload, "base64").toString().replace('\\"ml\\"', '\\"mx\\"')).toString("base64");
  const tampered = { ...local, "sendguard.bundle": JSON.stringify({ ...stored, bundle: JSON.stringify(envelope) }) };
  const refused = await pressSend(browser, `${PUBLIC}/addin/outlook/commands.html`, { draft: DRAFT, forward, local: tampered });
  assert.equal(refused.sendModeOverride, "promptUser", "the baked policy only warns");
  assert.equal(JSON.parse(refused.contextData).version, null);
});

test("a signing key rotated and revoked on the server reaches the add-in through the pane's keyset refresh", async () => {
  // Keyset version 2 lists a new signing key and revokes the old one; the policy is re-signed
  // as version 2 with the new key, which the pinned keyset (version 1) does not list.
  await admin("POST", "/api/v1/keys/rotate", { revoke_old: true });
  const { tab, context, errors } = await openAddinPage(browser, `${PUBLIC}/addin/outlook/taskpane.html`, { draft: DRAFT, forward });
  await tab.getByText("Policy version 2 for acme: current").waitFor();
  const local = await localStorageOf(tab);
  await context.close();
  assert.deepEqual(errors, []);
  assert.equal(JSON.parse(local["sendguard.keyset"]).tenant, "acme");
  assert.equal(JSON.parse(local["sendguard.held"]).held.version, 2);

  const after = await pressSend(browser, `${PUBLIC}/addin/outlook/commands.html`, { draft: DRAFT, forward, local });
  assert.deepEqual(JSON.parse(after.contextData).version, 2, "verified against the stored keyset");
  // Without the stored keyset the new key is unknown: the baked policy stands in.
  const pinnedOnly = { ...local };
  delete pinnedOnly["sendguard.keyset"];
  const refused = await pressSend(browser, `${PUBLIC}/addin/outlook/commands.html`, { draft: DRAFT, forward, local: pinnedOnly });
  assert.equal(JSON.parse(refused.contextData).version, null);
});

test("a policy published on the server is enforced at the next compose-and-send, the pane never opened", async () => {
  // Version 3 blocks army.mil's lookalike and also the partner the mailbox writes to.
  await admin("POST", "/api/v1/tenants/acme/policy", { blocked_domains: ["ml", "partner.example"], fail_mode: "block" });
  const draft = { to: [{ displayName: "Bob", emailAddress: "bob@partner.example" }], cc: [], bcc: [] };
  // A fresh mailbox (nothing stored): the compose event fetches keyset and policy, then Send.
  const { completed, local } = await runEvents(browser, `${PUBLIC}/addin/outlook/commands.html`, { draft, forward }, ["onNewComposeHandler", "onMessageSendHandler"]);
  assert.equal(completed[0], null, "the compose event completes without options");
  assert.equal(JSON.parse(local["sendguard.held"]).held.version, 3);
  assert.equal(completed[1].allowEvent, false);
  assert.equal(completed[1].sendModeOverride, undefined, "blocked by the published policy");
  assert.equal(JSON.parse(completed[1].contextData).version, 3);
  // The next Outlook start (a new page, same origin) sends on what the compose event stored.
  const later = await pressSend(browser, `${PUBLIC}/addin/outlook/commands.html`, { draft, forward, local });
  assert.equal(JSON.parse(later.contextData).version, 3);
});

test("Chromium: no request the add-in makes carries an address from the sender's history", async () => {
  const known = [{ displayName: "Secret Partner", emailAddress: "secret.partner@hidden-co.net" }, { displayName: "", emailAddress: "quiet.supplier@undisclosed.org" }];
  const requests = [];
  // A send learns the addresses (in the page's real localStorage).
  const sender = await openAddinPage(browser, `${PUBLIC}/addin/outlook/commands.html`, { draft: { to: known, cc: [], bcc: [] }, forward });
  assert.deepEqual(await runHandler(sender.tab, "onMessageSendHandler"), { allowEvent: true });
  await sender.tab.waitForFunction(() => localStorage.getItem("sendguard.history") !== null);
  const local = await localStorageOf(sender.tab);
  requests.push(...sender.requests);
  await sender.context.close();
  assert.match(local["sendguard.history"], /hidden-co\.net/);

  // With that history on the device: a compose event (which refreshes from the server, nothing
  // being fresh in this new store) and the pane (which refreshes too) talk to the server.
  const fresh = { "sendguard.history": local["sendguard.history"] };
  const composer = await openAddinPage(browser, `${PUBLIC}/addin/outlook/commands.html`, { draft: { to: [], cc: [], bcc: [] }, forward, local: fresh });
  assert.equal(await runHandler(composer.tab, "onNewComposeHandler"), null);
  requests.push(...composer.requests);
  await composer.context.close();
  const pane = await openAddinPage(browser, `${PUBLIC}/addin/outlook/taskpane.html`, { draft: { to: known, cc: [], bcc: [] }, forward, local: fresh });
  await pane.tab.getByText(/^Policy version \d+ for acme: current/).waitFor();
  await pane.tab.getByText(/^Known addresses: 2/).waitFor();
  requests.push(...pane.requests);
  await pane.context.close();

  assert.ok(requests.some((r) => r.url.includes("/v1/tenants/acme/policy")), "the policy was fetched");
  for (const r of requests) {
    const text = `${r.method} ${r.url} ${r.headers} ${r.body}`.toLowerCase();
    for (const word of ["secret.partner", "hidden-co", "quiet.supplier", "undisclosed", "secret partner"]) assert.ok(!text.includes(word), `${word} in ${text}`);
  }
});

test("Chromium: the daily counts reach the real server (server down first: kept, sent later), never an address or content, never delaying Send", async () => {
  const TRAP = { to: [{ displayName: "Colonel Smith", emailAddress: "colonel.smith@army.ml" }], cc: [], bcc: [], subject: "Exercise Nightfall", body: "Grid reference attached" };
  const requests = [];
  const reportsOf = (summary, action) => summary.rules.find((r) => r.kind === "tld_trap" && r.action === action);
  // Version 4 blocks the .ml trap and only counts lookalike domains.
  await admin("POST", "/api/v1/tenants/acme/policy", { actions: { tld_trap: "block" }, monitor: { kinds: ["lookalike_domain"] }, fail_mode: "block" });

  // A fresh mailbox: the compose event fetches the policy; Send is stopped. The report post is
  // held by the "server" until Outlook has its answer, then fails (server down).
  const first = await openAddinPage(browser, `${PUBLIC}/addin/outlook/commands.html`, { draft: TRAP, forward });
  let openGate;
  const gate = new Promise((resolve) => { openGate = resolve; });
  let held = 0;
  await first.tab.route(`${PUBLIC}/v1/tenants/acme/reports`, async (route) => {
    held++;
    await gate;
    await route.abort();
  });
  assert.equal(await runHandler(first.tab, "onNewComposeHandler"), null);
  const stopped = await runHandler(first.tab, "onMessageSendHandler");
  assert.equal(stopped.allowEvent, false, "Outlook has its answer while the report post is still held");
  // Counted after the answer, then posted: wait for both.
  await first.tab.waitForFunction(() => (localStorage.getItem("sendguard.reports") || "").includes("blocked"));
  while (held === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  openGate();
  const queued = await localStorageOf(first.tab);
  requests.push(...first.requests);
  await first.context.close();
  assert.deepEqual(first.errors, []);
  const kept = JSON.parse(queued["sendguard.reports"]);
  assert.deepEqual(kept.queue.batches.map((b) => [b.policy_version, b.counts.map((c) => `${c.kind} ${c.action} ${c.outcome} ${c.count}`)]), [[4, ["tld_trap block blocked 1"]]]);
  assert.equal(kept.partial_at, 0, "not sent yet");

  // The next launch event, server up: the kept counts go to the real server.
  const second = await openAddinPage(browser, `${PUBLIC}/addin/outlook/commands.html`, { draft: { to: [], cc: [], bcc: [] }, forward, local: queued });
  assert.equal(await runHandler(second.tab, "onNewComposeHandler"), null);
  await second.tab.waitForFunction(() => JSON.parse(localStorage.getItem("sendguard.reports")).partial_at > 0);
  const sent = await localStorageOf(second.tab);
  requests.push(...second.requests);
  await second.context.close();
  assert.deepEqual(second.errors, []);
  const afterSend = await (await admin("GET", "/api/v1/tenants/acme/reports?days=2")).json();
  assert.equal(reportsOf(afterSend, "block").prevented, 1, JSON.stringify(afterSend.rules));

  // Version 5 only warns about the trap: the pane's one-click fix counts it as fixed.
  await admin("POST", "/api/v1/tenants/acme/policy", { monitor: { kinds: ["lookalike_domain"] }, fail_mode: "block" });
  const pane = await openAddinPage(browser, `${PUBLIC}/addin/outlook/taskpane.html`, { draft: TRAP, forward, local: sent });
  await pane.tab.getByText("Policy version 5 for acme: current").waitFor();
  await pane.tab.getByRole("button", { name: "Replace army.ml with army.mil" }).click();
  await pane.tab.getByText("No problems found in this draft.").waitFor();
  await pane.tab.waitForFunction(() => (localStorage.getItem("sendguard.reports") || "").includes("fixed"));
  const fixed = await localStorageOf(pane.tab);
  requests.push(...pane.requests);
  await pane.context.close();
  assert.deepEqual(pane.errors, []);

  // Hours later (today's counts so far go at most every few hours), the next compose sends them.
  const record = JSON.parse(fixed["sendguard.reports"]);
  const later = { ...fixed, "sendguard.reports": JSON.stringify({ ...record, partial_at: 0 }) };
  const third = await openAddinPage(browser, `${PUBLIC}/addin/outlook/commands.html`, { draft: { to: [], cc: [], bcc: [] }, forward, local: later });
  assert.equal(await runHandler(third.tab, "onNewComposeHandler"), null);
  await third.tab.waitForFunction(() => JSON.parse(localStorage.getItem("sendguard.reports")).partial_at > 0);
  requests.push(...third.requests);
  await third.context.close();
  assert.deepEqual(third.errors, []);
  const afterFix = await (await admin("GET", "/api/v1/tenants/acme/reports?days=2")).json();
  // (The earlier tests' blocked sends counted their tld_trap warnings as blocked: one more.)
  const warnedBefore = reportsOf(afterSend, "warn")?.prevented || 0;
  assert.equal(reportsOf(afterFix, "warn").prevented, warnedBefore + 1, JSON.stringify(afterFix.rules));
  assert.equal(reportsOf(afterFix, "block").prevented, 1, "the blocked send still counts once");

  const posts = requests.filter((r) => r.url.endsWith("/v1/tenants/acme/reports"));
  assert.equal(posts.length, 3, "the failed post, the day so far, the day so far again with the fix");
  for (const post of posts) {
    assert.equal(post.method, "POST");
    const text = `${post.url} ${post.body}`.toLowerCase();
    for (const word of ["@", "colonel", "smith", "nightfall", "exercise", "grid", "attached"]) assert.ok(!text.includes(word), `${word} in ${text}`);
  }
  assert.ok(posts.every((p) => JSON.parse(p.body).install_id === JSON.parse(posts[0].body).install_id), "one install id for the origin");
});
