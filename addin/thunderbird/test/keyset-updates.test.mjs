// Keyset updates with the real engine and the signed vectors of tests/vectors/bundles/
// (tenant acme; keyset v1 pinned unless said; v2 revokes signer-2 and adds signer-3; v3
// rotates root A to B). The shared decision (addin/shared/keyset-trust.js) directly, then
// through the extension's policy refresh against a fake server on 127.0.0.1.

import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";

import { offerKeyset, trustedKeyset } from "../../shared/keyset-trust.js";
import { createPolicySync } from "../lib/policy-sync.js";
import { describeStatus } from "../lib/status-text.js";
import { fakeStorageArea } from "./fake-messenger.mjs";
import { realEngineApi } from "./real-engine.mjs";

const vectors = new URL("../../../tests/vectors/bundles/", import.meta.url);
const fixtures = new URL("../../test/fixtures/", import.meta.url);
/** A vector, or the fixture keyset v4 (signed by root B alone; see addin/test/fixtures/). */
const vector = (name) => fs.readFileSync(new URL(name, name === "keyset-v4-root-b-only.json" ? fixtures : vectors), "utf8");
const NOW = 1767312000;
const DAY = 86400;
const verify = realEngineApi.trustKeysets;
/** @type {import("../lib/config.js").Config} */
const config = { source: "managed", server: "http://127.0.0.1:9", tenant: "acme", keyset: vector("keyset-v1.json") };

/** A keyset whose payload was changed in transit (one character of the base64). */
function tampered(file) {
  const envelope = JSON.parse(vector(file));
  const i = 40;
  envelope.payload = envelope.payload.slice(0, i) + (envelope.payload[i] === "A" ? "B" : "A") + envelope.payload.slice(i + 1);
  return JSON.stringify(envelope);
}

const trust = (pinned, stored, now = NOW) => trustedKeyset(verify, { tenant: "acme", now, pinned: vector(pinned), stored: stored && [].concat(stored).map(vector) });
const offer = (current, fetched, now = NOW) => offerKeyset(verify, { tenant: "acme", now, trust: current, fetched });

test("shared: an update verified against the pinned keyset is accepted; the same one again is unchanged", () => {
  const pinned = trust("keyset-v1.json");
  assert.deepEqual([pinned.source, pinned.info.version, pinned.problem], ["pinned", 1, null]);
  const update = offer(pinned, vector("keyset-v2.json"));
  assert.deepEqual([update.outcome, update.trust.source, update.trust.info.version, update.refusal], ["updated", "update", 2, null]);
  assert.equal(offer(update.trust, vector("keyset-v2.json")).outcome, "unchanged");
  assert.equal(offer(pinned, vector("keyset-v1.json")).outcome, "unchanged");
});

for (const [name, current, fetched, code] of /** @type {[string, string, () => string, string][]} */ ([
  ["rollback", "keyset-v2.json", () => vector("keyset-v1.json"), "rollback"],
  ["revocation dropped", "keyset-v2.json", () => vector("keyset-v3-unrevokes-signer-2.json"), "revocation_dropped"],
  ["root rotation signed by the new root only", "keyset-v2.json", () => vector("keyset-v3-signed-by-new-root-only.json"), "unknown_key"],
  ["root rotation signed by the old root only", "keyset-v2.json", () => vector("keyset-v3-signed-by-old-root-only.json"), "unknown_key"],
  ["same version, other content", "keyset-v2.json", () => vector("keyset-v2-other-content.json"), "same_version_different_content"],
  ["another tenant's keyset", "keyset-v1.json", () => vector("keyset-globex.json"), "wrong_tenant"],
  ["tampered in transit", "keyset-v1.json", () => tampered("keyset-v2.json"), "bad_signature"],
  ["not a keyset", "keyset-v1.json", () => vector("policy-v5.json"), "wrong_payload_type"]
])) {
  test(`shared: ${name} is refused (${code}) and the trusted keyset stays`, () => {
    const before = trust(current);
    const result = offer(before, fetched());
    assert.deepEqual([result.outcome, result.refusal.code], ["refused", code]);
    assert.equal(result.trust, before);
  });
}

