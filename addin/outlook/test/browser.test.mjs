// The packaged add-in in real headless Chromium: the HTML event runtime (commands.html, the
// handler classic Outlook loads, built with the lean engine; the full one, with its JavaScript
// fallback, when the page has no WebAssembly) runs a send through the real engine;
// then the task pane opens with the dialog's contextData and its Fix button rewrites the
// draft; the sender's history in the page's real localStorage (learnt by a send, catching the
// next slip, a reply's new domain, the pane's count and Forget). office.js is replaced by a
// fake (browser-fake-office.js); nothing leaves 127.0.0.1.
// Screenshots: artifacts/outlook-taskpane*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium, openAddinPage, pressSend as pressSendOn, runHandler, localStorageOf, serveAddinDir } from "./chromium.mjs";
import { writePackage } from "../package.mjs";
import { repoRoot, classicScriptPath, classicWebScriptPath } from "./engine.mjs";

const artifacts = join(repoRoot, "artifacts");

let dir, server, base, browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "sendguard-outlook-"));
  const policy = join(dir, "policy.json");
  writeFileSync(policy, JSON.stringify({ internal_domains: ["army.mil"] }));
  writePackage({ url: "https://guard.example.org", tenant: "acme", policy, engine: classicScriptPath, "engine-web": classicWebScriptPath, out: join(dir, "pkg") });
  server = await serveAddinDir(join(dir, "pkg"));
  base = `${server.base}/outlook`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const openPage = (page, draft, contextData, options = {}) => openAddinPage(browser, `${base}/${page}`, { draft, contextData, ...options });
const pressSend = (draft, options = {}) => pressSendOn(browser, `${base}/commands.html`, { draft, ...options });

const DRAFT = {
  to: [{ displayName: "Colonel Smith", emailAddress: "colonel.smith@army.ml" }, { displayName: "Bob", emailAddress: "bob@army.mil" }],
  cc: [{ displayName: "Carol", emailAddress: "carol@army.mil" }],
  bcc: [],
  subject: "Exercise plan",
  body: "Attached."
};

test("Chromium: army.ml is stopped by the real engine, the Fix button corrects it, then the send goes", async () => {
  const completed = await pressSend(DRAFT);
  assert.equal(completed.allowEvent, false);
  assert.match(completed.errorMessage, /^Check colonel\.smith@army\.ml: did you mean army\.mil\? \.ml is Mali/);
  assert.ok(completed.errorMessage.length <= 500);
  assert.match(completed.errorMessageMarkdown, /^\*\*Please check this email before sending\.\*\*\r\r- Check colonel\.smith@army\.ml: did you mean army\.mil\?/);
  assert.equal(completed.cancelLabel, "Fix recipients");
  assert.equal(completed.commandId, "SendguardFixButton");
  assert.equal(completed.sendModeOverride, "promptUser");
  const fixes = JSON.parse(completed.contextData).fixes;
  assert.deepEqual(fixes.map((f) => [f.field, f.recipient, f.fix]), [["to", "colonel.smith@army.ml", "colonel.smith@army.mil"]]);

  // The dialog's "Fix recipients" opens the task pane with that contextData.
  const { tab, context, errors } = await openPage("taskpane.html", DRAFT, completed.contextData);
  const fix = tab.getByRole("button", { name: "Replace army.ml with army.mil" });
  await fix.waitFor();
  await tab.getByText("Built-in policy for acme").waitFor();
  // Packaged without a keyset, nothing could verify a server's policy: the pane asks no server.
  assert.equal(await tab.getByText(/^Could not update/).count(), 0);
  mkdirSync(artifacts, { recursive: true });
  await tab.screenshot({ path: join(artifacts, "outlook-taskpane.png"), fullPage: true });
  await fix.click();
  await tab.getByText("Replaced army.ml with army.mil. Press Send again.").waitFor();
  await tab.getByText("No problems found in this draft.").waitFor();
  await tab.screenshot({ path: join(artifacts, "outlook-taskpane-fixed.png"), fullPage: true });
  const after = await tab.evaluate(() => window.__draft);
  await context.close();
  assert.deepEqual(errors, []);
  assert.deepEqual(after.to.map((r) => [r.displayName, r.emailAddress]), [["Colonel Smith", "colonel.smith@army.mil"], ["Bob", "bob@army.mil"]]);
  assert.deepEqual(after.cc.map((r) => r.emailAddress), ["carol@army.mil"]);

  // Send again: nothing to report.
  assert.deepEqual(await pressSend(after), { allowEvent: true });
});

