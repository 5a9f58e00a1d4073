import assert from "node:assert/strict";
import { test } from "node:test";

import { describeStatus, humanAge } from "../lib/status-text.js";

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
