// Signed policy bundles end to end with the real engine: the bundle test vectors
// (tests/vectors/bundles, from crates/sign) stored in roamingSettings or fetched, verified by
// the classic script's WebAssembly against the pinned keyset.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { send, config, realEngine, repoRoot, storedBundle, heldRecord } from "./helpers.mjs";
import { fakeOutlook } from "./fake-outlook.mjs";
import { createEngineApi } from "../src/engine-api.js";
import { createPolicyStore, BUNDLE_KEY, HELD_KEY, roamingBackend } from "../src/policy-store.js";
import { loadPolicy } from "../src/policy-session.js";
import { refreshFromServer } from "../src/refresh.js";

const vectors = join(repoRoot, "tests", "vectors", "bundles");
const vector = (file) => readFileSync(join(vectors, file), "utf8");
const manifest = JSON.parse(vector("manifest.json"));
const V5 = manifest.vectors.find((v) => v.name === "policy-v5" || (v.file === "policy-v5.json" && v.held === null)).expect;
const NOW = 1767312000; // the vectors' "now": v5 is valid
const KEYSET = vector("keyset-v1.json");
const signed = (extra = {}) => config({}, { keyset: KEYSET, ...extra });
const stored = (file) => storedBundle(vector(file));
const api = async () => createEngineApi(await realEngine());

async function policyFrom(roaming, options = {}) {
  const fake = fakeOutlook({ roaming });
  return loadPolicy(await api(), options.config || signed(), createPolicyStore(roamingBackend(fake.office.context.roamingSettings), "acme"), options.now || NOW);
}

test("a valid signed bundle in roamingSettings is verified and used", async () => {
  const policy = await policyFrom({ [BUNDLE_KEY]: stored("policy-v5.json") });
  assert.equal(policy.source, "stored");
  assert.equal(policy.version, 5);
  assert.equal(policy.tenant, "acme");
  assert.equal(policy.digest, V5.digest);
  assert.equal(policy.stale, false);
  assert.deepEqual(policy.problems, []);
});

test("tampered, other-tenant, rolled-back and substituted bundles in roamingSettings are refused", async () => {
  for (const [file, heldVersion, code] of [
    ["policy-transplanted-signature.json", null, "bad_signature"],
    ["policy-signed-by-stranger.json", null, "unknown_key"],
    ["policy-globex.json", null, "wrong_tenant"],
    ["policy-v4.json", 5, "rollback"],
    ["policy-v5-other-content.json", 5, "same_version_different_content"],
    ["policy-not-json.txt", null, "malformed"]
  ]) {
    const roaming = { [BUNDLE_KEY]: stored(file) };
    if (heldVersion) roaming[HELD_KEY] = heldRecord(heldVersion, V5.digest);
    const policy = await policyFrom(roaming);
    assert.equal(policy.source, "baked", String(file));
    assert.match(policy.problems[0], new RegExp(`^stored policy refused \\(${code}\\)`), `${file}: ${policy.problems[0]}`);
  }
});

test("a tampered stored bundle with nothing baked stops the send by the packaged fail mode, saying why and what to do", async () => {
  const { completed } = await send(
    { to: ["bob@army.mil"], roaming: { [BUNDLE_KEY]: stored("policy-transplanted-signature.json") } },
    { config: config(null, { keyset: KEYSET, failMode: "block" }), now: NOW }
  );
  assert.equal(completed.allowEvent, false);
  assert.match(completed.errorMessage, /^Try again in a minute.*could not check it \(stored policy refused \(bad_signature\)/);
  assert.match(completed.errorMessageMarkdown, /^\*\*Sendguard could not check this email\.\*\*\r\r- Try again in a minute.*bad\\_signature/, "Mailbox 1.15 shows only the Markdown: it carries the reason");
  assert.equal(completed.sendModeOverride, undefined);
});

test("a send runs on the stored signed policy: the dialog's fix data names its version", async () => {
  // The vectors' own domains (.example) are not real TLDs, so the test uses a clean real
  // address and the army.ml slip, under the stored policy v5.
  const roaming = { [BUNDLE_KEY]: stored("policy-v5.json") };
  const clean = (await send({ to: ["bob@army.mil"], roaming }, { config: signed(), now: NOW })).completed;
  assert.deepEqual(clean, { allowEvent: true });
  const risky = (await send({ to: ["colonel.smith@army.ml"], roaming }, { config: signed(), now: NOW })).completed;
  assert.equal(risky.allowEvent, false);
  const context = JSON.parse(risky.contextData);
  assert.deepEqual([context.tenant, context.version], ["acme", 5]);
});

test("an expired signed bundle is in force as stale: no check of it runs, and no draft passes silently", async () => {
  const later = V5.expires_at + 86400;
  const policy = await policyFrom({ [BUNDLE_KEY]: stored("policy-v5.json") }, { now: later });
  assert.equal(policy.source, "stored", "not the baked plain policy: an expired signed policy is never swapped for an unsigned one");
  assert.equal(policy.stale, true);
  const { completed } = await send({ to: ["bob@army.mil"], roaming: { [BUNDLE_KEY]: stored("policy-v5.json") } }, { config: signed(), now: later });
  assert.equal(completed.allowEvent, false);
  assert.match(completed.errorMessage, /^Check this email yourself before sending: .*policy expired on 2026-01-31/);
  assert.equal(completed.sendModeOverride, "promptUser", "policy-v5's fail mode: warn");
});

test("refresh: a fetched bundle is verified, stored and its version held; an older one afterwards is refused", async () => {
  const fake = fakeOutlook();
  globalThis.Office = fake.office;
  const store = createPolicyStore(roamingBackend(fake.office.context.roamingSettings), "acme");
  const fetchOf = (file) => async () => ({ status: 200, ok: true, text: async () => vector(file), headers: { get: () => "\"etag\"" } });
  const engineApi = await api();
  const deps = { api: async () => engineApi, config: signed({ policyUrl: "https://guard.example.org/v1/tenants/acme/policy" }), store, now: () => NOW };
  assert.equal((await refreshFromServer({ ...deps, fetch: fetchOf("policy-v5.json") })).status, "updated");
  assert.deepEqual(await store.held.held(), { version: 5, digest: V5.digest });
  const rollback = await refreshFromServer({ ...deps, fetch: fetchOf("policy-v4.json") });
  assert.equal(rollback.status, "refused");
  assert.match(rollback.detail, /^rollback: /);
  assert.equal(JSON.parse(fake.roaming.get(BUNDLE_KEY)).bundle, vector("policy-v5.json"), "the good bundle stays");
});
