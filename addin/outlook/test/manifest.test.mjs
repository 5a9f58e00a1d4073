// The manifest: the template and every packaged variant pass the offline structural check,
// and each kind of mistake the check exists for is caught.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import * as acorn from "acorn";
import { checkManifest, controlIds } from "../tools/manifest-check.mjs";
import { packageManifest, normaliseUrl } from "../package.mjs";
import { FIX_COMMAND_ID } from "../src/completion.js";
import { repoRoot } from "./engine.mjs";

const template = readFileSync(join(repoRoot, "manifest.xml"), "utf8");

test("the template passes the structural check", () => {
  assert.deepEqual(checkManifest(template), []);
});

test("packaging fills in the URL and SendMode, and the result passes", () => {
  for (const sendMode of ["PromptUser", "SoftBlock", "Block"]) {
    const manifest = packageManifest(template, { url: "https://guard.example.org/sg", sendMode });
    assert.deepEqual(checkManifest(manifest), []);
    assert.ok(!manifest.includes("sendguard.example"), "no template URL is left");
    assert.match(manifest, new RegExp(`SendMode="${sendMode}"`));
    assert.match(manifest, /DefaultValue="https:\/\/guard\.example\.org\/sg\/addin\/outlook\/commands\.js"/);
    assert.match(manifest, /<AppDomain>https:\/\/guard\.example\.org<\/AppDomain>/, "AppDomain is the origin");
  }
  assert.throws(() => packageManifest(template, { url: "https://a.example", sendMode: "Whenever" }), /send-mode/);
  assert.equal(normaliseUrl("https://guard.example.org/"), "https://guard.example.org");
  assert.throws(() => normaliseUrl("http://guard.example.org"), /https/);
  assert.throws(() => normaliseUrl("https://guard.example.org/?x=1"), /query/);
});

test("the handler names and the Fix button id match the code", () => {
  const main = readFileSync(join(repoRoot, "addin", "outlook", "src", "main-commands.js"), "utf8");
  for (const name of ["onMessageSendHandler", "onAppointmentSendHandler", "onNewComposeHandler"]) {
    assert.match(template, new RegExp(`FunctionName="${name}"`));
    assert.match(main, new RegExp(`Office\\.actions\\.associate\\("${name}"`));
  }
  assert.ok(controlIds(template).includes(FIX_COMMAND_ID));
});

/** Each mutation of the template, and the problem the check must report. */
/** @type {[string, (m: string) => string, RegExp][]} */
const BROKEN = [
  ["not well-formed", (m) => m.replace("</DisplayName>", "").replace('<DisplayName DefaultValue="Sendguard"/>', "<DisplayName>"), /not well-formed/],
  ["a comment with --", (m) => m.replace("<Hosts>", "<!-- a -- b --><Hosts>"), /not well-formed/],
  ["a resid that does not resolve", (m) => m.replace('<bt:Url id="Taskpane.Url"', '<bt:Url id="Taskpane.Link"'), /resid "Taskpane.Url" does not resolve/],
  ["a resid of the wrong kind", (m) => m.replace('<Label resid="Group.Label"/>', '<Label resid="FixButton.Description"/>'), /expected <bt:ShortStrings>/],
  ["a duplicate resource id", (m) => m.replace('<bt:String id="FixButton.Label"', '<bt:String id="Group.Label"'), /defined twice/],
  ["an http URL", (m) => m.replace('"https://sendguard.example/addin/outlook/commands.js"', '"http://sendguard.example/addin/outlook/commands.js"'), /not an https URL/],
  ["elements out of order", (m) => m.replace("<Version>1.0.0.0</Version>\n  <ProviderName>Sendguard</ProviderName>", "<ProviderName>Sendguard</ProviderName>\n  <Version>1.0.0.0</Version>"), /out of (schema )?order/],
  ["a required element missing", (m) => m.replace(/ {2}<Permissions>.*<\/Permissions>\n/, ""), /missing <Permissions>/],
  ["an icon size missing", (m) => m.replace('<bt:Image size="80" resid="Icon.80x80"/>', ""), /icon size 80 is missing/],
  ["no high-resolution icon", (m) => m.replace(/ {2}<HighResolutionIconUrl[^\n]*\n/, ""), /HighResolutionIconUrl/],
  ["a bad SendMode", (m) => m.replace('SendMode="PromptUser"', 'SendMode="Sometimes"'), /SendMode must be one of/],
  ["meeting invites sent in another SendMode", (m) => m.replace(/(Type="OnAppointmentSend"[^>]*)SendMode="PromptUser"/, '$1SendMode="Block"'), /same SendMode/],
  ["no OnAppointmentSend", (m) => m.replace(/ *<LaunchEvent Type="OnAppointmentSend"[^>]*\/>\n/, ""), /exactly one OnAppointmentSend/],
  ["no compose refresh", (m) => m.replace(/ *<LaunchEvent Type="OnNewMessageCompose"[^>]*\/>\n/, ""), /OnNewMessageCompose LaunchEvent/],
  ["a SendMode on a compose event", (m) => m.replace('FunctionName="onNewComposeHandler"/>', 'FunctionName="onNewComposeHandler" SendMode="Block"/>'), /only send events/],
  ["two OnMessageSend events", (m) => m.replace(/(<LaunchEvent Type="OnMessageSend"[^>]*\/>)/, "$1$1"), /exactly one OnMessageSend/],
  ["no classic-Windows override", (m) => m.replace(/<Override type="javascript" resid="JSRuntime.Url"\/>/, ""), /Override type="javascript"/],
  ["the launch event on another runtime", (m) => m.replace('<SourceLocation resid="WebViewRuntime.Url"/>', '<SourceLocation resid="Taskpane.Url"/>'), /must name a <Runtime>/],
  ["Mailbox below 1.12", (m) => m.replace('DefaultMinVersion="1.12"', 'DefaultMinVersion="1.11"'), /Mailbox 1\.12/],
  ["an Id that is not a GUID", (m) => m.replace(/<Id>[^<]*<\/Id>/, "<Id>sendguard</Id>"), /GUID/]
];

