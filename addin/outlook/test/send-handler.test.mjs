// The OnMessageSend handler against the real engine (the classic script's WebAssembly) in a
// fake Outlook (office-addin-mock); the shared corpus, with each case's history in the store.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { send, config, corpus, realEngine, repoRoot, memoryLocalStorage } from "./helpers.mjs";
import { HISTORY_KEY } from "../src/policy-store.js";
import { ORIGINAL_KEY } from "../src/reply-snapshot.js";
import { createEngineApi } from "../src/engine-api.js";
import { controlIds } from "../tools/manifest-check.mjs";
import { FIX_COMMAND_ID, FIX_LABEL } from "../src/completion.js";
import { escapeMarkdown } from "../../shared/dialog.js";

const ARMY_ML = { to: ["Colonel Smith <colonel.smith@army.ml>", "Bob <bob@army.mil>"], cc: ["carol@army.mil"] };

for (const c of corpus().filter((c) => !c.known)) {
  test(`corpus ${c.file}: ${c.description}`, async () => {
    // A case's history is in the store (localStorage, as in the HTML runtimes); the message
    // it answers is the reply's snapshot in the item's session data.
    const { original, ...draft } = c.draft;
    const localStorage = c.history ? memoryLocalStorage({ [HISTORY_KEY]: c.history.join("\n") }) : undefined;
    const session = original ? { [ORIGINAL_KEY]: JSON.stringify(original) } : {};
    const { completed } = await send({ ...draft, session, mailbox: "1.15" }, { config: config(c.policy || {}), localStorage });
    const expect = c.expect;
    assert.equal(completed.allowEvent, expect.action === "allow", JSON.stringify(completed));
    if (expect.action === "allow") {
      assert.deepEqual(Object.keys(completed), ["allowEvent"]);
      return;
    }
    assert.ok(completed.errorMessage.length <= 500 && completed.errorMessageMarkdown.length <= 500);
    for (const text of expect.summary_contains || []) assert.ok(completed.errorMessage.includes(text), `${completed.errorMessage} lacks ${text}`);
    assert.equal(completed.sendModeOverride, expect.action === "warn" ? "promptUser" : undefined);
    const fixes = completed.contextData ? JSON.parse(completed.contextData).fixes : [];
    for (const f of expect.findings.filter((f) => f.fix && f.field)) {
      assert.ok(fixes.some((x) => x.field === f.field && x.recipient === f.recipient && x.fix === f.fix), `no fix ${f.recipient} -> ${f.fix} in ${completed.contextData}`);
    }
  });
}

test("army.ml is stopped with the engine's explanation and a Fix recipients button (Mailbox 1.15)", async () => {
  const { completed } = await send({ ...ARMY_ML, mailbox: "1.15" });
  assert.equal(completed.allowEvent, false);
  assert.match(completed.errorMessage, /^Check colonel\.smith@army\.ml: did you mean army\.mil\? \.ml is Mali/);
  assert.ok(completed.errorMessageMarkdown.startsWith("**Please check this email before sending.**\r\r- "), completed.errorMessageMarkdown);
  assert.equal(completed.cancelLabel, "Fix recipients");
  assert.ok(FIX_LABEL.length <= 20);
  assert.equal(completed.commandId, FIX_COMMAND_ID);
  assert.ok(controlIds(readFileSync(join(repoRoot, "manifest.xml"), "utf8")).includes(completed.commandId), "commandId must be a button of the manifest");
  const context = JSON.parse(completed.contextData);
  assert.equal(context.tenant, "acme");
  assert.equal(context.fixes.length, 1, "only the offending recipient gets a fix");
  assert.deepEqual(
    { field: context.fixes[0].field, recipient: context.fixes[0].recipient, fix: context.fixes[0].fix, suggestion: context.fixes[0].suggestion },
    { field: "to", recipient: "colonel.smith@army.ml", fix: "colonel.smith@army.mil", suggestion: "army.mil" }
  );
});

test("several findings: one short line per recipient, most severe first, in plain text and Markdown", async () => {
  const table = JSON.parse(readFileSync(join(repoRoot, "tests/messages/messages.json"), "utf8"));
  const c = table.cases.find((c) => c.name.startsWith("Several findings"));
  const { completed } = await send({ ...c.draft, mailbox: "1.15" }, { config: config(c.policy || {}) });
  assert.equal(completed.errorMessage, c.summary, "the plain text is the engine's summary");
  const lines = c.summary.split("\n");
  assert.ok(lines.length >= 4 && lines[0].startsWith("Remove sales@tailspin-toys.com"), c.summary);
  const items = completed.errorMessageMarkdown.split("\r").filter((l) => l.startsWith("- "));
  assert.deepEqual(items, lines.map((l) => "- " + escapeMarkdown(l)));
  const fixes = JSON.parse(completed.contextData).fixes;
  assert.deepEqual(fixes.map((f) => f.recipient), ["sales@tailspin-toys.com", "colonel.smith@army.ml", "info@tehran-trade.ir", "friend@gmial.com"], "one fix per recipient, strictest first");
});