test("shared: an expired keyset is refused as an update, but an expired trusted keyset accepts its successor", () => {
  const atDay3 = NOW + 2 * DAY; // keyset-v2-expires-day-2 expired at T0 + 2 days
  const expired = offer(trust("keyset-v1.json", null, atDay3), vector("keyset-v2-expires-day-2.json"), atDay3);
  assert.deepEqual([expired.outcome, expired.refusal.code], ["refused", "expired"]);
  const stale = trust("keyset-v2-expires-day-2.json", null, atDay3);
  assert.deepEqual([stale.info.version, stale.problem.code], [2, "expired"]);
  const renewed = offer(stale, vector("keyset-v3-rotated.json"), atDay3);
  assert.deepEqual([renewed.outcome, renewed.trust.info.version], ["updated", 3]);
});

test("shared: a stored keyset is trusted only as a verified update of the pinned one, for this tenant", () => {
  assert.deepEqual([trust("keyset-v1.json", "keyset-v2.json").source, trust("keyset-v1.json", "keyset-v2.json").info.version], ["update", 2]);
  assert.equal(trust("keyset-v1.json", "keyset-v3-rotated.json").info.version, 3);
  // The administrator pinned v3 since v2 was stored: the pinned one wins, nothing to report.
  const repinned = trust("keyset-v3-rotated.json", "keyset-v2.json");
  assert.deepEqual([repinned.source, repinned.info.version, repinned.problem], ["pinned", 3, null]);
  // Another tenant's keyset in storage is not this tenant's trust.
  const other = trust("keyset-v1.json", "keyset-globex.json");
  assert.deepEqual([other.source, other.info.version], ["pinned", 1]);
  // Valid on its own (its own root signed it) but not by the pinned root: set aside, and said.
  const forged = trust("keyset-v2.json", "keyset-v3-signed-by-new-root-only.json");
  assert.deepEqual([forged.source, forged.info.version, forged.problem.code], ["pinned", 2, "unknown_key"]);
});

test("shared: the stored chain is followed link by link from the pinned keyset, past a root rotation", () => {
  // v4 is signed by root B alone: it verifies only through v3, which A and B signed.
  const chained = trust("keyset-v1.json", ["keyset-v3-rotated.json", "keyset-v4-root-b-only.json"]);
  assert.deepEqual([chained.source, chained.info.version, chained.chain.length, chained.problem], ["update", 4, 2, null]);
  const unlinked = trust("keyset-v1.json", ["keyset-v4-root-b-only.json"]);
  assert.deepEqual([unlinked.info.version, unlinked.problem.code], [1, "unknown_key"]);
  // A broken link leaves trust where the chain was still good.
  const broken = trust("keyset-v1.json", ["keyset-v2.json", "keyset-v3-unrevokes-signer-2.json", "keyset-v3-rotated.json"]);
  assert.deepEqual([broken.info.version, broken.problem.code], [2, "revocation_dropped"]);
});

test("shared: an accepted update is chained after the earliest keyset it updates directly", () => {
  const v2 = offer(trust("keyset-v1.json"), vector("keyset-v2.json")).trust;
  assert.deepEqual(v2.chain, [vector("keyset-v2.json")]);
  const v3 = offer(v2, vector("keyset-v3-rotated.json")).trust;
  assert.deepEqual(v3.chain, [vector("keyset-v3-rotated.json")], "root A signed v3: v2 is not needed to reach it");
  const v4 = offer(v3, vector("keyset-v4-root-b-only.json")).trust;
  assert.deepEqual(v4.chain, [vector("keyset-v3-rotated.json"), vector("keyset-v4-root-b-only.json")], "only root B signed v4");
  assert.equal(trustedKeyset(verify, { tenant: "acme", now: NOW, pinned: vector("keyset-v1.json"), stored: v4.chain }).info.version, 4);
});

/**
 * A policy server on 127.0.0.1 (faked at the fetch level): serves `keyset` (a vector name, a
 * text, or null for 404) with an ETag, and `policy` (a vector name); `down` throws.
 */
