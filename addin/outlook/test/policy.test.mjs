// Which policy a send runs on (roamingSettings, baked) and the background refresh. Bundle
// verification itself is the engine's; here a stand-in `loadBundle` answers as the engine
// would (accepted, or refused with its code), around the real checking engine (expiry, with
// real signed bundles: signed-policy.test.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { send, config, realEngine, storedBundle, heldRecord } from "./helpers.mjs";
import { fakeOutlook } from "./fake-outlook.mjs";
import { createEngineApi } from "../src/engine-api.js";
import { createPolicyStore, BUNDLE_KEY, HELD_KEY, BUNDLE_BUDGET, roamingBackend } from "../src/policy-store.js";
import { createPolicyCache, loadPolicy, loadPolicyCached } from "../src/policy-session.js";
import { refreshFromServer } from "../src/refresh.js";

const DIGEST = "ab".repeat(32);
const ARMY_ML = { to: ["Colonel Smith <colonel.smith@army.ml>"] };
const stored = (bundle) => storedBundle(bundle);

/**
 * An engine API whose bundles are JSON `{ verdict: "ok" | CODE, version, policy }` (standing
 * in for signed envelopes) and whose pinned keyset "K" is trusted as it is; records what it
 * was asked.
 */
/** @returns {Promise<any>} */
async function bundleApi(log = []) {
  const real = createEngineApi(await realEngine());
  return {
    loadPlain: real.loadPlain,
    trustKeysets: (request) => ({ keyset: request.pinned, source: "pinned", info: null, chain: [], problem: null, outcome: null, refusal: null }),
    loadBundle: (text, pins) => {
      log.push({ text, pins });
      const b = JSON.parse(text);
      if (b.verdict !== "ok") {
        const e = /** @type {any} */ (new Error(`refused: ${b.verdict}`));
        e.code = b.verdict;
        throw e;
      }
      const loaded = real.loadPlain(JSON.stringify(b.policy));
      return { ...loaded, tenant: pins.tenant, version: b.version, digest: DIGEST, expiresAt: 1_900_000_000, stale: false };
    }
  };
}
/** The packaged configuration with the stand-in's pinned keyset and the policy server. */
const pinned = (policy = {}) => config(policy, { keyset: "K", policyUrl: "https://guard.example.org/v1/tenants/acme/policy" });

test("a verified bundle in roamingSettings is used, with the held version passed to the engine", async () => {
  const log = [];
  const api = await bundleApi(log);
  const roaming = {
    [BUNDLE_KEY]: stored(JSON.stringify({ verdict: "ok", version: 7, policy: { blocked_domains: ["ml"] } })),
    [HELD_KEY]: heldRecord(7, DIGEST)
  };
  const { completed } = await send({ ...ARMY_ML, roaming }, { api: async () => api, config: pinned() });
  assert.equal(completed.allowEvent, false);
  assert.match(completed.errorMessageMarkdown, /cannot be sent/, "the stored policy (blocking .ml) was used, not the baked one");
  assert.equal(JSON.parse(completed.contextData).version, 7);
  assert.deepEqual(log[0].pins.held, { version: 7, digest: DIGEST });
  assert.equal(log[0].pins.tenant, "acme");
});

test("a tampered or older bundle in roamingSettings is refused and the baked policy stands in", async () => {
  for (const refusal of ["bad_signature", "rollback", "wrong_tenant"]) {
    const roaming = { [BUNDLE_KEY]: stored(JSON.stringify({ verdict: refusal, version: 3, policy: {} })) };
    const fake = fakeOutlook({ roaming });
    const policy = await loadPolicy(await bundleApi(), pinned({ internal_domains: ["army.mil"] }), createPolicyStore(roamingBackend(fake.office.context.roamingSettings), "acme"), 1_800_000_000);
    assert.equal(policy.source, "baked");
    assert.match(policy.problems[0], new RegExp(`stored policy refused \\(${refusal}\\)`));
    // And the send still runs the check on the baked policy.
    const { completed } = await send({ ...ARMY_ML, roaming }, { api: bundleApi, config: pinned() });
    assert.equal(completed.allowEvent, false);
    assert.match(completed.errorMessage, /Mali/);
  }
});

test("unreadable roamingSettings content is ignored, not trusted", async () => {
  const fake = fakeOutlook({ roaming: { [BUNDLE_KEY]: "{not json", [HELD_KEY]: "also not json" } });
  const store = createPolicyStore(roamingBackend(fake.office.context.roamingSettings), "acme");
  assert.equal(store.readBundle(), undefined);
  globalThis.Office = fake.office;
  assert.equal(await store.held.held(), undefined);
});

test("the store keeps a bundle within the 32 KB budget and refuses a bigger one", async () => {
  const fake = fakeOutlook({ roaming: { [BUNDLE_KEY]: stored("old") } });
  const store = createPolicyStore(roamingBackend(fake.office.context.roamingSettings), "acme");
  const record = (bundle, fetchedAt) => /** @type {any} */ ({ bundle, etag: null, fetchedAt, checkedAt: fetchedAt, version: 1, digest: DIGEST, expiresAt: null, failMode: "warn", stale: false });
  assert.equal(await store.writeBundle(record("x".repeat(1000), 5)), true);
  assert.equal(store.readBundle().bundle.length, 1000);
  assert.equal(await store.writeBundle(record("x".repeat(BUNDLE_BUDGET), 6)), false);
  assert.equal(store.readBundle(), undefined, "an oversized bundle is not kept, and the older one is gone too");
  assert.ok(fake.saved.length === 2);
});