test("a Mailbox 1.12 client gets only allowEvent and the plain message", async () => {
  const { completed } = await send({ ...ARMY_ML, mailbox: "1.12" });
  assert.deepEqual(Object.keys(completed).sort(), ["allowEvent", "errorMessage"]);
  assert.equal(completed.allowEvent, false);
  assert.match(completed.errorMessage, /Mali/);
});

test("a Mailbox 1.14 client gets the Fix button but no Markdown (1.15)", async () => {
  const { completed } = await send({ ...ARMY_ML, mailbox: "1.14" });
  assert.equal(completed.cancelLabel, "Fix recipients");
  assert.equal(completed.commandId, FIX_COMMAND_ID);
  assert.equal(completed.errorMessageMarkdown, undefined);
});

test("a block verdict keeps the manifest's send mode (no Send Anyway override)", async () => {
  const { completed } = await send({ ...ARMY_ML }, { config: config({ blocked_domains: ["ml"] }) });
  assert.equal(completed.allowEvent, false);
  assert.equal(completed.sendModeOverride, undefined);
  assert.match(completed.errorMessageMarkdown, /cannot be sent/);
});

test("a clean draft goes silently", async () => {
  const { completed, fake } = await send({ to: ["Bob <bob@army.mil>"], subject: "Hello", body: "Text" }, { config: config({ internal_domains: ["army.mil"] }) });
  assert.deepEqual(completed, { allowEvent: true });
  assert.ok(fake.calls.includes("body.getAsync") && fake.calls.includes("getAttachmentsAsync"));
});

test("from, subject, body text and attachments reach the engine", async () => {
  const engine = await realEngine();
  const seen = [];
  const spyApi = async () => {
    const api = createEngineApi(engine);
    return { ...api, loadPlain: (json) => { const p = api.loadPlain(json); return { ...p, engine: { check: (d, k) => { seen.push(d); return p.engine.check(d, k); } } }; } };
  };
  await send({ to: ["x@army.mil"], from: "Alice <alice@army.mil>", subject: "Plans", body: "See attached", attachments: [{ name: "plan.pdf", size: 1234 }] }, { api: spyApi });
  // (The other check has no recipients: the engine indexing the history before the draft is read.)
  const drafts = seen.filter((d) => d.to.length > 0);
  assert.equal(drafts.length, 1);
  assert.deepEqual(JSON.parse(JSON.stringify(drafts[0])), {
    from: "\"Alice\" <alice@army.mil>", to: ["x@army.mil"], cc: [], bcc: [], subject: "Plans", body: "See attached",
    attachments: [{ name: "plan.pdf", size: 1234 }]
  });
});

test("when the engine throws, the policy's fail mode decides: warn lets the sender choose, block stops", async () => {
  const throwing = (failMode) => async () => ({
    loadPlain: () => ({ engine: { check: () => { const e = /** @type {any} */ (new Error("out of memory")); e.code = "internal"; throw e; } }, tenant: null, version: null, digest: null, expiresAt: null, stale: false, failMode }),
    loadBundle: () => { throw new Error("unused"); }
  });
  const warn = (await send(ARMY_ML, { api: throwing("warn") })).completed;
  assert.equal(warn.allowEvent, false);
  assert.match(warn.errorMessage, /could not check it \(internal: out of memory\)/);
  assert.equal(warn.sendModeOverride, "promptUser");
  const block = (await send(ARMY_ML, { api: throwing("block") })).completed;
  assert.equal(block.allowEvent, false);
  assert.equal(block.sendModeOverride, undefined);
});

test("the engine failing to start follows the packaged fail mode, never a silent pass", async () => {
  const broken = async () => { throw new Error("WebAssembly.instantiate: out of memory"); };
  for (const failMode of ["warn", "block"]) {
    const { completed } = await send({ to: ["bob@army.mil"] }, { api: broken, config: config({}, { failMode }) });
    assert.equal(completed.allowEvent, false);
    assert.match(completed.errorMessage, /could not check it \(WebAssembly\.instantiate: out of memory\)/);
    assert.equal(completed.sendModeOverride, failMode === "warn" ? "promptUser" : undefined);
  }
});

