// End-to-end: a real Thunderbird sends through the local SMTP sink, driven by the test-only
// driver extension. Run by scripts/suites/60-thunderbird-e2e.sh.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { startThunderbird } from "./harness.mjs";
import { headerOf } from "./smtp-sink.mjs";

/** @type {Awaited<ReturnType<typeof startThunderbird>>} */
let tb;

before(async () => {
  tb = await startThunderbird({ extensions: [], sender: { name: "Alice Jones", email: "alice.jones@northwind.org" } });
});

after(async () => {
  if (tb) await tb.stop();
});

test("a clean draft reaches the SMTP sink", async () => {
  const outcome = await tb.send({ name: "clean", to: ["Bob Example <bob@contoso.com>"], subject: "Hello", body: "Hi Bob." });
  assert.equal(outcome.result, "sent", JSON.stringify(outcome));
  assert.equal(tb.sink.messages.length, 1);
  const [message] = tb.sink.messages;
  assert.deepEqual(message.rcptTo, ["bob@contoso.com"]);
  assert.equal(headerOf(message.data, "To"), "Bob Example <bob@contoso.com>");
  assert.equal(message.mailFrom, "alice.jones@northwind.org");
});
