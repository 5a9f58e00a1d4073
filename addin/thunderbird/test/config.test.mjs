import assert from "node:assert/strict";
import { test } from "node:test";

import { normaliseServer, readConfig } from "../lib/config.js";
import { fakeMessenger } from "./fake-messenger.mjs";

const options = { server: "https://policy.example.org/", tenant: "acme", keyset: "{...}" };

test("without an administrator policy (managed storage throws) the options are in force", async () => {
  const messenger = fakeMessenger({ local: { config: options } });
  assert.deepEqual(await readConfig(messenger.storage), { source: "options", server: "https://policy.example.org", tenant: "acme", keyset: "{...}" });
});

test("an administrator policy wins over the options page", async () => {
  const managed = { server: "https://admin.example.org", tenant: "gov", keyset: "{k}" };
  const messenger = fakeMessenger({ managed, local: { config: options } });
  assert.deepEqual(await readConfig(messenger.storage), { source: "managed", ...managed });
});

test("an incomplete administrator policy does not count; nothing set means none", async () => {
  const messenger = fakeMessenger({ managed: { server: "https://admin.example.org" } });
  assert.deepEqual(await readConfig(messenger.storage), { source: "none" });
});

test("server URLs must be http(s)", () => {
  assert.throws(() => normaliseServer("ftp://x.example"), /http or https/);
  assert.throws(() => normaliseServer("not a url"));
  assert.equal(normaliseServer(" http://127.0.0.1:8080/ "), "http://127.0.0.1:8080");
});
