import assert from "node:assert/strict";
import { test } from "node:test";

import { addressOf, applyChoices } from "../lib/fixes.js";

test("Fix replaces only the address: display name and quoting stay", () => {
  const details = { to: ["Colonel Smith <colonel.smith@army.ml>", "\"Doe, Jane\" <jane@example.org>"], cc: ["bob@example.com"] };
  const changed = applyChoices(details, [{ field: "to", recipient: "colonel.smith@army.ml", choice: "fix", fix: "colonel.smith@army.mil" }]);
  assert.deepEqual(changed, { to: ["Colonel Smith <colonel.smith@army.mil>", "\"Doe, Jane\" <jane@example.org>"] });
  assert.deepEqual(details.to[0], "Colonel Smith <colonel.smith@army.ml>", "the input is not modified");
});

test("the address is matched without regard to case, in the right field only", () => {
  const details = { to: ["Bob <BOB@Exmaple.com>"], cc: ["Bob <bob@exmaple.com>"] };
  const changed = applyChoices(details, [{ field: "cc", recipient: "bob@exmaple.com", choice: "fix", fix: "bob@example.com" }]);
  assert.deepEqual(changed, { cc: ["Bob <bob@example.com>"] });
});

test("Remove drops the recipient; several choices build on each other", () => {
  const details = { to: ["a@army.ml", "B <b@gmial.com>", "c@example.org"] };
  const changed = applyChoices(details, [
    { field: "to", recipient: "a@army.ml", choice: "remove" },
    { field: "to", recipient: "b@gmial.com", choice: "fix", fix: "b@gmail.com" }
  ]);
  assert.deepEqual(changed, { to: ["B <b@gmail.com>", "c@example.org"] });
});

test("a single string field, contacts by id, and unknown recipients", () => {
  const contact = { id: "abc", type: "contact" };
  const changed = applyChoices({ to: "x@army.ml", bcc: [contact, "y@army.ml"] }, [
    { field: "to", recipient: "x@army.ml", choice: "fix", fix: "x@army.mil" },
    { field: "bcc", recipient: "y@army.ml", choice: "remove" },
    { field: "cc", recipient: "nobody@example.org", choice: "remove" }
  ]);
  assert.deepEqual(changed, { to: ["x@army.mil"], bcc: [contact] });
});

test("addressOf reads bare and bracketed forms", () => {
  assert.equal(addressOf("  a@b.c "), "a@b.c");
  assert.equal(addressOf("\"A <x> B\" <a@b.c>"), "a@b.c");
});
