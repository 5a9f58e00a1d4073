// The shared add-in layer: recipients → drafts, verdict → dialog text, the held policy
// version, and a check that fails by the policy's fail mode.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkOrFail, couldNotCheck } from "../shared/check.js";
import { nearExpiry, refreshPolicy } from "../shared/policy-refresh.js";
import { DIALOG_LIMIT, dialogLines, dialogMarkdown, dialogPlain, escapeMarkdown, smartAlertsCompletion } from "../shared/dialog.js";
import { draftFromOutlook, draftFromThunderbird, mailboxString } from "../shared/draft.js";
import { createPolicyVersionStore } from "../shared/policy-version.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadEsm, ROOT } from "./engines.mjs";

describe("recipients → draft", () => {
  test("display names are quoted so that they cannot split or fake an address", () => {
    assert.equal(mailboxString("Smith, John", "john@army.ml"), '"Smith, John" <john@army.ml>');
    assert.equal(mailboxString('Evil "x" <a@b.c>', "real@d.e"), '"Evil \\"x\\" <a@b.c>" <real@d.e>');
    assert.equal(mailboxString("", "bare@x.org"), "bare@x.org");
    assert.equal(mailboxString("BARE@x.org", "bare@x.org"), "bare@x.org");
  });

  test("Outlook's EmailAddressDetails, and the engine reads the address, not the name", async () => {
    const draft = draftFromOutlook({
      from: { emailAddress: "alice@army.mil", displayName: "Alice" },
      to: [{ emailAddress: "colonel.smith@army.ml", displayName: "Smith, John <colonel.smith@army.mil>" }],
      cc: [],
      subject: "Plan",
      attachments: [{ name: "plan.pdf", size: 10 }]
    });
    assert.deepEqual(draft.to, ['"Smith, John <colonel.smith@army.mil>" <colonel.smith@army.ml>']);
    assert.deepEqual(draft.bcc, []);
    const esm = await loadEsm();
    const verdict = esm.Engine.fromPolicyJson("{}").check(draft, {});
    assert.equal(verdict.findings[0].recipient, "colonel.smith@army.ml");
    assert.equal(verdict.findings[0].fix, "colonel.smith@army.mil");
  });

  test("Thunderbird: strings, resolved contacts and lists; unresolved ids are reported", () => {
    const { draft, unresolved } = draftFromThunderbird(
      {
        from: "Me <me@example.org>",
        to: ["a@example.org", { id: "c1", type: "contact" }],
        cc: { id: "missing", type: "mailingList" },
        bcc: "Solo <solo@example.org>",
        subject: "s",
        plainTextBody: "b"
      },
      { c1: ['"Bob B" <bob@example.org>', "bob2@example.org"] }
    );
    assert.deepEqual(draft.to, ["a@example.org", '"Bob B" <bob@example.org>', "bob2@example.org"]);
    assert.deepEqual(draft.cc, []);
    assert.deepEqual(draft.bcc, ["Solo <solo@example.org>"]);
    assert.deepEqual(unresolved, ["missing"]);
  });
});