function fakeServer() {
  const server = { keyset: "keyset-v1.json", policy: "policy-v5.json", down: false, keysetRequests: [] };
  server.fetch = async (url, init) => {
    if (server.down) throw new TypeError("NetworkError when attempting to fetch resource.");
    if (url === "http://127.0.0.1:9/v1/tenants/acme/keyset") {
      server.keysetRequests.push(init.headers);
      if (server.keyset === null) return { status: 404, ok: false, text: async () => "", headers: { get: () => null } };
      const body = server.keyset.startsWith("{") ? server.keyset : vector(server.keyset);
      const etag = `"${body.length}-${body.slice(-20, -3)}"`;
      if (init.headers["If-None-Match"] === etag) return { status: 304, ok: false, text: async () => "", headers: { get: () => etag } };
      return { status: 200, ok: true, text: async () => body, headers: { get: (h) => (h.toLowerCase() === "etag" ? etag : null) } };
    }
    assert.equal(url, "http://127.0.0.1:9/v1/tenants/acme/policy");
    const body = vector(server.policy);
    return { status: 200, ok: true, text: async () => body, headers: { get: () => null } };
  };
  return server;
}

function setup() {
  const server = fakeServer();
  const storage = fakeStorageArea();
  const sync = createPolicySync({ fetch: server.fetch, storage, engine: async () => realEngineApi, now: () => NOW });
  /** The policy in force recognises acme.example (the signed policies' internal domain). */
  const signedPolicyInForce = async () => (await sync.currentEngine(config)).check({ to: ["x@acme.exmaple"] }, { known: [] }).findings.some((f) => f.suggestion === "acme.example");
  return { server, storage, sync, signedPolicyInForce };
}

test("a revoked signing key: after keyset v2, signer-2's policy is set aside and signer-3's accepted", async () => {
  const { server, storage, sync, signedPolicyInForce } = setup();
  server.policy = "policy-signed-by-signer-2.json";
  assert.equal(await sync.refresh(config), "updated");
  assert.equal((await sync.status(config)).version, 6);
  assert.equal(await signedPolicyInForce(), true);

  server.keyset = "keyset-v2.json"; // the administrator revoked signer-2
  assert.equal(await sync.refresh(config), "refused", "the same bundle, now signed by a revoked key");
  const status = await sync.status(config);
  assert.equal(status.error.code, "revoked_key");
  assert.deepEqual(status.keyset, { version: 2, source: "update", error: null });
  assert.equal(JSON.parse(JSON.stringify(storage.data.get("keyset:acme"))).version, 2);
  assert.equal(await signedPolicyInForce(), false, "the stored signer-2 policy no longer verifies: the built-in checks run");

  server.policy = "policy-signed-by-signer-3.json";
  assert.equal(await sync.refresh(config), "updated");
  assert.deepEqual([(await sync.status(config)).version, await signedPolicyInForce()], [7, true]);
  assert.equal(server.keysetRequests.at(-1)["If-None-Match"], `"${vector("keyset-v2.json").length}-${vector("keyset-v2.json").slice(-20, -3)}"`, "the keyset is fetched with its ETag");
});

test("without the update, signer-3's policy is refused: keyset v1 does not list signer-3", async () => {
  const { server, sync } = setup();
  server.policy = "policy-signed-by-signer-3.json";
  assert.equal(await sync.refresh(config), "refused");
  assert.equal((await sync.status(config)).error.code, "unknown_key");
});

test("a rollback to keyset v1 is refused, shown, and v2 stays trusted (also after a restart)", async () => {
  const { server, storage, sync } = setup();
  server.keyset = "keyset-v2.json";
  await sync.refresh(config);
  server.keyset = "keyset-v1.json";
  await sync.refresh(config);
  const status = await sync.status(config);
  assert.deepEqual([status.keyset.version, status.keyset.source, status.keyset.error.code], [2, "update", "rollback"]);
  assert.match(describeStatus(status, "acme"), /Keyset version 2 \(updated from the server\)\. Keyset problem: A keyset from the server was refused: .*\(rollback\); the keyset trusted before stays in force\./);
  const restarted = createPolicySync({ fetch: server.fetch, storage, engine: async () => realEngineApi, now: () => NOW });
  assert.equal((await restarted.status(config)).keyset.version, 2);
});