for (const [name, mutate, problem] of BROKEN) {
  test(`the structural check catches ${name}`, () => {
    const broken = mutate(template);
    assert.notEqual(broken, template, "the mutation must change the manifest");
    const problems = checkManifest(broken);
    assert.ok(problems.some((p) => problem.test(p)), `expected ${problem} in ${JSON.stringify(problems)}`);
  });
}

test("the check's command line exits 1 with the problems, 0 when clean", () => {
  const dir = mkdtempSync(join(tmpdir(), "sendguard-manifest-"));
  try {
    const bad = join(dir, "bad.xml");
    writeFileSync(bad, template.replace('SendMode="PromptUser"', 'SendMode="x"'));
    const tool = join(repoRoot, "addin", "outlook", "tools", "manifest-check.mjs");
    const failed = spawnSync(process.execPath, [tool, bad], { encoding: "utf8" });
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /SendMode must be one of/);
    const ok = spawnSync(process.execPath, [tool, join(repoRoot, "manifest.xml")], { encoding: "utf8" });
    assert.equal(ok.status, 0, ok.stderr);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("the package has every file the manifest names, and the Office allow-list for the server", async () => {
  const { writePackage } = await import("../package.mjs");
  const { classicScriptPath, classicWebScriptPath } = await import("./engine.mjs");
  const dir = mkdtempSync(join(tmpdir(), "sendguard-package-"));
  try {
    const policy = join(dir, "policy.json");
    writeFileSync(policy, "{}");
    writePackage({ url: "https://guard.example.org", tenant: "acme", policy, engine: classicScriptPath, "engine-web": classicWebScriptPath, out: join(dir, "out"), "send-mode": "SoftBlock" });
    const manifest = readFileSync(join(dir, "out", "manifest.xml"), "utf8");
    assert.deepEqual(checkManifest(manifest), []);
    const urls = [...manifest.matchAll(/"https:\/\/guard\.example\.org\/addin\/([^"]+)"/g)].map((m) => m[1]);
    assert.ok(urls.length >= 8, urls.join(" "));
    for (const path of urls) assert.ok(readFileSync(join(dir, "out", path)).length > 0, `${path} is missing from the package`);
    for (const path of urls.filter((u) => u.endsWith(".png"))) {
      // A PNG's IHDR holds width and height at bytes 16 and 20; the name says the size.
      const png = readFileSync(join(dir, "out", path));
      const size = Number(/icon-(\d+)\.png$/.exec(path)[1]);
      assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [size, size], path);
    }
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "out", "microsoft-officeaddins-allowed.json"), "utf8")), {
      allowed: ["https://guard.example.org/addin/outlook/commands.js"]
    });
    const commands = readFileSync(join(dir, "out", "outlook", "commands.js"), "utf8");
    assert.match(commands, /^var SENDGUARD_CONFIG = \{"tenant":"acme",.*"policyUrl":"https:\/\/guard\.example\.org\/v1\/tenants\/acme\/policy"/);
    assert.match(commands, /Office\.actions\.associate\("onMessageSendHandler"/);
    // The manifest's JSRuntime.Url (classic Outlook, WebAssembly not guaranteed) gets the full
    // engine; the HTML pages load-engine.js, which picks ENTRY-web.js (the lean engine) or,
    // without WebAssembly, ENTRY.js (the full one).
    const packaged = (file) => readFileSync(join(dir, "out", "outlook", file), "utf8");
    assert.match(manifest, /<bt:Url id="JSRuntime.Url" DefaultValue="https:\/\/guard\.example\.org\/addin\/outlook\/commands\.js"\/>/);
    assert.ok(commands.includes(readFileSync(classicScriptPath, "utf8")), "commands.js has the full engine");
    const pageScripts = {};
    for (const page of ["commands.html", "taskpane.html"]) {
      pageScripts[page] = [...packaged(page).matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]).filter((src) => !src.startsWith("https:"));
    }
    assert.deepEqual(pageScripts, { "commands.html": ["load-engine.js"], "taskpane.html": ["load-engine.js"] });
    assert.match(packaged("commands.html"), /<script src="load-engine.js" data-entry="commands"><\/script>/);
    assert.match(packaged("taskpane.html"), /<script src="load-engine.js" data-entry="taskpane"><\/script>/);
    for (const entry of ["commands", "taskpane"]) {
      assert.ok(packaged(`${entry}-web.js`).includes(readFileSync(classicWebScriptPath, "utf8")), `${entry}-web.js has the lean engine`);
      assert.ok(packaged(`${entry}.js`).includes(readFileSync(classicScriptPath, "utf8")), `${entry}.js has the full engine`);
      for (const file of [`${entry}.js`, `${entry}-web.js`]) assert.match(packaged(file), /^var SENDGUARD_CONFIG = \{"tenant":"acme",/);
    }
    assert.match(packaged("commands-web.js"), /Office\.actions\.associate\("onMessageSendHandler"/);
    // Classic Outlook's older runtime (Chakra) parses ES2016 only, and allows no imports; the
    // pages' scripts keep to the same level.
    for (const file of ["commands.js", "commands-web.js", "taskpane.js", "taskpane-web.js", "load-engine.js"]) {
      acorn.parse(packaged(file), { ecmaVersion: 2016, sourceType: "script" });
    }
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("the packaging command refuses bad options with exit status 64", () => {
  const tool = join(repoRoot, "addin", "outlook", "package.mjs");
  for (const args of [["--tenant", "acme"], ["--url", "http://guard.example.org", "--tenant", "acme"], ["--url", "https://g.example", "--tenant", "a b"], ["--url", "https://g.example", "--tenant", "acme", "--send-mode", "Never"], ["--bogus"]]) {
    const run = spawnSync(process.execPath, [tool, ...args], { encoding: "utf8" });
    assert.equal(run.status, 64, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, /^package-outlook: /);
  }
});

test("no package that cannot check: a way to a verified policy, or the built-in one said out loud", async () => {
  const { bakedPolicySources } = await import("../package.mjs");
  const base = { url: "https://g.example", tenant: "acme" };
  assert.throws(() => bakedPolicySources(base), /nothing to check with: give --keyset FILE .*--builtin-policy/);
  assert.throws(() => bakedPolicySources({ ...base, bundle: "p.bundle" }), /--bundle needs --keyset/);
  assert.throws(() => bakedPolicySources({ ...base, policy: "p.json", "builtin-policy": true }), /one of/);
  assert.deepEqual(bakedPolicySources({ ...base, "builtin-policy": true }), ["baked: the built-in default policy (typos, lookalikes, risky destinations; no organisation lists)"]);
  assert.deepEqual(bakedPolicySources({ ...base, keyset: "k.json" }), ["baked: keyset k.json pinned for tenant acme: the add-in fetches and verifies the server's signed policy"]);

  const tool = join(repoRoot, "addin", "outlook", "package.mjs");
  const refused = spawnSync(process.execPath, [tool, "--url", "https://g.example", "--tenant", "acme"], { encoding: "utf8" });
  assert.equal(refused.status, 64, "the package that stopped every email is no longer built");
  assert.match(refused.stderr, /nothing to check with/);
  const { classicScriptPath, classicWebScriptPath } = await import("./engine.mjs");
  const dir = mkdtempSync(join(tmpdir(), "sendguard-package-"));
  try {
    const run = spawnSync(process.execPath, [tool, "--url", "https://g.example", "--tenant", "acme", "--builtin-policy", "--engine", classicScriptPath, "--engine-web", classicWebScriptPath, "--out", dir], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^baked: the built-in default policy/);
    assert.match(readFileSync(join(dir, "outlook", "commands.js"), "utf8"), /^var SENDGUARD_CONFIG = \{[^\n]*"bakedPolicy":"\{\}"/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
