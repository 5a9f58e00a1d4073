// Keyset updates in Outlook with the real classic engine and the signed vectors
// (tests/vectors/bundles; tenant acme, keyset v1 pinned): the pane's refresh fetches the
// keyset before the policy and keeps an accepted one in roamingSettings; the send handler's
// policy session verifies bundles against it, without the network.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { config, realEngine, repoRoot, send, storedBundle } from "./helpers.mjs";
import { fakeOutlook } from "./fake-outlook.mjs";
import { createEngineApi } from "../src/engine-api.js";
import { createPolicyStore, BUNDLE_KEY, BUNDLE_BUDGET, KEYSET_BUDGET, KEYSET_KEY, roamingBackend } from "../src/policy-store.js";
import { loadPolicy } from "../src/policy-session.js";
import { refreshFromServer } from "../src/refresh.js";

/** A vector, or the fixture keyset v4 (signed by root B alone; see addin/test/fixtures/). */
const vector = (file) => readFileSync(file === "keyset-v4-root-b-only.json" ? join(repoRoot, "addin", "test", "fixtures", file) : join(repoRoot, "tests", "vectors", "bundles", file), "utf8");
const NOW = 1767312000;
const URLS = { policyUrl: "https://guard.example.org/v1/tenants/acme/policy", keysetUrl: "https://guard.example.org/v1/tenants/acme/keyset" };
const pinned = (extra = {}) => config(null, { keyset: vector("keyset-v1.json"), ...URLS, ...extra });

const etagOf = (body) => `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"`;

/** The server as fetch sees it: `keyset` and `policy` are vector names (or texts); ETags by content. */
function server(state) {
  const requests = [];
  const fetch = async (url, init) => {
    requests.push({ url, headers: init.headers });
    if (state.down) throw new TypeError("Network request failed");
    const file = url === URLS.keysetUrl ? state.keyset : url === URLS.policyUrl ? state.policy : assert.fail(`unexpected ${url}`);
    const body = file.startsWith("{") ? file : vector(file);
    const etag = etagOf(body);
    if (init.headers["If-None-Match"] === etag) return { status: 304, ok: false, text: async () => "", headers: { get: () => etag } };
    return { status: 200, ok: true, text: async () => body, headers: { get: (h) => (h.toLowerCase() === "etag" ? etag : null) } };
  };
  return { fetch, requests };
}

async function setup(state, extra = {}) {
  const fake = fakeOutlook({ roaming: extra.roaming });
  globalThis.Office = fake.office;
  const store = createPolicyStore(roamingBackend(fake.office.context.roamingSettings), "acme");
  const api = createEngineApi(await realEngine());
  const { fetch, requests } = server(state);
  const cfg = extra.config || pinned();
  return {
    fake,
    store,
    requests,
    refresh: () => refreshFromServer({ fetch, api: async () => api, config: cfg, store, now: () => NOW }),
    policy: () => loadPolicy(api, cfg, store, NOW)
  };
}

test("a revoked signing key: keyset v2 is stored, signer-2's stored policy is set aside, signer-3's accepted", async () => {
  const state = { keyset: "keyset-v1.json", policy: "policy-signed-by-signer-2.json" };
  const { fake, store, refresh, policy, requests } = await setup(state);
  const first = await refresh();
  assert.deepEqual([first.keyset.status, first.status], ["unchanged", "updated"]);
  assert.equal((await policy()).version, 6);

  state.keyset = "keyset-v2.json";
  const second = await refresh();
  assert.deepEqual([second.keyset.status, second.keyset.detail], ["updated", "keyset version 2"]);
  assert.equal(second.status, "unchanged", "the server's policy has not changed (ETag)");
  assert.deepEqual(store.readKeyset().chain, [vector("keyset-v2.json")]);
  await assert.rejects(policy(), (/** @type {any} */ e) => e.code === "policy_unavailable" && /stored policy refused \(revoked_key\)/.test(e.message));

  state.policy = "policy-signed-by-signer-3.json";
  const third = await refresh();
  assert.deepEqual([third.keyset.status, third.status], ["unchanged", "updated"]);
  assert.deepEqual(requests.at(-2).headers, { Accept: "application/json", "If-None-Match": etagOf(vector("keyset-v2.json")) });
  const inUse = await policy();
  assert.deepEqual([inUse.source, inUse.version, inUse.problems], ["stored", 7, []]);
  assert.ok(JSON.parse(fake.roaming.get(KEYSET_KEY)).tenant === "acme");
});

