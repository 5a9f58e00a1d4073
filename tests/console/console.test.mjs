// The admin console in real headless Chromium (playwright-core, /usr/bin/chromium) against a
// real `sendguard serve` on 127.0.0.1 with a temporary data directory. Every view (and each
// confirmation dialog) is checked with axe-core (zero violations) and for reflow at 320 px.
// Env: SENDGUARD_BIN (the built binary; the suite builds it with the client files inside),
// REQUIRE_ENGINE=1 (the binary must serve the engine, the .xpi and the Outlook add-in),
// ARTIFACTS (where the screenshots go).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "../..");
const binary = process.env.SENDGUARD_BIN || join(root, "target/debug/sendguard");
const requireAssets = process.env.REQUIRE_ENGINE === "1";
const artifacts = process.env.ARTIFACTS || join(root, "artifacts");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const PUBLIC_URL = "https://guard.example.test";

let server, base, token, browser, page, dataDir, hasEngine;
const consoleMessages = [];

/** Starts the server and resolves once it prints its address (and first-start token). */
function startServer() {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`scripts/test 80-console\` (it builds it) or set SENDGUARD_BIN`);
  dataDir = mkdtempSync(join(tmpdir(), "sendguard-console-"));
  const env = { ...process.env, RUST_LOG: "warn", SENDGUARD_PUBLIC_URL: PUBLIC_URL };
  server = spawn(binary, ["serve", "--listen", "127.0.0.1:0", "--data-dir", join(dataDir, "data")], { env, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolveStart, reject) => {
    server.on("error", (e) => reject(new Error(`${binary} could not start: ${e.message}`)));
    server.on("exit", (code) => reject(new Error(`server exited with ${code}`)));
    createInterface({ input: server.stdout }).on("line", (line) => {
      if (line.startsWith("sgt_")) token = line.trim();
      const match = line.match(/listening on (http:\/\/\S+)/);
      if (match) resolveStart(match[1]);
    });
  });
}