test("no policy at all (none stored, none baked) is a fail-mode stop", async () => {
  const { completed } = await send({ to: ["bob@army.mil"] }, { config: config(null, { failMode: "block" }) });
  assert.equal(completed.allowEvent, false);
  assert.match(completed.errorMessage, /no policy is stored or built in/);
  assert.equal(completed.sendModeOverride, undefined);
});

test("a malformed baked policy is refused by the engine and stops the send", async () => {
  const { completed } = await send({ to: ["bob@army.mil"] }, { config: config({ actions: { tld_trapp: "warn" } }) });
  assert.equal(completed.allowEvent, false);
  assert.match(completed.errorMessage, /baked policy refused \(bad_policy\).*tld_trapp/);
});

test("a draft that cannot be read stops the send (fail mode)", async () => {
  const { completed } = await send({ ...ARMY_ML, failing: ["cc.getAsync"] });
  assert.equal(completed.allowEvent, false);
  assert.match(completed.errorMessage, /cc\.getAsync failed/);
});

test("a held policy near expiry starts a background refresh that the send does not wait for", async () => {
  const { storedBundle } = await import("./helpers.mjs");
  const record = (expiresAt) => JSON.stringify({ ...JSON.parse(storedBundle("B")), expiresAt });
  let started = 0;
  const never = () => { started++; };
  const soon = await send({ ...ARMY_ML, roaming: { "sendguard.bundle": record(1_800_000_000 + 3600) } }, { refreshInBackground: never });
  assert.equal(soon.completed.allowEvent, false, "the send completed on what is held");
  assert.equal(started, 1);
  await send({ ...ARMY_ML, roaming: { "sendguard.bundle": record(1_800_000_000 + 30 * 86400) } }, { refreshInBackground: never });
  assert.equal(started, 1, "a policy far from expiry is not refreshed from the send");
});

test("the handler never touches the network", async () => {
  const saved = globalThis.fetch;
  let fetched = 0;
  globalThis.fetch = () => { fetched++; return new Promise(() => {}); };
  try {
    const { completed } = await send(ARMY_ML, { config: config({}, { policyUrl: "https://guard.example.org/v1/tenants/acme/policy" }) });
    assert.equal(completed.allowEvent, false);
    assert.equal(fetched, 0);
  } finally {
    globalThis.fetch = saved;
  }
});

test("the HTML pages' lean engine without WebAssembly: no fallback, the packaged fail mode decides", async () => {
  const { loadClassicScript, classicWebScriptPath } = await import("./engine.mjs");
  // As main-commands.js starts it, in a runtime whose WebAssembly is switched off.
  const lean = () => loadClassicScript({ webAssembly: false, script: classicWebScriptPath }).SendguardEngine.instantiate().then(createEngineApi);
  for (const failMode of ["warn", "block"]) {
    const { completed } = await send(ARMY_ML, { api: lean, config: config({}, { failMode }) });
    assert.equal(completed.allowEvent, false);
    assert.match(completed.errorMessage, /could not check it \(WebAssembly is not available \(this build of the engine has no JavaScript fallback\)/);
    assert.equal(completed.sendModeOverride, failMode === "warn" ? "promptUser" : undefined);
  }
});

test("the wasm2js fallback (no WebAssembly) gives the same answer", async () => {
  const { loadClassicScript } = await import("./engine.mjs");
  const js = await loadClassicScript({ webAssembly: false }).SendguardEngine.instantiate();
  assert.equal(js.kind, "js");
  const viaJs = (await send(ARMY_ML, { api: async () => createEngineApi(js) })).completed;
  const viaWasm = (await send(ARMY_ML)).completed;
  assert.deepEqual(viaJs, viaWasm);
});

test("each send frees the engine it loaded, also when the check throws", async () => {
  const engine = await realEngine();
  for (const throws of [false, true]) {
    let freed = 0;
    const api = async () => {
      const real = createEngineApi(engine);
      return {
        ...real,
        loadPlain: (json) => {
          const p = real.loadPlain(json);
          const check = throws ? () => { throw new Error("boom"); } : (d, k) => p.engine.check(d, k);
          return { ...p, engine: { check, free: () => { freed++; /** @type {any} */ (p.engine).free(); } } };
        }
      };
    };
    const { completed } = await send(ARMY_ML, { api });
    assert.equal(completed.allowEvent, false);
    assert.equal(freed, 1, `throws=${throws}`);
  }
});
