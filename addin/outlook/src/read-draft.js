// Reads the draft being sent from Outlook's compose item (a message, or a meeting invite's
// attendees), through the callback APIs that Mailbox 1.12 clients all have. The result is
// the engine's draft (addin/shared/draft.js).
import { officeCall } from "./office-async.js";
import { draftFromOutlook } from "../../shared/draft.js";

/**
 * A value read from the item, or `fallback` when this client lacks the API: a missing
 * optional field (e.g. attachments) must not stop the recipient check.
 * @param {any} target
 * @param {string} method
 * @param {any[]} args
 * @param {any} fallback
 */
function readOr(target, method, args, fallback) {
  if (!target || typeof target[method] !== "function") return Promise.resolve(fallback);
  return officeCall(target, method, args);
}

/**
 * Whether the item is a meeting invite being organised (attendees, not To/Cc/Bcc).
 * @param {any} item
 */
export function isAppointment(item) {
  return Boolean(item) && (item.itemType === "appointment" || (!item.to && Boolean(item.requiredAttendees)));
}

/**
 * @param {any} item `Office.context.mailbox.item` in compose mode: a message, or a meeting
 *   invite whose required and optional attendees are checked as To and Cc
 * @returns {Promise<import("../../shared/draft.js").Draft>}
 */
export function readDraft(item) {
  const appointment = isAppointment(item);
  return Promise.all([
    officeCall(appointment ? item.requiredAttendees : item.to, "getAsync", []),
    appointment ? readOr(item.optionalAttendees, "getAsync", [], []) : officeCall(item.cc, "getAsync", []),
    appointment ? Promise.resolve([]) : officeCall(item.bcc, "getAsync", []),
    readOr(appointment ? item.organizer : item.from, "getAsync", [], null),
    readOr(item.subject, "getAsync", [], ""),
    readOr(item.body, "getAsync", ["text"], ""),
    readOr(item, "getAttachmentsAsync", [], [])
  ]).then(function (parts) {
    return draftFromOutlook({
      to: parts[0],
      cc: parts[1],
      bcc: parts[2],
      from: parts[3],
      subject: parts[4],
      body: parts[5],
      // Inline images count too: they leave with the mail.
      attachments: parts[6]
    });
  });
}
