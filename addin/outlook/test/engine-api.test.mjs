// The adapter over the engine module: what it asks `Engine.fromBundle` and how it reads the
// answers (a stand-in module following the WASM build's contract; the real module's own
// tests cover verification).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createEngineApi, failModeOf } from "../src/engine-api.js";
import { loadPolicy } from "../src/policy-session.js";
import { createPolicyStore, BUNDLE_KEY } from "../src/policy-store.js";
import { fakeOutlook } from "./fake-outlook.mjs";
import { config, storedBundle } from "./helpers.mjs";

const INFO = { tenant: "acme", version: 5, issued_at: 1767225600, expires_at: 1769817600, key_id: "k1", digest: "88".repeat(32) };

/** A module whose fromBundle answers by `behaviour(request)`; records the calls. */
function moduleWith(behaviour, calls = []) {
  const coded = (code, extra) => Object.assign(new Error(code), { code }, extra);
  return {
    Engine: {
      fromPolicyJson: (text) => ({ check: () => ({ action: "allow", summary: "", findings: [] }), text }),
      fromBundle: (bundle, keyset, request) => {
        calls.push({ bundle, keyset, request });
        const answer = behaviour(request, coded);
        if (answer instanceof Error) throw answer;
        return { policy: answer, check: () => ({ action: "allow", summary: "", findings: [] }) };
      }
    }
  };
}

const PINS = { tenant: "acme", keyset: "{\"keyset\":1}", held: undefined, now: 1767312000 };

test("a verified bundle: the request carries tenant, held (null when none) and now", () => {
  const calls = [];
  const loaded = createEngineApi(moduleWith(() => INFO, calls)).loadBundle("BUNDLE", PINS);
  assert.deepEqual(calls, [{ bundle: "BUNDLE", keyset: "{\"keyset\":1}", request: { tenant: "acme", held: null, now: 1767312000 } }]);
  assert.equal(loaded.version, 5);
  assert.equal(loaded.digest, INFO.digest);
  assert.equal(loaded.expiresAt, INFO.expires_at);
  assert.equal(loaded.expired, false);
  assert.equal(loaded.failMode, undefined, "the packaged fail mode applies unless the engine reports one");
});

test("an expired bundle is run as of its last valid second and marked expired", () => {
  const calls = [];
  const loaded = createEngineApi(moduleWith((r, coded) => (r.now >= INFO.expires_at ? coded("expired", { policy: INFO }) : INFO), calls)).loadBundle("B", { ...PINS, now: INFO.expires_at + 86400 });
  assert.equal(calls.length, 2);
  assert.equal(calls[1].request.now, INFO.expires_at - 1);
  assert.equal(loaded.expired, true);
});

test("refusals pass through with their codes; an expired keyset is not retried", () => {
  for (const refusal of ["bad_signature", "rollback", "wrong_tenant"]) {
    assert.throws(() => createEngineApi(moduleWith((r, coded) => coded(refusal))).loadBundle("B", PINS), (e) => e.code === refusal);
  }
  const calls = [];
  assert.throws(() => createEngineApi(moduleWith((r, coded) => coded("expired"), calls)).loadBundle("B", PINS), (e) => e.code === "expired");
  assert.equal(calls.length, 1);
});

test("an engine build without bundle verification refuses bundles, never runs them unverified", () => {
  const api = createEngineApi({ Engine: { fromPolicyJson: () => ({}) } });
  assert.throws(() => api.loadBundle("B", PINS), (e) => e.code === "unsupported");
});

test("fail mode: read from a plain policy; the packaged one when the engine reports none", async () => {
  assert.equal(failModeOf('{"fail_mode": "block"}'), "block");
  assert.equal(failModeOf("{}"), "warn");
  const fake = fakeOutlook({ roaming: { [BUNDLE_KEY]: storedBundle("B") } });
  const policy = await loadPolicy(createEngineApi(moduleWith(() => INFO)), config({}, { failMode: "block" }), createPolicyStore(fake.office.context.roamingSettings, "acme"), PINS.now);
  assert.equal(policy.source, "stored");
  assert.equal(policy.failMode, "block");
});