describe("verdict → dialog text", () => {
  const finding = (message) => ({ kind: "tld_trap", action: "warn", recipient: null, suggestion: null, message });
  /** A verdict as the engine groups it: one row (and line) per message. */
  const verdictOf = (action, messages) => ({
    action,
    summary: messages.join("\n"),
    findings: messages.map(finding),
    by_recipient: messages.map((line, i) => ({ recipient: `r${i}@example.org`, field: "to", action, findings: [i], line }))
  });

  test("Markdown: bold heading, one item per recipient ending in \\r, Markdown characters escaped", () => {
    const md = dialogMarkdown(verdictOf("warn", ["a_b@army.ml is *odd*."]));
    assert.equal(md, "**Please check this email before sending.**\r\r- a\\_b@army.ml is \\*odd\\*.\r");
    assert.equal(escapeMarkdown("[x](y)"), "\\[x\\](y)");
  });

  test("a row without a line (its reasons given on an earlier line) adds no item", () => {
    const verdict = verdictOf("warn", ["Check a@x.org.", "unused"]);
    delete verdict.by_recipient[1].line;
    assert.deepEqual(dialogLines(verdict), ["Check a@x.org."]);
  });

  test("a check that could not run: its summary is the text, in both forms", () => {
    /** @type {any} */
    const failed = { action: "block", summary: "Sendguard could not check this email: no policy.", findings: [] };
    assert.deepEqual(dialogLines(failed), ["Sendguard could not check this email: no policy."]);
    assert.match(dialogMarkdown(failed), /\r\r- Sendguard could not check this email: no policy\.\r$/);
  });

  test("never longer than Outlook's 500 characters, and says how many were left out", () => {
    const many = verdictOf("block", Array.from({ length: 20 }, (_, i) => `Finding number ${i} `.repeat(4)));
    const md = dialogMarkdown(many);
    assert.ok(md.length <= DIALOG_LIMIT, `${md.length}`);
    const items = md.split("\r").filter((line) => line.startsWith("- ")).length;
    const left = Number(/\(\+(\d+) more\)$/.exec(md)?.[1]);
    assert.ok(items > 0);
    assert.equal(items + left, 20, md);
    const long = dialogMarkdown(verdictOf("warn", ["x".repeat(900), "y"]));
    assert.ok(long.length <= DIALOG_LIMIT && long.endsWith("(+1 more)"), long.slice(-20));
    assert.equal(dialogPlain({ action: "warn", summary: "z".repeat(600), findings: [] }).length, DIALOG_LIMIT);
  });

  test("Smart Alerts completion: allow lets the mail go; otherwise always a plain message", () => {
    assert.deepEqual(smartAlertsCompletion({ action: "allow", summary: "No problems found.", findings: [] }), { allowEvent: true });
    const warn = verdictOf("warn", ["Check."]);
    assert.deepEqual(smartAlertsCompletion(warn), { allowEvent: false, errorMessage: "Check." });
    assert.ok(smartAlertsCompletion(warn, { markdown: true }).errorMessageMarkdown.startsWith("**"));
  });
});

describe("the highest accepted policy version", () => {
  const memory = () => {
    let text;
    return { read: () => Promise.resolve(text), write: (t) => Promise.resolve(void (text = t)), peek: () => text };
  };
  const digest = (c) => c.repeat(64);

  test("only ever rises; same or lower versions keep what is held", async () => {
    const storage = memory();
    const store = createPolicyVersionStore(storage);
    assert.equal(await store.held(), undefined);
    assert.deepEqual(await store.accept({ version: 5, digest: digest("a") }), { version: 5, digest: digest("a") });
    assert.deepEqual(await store.accept({ version: 3, digest: digest("b") }), { version: 5, digest: digest("a") });
    assert.deepEqual(await store.accept({ version: 5, digest: digest("c") }), { version: 5, digest: digest("a") });
    assert.deepEqual(await store.accept({ version: 7, digest: digest("d") }), { version: 7, digest: digest("d") });
    assert.deepEqual(await store.held(), { version: 7, digest: digest("d") });
    await assert.rejects(store.accept({ version: 0, digest: digest("e") }));
    await assert.rejects(store.accept({ version: 8, digest: "short" }));
  });

  test("with the engine: what is held after v5 makes v4 a refused rollback", async () => {
    const esm = await loadEsm();
    const vector = (name) => new Uint8Array(readFileSync(join(ROOT, "tests", "vectors", "bundles", name)));
    const keyset = vector("keyset-v1.json");
    const store = createPolicyVersionStore(memory());
    const load = async (file) =>
      esm.Engine.fromBundle(vector(file), keyset, { tenant: "acme", held: (await store.held()) ?? null, now: 1767312000 });
    const v5 = await load("policy-v5.json");
    assert.equal((await store.accept(v5.policy)).version, 5);
    await assert.rejects(load("policy-v4.json"), { code: "rollback" });
    assert.equal((await load("policy-v5.json")).policyVersion, 5, "the same bundle again is accepted");
  });

  test("corrupt storage reads as nothing held", async () => {
    const storage = memory();
    await storage.write("{not json");
    assert.equal(await createPolicyVersionStore(storage).held(), undefined);
  });
});