before(async () => {
  base = await startServer();
  hasEngine = (await fetch(`${base}/wasm/sendguard.js`)).ok;
  if (requireAssets) assert.ok(hasEngine, "the binary serves the engine at /wasm/sendguard.js");
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  page = await browser.newPage({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
  page.on("pageerror", (error) => { throw error; });
  page.on("console", (message) => consoleMessages.push(message.text()));
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const text = (selector) => page.locator(selector).innerText();

/** axe-core on the page as it is now: no violation of any rule. (Evaluated through the
 * DevTools protocol, so the console's strict content security policy stays on.) */
async function assertAccessible(what) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => (await window.axe.run(document)).violations
    .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`));
  assert.deepEqual(violations, [], `${what}: axe-core violations`);
}

async function openView(name) {
  await page.click(`nav a[data-view='${name}']`);
  await page.waitForSelector(`#view-${name}:not([hidden])`);
}

/** Each view fits 320 CSS pixels without horizontal scrolling (WCAG reflow). */
async function assertReflows(what) {
  const widths = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(widths[0] <= widths[1], `${what}: ${widths[0]} px wide in a ${widths[1]} px window`);
}

test("a wrong token is refused, the admin token logs in", async () => {
  await page.goto(base + "/");
  await assertAccessible("log in");
  await page.fill("#token", "sgt_not-a-real-token");
  await page.click("#login-form button");
  await page.waitForFunction(() => document.querySelector("#login-error").textContent.includes("not valid"));
  await page.fill("#token", token);
  await page.click("#login-form button");
  await page.waitForSelector("#app:not([hidden])");
  assert.match(await text("#who"), /Logged in as admin/);
});

test("the tenant id is checked in the browser", async () => {
  const mismatch = (value) => page.evaluate((v) => {
    const input = document.querySelector("#new-tenant");
    input.value = v;
    return input.validity.patternMismatch;
  }, value);
  assert.equal(await mismatch("Acme Corp"), true);
  assert.equal(await mismatch("-acme"), true);
  assert.equal(await mismatch("acme-2"), false);
  assert.deepEqual(consoleMessages.filter((m) => /pattern/i.test(m)), [], "Chromium accepts the pattern attribute");
  await page.fill("#new-tenant", "");
});

test("create a tenant, edit with validation next to the field", async () => {
  await page.fill("#new-tenant", "acme");
  await page.click("#new-tenant-form button");
  await page.waitForFunction(() => document.querySelector("#tenant").value === "acme");
  await page.waitForFunction(() => document.querySelector("#policy-json").value.includes("schema_version"));

  // Plain labels with one line of help each, no internal names.
  const actions = await text("#actions");
  assert.doesNotMatch(actions, /_|tld trap/i);
  assert.match(await text("label[for='f-action-tld_trap']"), /country ending/);
  assert.match(await text("#h-action-tld_trap"), /army\.ml/);
  assert.match(await text("#block-note"), /SendMode/);
  assert.match(await page.getAttribute("#f-action-blocked_domain", "aria-describedby"), /block-note/);

  await page.fill("#f-internal_domains", "acme.example");
  await page.fill("#f-trusted_domains", "partner.example\nnot a domain");
  await page.waitForFunction(() => document.querySelector("#e-trusted_domains").textContent.includes("trusted_domains[1]"));
  assert.match(await text("#e-trusted_domains"), /not a domain/);
  assert.equal(await page.getAttribute("#f-trusted_domains", "aria-invalid"), "true");
  assert.equal(await text("#e-internal_domains"), "", "the message sits next to the wrong field only");

  await page.fill("#f-trusted_domains", "partner.example");
  await page.selectOption("#f-action-tld_trap", "block");
  await page.waitForFunction(() => document.querySelector("#validity").textContent.includes("is valid"));
  assert.equal(await text("#e-trusted_domains"), "");
  const policy = JSON.parse(await page.inputValue("#policy-json"));
  assert.deepEqual(policy.trusted_domains, ["partner.example"]);
  assert.equal(policy.actions.tld_trap, "block");
  await assertAccessible("policy");
});

test("simulate a draft to army.ml with the real engine", async (t) => {
  if (!hasEngine) return t.skip("the binary serves no engine (scripts/build-release)");
  await page.click("#sim-form button");
  await page.waitForSelector("#sim-result .verdict");
  const result = await text("#sim-result");
  assert.match(result, /Verdict: block/, "tld_trap was set to block");
  assert.match(result, /army\.mil/, "the dialog names the intended domain");
  assert.match(result, /Mali/);

  // A recipient the sender has written to before is not reported.
  await page.fill("#sim-known", "colonel.smith@army.ml");
  await page.click("#sim-form button");
  await page.waitForFunction(() => document.querySelector("#sim-result").textContent.includes("Verdict: allow"));
  await page.fill("#sim-known", "");
  await assertAccessible("simulator result");

  // The sender's history and the message answered: a reply that drifts to a new domain is
  // reported with the known address at the thread's domain as the fix.
  const to = await page.inputValue("#sim-to");
  await page.fill("#sim-to", "Bob <bob@acme-corp.com>");
  await page.fill("#sim-history", "#sendguard-history 1\nbob@acme.com\t4\t20400\tBob Jones");
  await page.fill("#sim-original", "bob@acme.com");
  await page.click("#sim-form button");
  await page.waitForFunction(() => document.querySelector("#sim-result").textContent.includes("did you mean bob@acme.com"));
  const reply = await text("#sim-result");
  assert.match(reply, /A reply that adds a new domain/);
  assert.match(reply, /Fix: bob@acme\.com/);
  await page.fill("#sim-to", to);
  await page.fill("#sim-history", "");
  await page.fill("#sim-original", "");
});

test("the engine marks its cold-start phases in the page's User Timing", async (t) => {
  if (!hasEngine) return t.skip("the binary serves no engine (scripts/build-release)");
  // The simulator above instantiated the engine, built a policy's index and checked drafts,
  // one with a sender's history: each phase is marked once (crates/wasm/src/phases.rs), so a
  // slow one can be named.
  const timing = await page.evaluate(() => ({
    instantiated: performance.getEntriesByName("sendguard:instantiated", "mark").length,
    measures: performance.getEntriesByType("measure").filter((m) => m.name.startsWith("sendguard:")).map((m) => ({ name: m.name, ms: m.duration }))
  }));
  assert.equal(timing.instantiated, 1);
  assert.deepEqual(timing.measures.map((m) => m.name).sort(), ["sendguard:first-check", "sendguard:history", "sendguard:index"]);
  // Durations are reported, never asserted (they depend on the machine).
  t.diagnostic(timing.measures.map((m) => `${m.name} ${m.ms.toFixed(1)} ms`).join(", "));
});

test("publish, see it in history, roll back after seeing the diff", async () => {
  await page.click("#publish");
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("Published version 1"));

  // What add-ins download is the signed bundle of exactly the edited text.
  const bundle = await (await fetch(`${base}/v1/tenants/acme/policy`)).json();
  const statement = JSON.parse(Buffer.from(bundle.payload, "base64").toString());
  assert.equal(statement.tenant, "acme");
  assert.equal(statement.version, 1);
  assert.equal(statement.policy, await page.inputValue("#policy-json"));
  assert.equal(bundle.signatures.length, 1);

  // The command line enforces it: verifies the bundle against the tenant's keyset, then
  // blocks the example draft to army.ml because the admin set tld_trap to block.
  const bundlePath = join(dataDir, "policy.bundle");
  const keysetPath = join(dataDir, "keyset.json");
  writeFileSync(bundlePath, Buffer.from(await (await fetch(`${base}/v1/tenants/acme/policy`)).arrayBuffer()));
  writeFileSync(keysetPath, Buffer.from(await (await fetch(`${base}/v1/tenants/acme/keyset`)).arrayBuffer()));
  const check = spawnSync(binary, ["check", "--policy", bundlePath, "--trust", keysetPath, "--tenant", "acme",
    "--format", "json", join(root, "examples/army-ml.json")], { encoding: "utf8" });
  assert.equal(check.status, 2, `sendguard check: ${check.stderr}`);
  assert.equal(JSON.parse(check.stdout).action, "block");

  await page.fill("#f-trusted_domains", "partner.example\nnato.int");
  await page.waitForFunction(() => document.querySelector("#validity").textContent.includes("is valid"));
  await page.click("#publish");
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("Published version 2"));

  await openView("history");
  await page.waitForSelector("#history li.version[data-version='2']");
  assert.match(await text("#history"), /Version 1, published by admin/);
  await page.click("#history li.version[data-version='2'] summary");
  assert.match(await text("#history li.version[data-version='2'] pre"), /\+\s+"nato\.int"/);
  await assertAccessible("history");

  // Roll back: the dialog shows what would change; Cancel changes nothing.
  await page.click("#history li.version[data-version='1'] button");
  await page.waitForSelector("#confirm[open]");
  assert.match(await text("#confirm-title"), /Roll back acme to version 1/);
  assert.match(await text("#confirm-preview"), /-\s+"nato\.int"/, "the preview shows the line that goes");
  assert.equal(await page.evaluate(() => document.activeElement.id), "confirm-cancel", "Cancel has the focus");
  await assertAccessible("roll back confirmation");
  await page.keyboard.press("Escape");
  await page.waitForSelector("#confirm:not([open])", { state: "attached" });
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("cancelled"));
  assert.equal(await page.locator("#history li.version[data-version='3']").count(), 0);

  await page.click("#history li.version[data-version='1'] button");
  await page.click("#confirm-ok");
  await page.waitForSelector("#history li.version[data-version='3']");
  assert.match(await text("#history li.version[data-version='3']"), /roll back to version 1/);
  assert.doesNotMatch(await page.inputValue("#policy-json"), /nato\.int/, "the editor shows the rolled-back policy");
});

