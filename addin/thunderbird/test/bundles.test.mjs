// The policy life cycle with the real engine's bundle checks, on the signed test vectors of
// tests/vectors/bundles/ (tenant acme, keyset v1 pinned, checked at the vectors' `now`).

import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";

import { createPolicySync } from "../lib/policy-sync.js";
import { fakeStorageArea } from "./fake-messenger.mjs";
import { realEngineApi } from "./real-engine.mjs";

const vectors = new URL("../../../tests/vectors/bundles/", import.meta.url);
const vector = (name) => fs.readFileSync(new URL(name, vectors), "utf8");
const NOW = 1767312000;
/** @type {import("../lib/config.js").Config} */
const config = { source: "managed", server: "http://127.0.0.1:9", tenant: "acme", keyset: vector("keyset-v1.json") };

/** A policy server that serves the named vector files in turn, and keyset v1 as pinned. */
function serving(...files) {
  /** @param {string} url @returns {Promise<any>} a Response's used part */
  return async (url) => {
    const body = vector(url.endsWith("/keyset") ? "keyset-v1.json" : files.shift());
    return { status: 200, ok: true, text: async () => body, headers: { get: () => null } };
  };
}

function sync(...files) {
  return createPolicySync({ fetch: serving(...files), storage: fakeStorageArea(), engine: async () => realEngineApi, now: () => NOW });
}

test("a signed policy is verified and then in force", async () => {
  const policy = sync("policy-v5.json");
  assert.equal(await policy.refresh(config), "updated");
  assert.deepEqual(await policy.status(config).then((s) => [s.version, s.error]), [5, null]);
  const verdict = (await policy.currentEngine(config)).check({ to: ["x@acme.exmaple"] }, { known: [] });
  assert.equal(verdict.findings[0].suggestion, "acme.example", "the signed policy's internal domain is a reference");
});

for (const [file, code] of [
  ["policy-v4.json", "rollback"],
  ["policy-transplanted-signature.json", "bad_signature"],
  ["policy-signed-by-stranger.json", "unknown_key"],
  ["policy-globex.json", "wrong_tenant"],
  ["policy-v5-other-content.json", "same_version_different_content"]
]) {
  test(`after v5, ${file} is refused (${code}) and v5 stays in force`, async () => {
    const policy = sync("policy-v5.json", file);
    await policy.refresh(config);
    assert.equal(await policy.refresh(config), "refused");
    const status = await policy.status(config);
    assert.deepEqual([status.version, status.error.code], [5, code]);
    const verdict = (await policy.currentEngine(config)).check({ to: ["x@acme.exmaple"] }, { known: [] });
    assert.equal(verdict.findings[0].suggestion, "acme.example");
  });
}

test("a bundle checked against another tenant's pinned keyset is refused", async () => {
  const policy = sync("policy-v5.json");
  assert.equal(await policy.refresh({ ...config, keyset: vector("keyset-globex.json") }), "refused");
  assert.equal((await policy.status(config)).version, null);
});

test("the highest version accepted is remembered apart from the stored bundle", async () => {
  const storage = fakeStorageArea();
  const make = (...files) => createPolicySync({ fetch: serving(...files), storage, engine: async () => realEngineApi, now: () => NOW });
  await make("policy-v5.json").refresh(config);
  assert.equal(JSON.parse(storage.data.get("heldPolicy:acme")).version, 5);
  storage.data.delete("policy"); // the stored bundle is lost: the rollback guard is not
  const again = make("policy-v4.json");
  assert.equal(await again.refresh(config), "refused");
  assert.equal((await again.status(config)).error.code, "rollback");
});

test("an expired policy stays in force as stale: none of its checks run, every draft gets its fail mode", async () => {
  const storage = fakeStorageArea();
  let now = NOW;
  const policy = createPolicySync({ fetch: serving("policy-v5.json"), storage, engine: async () => realEngineApi, now: () => now });
  await policy.refresh(config);
  now = 1769904000; // after policy-v5's expiry (2026-01-31)
  const engine = await policy.currentEngine(config);
  assert.notEqual(engine, realEngineApi.defaultEngine(), "not the built-in checks: the core's one expiry rule");
  const verdict = engine.check({ to: ["x@acme.exmaple"] }, { known: [] });
  assert.deepEqual([verdict.action, verdict.findings.length], ["warn", 0]);
  assert.match(verdict.summary, /^Check this email yourself before sending: .*expired on 2026-01-31/);
  assert.equal((await policy.status(config)).stale, true);
});

test("the fail mode is the engine's report of the verified policy", async () => {
  assert.equal(realEngineApi.verify({ bundle: vector("policy-v5.json"), keyset: vector("keyset-v1.json"), tenant: "acme", now: NOW }).failMode, "warn");
  const strict = realEngineApi.defaultEngine.call(null);
  assert.equal(strict.failMode, "warn");
});

test("whether a blocked send may go with a justification is the engine's rule", () => {
  const finding = { kind: "blocked_domain", action: "block", recipient: "a@b.ml", suggestion: null, message: "m" };
  const justify = { action: "block", justification_required: true, summary: "s", findings: [{ ...finding, justification_required: true }] };
  assert.equal(realEngineApi.maySend(justify, undefined), false);
  assert.equal(realEngineApi.maySend(justify, "   "), false);
  assert.equal(realEngineApi.maySend(justify, "the contract requires it"), true);
  assert.equal(realEngineApi.maySend({ ...justify, justification_required: false }, "because"), false);
  assert.equal(realEngineApi.maySend({ action: "warn", summary: "s", findings: [] }, undefined), true);
});
