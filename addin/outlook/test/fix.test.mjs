// The fix command: the dialog's contextData → the task pane's buttons → setAsync on the right
// field, changing exactly the offending address.
import { test } from "node:test";
import assert from "node:assert/strict";
import { send } from "./helpers.mjs";
import { fakeOutlook } from "./fake-outlook.mjs";
import { applyFix, removeRecipient } from "../src/fix.js";
import { fixesFromContext, replaceLabel, policyLine } from "../src/taskpane.js";

const plain = (list) => list.map((r) => ({ displayName: r.displayName, emailAddress: r.emailAddress }));

test("Fix: the dialog's fix rewrites exactly the offending address, then the send goes", async () => {
  const draft = {
    to: ["Colonel Smith <colonel.smith@army.ml>", "Bob <bob@army.mil>", "\"Smith, Jane\" <jane.smith@army.mil>"],
    cc: ["Carol <carol@army.mil>"],
    bcc: ["audit@army.mil"]
  };
  const first = await send(draft);
  const fixes = fixesFromContext(first.completed.contextData);
  assert.equal(fixes.length, 1);
  assert.equal(replaceLabel(fixes[0]), "Replace army.ml with army.mil");

  const { office, fields } = fakeOutlook(draft);
  const before = { cc: plain(fields.cc), bcc: plain(fields.bcc) };
  assert.equal(await applyFix(office.context.mailbox.item, fixes[0]), 1);
  assert.deepEqual(plain(fields.to), [
    { displayName: "Colonel Smith", emailAddress: "colonel.smith@army.mil" },
    { displayName: "Bob", emailAddress: "bob@army.mil" },
    { displayName: "Smith, Jane", emailAddress: "jane.smith@army.mil" }
  ]);
  assert.deepEqual({ cc: plain(fields.cc), bcc: plain(fields.bcc) }, before, "other fields untouched");

  const again = await send({ to: fields.to.map((r) => `"${r.displayName}" <${r.emailAddress}>`), cc: draft.cc, bcc: draft.bcc });
  assert.deepEqual(again.completed, { allowEvent: true });
});

test("Fix: a recipient shown by its address gets the corrected address as its name", async () => {
  const { office, fields } = fakeOutlook({ cc: ["x@gmial.com", "y@example.org"] });
  await applyFix(office.context.mailbox.item, /** @type {any} */ ({ field: "cc", recipient: "x@gmial.com", fix: "x@gmail.com" }));
  assert.deepEqual(plain(fields.cc), [
    { displayName: "x@gmail.com", emailAddress: "x@gmail.com" },
    { displayName: "y@example.org", emailAddress: "y@example.org" }
  ]);
});

test("Fix: the address is matched case-insensitively, only in the named field", async () => {
  const { office, fields, calls } = fakeOutlook({ to: ["ops@army.ml"], bcc: ["OPS@ARMY.ML"] });
  await applyFix(office.context.mailbox.item, /** @type {any} */ ({ field: "bcc", recipient: "ops@army.ml", fix: "ops@army.mil" }));
  assert.deepEqual(fields.to.map((r) => r.emailAddress), ["ops@army.ml"]);
  assert.deepEqual(fields.bcc.map((r) => r.emailAddress), ["ops@army.mil"]);
  assert.ok(!calls.includes("to.setAsync"));
});

test("Remove recipient removes only that one", async () => {
  const { office, fields } = fakeOutlook({ to: ["a@example.org", "Colonel <colonel.smith@army.ml>", "b@example.org"] });
  await removeRecipient(office.context.mailbox.item, /** @type {any} */ ({ field: "to", recipient: "colonel.smith@army.ml", fix: null }));
  assert.deepEqual(fields.to.map((r) => r.emailAddress), ["a@example.org", "b@example.org"]);
});

test("Fix: a recipient already gone is reported, and nothing is written", async () => {
  const { office, calls } = fakeOutlook({ to: ["a@example.org"] });
  await assert.rejects(applyFix(office.context.mailbox.item, /** @type {any} */ ({ field: "to", recipient: "colonel.smith@army.ml", fix: "colonel.smith@army.mil" })), /no longer in TO/);
  assert.ok(!calls.includes("to.setAsync"));
  await assert.rejects(applyFix(office.context.mailbox.item, /** @type {any} */ ({ field: "from", recipient: "a@example.org", fix: "b@example.org" })), /not a recipient field/);
});

test("Fix: a failed setAsync is reported", async () => {
  const { office } = fakeOutlook({ to: ["x@army.ml"], failing: ["to.setAsync"] });
  await assert.rejects(applyFix(office.context.mailbox.item, /** @type {any} */ ({ field: "to", recipient: "x@army.ml", fix: "x@army.mil" })), /setAsync: to\.setAsync failed/);
});

test("contextData: only well-formed Sendguard fixes are read", () => {
  assert.deepEqual(fixesFromContext(null), []);
  assert.deepEqual(fixesFromContext("{"), []);
  assert.deepEqual(fixesFromContext(JSON.stringify({ fixes: [{ field: "to", recipient: "a@b.c" }] })), [], "no sendguard marker");
  const fixes = fixesFromContext(JSON.stringify({ sendguard: 1, fixes: [{ field: "to", recipient: "a@b.ml", fix: "a@b.mil" }, { field: "from", recipient: "x" }, null] }));
  assert.deepEqual(fixes.map((f) => f.recipient), ["a@b.ml"]);
});

test("labels: domain swaps, whole-address swaps and the policy line", () => {
  assert.equal(replaceLabel(/** @type {any} */ ({ recipient: "jon.smith@example.org", fix: "john.smith@example.org" })), "Replace jon.smith@example.org with john.smith@example.org");
  assert.equal(policyLine(/** @type {any} */ ({ version: 7, tenant: "acme", stale: false, source: "stored" }), null), "Policy version 7 for acme: current");
  assert.equal(policyLine(/** @type {any} */ ({ version: 7, tenant: "acme", stale: true, source: "stored" }), null), "Policy version 7 for acme: stale (expired)");
  assert.equal(policyLine(/** @type {any} */ ({ version: null, tenant: "acme", stale: false, source: "baked" }), null), "Built-in policy for acme");
  assert.equal(policyLine(null, "no policy is stored or built in"), "No policy: no policy is stored or built in");
});
