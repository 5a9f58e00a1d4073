// The recipients a reply starts with, for the engine's `reply_adds_domain` (the draft's
// `original`): the compose launch event (OnNewMessageCompose, which also fires for replies)
// asks Outlook whether the item is a reply (`getComposeTypeAsync`, Mailbox 1.10) and records
// its initial To, Cc and From, which Outlook fills from the message answered, in the item's
// own session data (`item.sessionData`, Mailbox 1.11: kept with that one item, gone when it
// is sent or closed). The send handler reads it back. A forward starts with no recipients
// and Office.js does not expose the forwarded message's participants, so a forward records
// nothing. Where either API is missing there is no snapshot, and no reply check.
import { officeCall } from "./office-async.js";
import { outlookRecipients, mailboxString } from "../../shared/draft.js";

/** The session-data key of the snapshot. */
export const ORIGINAL_KEY = "sendguard.original";
/** A snapshot holds at most this many participants, each at most this long. */
export const MAX_PARTICIPANTS = 1000;
export const MAX_PARTICIPANT_LENGTH = 1000;

/** @typedef {{ kind: "reply" | "forward", participants: string[] }} Original */

/**
 * @param {any} item
 */
function hasSessionData(item) {
  return Boolean(item && item.sessionData && typeof item.sessionData.getAsync === "function" && typeof item.sessionData.setAsync === "function");
}

/**
 * Records a reply's initial participants in the item's session data; resolves (never
 * rejects) once done or found not to apply.
 * @param {any} item `Office.context.mailbox.item` in compose mode
 * @returns {Promise<Original | null>} what was recorded
 */
export function snapshotReply(item) {
  if (!hasSessionData(item) || typeof item.getComposeTypeAsync !== "function" || !item.to) return Promise.resolve(null);
  return officeCall(item, "getComposeTypeAsync", [])
    .then(function (type) {
      if (!type || type.composeType !== "reply") return null;
      return Promise.all([
        officeCall(item.to, "getAsync", []),
        item.cc ? officeCall(item.cc, "getAsync", []) : [],
        item.from && typeof item.from.getAsync === "function" ? officeCall(item.from, "getAsync", []) : null
      ]).then(function (parts) {
        const from = parts[2] && parts[2].emailAddress ? [mailboxString(parts[2].displayName, parts[2].emailAddress)] : [];
        /** @type {Original} */
        const original = { kind: "reply", participants: from.concat(outlookRecipients(parts[0]), outlookRecipients(parts[1])).slice(0, MAX_PARTICIPANTS) };
        return officeCall(item.sessionData, "setAsync", [ORIGINAL_KEY, JSON.stringify(original)]).then(function () { return original; });
      });
    })
    .catch(function () {
      return null;
    });
}

/**
 * A snapshot as stored, or null unless it is exactly one: session data is the item's, but
 * anything stored is read as hostile.
 * @param {unknown} text
 * @returns {Original | null}
 */
export function parseOriginal(text) {
  if (typeof text !== "string" || text === "") return null;
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return null;
  }
  if (!value || typeof value !== "object" || Object.keys(value).length !== 2) return null;
  if (value.kind !== "reply" && value.kind !== "forward") return null;
  const list = value.participants;
  if (!Array.isArray(list) || list.length > MAX_PARTICIPANTS) return null;
  for (let i = 0; i < list.length; i++) {
    if (typeof list[i] !== "string" || list[i].length > MAX_PARTICIPANT_LENGTH) return null;
  }
  return { kind: value.kind, participants: list.slice() };
}

/**
 * The snapshot of the item being sent, or null (none, not a reply, no session data).
 * @param {any} item
 * @returns {Promise<Original | null>}
 */
export function readOriginal(item) {
  if (!hasSessionData(item)) return Promise.resolve(null);
  return officeCall(item.sessionData, "getAsync", [ORIGINAL_KEY]).then(parseOriginal, function () { return null; });
}
