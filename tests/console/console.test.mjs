// The admin console in real headless Chromium (playwright-core, /usr/bin/chromium) against a
// real `sendguard serve` on 127.0.0.1 with a temporary data directory.
// Env: SENDGUARD_BIN (the built binary), WASM_DIR (build/wasm/esm, for the simulator),
// ARTIFACTS (where the screenshot goes).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "../..");
const binary = process.env.SENDGUARD_BIN || join(root, "target/debug/sendguard");
const wasmDir = process.env.WASM_DIR || join(root, "build/wasm/esm");
const hasEngine = existsSync(join(wasmDir, "sendguard.js"));
// The suite sets REQUIRE_ENGINE=1 once scripts/build-wasm exists: then a missing build fails.
if (process.env.REQUIRE_ENGINE === "1" && !hasEngine) throw new Error(`no engine build in ${wasmDir}`);
const artifacts = process.env.ARTIFACTS || join(root, "artifacts");

let server, base, token, browser, page, dataDir;

/** Starts the server and resolves once it prints its address (and first-start token). */
function startServer() {
  dataDir = mkdtempSync(join(tmpdir(), "sendguard-console-"));
  const env = { ...process.env, RUST_LOG: "warn" };
  if (hasEngine) env.SENDGUARD_WASM_DIR = wasmDir;
  server = spawn(binary, ["serve", "--listen", "127.0.0.1:0", "--data-dir", join(dataDir, "data")], { env, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolveStart, reject) => {
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
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on("pageerror", (error) => { throw error; });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const text = (selector) => page.locator(selector).innerText();

test("a wrong token is refused, the admin token logs in", async () => {
  await page.goto(base + "/");
  await page.fill("#token", "sgt_not-a-real-token");
  await page.click("#login-form button");
  await page.waitForFunction(() => document.querySelector("#login-error").textContent.includes("not valid"));
  await page.fill("#token", token);
  await page.click("#login-form button");
  await page.waitForSelector("#app:not([hidden])");
  assert.match(await text("#who"), /Logged in as admin/);
});

test("create a tenant, edit with validation next to the field", async () => {
  await page.fill("#new-tenant", "acme");
  await page.click("#new-tenant-form button");
  await page.waitForFunction(() => document.querySelector("#tenant").value === "acme");
  await page.waitForFunction(() => document.querySelector("#policy-json").value.includes("schema_version"));

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
});

test("simulate a draft to army.ml with the real engine", { skip: hasEngine ? false : `no engine build in ${wasmDir} (scripts/build-wasm)` }, async () => {
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
});

test("the engine marks its cold-start phases in the page's User Timing", { skip: hasEngine ? false : `no engine build in ${wasmDir} (scripts/build-wasm)` }, async (t) => {
  // The simulator above instantiated the engine, built a policy's index and checked drafts:
  // each phase is marked once (crates/wasm/src/phases.rs), so a slow one can be named.
  const timing = await page.evaluate(() => ({
    instantiated: performance.getEntriesByName("sendguard:instantiated", "mark").length,
    measures: performance.getEntriesByType("measure").filter((m) => m.name.startsWith("sendguard:")).map((m) => ({ name: m.name, ms: m.duration }))
  }));
  assert.equal(timing.instantiated, 1);
  assert.deepEqual(timing.measures.map((m) => m.name).sort(), ["sendguard:first-check", "sendguard:index"]);
  // Durations are reported, never asserted (they depend on the machine).
  t.diagnostic(timing.measures.map((m) => `${m.name} ${m.ms.toFixed(1)} ms`).join(", "));
});

test("publish, see it in history, roll back with one click", async () => {
  await page.click("#publish");
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("Published version 1"));
  await page.waitForSelector("#history li.version[data-version='1']");
  assert.match(await text("#history"), /Version 1, published by admin/);

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
  await page.waitForSelector("#history li.version[data-version='2']");
  await page.click("#history li.version[data-version='2'] summary");
  assert.match(await text("#history li.version[data-version='2'] pre"), /\+\s+"nato\.int"/);

  await page.click("#history li.version[data-version='1'] button");
  await page.waitForSelector("#history li.version[data-version='3']");
  assert.match(await text("#history li.version[data-version='3']"), /roll back to version 1/);
  assert.doesNotMatch(await page.inputValue("#policy-json"), /nato\.int/, "the editor shows the rolled-back policy");
  assert.match(await text("#keys"), /Signing key/);

  // Tokens: create one for a robot, see it listed, revoke it with one click.
  await page.fill("#new-token-name", "ci robot");
  await page.fill("#new-token-tenant", "acme");
  await page.click("#new-token-form button");
  await page.waitForFunction(() => document.querySelector("#new-token").textContent.includes("sgt_"));
  const robotToken = (await text("#new-token")).match(/sgt_[0-9a-f]+/)[0];
  const whoami = await fetch(`${base}/api/v1/whoami`, { headers: { Authorization: `Bearer ${robotToken}` } });
  assert.equal((await whoami.json()).tenant, "acme");
  await page.click("#tokens button:has-text('Revoke ci robot')");
  await page.waitForFunction(() => document.querySelector("#tokens").textContent.includes("revoked"));
  const refused = await fetch(`${base}/api/v1/whoami`, { headers: { Authorization: `Bearer ${robotToken}` } });
  assert.equal(refused.status, 401);

  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, "console.png"), fullPage: true });
});
