import assert from "node:assert/strict";
import { test } from "node:test";

import { createPolicySync, STALE_AFTER_SECONDS } from "../lib/policy-sync.js";
import { fakeStorageArea } from "./fake-messenger.mjs";

// A stand-in for the engine's bundle check (the real one is Rust, tested in crates/core and
// by the WebAssembly suite): bundles here are JSON {version, signed}; unsigned ones and
// older ones are refused with the engine's codes.
function fakeVerify({ bundle, held }) {
  const b = JSON.parse(bundle);
  const refuse = (code) => Object.assign(new Error(code), { code });
  if (!b.signed) throw refuse("bad_signature");
  if (held && b.version < held.version) throw refuse("rollback");
  return { engine: { name: `engine v${b.version}` }, version: b.version, digest: `d${b.version}`.padEnd(64, "0"), expiresAt: b.expiresAt };
}

// Keysets here are the pinned "{}" only, which the server serves unchanged (keyset updates
// are tested with the real engine in keyset-updates.test.mjs).
// Trusts the pinned keyset and finds every fetched one the same.
const fakeTrustKeysets = (request) => ({
  keyset: request.pinned, source: "pinned", info: { tenant: "acme", version: 1, issued_at: 0, expires_at: 2 ** 40, digest: request.pinned.padEnd(64, "0") },
  chain: [], problem: null, outcome: request.fetched === undefined ? null : "unchanged", refusal: null
});

/** @type {import("../lib/config.js").Config} */
const config = { source: "options", server: "http://127.0.0.1:9", tenant: "acme", keyset: "{}" };

/** A fake server: answers policy requests from `responses` in order, recording them. */
function fakeServer(responses) {
  const requests = [];
  /** @param {string} url @param {any} init @returns {Promise<any>} a Response's used part */
  const fetch = async (url, init) => {
    if (url.endsWith("/keyset")) return { status: 200, ok: true, text: async () => "{}", headers: { get: () => null } };
    requests.push({ url, headers: init.headers });
    const r = responses.shift();
    if (r instanceof Error) throw r;
    return { status: r.status, ok: r.status >= 200 && r.status < 300, text: async () => r.body, headers: { get: (h) => (h.toLowerCase() === "etag" ? r.etag || null : null) } };
  };
  return { fetch, requests };
}

/** The engine as the extension sees it, around a verify function. */
/** @returns {() => Promise<any>} */
const fakeEngine = (verify) => async () => ({ verify, trustKeysets: fakeTrustKeysets, defaultEngine: () => ({ name: "built-in" }) });

function setup(responses) {
  const server = fakeServer(responses);
  const storage = fakeStorageArea();
  let clock = 1_000_000;
  const sync = createPolicySync({ fetch: server.fetch, storage, engine: fakeEngine(fakeVerify), now: () => clock });
  return { server, storage, sync, tick: (s) => (clock += s) };
}

test("a verified bundle is stored with its ETag, and the next fetch is conditional", async () => {
  const { server, sync, storage } = setup([
    { status: 200, body: JSON.stringify({ version: 3, signed: true }), etag: "\"v3\"" },
    { status: 304 }
  ]);
  assert.equal(await sync.refresh(config), "updated");
  assert.equal(server.requests[0].url, "http://127.0.0.1:9/v1/tenants/acme/policy");
  assert.equal(server.requests[0].headers["If-None-Match"], undefined);
  assert.equal(storage.data.get("policy").version, 3);
  assert.equal(await sync.refresh(config), "unchanged");
  assert.equal(server.requests[1].headers["If-None-Match"], "\"v3\"");
  assert.deepEqual(await sync.currentEngine(config), { name: "engine v3" });
});

test("a tampered bundle is refused, recorded, and the last good one stays in force", async () => {
  const { sync } = setup([
    { status: 200, body: JSON.stringify({ version: 3, signed: true }), etag: "a" },
    { status: 200, body: JSON.stringify({ version: 4, signed: false }), etag: "b" }
  ]);
  await sync.refresh(config);
  assert.equal(await sync.refresh(config), "refused");
  const status = await sync.status(config);
  assert.equal(status.version, 3);
  assert.equal(status.error.code, "bad_signature");
  assert.deepEqual(await sync.currentEngine(config), { name: "engine v3" });
});