test("rotating the signing key first shows which tenants' keysets change", async () => {
  await openView("keys");
  const before = await text("#keys");
  assert.match(before, /Signing key/);
  await assertAccessible("keys");
  await page.click("#rotate");
  await page.waitForSelector("#confirm[open]");
  assert.match(await text("#confirm-preview"), /acme: keyset version 1 becomes 2/);
  await assertAccessible("rotation confirmation");
  await page.click("#confirm-cancel");
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("Rotation cancelled"));
  assert.equal(await text("#keys"), before, "nothing changed");

  await page.click("#rotate");
  await page.click("#confirm-ok");
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("New signing key"));
  await page.waitForFunction(() => /Keyset version\s*2/.test(document.querySelector("#keys").innerText));
  assert.notEqual(await text("#keys"), before);
});

test("tokens: create one for a robot, revoke it with one click", async () => {
  await openView("tokens");
  await page.fill("#new-token-name", "ci robot");
  await page.fill("#new-token-tenant", "acme");
  await page.click("#new-token-form button");
  await page.waitForFunction(() => document.querySelector("#new-token").textContent.includes("sgt_"));
  const robotToken = (await text("#new-token")).match(/sgt_[0-9a-f]+/)[0];
  const whoami = await fetch(`${base}/api/v1/whoami`, { headers: { Authorization: `Bearer ${robotToken}` } });
  assert.equal((await whoami.json()).tenant, "acme");
  await assertAccessible("tokens");
  await page.click("#tokens button:has-text('Revoke ci robot')");
  await page.waitForFunction(() => document.querySelector("#tokens").textContent.includes("revoked"));
  const refused = await fetch(`${base}/api/v1/whoami`, { headers: { Authorization: `Bearer ${robotToken}` } });
  assert.equal(refused.status, 401);
});

