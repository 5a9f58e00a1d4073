// What one send takes from the sender's history and gives back to it:
// - before: the reply context (`original`: the From, To and Cc of the message answered or
//   forwarded, from the compose details' `type` and `relatedMessageId`) and the address-book
//   entries picked by id resolved to their addresses (the `addressBooks` permission);
// - after: every recipient of a send that went out (`compose.onAfterSend`) is learned.
// Thunderbird 147 and later hand the sent details to onAfterSend; before that, the details as
// they stood when this send was let go (after the dialog's Fix or Remove) are kept per tab.

import { dayOf, MAX_SENT_IDS } from "./history-store.js";
import { contactFromVCard } from "./vcard.js";
import { mailboxString } from "../../shared/draft.js";

/** Most participants taken from the original message. */
export const MAX_PARTICIPANTS = 500;
/** Most members read from one mailing list. */
export const MAX_LIST_MEMBERS = 1000;

/**
 * @typedef {{ contacts?: { get(id: string): Promise<{ vCard?: string } | null> },
 *   mailingLists?: { listMembers(id: string): Promise<{ vCard?: string }[]> } }} AddressBooks
 * @typedef {{ get(id: number): Promise<{ author?: string, recipients?: string[], ccList?: string[] } | null> }} Messages
 */

/** @param {unknown} list @returns {string[]} */
const strings = (list) => (Array.isArray(list) ? list : list === undefined || list === null ? [] : [list]).filter((s) => typeof s === "string" && s.trim() !== "");

/**
 * The contact's address it is sent to (the first, Thunderbird's primary), as "Name <address>".
 * @param {{ vCard?: unknown } | null | undefined} contact
 */
function primaryAddress(contact) {
  const { name, emails } = contactFromVCard(contact && contact.vCard);
  return emails.length ? [mailboxString(name, emails[0])] : [];
}

/**
 * Address-book entries and mailing lists in To, Cc and Bcc, by id → their addresses. An
 * entry that cannot be read is left out (the draft reports it as unresolved).
 * @param {Record<string, any>} details compose details
 * @param {AddressBooks | undefined} addressBooks
 * @returns {Promise<Record<string, string[]>>}
 */
export async function resolveContacts(details, addressBooks) {
  /** @type {Record<string, string[]>} */
  const resolved = {};
  if (!addressBooks) return resolved;
  const entries = ["to", "cc", "bcc"].flatMap((field) => (Array.isArray(details[field]) ? details[field] : [details[field]]));
  for (const entry of entries) {
    if (!entry || typeof entry !== "object" || typeof entry.id !== "string" || entry.id in resolved) continue;
    try {
      if (entry.type === "mailingList" && addressBooks.mailingLists) {
        const members = (await addressBooks.mailingLists.listMembers(entry.id)) || [];
        resolved[entry.id] = members.slice(0, MAX_LIST_MEMBERS).flatMap(primaryAddress);
      } else if (entry.type === "contact" && addressBooks.contacts) {
        resolved[entry.id] = primaryAddress(await addressBooks.contacts.get(entry.id));
      }
    } catch (e) {
      // Deleted meanwhile, or a book that cannot be read: reported as unresolved.
    }
  }
  return resolved;
}

/**
 * The message a reply or forward answers, as the draft's `original` (its From, To and Cc).
 * Undefined for new messages, drafts reopened, or an original Thunderbird cannot give.
 * @param {Record<string, any>} details compose details
 * @param {Messages | undefined} messages
 * @returns {Promise<{ kind: "reply" | "forward", participants: string[] } | undefined>}
 */
export async function originalOf(details, messages) {
  const kind = details.type;
  if ((kind !== "reply" && kind !== "forward") || details.relatedMessageId === undefined || details.relatedMessageId === null || !messages) return undefined;
  const header = await messages.get(details.relatedMessageId).catch(() => null);
  if (!header) return undefined;
  const participants = [...strings(header.author), ...strings(header.recipients), ...strings(header.ccList)].slice(0, MAX_PARTICIPANTS);
  return participants.length ? { kind, participants } : undefined;
}

/**
 * @param {{ store: import("./history-store.js").HistoryStore, addressBooks?: AddressBooks,
 *   now: () => number, log?: (m: string) => void }} deps
 */
export function createSendHistory(deps) {
  const log = deps.log || (() => {});
  /** The recipients of each tab's send, as it was let go. @type {Map<number, Promise<string[]>>} */
  const pending = new Map();

  /** @param {Record<string, any>} details @returns {Promise<string[]>} */
  const recipientsOf = async (details) => {
    const contacts = await resolveContacts(details, deps.addressBooks);
    return ["to", "cc", "bcc"].flatMap((field) => (Array.isArray(details[field]) ? details[field] : [details[field]]).flatMap((entry) => (typeof entry === "string" ? strings(entry) : entry && contacts[entry.id] ? contacts[entry.id] : [])));
  };

  return {
    /**
     * A send was let go with these details (after any Fix or Remove).
     * @param {number} tabId
     * @param {Record<string, any>} details
     */
    sending(tabId, details) {
      const recipients = recipientsOf(details);
      pending.set(tabId, recipients.catch(() => []));
      return recipients;
    },

    /**
     * compose.onAfterSend: a send that went out teaches its recipients; a failed one nothing.
     * @param {{ id: number }} tab
     * @param {{ error?: string, mode?: string, headerMessageId?: string, details?: Record<string, any> }} sendInfo
     */
    async sent(tab, sendInfo) {
      const remembered = pending.get(tab.id);
      pending.delete(tab.id);
      if (!sendInfo || sendInfo.error) return false;
      const recipients = sendInfo.details ? await recipientsOf(sendInfo.details) : await remembered;
      if (!recipients || !recipients.length) return false;
      const id = sendInfo.headerMessageId;
      const learned = await deps.store.learn(recipients, {
        day: dayOf(deps.now()),
        // The Sent import skips this message when it finds its copy.
        state: (s) => (id ? { ...s, sentIds: [...(s.sentIds || []).filter((x) => x !== id), id].slice(-MAX_SENT_IDS) } : s)
      });
      if (learned) log(`history: learned ${recipients.length} recipient(s) from a send`);
      return learned;
    }
  };
}