test("Chromium: one row per recipient; its Remove drops only the offending address", async () => {
  const { tab, context, errors } = await openPage("taskpane.html", DRAFT, null);
  await tab.getByRole("button", { name: "Remove colonel.smith@army.ml" }).waitFor();
  assert.equal(await tab.locator(".finding").count(), 1, "one row for the one recipient at fault");
  assert.equal(await tab.getByRole("button", { name: /^Remove / }).count(), 1);
  await tab.getByRole("button", { name: "Remove colonel.smith@army.ml" }).click();
  await tab.getByText("Removed colonel.smith@army.ml. Press Send again.").waitFor();
  const after = await tab.evaluate(() => window.__draft);
  await context.close();
  assert.deepEqual(errors, []);
  assert.deepEqual(after.to.map((r) => r.emailAddress), ["bob@army.mil"]);
});

test("Chromium: an open pane checks again when the dialog passes new fixes", async () => {
  const { tab, context, errors } = await openPage("taskpane.html", { to: [{ displayName: "Bob", emailAddress: "bob@army.mil" }], cc: [], bcc: [] }, null);
  await tab.getByText("No problems found in this draft.").waitFor();
  // The user adds a mistyped recipient, presses Send, and chooses Fix recipients again.
  await tab.evaluate(() => {
    window.__draft.cc = [{ displayName: "Ops", emailAddress: "ops@army.ml" }];
    window.__itemHandlers.olkInitializationContextChanged({ type: "olkInitializationContextChanged", initializationContextData: "{}" });
  });
  await tab.getByText("Sendguard stopped this email again. Fix it below, then press Send again.").waitFor();
  await tab.getByRole("button", { name: "Replace army.ml with army.mil" }).click();
  await tab.getByText("No problems found in this draft.").waitFor();
  const after = await tab.evaluate(() => window.__draft);
  await context.close();
  assert.deepEqual(errors, []);
  assert.deepEqual(after.cc.map((r) => [r.displayName, r.emailAddress]), [["Ops", "ops@army.mil"]]);
});

test("Chromium: commands.html runs the lean engine (WebAssembly, no JavaScript fallback)", async () => {
  const { tab, context, errors } = await openPage("commands.html", DRAFT, null);
  const scripts = await tab.evaluate(() => performance.getEntriesByType("resource").map((r) => new URL(r.name).pathname.split("/").pop()));
  const started = await tab.evaluate(() => SendguardEngine.instantiate().then((engine) => engine.kind));
  const forced = await tab.evaluate(() => SendguardEngine.instantiate({ fallback: "always" }).then((engine) => engine.kind, (e) => e.code));
  await context.close();
  assert.deepEqual(errors, []);
  assert.ok(scripts.includes("commands-web.js") && !scripts.includes("commands.js"), scripts.join(" "));
  assert.equal(started, "wasm");
  assert.equal(forced, "no_webassembly");
});

test("Chromium without WebAssembly: the pages load the full engine, whose JavaScript fallback checks the send", async () => {
  const { tab, context, errors } = await openPage("commands.html", DRAFT, null, { noWebAssembly: true });
  const scripts = await tab.evaluate(() => performance.getEntriesByType("resource").map((r) => new URL(r.name).pathname.split("/").pop()));
  const kind = await tab.evaluate(() => SendguardEngine.instantiate().then((engine) => engine.kind));
  await context.close();
  assert.deepEqual(errors, []);
  assert.ok(scripts.includes("commands.js") && !scripts.includes("commands-web.js"), scripts.join(" "));
  assert.equal(kind, "js");

  const completed = await pressSend(DRAFT, { noWebAssembly: true });
  assert.equal(completed.allowEvent, false);
  assert.match(completed.errorMessage, /army\.mil/);

  const pane = await openPage("taskpane.html", DRAFT, null, { noWebAssembly: true });
  await pane.tab.getByRole("button", { name: "Replace army.ml with army.mil" }).waitFor();
  await pane.context.close();
  assert.deepEqual(pane.errors, []);
});