test("deploy: keyset, policies.json, the .xpi and the Outlook manifest for this server", async () => {
  await openView("deploy");
  await page.waitForFunction(() => document.querySelector("#deploy-keyset").textContent.length > 0);
  const keyset = await (await fetch(`${base}/v1/tenants/acme/keyset`)).text();
  assert.equal(await text("#deploy-keyset"), keyset, "the keyset add-ins are served (after the rotation)");

  const download = async (button) => {
    const [file] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
    return { name: file.suggestedFilename(), text: readFileSync(await file.path(), "utf8") };
  };
  const policies = await download("#download-policies");
  assert.equal(policies.name, "policies.json");
  const pinned = JSON.parse(policies.text).policies["3rdparty"].Extensions["sendguard@sendguard.org"];
  assert.deepEqual(pinned, { server: PUBLIC_URL, tenant: "acme", keyset });
  assert.deepEqual(JSON.parse(await text("#policies-json")), JSON.parse(policies.text));

  const xpi = await fetch(new URL(await page.getAttribute("#xpi-link", "href"), base));
  const outlookProblem = await text("#outlook-problem");
  if (!requireAssets && !hasEngine) {
    assert.equal(xpi.status, 404);
    assert.match(await text("#xpi-problem"), /build-release/);
    assert.match(outlookProblem, /build-release/);
  } else {
    assert.equal(xpi.status, 200);
    assert.deepEqual([...new Uint8Array(await xpi.arrayBuffer()).slice(0, 4)], [0x50, 0x4b, 3, 4], "a zip archive");
    assert.equal(outlookProblem, "");
    await page.selectOption("#send-mode", "SoftBlock");
    const manifest = await download("#download-manifest");
    assert.equal(manifest.name, "sendguard-acme-manifest.xml");
    assert.match(manifest.text, /SendMode="SoftBlock"/);
    assert.ok(manifest.text.includes(`${PUBLIC_URL}/t/acme/addin/outlook/commands.js`));
    const { checkManifest } = await import(join(root, "addin/outlook/tools/manifest-check.mjs"));
    assert.deepEqual(checkManifest(manifest.text), [], "the packaged manifest passes the structural check");
    // The script the manifest names pins this tenant's keyset.
    const commands = await (await fetch(`${base}/t/acme/addin/outlook/commands.js`)).text();
    assert.ok(commands.startsWith("var SENDGUARD_CONFIG = "));
    assert.equal(JSON.parse(commands.split("\n")[0].slice("var SENDGUARD_CONFIG = ".length, -1)).keyset, keyset);
  }
  await assertAccessible("deploy");
});

