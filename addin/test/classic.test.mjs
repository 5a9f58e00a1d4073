// The classic scripts keep Outlook's promises: ES2016 syntax only, no imports, two globals.
// The full one has a working engine without WebAssembly and without text codecs; the lean
// one (the HTML pages') has no fallback and says so with `no_webassembly`.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { test } from "node:test";
import vm from "node:vm";
import * as acorn from "acorn";
import { CLASSIC_FILE, CLASSIC_WEB_FILE, canonical, classicRealm } from "./engines.mjs";

for (const file of [CLASSIC_FILE, CLASSIC_WEB_FILE]) {
  const source = readFileSync(file, "utf8");

  test(`${basename(file)} parses as an ES2016 script (Chakra's level), not as ES2017`, () => {
    acorn.parse(source, { ecmaVersion: 2016, sourceType: "script" });
    // The check itself must be able to fail: async functions are ES2017.
    assert.throws(() => acorn.parse("async function f() {}", { ecmaVersion: 2016, sourceType: "script" }));
  });

  test(`${basename(file)} defines exactly two globals and imports nothing`, () => {
    const context = vm.createContext({});
    const before = new Set(Object.getOwnPropertyNames(vm.runInContext("globalThis", context)));
    vm.runInContext(source, context);
    const added = Object.getOwnPropertyNames(vm.runInContext("globalThis", context)).filter((n) => !before.has(n));
    assert.deepEqual(added.sort(), ["Sendguard", "SendguardEngine"]);
    assert.doesNotMatch(source, /^\s*(import|export)\s/m);
  });
}

test("falls back to JavaScript when WebAssembly is missing, and when it refuses the module", async () => {
  const noWasm = classicRealm({ webAssembly: false, textCodecs: false });
  assert.equal((await noWasm.SendguardEngine.instantiate()).kind, "js");
  await assert.rejects(noWasm.SendguardEngine.instantiate({ fallback: "never" }), { code: "no_webassembly" });

  const broken = classicRealm({ webAssembly: true, textCodecs: true });
  vm.runInContext("WebAssembly.instantiate = function () { return Promise.reject(new Error('refused')); };", broken);
  assert.equal((await broken.SendguardEngine.instantiate()).kind, "js");
  assert.equal((await classicRealm({ webAssembly: true, textCodecs: true }).SendguardEngine.instantiate()).kind, "wasm");
});

test("the lean script has no fallback: without WebAssembly, or refused by it, it rejects with no_webassembly", async () => {
  assert.ok(readFileSync(CLASSIC_WEB_FILE).length < readFileSync(CLASSIC_FILE).length / 2, "the wasm2js code is left out");
  const noWasm = classicRealm({ webAssembly: false, textCodecs: true, file: CLASSIC_WEB_FILE });
  await assert.rejects(noWasm.SendguardEngine.instantiate(), { code: "no_webassembly", message: /^WebAssembly is not available \(this build of the engine has no JavaScript fallback\)$/ });
  await assert.rejects(noWasm.SendguardEngine.instantiate({ fallback: "never" }), { code: "no_webassembly" });

  const broken = classicRealm({ webAssembly: true, textCodecs: true, file: CLASSIC_WEB_FILE });
  vm.runInContext("WebAssembly.instantiate = function () { return Promise.reject(new Error('refused')); };", broken);
  await assert.rejects(broken.SendguardEngine.instantiate(), { code: "no_webassembly", message: /^WebAssembly refused the engine: refused / });
  const working = classicRealm({ webAssembly: true, textCodecs: true, file: CLASSIC_WEB_FILE });
  await assert.rejects(working.SendguardEngine.instantiate({ fallback: "always" }), { code: "no_webassembly" });
  assert.equal((await working.SendguardEngine.instantiate()).kind, "wasm");
});

test("the UTF-8 polyfill round-trips what TextEncoder does", async () => {
  // Through the engine: a recipient with 1-, 2-, 3- and 4-byte characters comes back intact.
  const core = await classicRealm({ webAssembly: true, textCodecs: false }).SendguardEngine.instantiate();
  const raw = "Zoë 😀 ✓ <bad address>";
  const verdict = core.Engine.fromPolicyJson("{}").check({ to: [raw] }, {});
  assert.equal(verdict.findings[0].recipient, raw);
  assert.equal(verdict.findings[0].kind, "invalid_address");
});

test("the shared layer inside the classic script is the same code as the ES modules", async () => {
  const dialog = await import("../shared/dialog.js");
  const realm = classicRealm({ webAssembly: false, textCodecs: false });
  /** @type {any} */
  const verdict = {
    action: "warn",
    summary: "army.ml is in Mali.",
    findings: [{ kind: "tld_trap", action: "warn", recipient: "a_b@army.ml", suggestion: "army.mil", message: "a_b@army.ml is in Mali." }]
  };
  assert.equal(realm.Sendguard.dialogMarkdown(verdict), dialog.dialogMarkdown(verdict));
  assert.equal(canonical(realm.Sendguard.smartAlertsCompletion(verdict, { markdown: true })), canonical(dialog.smartAlertsCompletion(verdict, { markdown: true })));
  assert.equal(typeof realm.Sendguard.draftFromOutlook, "function");
  assert.equal(typeof realm.Sendguard.createPolicyVersionStore, "function");
});