test("an older bundle (rollback) is refused because the held version is passed to the check", async () => {
  const { sync } = setup([
    { status: 200, body: JSON.stringify({ version: 5, signed: true }) },
    { status: 200, body: JSON.stringify({ version: 4, signed: true }) }
  ]);
  await sync.refresh(config);
  assert.equal(await sync.refresh(config), "refused");
  assert.equal((await sync.status(config)).error.code, "rollback");
  assert.equal((await sync.status(config)).version, 5);
});

test("server errors and unreachable servers keep the last good policy; a success clears the error", async () => {
  const { sync, tick } = setup([
    { status: 200, body: JSON.stringify({ version: 1, signed: true }), etag: "x" },
    { status: 503 },
    new Error("connection refused"),
    { status: 304 }
  ]);
  await sync.refresh(config);
  assert.equal(await sync.refresh(config), "failed");
  assert.equal((await sync.status(config)).error.code, "http_503");
  assert.equal(await sync.refresh(config), "failed");
  assert.equal((await sync.status(config)).error.code, "unreachable");
  tick(STALE_AFTER_SECONDS + 1);
  assert.equal((await sync.status(config)).stale, true);
  assert.equal(await sync.refresh(config), "unchanged");
  const status = await sync.status(config);
  assert.deepEqual([status.version, status.stale, status.error], [1, false, null]);
});

test("an expired policy is shown as stale", async () => {
  const { sync, tick } = setup([{ status: 200, body: JSON.stringify({ version: 2, signed: true, expiresAt: 1_000_100 }) }]);
  await sync.refresh(config);
  assert.equal((await sync.status(config)).stale, false);
  tick(100);
  assert.equal((await sync.status(config)).stale, true);
});

test("without configuration nothing is fetched and the built-in checks are in force", async () => {
  const { sync, server } = setup([]);
  assert.equal(await sync.refresh({ source: "none" }), "unconfigured");
  assert.equal(server.requests.length, 0);
  assert.deepEqual(await sync.currentEngine({ source: "none" }), { name: "built-in" });
  assert.deepEqual(await sync.status({ source: "none" }), { version: null, error: null });
});

test("a stored policy that no longer verifies (its key revoked, a new keyset) falls back to the built-in checks", async () => {
  const storage = fakeStorageArea();
  let revoked = false;
  const verify = (input) => {
    if (revoked) throw Object.assign(new Error("signed by a revoked key"), { code: "revoked_key" });
    return fakeVerify(input);
  };
  const responses = [{ status: 200, body: JSON.stringify({ version: 2, signed: true }) }];
  const { fetch } = fakeServer(responses);
  const first = createPolicySync({ fetch, storage, engine: fakeEngine(verify), now: () => 1 });
  await first.refresh(config);
  revoked = true;
  // A new page (after the event page was suspended) has no engine in memory.
  const restarted = createPolicySync({ fetch, storage, engine: fakeEngine(verify), now: () => 2 });
  assert.deepEqual(await restarted.currentEngine(config), { name: "built-in" });
  assert.equal((await restarted.status(config)).error.code, "revoked_key");
});

test("another tenant starts from nothing: its version 1 is no rollback, and acme's policy is not its", async () => {
  const { sync } = setup([
    { status: 200, body: JSON.stringify({ version: 5, signed: true }) },
    { status: 200, body: JSON.stringify({ version: 1, signed: true }) }
  ]);
  await sync.refresh(config);
  const globex = { ...config, tenant: "globex" };
  assert.equal((await sync.status(globex)).version, null);
  assert.deepEqual(await sync.currentEngine(globex), { name: "built-in" });
  assert.equal(await sync.refresh(globex), "updated");
  assert.equal((await sync.status(globex)).version, 1);
});