test("dashboard: slips prevented, the noisy rule, typo destinations blocked by a published draft", async () => {
  const day = new Date().toISOString().slice(0, 10);
  const report = (n, members) => fetch(`${base}/v1/tenants/acme/reports`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ install_id: n.toString(16).padStart(32, "0"), day, policy_version: 1, ...members }),
  });
  for (const n of [1, 2, 3]) {
    const sent = await report(n, {
      counts: [
        { kind: "tld_trap", action: "block", outcome: "fixed", count: 4 },
        { kind: "external_recipients", action: "warn", outcome: "sent_anyway", count: 9 },
        { kind: "external_recipients", action: "warn", outcome: "cancelled", count: 1 },
      ],
      domains: [{ kind: "tld_trap", domain: "army.ml", count: 4 }],
    });
    assert.equal(sent.status, 200, await sent.text());
  }
  assert.equal((await report(4, { domains: [{ kind: "lookalike_domain", domain: "gmial.com", count: 1 }] })).status, 200);

  await openView("dashboard");
  await page.selectOption("#dashboard-days", "7");
  await page.waitForFunction(() => document.querySelector("#dashboard-domains").textContent.includes("army.ml"));
  assert.match(await text("#dashboard-totals"), /Slips prevented\s*15\b/, "3 installs x (4 fixed + 1 cancelled)");
  assert.match(await text("#dashboard-totals"), /Installs reporting\s*4\b/);
  assert.match(await text("#dashboard-rules tr.noisy"), /Many outside recipients[\s\S]*90%[\s\S]*Noisy/, "27 of 30 overridden");
  assert.doesNotMatch(await text("#dashboard-rules tr[data-kind='tld_trap']"), /Noisy/);
  assert.doesNotMatch(await text("#dashboard-domains"), /gmial/, "one install is not enough to name a domain");
  assert.match(await text("#dashboard-domains-help"), /1 more/);
  assert.ok(await page.locator("#dashboard-chart svg[role='img'] rect").count() >= 1, "the chart has bars");
  assert.match(await page.locator("#chart-prevented-desc").textContent(), /15 slips prevented/);
  await assertAccessible("dashboard");
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, "console-dashboard.png"), fullPage: true });

  // One click makes a draft: nothing is published until the admin presses Publish.
  const served = async () => JSON.parse(Buffer.from((await (await fetch(`${base}/v1/tenants/acme/policy`)).json()).payload, "base64").toString());
  const before = await served();
  await page.click("#dashboard-domains tr[data-domain='army.ml'] button");
  await page.waitForSelector("#view-policy:not([hidden])");
  assert.match(await text("#status"), /Draft: army\.ml added/);
  assert.deepEqual(JSON.parse(await page.inputValue("#policy-json")).blocked_domains, ["army.ml"]);
  assert.match(await page.inputValue("#f-blocked_domains"), /army\.ml/);
  assert.equal((await served()).version, before.version, "a draft only");
  await page.waitForFunction(() => document.querySelector("#validity").textContent.includes("is valid"));
  await page.click("#publish");
  await page.waitForFunction((v) => document.querySelector("#status").textContent.includes(`Published version ${v}`), before.version + 1);
  assert.deepEqual(JSON.parse((await served()).policy).blocked_domains, ["army.ml"]);
  await openView("dashboard");
  await page.waitForFunction(() => document.querySelector("#dashboard-domains tr[data-domain='army.ml']").textContent.includes("Blocked"));
});

test("monitor mode and reporting are set in the form; the simulator shows what is only counted", async (t) => {
  await openView("policy");
  assert.equal(await page.isChecked("#f-reporting-enabled"), true, "reporting is on by default");
  assert.equal(await page.isChecked("#f-reporting-justifications"), false, "justifications are off by default");
  await page.check("#f-monitor-tld_trap");
  await page.check("#f-reporting-justifications");
  const policy = JSON.parse(await page.inputValue("#policy-json"));
  assert.deepEqual(policy.monitor.kinds, ["tld_trap"]);
  assert.equal(policy.reporting.record_justifications, true);
  await page.waitForFunction(() => document.querySelector("#validity").textContent.includes("is valid"));
  await assertAccessible("policy with monitor mode");
  if (hasEngine) {
    await page.fill("#sim-to", "Colonel Smith <colonel.smith@navy.ml>");
    await page.click("#sim-form button");
    await page.waitForFunction(() => document.querySelector("#sim-result").textContent.includes("Counted only"));
    const result = await text("#sim-result");
    assert.match(result, /Verdict: allow/, "nothing is shown to the sender");
    assert.match(result, /Counted only \(monitor mode\)[\s\S]*country ending/);
  } else {
    t.diagnostic("the binary serves no engine: simulator part skipped");
  }
  await page.uncheck("#f-monitor-tld_trap");
  await page.uncheck("#f-reporting-justifications");
  assert.deepEqual(JSON.parse(await page.inputValue("#policy-json")).monitor.kinds, []);
});

test("every view reflows at 320 px", async () => {
  mkdirSync(artifacts, { recursive: true });
  await openView("policy");
  await page.screenshot({ path: join(artifacts, "console.png"), fullPage: true });
  await page.setViewportSize({ width: 320, height: 800 });
  for (const view of ["dashboard", "policy", "history", "keys", "tokens", "deploy"]) {
    await openView(view);
    await assertReflows(view);
    await assertAccessible(`${view} at 320 px`);
  }
  await openView("policy");
  await page.screenshot({ path: join(artifacts, "console-320.png"), fullPage: true });
  await openView("history");
  await page.click("#history li.version[data-version='1'] button");
  await page.waitForSelector("#confirm[open]");
  await assertReflows("roll back confirmation");
  await page.screenshot({ path: join(artifacts, "console-320-confirm.png") });
  await page.click("#confirm-cancel");
});
