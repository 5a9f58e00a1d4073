// Applying a proposed fix to the draft from the task pane (not from OnMessageSend, where
// changing recipients is unreliable: office-js issue 5132). Only the offending recipient in
// its own field changes; display names and every other recipient stay as they were.
import { officeCall } from "./office-async.js";

/**
 * @typedef {{ emailAddress: string, displayName?: string }} Recipient
 */

/** @param {string} a @param {string} b */
function sameAddress(a, b) {
  return String(a || "").trim().toLowerCase() === String(b || "").trim().toLowerCase();
}

/**
 * The field's recipients with `change` applied to those whose address is `recipient`.
 * Answers the new list and how many matched.
 * @param {Recipient[]} list
 * @param {string} recipient
 * @param {(r: Recipient) => Recipient | null} change null removes the recipient
 */
export function rewriteRecipients(list, recipient, change) {
  /** @type {Recipient[]} */
  const next = [];
  let matched = 0;
  (list || []).forEach(function (r) {
    if (!sameAddress(r.emailAddress, recipient)) {
      next.push({ displayName: r.displayName || r.emailAddress, emailAddress: r.emailAddress });
      return;
    }
    matched++;
    const changed = change(r);
    if (changed) next.push(changed);
  });
  return { recipients: next, matched: matched };
}

/**
 * @param {any} item the compose item
 * @param {"to" | "cc" | "bcc"} field
 * @param {string} recipient
 * @param {(r: Recipient) => Recipient | null} change
 * @returns {Promise<number>} how many recipients changed
 */
function changeRecipient(item, field, recipient, change) {
  if (field !== "to" && field !== "cc" && field !== "bcc") return Promise.reject(new Error("not a recipient field: " + field));
  return officeCall(item[field], "getAsync", []).then(function (list) {
    const result = rewriteRecipients(list, recipient, change);
    if (result.matched === 0) throw new Error(recipient + " is no longer in " + field.toUpperCase() + "; nothing to fix.");
    return officeCall(item[field], "setAsync", [result.recipients]).then(function () {
      return result.matched;
    });
  });
}

/**
 * Replaces `fix.recipient` by `fix.fix` in its field, keeping its display name (unless the
 * name was just the old address, as Outlook shows unresolved recipients).
 * @param {any} item
 * @param {import("./completion.js").ProposedFix} fix
 */
export function applyFix(item, fix) {
  if (!fix.fix) return Promise.reject(new Error("no corrected address is proposed for " + fix.recipient));
  const corrected = fix.fix;
  return changeRecipient(item, fix.field, fix.recipient, function (r) {
    const name = r.displayName && !sameAddress(r.displayName, r.emailAddress) ? r.displayName : corrected;
    return { displayName: name, emailAddress: corrected };
  });
}

/**
 * Removes `fix.recipient` from its field.
 * @param {any} item
 * @param {import("./completion.js").ProposedFix} fix
 */
export function removeRecipient(item, fix) {
  return changeRecipient(item, fix.field, fix.recipient, function () {
    return null;
  });
}