/** A fetch answering `status` with `body` and recording requests. @returns {any} */
function fakeFetch(status, body, requests = [], etag = "\"v8\"") {
  return async (url, init) => {
    requests.push({ url, init });
    return { status, ok: status >= 200 && status < 300, text: async () => body, headers: { get: (h) => (h.toLowerCase() === "etag" ? etag : null) } };
  };
}

async function refreshWith(fetch, roaming = {}, extra = {}) {
  const fake = fakeOutlook({ roaming });
  globalThis.Office = fake.office;
  const store = createPolicyStore(roamingBackend(fake.office.context.roamingSettings), "acme");
  const api = await bundleApi();
  const result = await refreshFromServer({ fetch, api: async () => api, config: pinned(), store, now: () => 1_800_000_000, ...extra });
  return { result, fake, store };
}

test("refresh: a newer verified bundle is stored with its ETag and raises the held version", async () => {
  const requests = [];
  const bundle = JSON.stringify({ verdict: "ok", version: 8, policy: {} });
  const { result, store } = await refreshWith(fakeFetch(200, bundle, requests), { [BUNDLE_KEY]: stored("old"), [HELD_KEY]: heldRecord(7, "cd".repeat(32)) });
  assert.equal(result.status, "updated");
  assert.equal(requests[0].init.headers["If-None-Match"], "\"stored\"");
  assert.equal(store.readBundle().bundle, bundle);
  assert.equal(store.readBundle().etag, "\"v8\"");
  assert.deepEqual(await store.held.held(), { version: 8, digest: DIGEST });
});

test("refresh: 304, refusals, server errors and time-outs leave the stored policy alone", async () => {
  const before = { [BUNDLE_KEY]: stored("old") };
  for (const [fetch, status] of [
    [fakeFetch(304, ""), "unchanged"],
    [fakeFetch(200, JSON.stringify({ verdict: "bad_signature" })), "refused"],
    [fakeFetch(503, "down"), "failed"],
    [() => new Promise(() => {}), "failed"]
  ]) {
    const { result, store } = await refreshWith(fetch, before, { timeoutMs: 50 });
    assert.equal(result.status, status, result.detail);
    assert.equal(store.readBundle().bundle, "old");
  }
});

test("refresh: a bundle too big for roamingSettings does not raise the held version", async () => {
  const big = JSON.stringify({ verdict: "ok", version: 9, policy: {}, pad: "x".repeat(BUNDLE_BUDGET) });
  const { result, store } = await refreshWith(fakeFetch(200, big), { [HELD_KEY]: heldRecord(2, DIGEST) });
  assert.equal(result.status, "refused");
  assert.match(result.detail, /too big/);
  assert.equal((await store.held.held()).version, 2);
});

test("records of another tenant are ignored: its bundle is not offered, its version does not block", async () => {
  const log = [];
  const api = await bundleApi(log);
  const roaming = {
    [BUNDLE_KEY]: storedBundle(JSON.stringify({ verdict: "ok", version: 40, policy: {} }), "globex"),
    [HELD_KEY]: heldRecord(40, DIGEST, "globex")
  };
  const fake = fakeOutlook({ roaming });
  const store = createPolicyStore(roamingBackend(fake.office.context.roamingSettings), "acme");
  assert.equal(store.readBundle(), undefined);
  assert.equal(await store.held.held(), undefined);
  const policy = await loadPolicy(api, pinned(), store, 1_800_000_000);
  assert.equal(policy.source, "baked");
  assert.equal(log.length, 0, "globex's bundle was never handed to the engine");
  // The first acme bundle is accepted (no rollback against globex's version 40) and replaces
  // globex's records.
  globalThis.Office = fake.office;
  const fetched = JSON.stringify({ verdict: "ok", version: 1, policy: {} });
  const result = await refreshFromServer({ fetch: fakeFetch(200, fetched), api: async () => api, config: pinned(), store, now: () => 1 });
  assert.equal(result.status, "updated");
  assert.equal(JSON.parse(fake.roaming.get(HELD_KEY)).tenant, "acme");
  assert.equal(store.readBundle().bundle, fetched);
});

test("a runtime's kept policy is loaded afresh once its keyset expires, even within the cache's lifetime", async () => {
  const base = await bundleApi();
  let trustCalls = 0;
  const keysetExpiresAt = 1_800_000_100;
  const api = { ...base, trustKeysets: (request) => (trustCalls++, { ...base.trustKeysets(request), info: { tenant: "acme", version: 1, issued_at: 0, expires_at: keysetExpiresAt, digest: DIGEST } }) };
  const fake = fakeOutlook({ roaming: { [BUNDLE_KEY]: stored(JSON.stringify({ verdict: "ok", version: 7, policy: {} })) } });
  const store = createPolicyStore(roamingBackend(fake.office.context.roamingSettings), "acme");
  const cache = createPolicyCache();
  const first = await loadPolicyCached(cache, api, pinned(), store, 1_800_000_000);
  assert.deepEqual([first.source, first.version, first.keysetExpiresAt], ["stored", 7, keysetExpiresAt]);
  assert.equal(await loadPolicyCached(cache, api, pinned(), store, 1_800_000_050), first, "kept while the keyset holds");
  assert.equal(trustCalls, 1);
  await loadPolicyCached(cache, api, pinned(), store, keysetExpiresAt);
  assert.equal(trustCalls, 2, "past the keyset's expiry the engine decides again");
});
