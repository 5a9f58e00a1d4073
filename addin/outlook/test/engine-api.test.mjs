// The adapter over the engine module: what it asks `Engine.fromBundle` and how it reads the
// answers (a stand-in module following the WASM build's contract; the real module's own
// tests cover verification, and signed-policy.test.mjs the real engine's reports).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createEngineApi, refreshEngine } from "../src/engine-api.js";

const INFO = { tenant: "acme", version: 5, issued_at: 1767225600, expires_at: 1769817600, key_id: "k1", digest: "88".repeat(32), fail_mode: "block", stale: false };

/** A module whose fromBundle answers by `behaviour(request)`; records the calls. */
function moduleWith(behaviour, calls = []) {
  const coded = (code, extra) => Object.assign(new Error(code), { code }, extra);
  return {
    Engine: {
      fromPolicyJson: (text) => ({ check: () => ({ action: "allow", summary: "", findings: [] }), failMode: JSON.parse(text).fail_mode || "warn", text }),
      fromBundle: (bundle, keyset, request) => {
        calls.push({ bundle, keyset, request });
        const answer = behaviour(request, coded);
        if (answer instanceof Error) throw answer;
        return { policy: answer, check: () => ({ action: "allow", summary: "", findings: [] }), free: () => calls.push("free") };
      }
    }
  };
}

const PINS = { tenant: "acme", keyset: "{\"keyset\":1}", held: undefined, now: 1767312000 };

test("a verified bundle: the request carries tenant, held (null when none) and now; fail mode and staleness as the engine reports", () => {
  const calls = [];
  const loaded = createEngineApi(moduleWith(() => INFO, calls)).loadBundle("BUNDLE", PINS);
  assert.deepEqual(calls, [{ bundle: "BUNDLE", keyset: "{\"keyset\":1}", request: { tenant: "acme", held: null, now: 1767312000 } }]);
  assert.deepEqual([loaded.version, loaded.digest, loaded.expiresAt], [5, INFO.digest, INFO.expires_at]);
  assert.equal(loaded.failMode, "block");
  assert.equal(loaded.stale, false);
  const stale = createEngineApi(moduleWith(() => ({ ...INFO, stale: true }))).loadBundle("B", PINS);
  assert.equal(stale.stale, true);
});

test("refusals pass through with their codes, asked once (no retry with another clock)", () => {
  for (const refusal of ["bad_signature", "rollback", "wrong_tenant", "expired"]) {
    const calls = [];
    assert.throws(() => createEngineApi(moduleWith((r, coded) => coded(refusal), calls)).loadBundle("B", PINS), (/** @type {any} */ e) => e.code === refusal);
    assert.equal(calls.length, 1);
  }
});

test("an engine build without bundle verification refuses bundles, never runs them unverified", () => {
  const api = createEngineApi({ Engine: { fromPolicyJson: () => ({}) } });
  assert.throws(() => api.loadBundle("B", PINS), (/** @type {any} */ e) => e.code === "unsupported");
});

test("a plain policy's fail mode is the engine's report of it", () => {
  const api = createEngineApi(moduleWith(() => INFO));
  assert.equal(api.loadPlain('{"fail_mode": "block"}').failMode, "block");
  assert.equal(api.loadPlain("{}").failMode, "warn");
});

test("the refresh protocol's engine reports a verified bundle and frees its engine", () => {
  const calls = [];
  const verdict = refreshEngine(createEngineApi(moduleWith(() => INFO, calls))).verifyBundle("B", PINS);
  assert.deepEqual(verdict, { version: 5, digest: INFO.digest, expiresAt: INFO.expires_at, failMode: "block", stale: false });
  assert.equal(calls.at(-1), "free");
});