for (const [name, keyset, code] of /** @type {[string, () => string, string][]} */ ([
  ["a rollback to v1", () => vector("keyset-v1.json"), "rollback"],
  ["a keyset that un-revokes signer-2", () => vector("keyset-v3-unrevokes-signer-2.json"), "revocation_dropped"],
  ["a keyset tampered in transit", () => vector("keyset-v3-rotated.json").replace(/"sig":"./, (m) => m.slice(0, -1) + (m.endsWith("A") ? "B" : "A")), "bad_signature"]
])) {
  test(`${name} is refused (${code}); keyset v2 stays trusted and signer-3's policy in force`, async () => {
    const state = { keyset: "keyset-v2.json", policy: "policy-signed-by-signer-3.json" };
    const { store, refresh, policy } = await setup(state);
    await refresh();
    state.keyset = keyset();
    const result = await refresh();
    assert.equal(result.keyset.status, "refused");
    assert.match(result.keyset.detail, new RegExp(`^${code}: `));
    assert.deepEqual(store.readKeyset().chain, [vector("keyset-v2.json")]);
    assert.equal((await policy()).version, 7);
  });
}

test("a root rotation is followed (v3, signed by the old and the new root), and v4 after it (the new root only)", async () => {
  const state = { keyset: "keyset-v2.json", policy: "policy-v5.json" };
  const { store, refresh, policy } = await setup(state);
  await refresh();
  state.keyset = "keyset-v3-rotated.json";
  assert.equal((await refresh()).keyset.status, "updated");
  assert.deepEqual(store.readKeyset().chain, [vector("keyset-v3-rotated.json")], "root A signed v3: v2 is not needed");
  assert.equal((await policy()).version, 5);
  state.keyset = "keyset-v4-root-b-only.json";
  state.policy = "policy-signed-by-signer-3.json";
  const result = await refresh();
  assert.deepEqual([result.keyset.status, result.status], ["updated", "updated"]);
  assert.deepEqual(store.readKeyset().chain, [vector("keyset-v3-rotated.json"), vector("keyset-v4-root-b-only.json")], "v4 is trusted through v3");
  const inUse = await policy();
  assert.deepEqual([inUse.version, inUse.problems], [7, []]);
});

test("network failure keeps the trust; the send handler never fetches and uses the stored keyset", async () => {
  const state = { keyset: "keyset-v2.json", policy: "policy-signed-by-signer-3.json" };
  const { fake, refresh } = await setup(state);
  await refresh();
  state.down = true;
  const failed = await refresh();
  assert.deepEqual([failed.keyset.status, failed.status], ["failed", "failed"]);
  const roaming = Object.fromEntries(fake.roaming);
  const { completed } = await send({ to: ["x@acme.exmaple"], roaming }, { config: pinned({ bakedPolicy: null }), now: NOW });
  assert.equal(completed.allowEvent, false);
  assert.match(completed.errorMessage, /acme\.example/, "signer-3's policy (under keyset v2) is in force");
});

test("a stored keyset is used only if it verifies against the pinned one, for this tenant; a newer pin wins", async () => {
  const record = (file, tenant = "acme") => JSON.stringify({ tenant, chain: [vector(file)], etag: null, acceptedAt: 1 });
  const bundle = { [BUNDLE_KEY]: storedBundle(vector("policy-signed-by-signer-3.json")) };
  // Signed by root B only: valid on its own, but not by the pinned root A.
  const forged = await (await setup({}, { roaming: { ...bundle, [KEYSET_KEY]: record("keyset-v3-signed-by-new-root-only.json") }, config: pinned({ keyset: vector("keyset-v2.json") }) })).policy();
  assert.equal(forged.version, 7, "the pinned v2 lists signer-3");
  assert.match(forged.problems[0], /^keyset \(unknown_key\): the stored keyset was set aside/);
  // Another tenant's record is not read at all.
  await assert.rejects((await setup({}, { roaming: { ...bundle, [KEYSET_KEY]: record("keyset-v2.json", "globex") } })).policy(), /unknown_key/);
  // The administrator repackaged with v3 after v2 was stored: v3 is in force.
  const repinned = await (await setup({}, { roaming: { ...bundle, [KEYSET_KEY]: record("keyset-v2.json") }, config: pinned({ keyset: vector("keyset-v3-rotated.json") }) })).policy();
  assert.deepEqual([repinned.version, repinned.problems], [7, []]);
});

test("the keyset and the bundle share roamingSettings' budget; the keyset comes first", async () => {
  const { fake, store } = await setup({});
  assert.equal(await store.writeKeyset({ chain: ["k".repeat(KEYSET_BUDGET)], etag: null, acceptedAt: 1 }), false);
  assert.equal(fake.roaming.has(KEYSET_KEY), false);
  const keyset = vector("keyset-v2.json");
  assert.equal(await store.writeBundle(/** @type {any} */ ({ bundle: "b".repeat(BUNDLE_BUDGET - 200), etag: null, fetchedAt: 1 })), true);
  assert.equal(await store.writeKeyset({ chain: [keyset], etag: null, acceptedAt: 1 }), true);
  assert.equal(fake.roaming.has(BUNDLE_KEY), false, "the bundle no longer fits beside the keyset");
  assert.equal(await store.writeBundle(/** @type {any} */ ({ bundle: "b".repeat(BUNDLE_BUDGET - 200), etag: null, fetchedAt: 1 })), false);
  assert.equal(await store.writeBundle(/** @type {any} */ ({ bundle: "b".repeat(BUNDLE_BUDGET - keyset.length - 200), etag: null, fetchedAt: 1 })), true);
  assert.ok(fake.roaming.get(KEYSET_KEY).length + fake.roaming.get(BUNDLE_KEY).length <= BUNDLE_BUDGET);
});

test("without a keyset URL (packaged without --keyset) nothing but the policy is fetched", async () => {
  const { refresh, requests } = await setup({ policy: "policy-v5.json" }, { config: pinned({ keysetUrl: null }) });
  const result = await refresh();
  assert.deepEqual([result.keyset.status, result.status], ["off", "updated"]);
  assert.deepEqual(requests.map((r) => r.url), [URLS.policyUrl]);
});