test("a keyset tampered in transit is refused and the old trust is kept; policies still verify", async () => {
  const { server, storage, sync, signedPolicyInForce } = setup();
  server.keyset = tampered("keyset-v2.json");
  assert.equal(await sync.refresh(config), "updated", "policy v5 (signer-1) verifies against the trusted v1");
  const status = await sync.status(config);
  assert.deepEqual([status.keyset.version, status.keyset.source, status.keyset.error.code], [1, "pinned", "bad_signature"]);
  assert.equal(storage.data.has("keyset:acme"), false);
  assert.equal(await signedPolicyInForce(), true);
});

test("a root rotation is followed: v2 then v3 (new root), and signer-1's policy still verifies", async () => {
  const { server, storage, sync, signedPolicyInForce } = setup();
  server.keyset = "keyset-v2.json";
  await sync.refresh(config);
  server.keyset = "keyset-v3-rotated.json";
  assert.equal(await sync.refresh(config), "updated");
  assert.deepEqual((await sync.status(config)).keyset, { version: 3, source: "update", error: null });
  assert.equal(storage.data.get("keyset:acme").version, 3);
  assert.equal(await signedPolicyInForce(), true);
});

test("after a root rotation the next keyset (signed by the new root only) is followed, also after a restart", async () => {
  const { server, storage, sync, signedPolicyInForce } = setup();
  for (const keyset of ["keyset-v2.json", "keyset-v3-rotated.json", "keyset-v4-root-b-only.json"]) {
    server.keyset = keyset;
    await sync.refresh(config);
  }
  assert.equal(await sync.refresh(config), "refused", "v4 revokes signer-1, which signed policy v5");
  assert.equal((await sync.status(config)).error.code, "revoked_key");
  assert.equal(await signedPolicyInForce(), false);
  server.policy = "policy-signed-by-signer-3.json";
  const restarted = createPolicySync({ fetch: server.fetch, storage, engine: async () => realEngineApi, now: () => NOW });
  assert.equal(await restarted.refresh(config), "updated");
  assert.deepEqual((await restarted.status(config)).keyset, { version: 4, source: "update", error: null });
  assert.equal(storage.data.get("keyset:acme").chain.length, 2);
  assert.equal(await signedPolicyInForce(), true);
});

test("an unreachable server or a missing keyset keeps the current trust", async () => {
  const { server, sync, signedPolicyInForce } = setup();
  server.keyset = "keyset-v2.json";
  server.policy = "policy-signed-by-signer-3.json";
  await sync.refresh(config);
  server.down = true;
  assert.equal(await sync.refresh(config), "failed");
  assert.deepEqual([(await sync.status(config)).keyset.version, (await sync.status(config)).keyset.error.code], [2, "unreachable"]);
  assert.equal(await signedPolicyInForce(), true);
  server.down = false;
  server.keyset = null;
  await sync.refresh(config);
  assert.deepEqual([(await sync.status(config)).keyset.version, (await sync.status(config)).keyset.error.code], [2, "http_404"]);
  assert.equal(await signedPolicyInForce(), true);
});

test("the administrator pins a newer keyset than the stored one: the pinned one is in force", async () => {
  const { server, sync } = setup();
  server.keyset = "keyset-v2.json";
  await sync.refresh(config);
  const repinned = { ...config, keyset: vector("keyset-v3-rotated.json") };
  server.keyset = "keyset-v3-rotated.json";
  await sync.refresh(repinned);
  assert.deepEqual((await sync.status(repinned)).keyset, { version: 3, source: "pinned", error: null });
});

test("a stored keyset of another tenant is not trusted for acme", async () => {
  const { server, storage, sync } = setup();
  storage.data.set("keyset:acme", { tenant: "acme", chain: [vector("keyset-globex.json")], version: 1, acceptedAt: NOW });
  server.down = true;
  await sync.refresh(config);
  assert.deepEqual([(await sync.status(config)).keyset.version, (await sync.status(config)).keyset.source], [1, "pinned"]);
});