describe("a failing check answers by the fail mode", () => {
  const broken = { check: () => { throw Object.assign(new Error("boom"), { code: "bad_draft" }); } };
  test("warn and block", () => {
    const warn = checkOrFail(broken, {}, [], "warn");
    assert.equal(warn.action, "warn");
    assert.match(warn.summary, /^Check this email yourself before sending: Sendguard could not check it \(bad_draft: boom\)\.$/);
    assert.equal(checkOrFail(broken, {}, [], "block").action, "block");
  });
  test("one failure verdict: leads with what to do, says why, fits 500 characters in plain and Markdown text", () => {
    const block = couldNotCheck("x".repeat(2000), "block");
    assert.equal(block.action, "block");
    assert.ok(block.summary.startsWith("Try again in a minute") && block.summary.length <= DIALOG_LIMIT, String(block.summary.length));
    const md = dialogMarkdown(couldNotCheck("no policy is stored or built in", "warn"));
    assert.equal(md, "**Sendguard could not check this email.**\r\r- Check this email yourself before sending: Sendguard could not check it (no policy is stored or built in).\r");
    assert.ok(dialogMarkdown(block).length <= DIALOG_LIMIT);
    assert.deepEqual(Object.keys(smartAlertsCompletion(block, { markdown: true })).sort(), ["allowEvent", "errorMessage", "errorMessageMarkdown"]);
  });
  test("a working engine's verdict passes through", async () => {
    const esm = await loadEsm();
    const verdict = checkOrFail(esm.Engine.fromPolicyJson("{}"), { to: ["x@army.ml"] }, [], "block");
    assert.equal(verdict.action, "warn");
    assert.equal(verdict.findings[0].kind, "tld_trap");
  });
});

describe("the refresh protocol (addin/shared/policy-refresh.js)", () => {
  /** A store in memory, a trusting engine that accepts bundles named "v<N>". */
  /** @param {any} fetch @returns {any} */
  function setup(fetch) {
    const records = {};
    let held;
    const store = {
      readKeyset: () => records.keyset,
      writeKeyset: async (r) => ((records.keyset = r), true),
      readBundle: () => records.bundle,
      writeBundle: async (r) => ((records.bundle = r), true),
      held: { held: async () => held, accept: async (h) => (held = held && held.version >= h.version ? held : h) }
    };
    const engine = {
      trustKeysets: (r) => ({ keyset: r.pinned, source: "pinned", info: { version: 1 }, chain: [], problem: null, outcome: r.fetched === undefined ? null : "unchanged", refusal: null }),
      verifyBundle: (bundle, pins) => {
        const version = Number(bundle.slice(1));
        if (pins.held && version < pins.held.version) throw Object.assign(new Error("older"), { code: "rollback" });
        return { version, digest: "d".repeat(64), expiresAt: 100, failMode: "warn", stale: false };
      }
    };
    const deps = { fetch, store, engine: async () => engine, tenant: "acme", pinnedKeyset: "K", keysetUrl: "https://s/keyset", policyUrl: "https://s/policy", now: () => 50, timeoutMs: 30 };
    return { deps, records, held: () => held };
  }
  const answer = (status, body, etag = null) => ({ status, ok: status < 300, text: async () => body, headers: { get: () => etag } });

  test("keyset first, then the policy; the highest version is kept and an older one refused", async () => {
    const urls = [];
    let policy = "v3";
    const { deps, records, held } = setup(async (url) => (urls.push(url), url.endsWith("keyset") ? answer(200, "K") : answer(200, policy, '"e"')));
    const first = await refreshPolicy(deps);
    assert.deepEqual([first.keyset.status, first.status, urls], ["unchanged", "updated", ["https://s/keyset", "https://s/policy"]]);
    assert.equal(held().version, 3);
    assert.equal(records.bundle.etag, '"e"');
    policy = "v2";
    const older = await refreshPolicy(deps);
    assert.deepEqual([older.status, older.code], ["refused", "rollback"]);
    assert.equal(records.bundle.bundle, "v3");
  });

  test("a server that does not answer in time fails the step, never the caller", async () => {
    const { deps } = setup(() => new Promise(() => {}));
    const result = await refreshPolicy(deps);
    assert.deepEqual([result.keyset.code, result.code], ["unreachable", "unreachable"]);
  });

  test("without a pinned keyset nothing is fetched", async () => {
    const { deps } = setup(async () => assert.fail("fetched"));
    const result = await refreshPolicy({ ...deps, pinnedKeyset: null });
    assert.deepEqual([result.keyset.status, result.status], ["off", "off"]);
  });

  test("a held policy is refreshed when missing or near its expiry", () => {
    assert.equal(nearExpiry(undefined, 0, 10), true);
    assert.equal(nearExpiry({ expiresAt: 100 }, 80, 10), false);
    assert.equal(nearExpiry({ expiresAt: 100 }, 95, 10), true);
  });
});
