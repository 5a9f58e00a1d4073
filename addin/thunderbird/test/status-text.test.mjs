import assert from "node:assert/strict";
import { test } from "node:test";

import { describeHistory, describeStatus, humanAge } from "../lib/status-text.js";

test("the options page names the version, its age, staleness and the last problem", () => {
  assert.equal(describeStatus({ version: null, error: null }, null), "No signed policy yet: the built-in checks are in force.");
  const text = describeStatus({ version: 7, ageSeconds: 7200, stale: true, error: { code: "bad_signature", message: "A policy from the server was refused: signature" } }, "northwind");
  assert.equal(
    text,
    "Policy version 7 for northwind, checked 2 h ago. It is stale: the server has not confirmed it recently. " +
      "Last problem: A policy from the server was refused: signature (bad_signature); the last good policy stays in force."
  );
});

test("ages read naturally", () => {
  assert.deepEqual([humanAge(-3), humanAge(45), humanAge(600), humanAge(36000), humanAge(3 * 86400)], ["0 s", "45 s", "10 min", "10 h", "3 days"]);
});

test("the options page names the trusted keyset's version, where it came from, and a refusal", () => {
  const base = { version: 7, ageSeconds: 60, stale: false, error: null };
  assert.equal(describeStatus({ ...base, keyset: { version: 1, source: "pinned", error: null } }, "acme"), "Policy version 7 for acme, checked 60 s ago. Keyset version 1 (as pinned).");
  assert.equal(
    describeStatus({ ...base, keyset: { version: 2, source: "update", error: { code: "rollback", message: "A keyset from the server was refused: older" } } }, "acme"),
    "Policy version 7 for acme, checked 60 s ago. Keyset version 2 (updated from the server). " +
      "Keyset problem: A keyset from the server was refused: older (rollback); the keyset trusted before stays in force."
  );
  assert.match(describeStatus({ version: null, error: null, keyset: { version: null, source: "pinned", error: { code: "malformed", message: "bad" } } }, "acme"), /The pinned keyset does not verify\. Keyset problem: bad \(malformed\)/);
});

test("the options page says how many addresses are known, since when, and whether the import is still running", () => {
  const base = { entries: 1234, rejected: 0, updatedAt: 1000, forgottenAt: null, importing: false };
  assert.equal(describeHistory(base, 1600), "Sendguard knows 1,234 addresses you wrote to or keep in your address books, last updated 10 min ago.");
  assert.equal(
    describeHistory({ ...base, entries: 1, importing: true, forgottenAt: 400, rejected: 2 }, 1600),
    "Sendguard knows 1 address you wrote to or keep in your address books, last updated 10 min ago. It is still reading your address books and Sent folders. " +
      "Forgotten 20 min ago; learned since from what you send. 2 stored line(s) could not be read and are ignored."
  );
  assert.equal(describeHistory({ ...base, entries: 0, updatedAt: null }, 1600), "Sendguard knows 0 addresses you wrote to or keep in your address books.");
});
