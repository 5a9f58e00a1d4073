// A signed policy's own decisions, followed by the add-in as the engine reports them (the
// real engine, real bundles signed by the CLI): its `fail_mode` when a check cannot run, and
// the core's one expiry rule when it has expired.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { send, config, storedBundle } from "./helpers.mjs";
import { signedTenant, realNow } from "./signed.mjs";

const acme = signedTenant("acme");
after(() => acme.remove());

const DAY = 86400;
/** The packaged configuration: the keyset pinned, the packaged fail mode "warn". */
const pinned = () => config(null, { keyset: acme.keyset, failMode: "warn" });

test("a signed policy's fail_mode decides a check that cannot run, not the packaged one", async () => {
  const bundle = acme.sign({ fail_mode: "block" }, 1);
  const { completed } = await send(
    { to: ["bob@example.com"], failing: ["to.getAsync"], roaming: { "sendguard.bundle": storedBundle(bundle) } },
    { config: pinned(), now: realNow() }
  );
  assert.equal(completed.allowEvent, false);
  assert.match(completed.errorMessage, /could not check/);
  assert.equal(completed.sendModeOverride, undefined, "block: no Send Anyway, as the signed policy says");
});

test("an expired signed policy runs none of its rules: every draft gets its fail mode, told why and what to do", async () => {
  const bundle = acme.sign({ fail_mode: "block", trusted_domains: ["army.ml"] }, 2, "1d");
  const later = realNow() + 2 * DAY;
  for (const to of [["bob@army.mil"], ["colonel.smith@army.ml"]]) {
    const { completed } = await send({ to, mailbox: "1.15", roaming: { "sendguard.bundle": storedBundle(bundle) } }, { config: pinned(), now: later });
    assert.equal(completed.allowEvent, false, `${to}: never a silent pass`);
    assert.equal(completed.sendModeOverride, undefined, "block, as the expired policy says");
    assert.match(completed.errorMessage, /^Ask your IT administrator to renew Sendguard's policy, then send again: Sendguard could not check this email because its policy expired on \d{4}-\d\d-\d\d\.$/);
    assert.match(completed.errorMessageMarkdown, /^\*\*Sendguard could not check this email\.\*\*\r\r- Ask your IT administrator/);
  }
});

test("a meeting invite is checked like a message: attendees as recipients, no Fix button", async () => {
  const bundle = acme.sign({ blocked_domains: ["ml"] }, 3);
  const { completed, fake } = await send(
    { appointment: true, to: ["Colonel Smith <colonel.smith@army.ml>"], cc: ["carol@army.mil"], mailbox: "1.15", roaming: { "sendguard.bundle": storedBundle(bundle) } },
    { config: pinned(), now: realNow() }
  );
  assert.equal(completed.allowEvent, false);
  assert.match(completed.errorMessage, /army\.ml/);
  assert.equal(completed.commandId, undefined, "the Fix button opens the message pane: not offered for invites");
  assert.ok(fake.calls.includes("requiredAttendees.getAsync") && fake.calls.includes("optionalAttendees.getAsync"));
  assert.ok(!fake.calls.includes("to.getAsync"), "an appointment has no To field");
  const clean = await send({ appointment: true, to: ["bob@army.mil"], roaming: { "sendguard.bundle": storedBundle(bundle) } }, { config: pinned(), now: realNow() });
  assert.deepEqual(clean.completed, { allowEvent: true });
});