const JOHN = { displayName: "John Smith", emailAddress: "john.smith@lockheedmartin.com" };
const SLIP = { displayName: "Jon", emailAddress: "jon.smith@lockheedmartin.com" };
/** Learning runs after event.completed: wait until the page's localStorage holds it. */
const learnt = (tab, text) => tab.waitForFunction((t) => (localStorage.getItem("sendguard.history") || "").includes(t), text);

test("Chromium (real localStorage): a send learns the address, the next one-letter slip is caught with the right fix, and the pane forgets", async () => {
  const page = await openPage("commands.html", { to: [JOHN], cc: [], bcc: [] }, null);
  assert.deepEqual(await runHandler(page.tab, "onMessageSendHandler"), { allowEvent: true });
  await learnt(page.tab, "john.smith@lockheedmartin.com");
  // The same runtime, a later draft with the slip.
  await page.tab.evaluate((slip) => { window.__draft.to = [slip]; }, SLIP);
  const stopped = await runHandler(page.tab, "onMessageSendHandler");
  const local = await localStorageOf(page.tab);
  await page.context.close();
  assert.deepEqual(page.errors, []);
  assert.equal(stopped.allowEvent, false);
  assert.match(stopped.errorMessage, /john\.smith@lockheedmartin\.com/);
  assert.deepEqual(JSON.parse(stopped.contextData).fixes.map((f) => [f.field, f.recipient, f.fix]), [["to", SLIP.emailAddress, JOHN.emailAddress]]);

  // The pane, on the same origin's storage: the fix, the count, and Forget.
  const pane = await openPage("taskpane.html", { to: [SLIP], cc: [], bcc: [] }, stopped.contextData, { local });
  await pane.tab.getByText("Known addresses: 1 (kept on this device only, to catch slips in addresses you use).").waitFor();
  await pane.tab.getByRole("button", { name: "Replace jon.smith@lockheedmartin.com with john.smith@lockheedmartin.com" }).waitFor();
  mkdirSync(artifacts, { recursive: true });
  await pane.tab.screenshot({ path: join(artifacts, "outlook-taskpane-history.png"), fullPage: true });
  await pane.tab.getByRole("button", { name: "Forget known addresses" }).click();
  await pane.tab.getByText("Forgot every known address.").waitFor();
  await pane.tab.getByText(/^No known addresses yet/).waitFor();
  const after = await localStorageOf(pane.tab);
  await pane.context.close();
  assert.deepEqual(pane.errors, []);
  assert.equal(after["sendguard.history"], undefined);
});

test("Chromium: a reply that adds a new outside domain warns, with the known neighbour as fix", async () => {
  const bob = { displayName: "Bob", emailAddress: "bob@acme.com" };
  const page = await openPage("commands.html", { to: [bob], cc: [], bcc: [] }, null);
  assert.deepEqual(await runHandler(page.tab, "onMessageSendHandler"), { allowEvent: true });
  await learnt(page.tab, "bob@acme.com");
  // A reply to a thread at acme.com and nato.int: the compose event records its recipients.
  await page.tab.evaluate(() => {
    window.__draft.composeType = "reply";
    window.__draft.from = { displayName: "Me", emailAddress: "me@home.example" };
    window.__draft.to = [{ displayName: "Alice", emailAddress: "alice@acme.com" }, { displayName: "Nils", emailAddress: "nils@nato.int" }];
  });
  assert.equal(await runHandler(page.tab, "onNewComposeHandler"), null);
  await page.tab.evaluate(() => { window.__draft.to.push({ displayName: "Bob", emailAddress: "bob@acme-corp.com" }); });
  const completed = await runHandler(page.tab, "onMessageSendHandler");
  const session = await page.tab.evaluate(() => window.__session);
  await page.context.close();
  assert.deepEqual(page.errors, []);
  assert.deepEqual(JSON.parse(session["sendguard.original"]).participants, ["\"Me\" <me@home.example>", "\"Alice\" <alice@acme.com>", "\"Nils\" <nils@nato.int>"]);
  assert.equal(completed.allowEvent, false);
  assert.equal(completed.sendModeOverride, "promptUser");
  assert.deepEqual(JSON.parse(completed.contextData).fixes.map((f) => [f.recipient, f.fix, f.kind]), [["bob@acme-corp.com", "bob@acme.com", "reply_adds_domain"]]);
});
