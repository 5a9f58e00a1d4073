// Builds the sender's history from what Thunderbird already holds: the address books (every
// contact's addresses, count 0) and the messages the sender sent in the last 12 months
// (`messages.query` with `fromMe` over every account's Sent folders, or over every folder
// when no folder is marked Sent: each query reads every message of the folders it covers). It runs in the background, in
// batches, pausing between pages, and never holds a send: a send checks with whatever has
// been learned so far. The first import goes back 30 days at a time, newest first, saving
// its progress with each window's addresses (so a page Thunderbird suspends resumes where it
// stopped, without counting a window twice); later runs read only what is newer. Sent mail is
// learned a week at a time, dated by the week's last message: each engine call reads and
// writes the whole history, so one per week rather than one per day (20,000 addresses and
// 10,000 messages: 52 calls, not 365).

import { contactFromVCard } from "./vcard.js";
import { dayOf } from "./history-store.js";
import { mailboxString } from "../../shared/draft.js";

/** How far back the Sent import reads. */
export const IMPORT_DAYS = 365;
/** The first import's step back in time. */
export const WINDOW_DAYS = 30;
/** At most this many sent messages are read by one import (first or later). */
export const MAX_IMPORT_MESSAGES = 10000;
/** Messages per page of a query. */
export const PAGE_SIZE = 100;
/** Addresses learned per address-book batch. */
export const CONTACT_BATCH = 2000;
/** Sent mail is learned in buckets of this many days. */
export const BUCKET_DAYS = 7;
/** Recipients read from one message (a mass mailing counts once per address up to here). */
export const MAX_RECIPIENTS_PER_MESSAGE = 200;
/** Contacts read from the address books. */
export const MAX_CONTACTS = 50000;
/** Once imported, the Sent folders are read again for what is new at most this often (seconds). */
export const INCREMENTAL_EVERY = 6 * 3600;

const DAY = 86400;

/** @typedef {{ day: number, recipients: string[] }} Bucket */

/**
 * The recipients of one sent message (its To, Cc and Bcc headers, as Thunderbird decoded them).
 * @param {{ recipients?: unknown, ccList?: unknown, bccList?: unknown }} header
 * @returns {string[]}
 */
export function sentRecipients(header) {
  const strings = (list) => (Array.isArray(list) ? list.filter((s) => typeof s === "string" && s.trim() !== "") : []);
  return [...strings(header.recipients), ...strings(header.ccList), ...strings(header.bccList)].slice(0, MAX_RECIPIENTS_PER_MESSAGE);
}

/**
 * One contact as recipients ("Name <address>") for the history.
 * @param {{ vCard?: unknown }} contact
 */
export function contactRecipients(contact) {
  const { name, emails } = contactFromVCard(contact && contact.vCard);
  return emails.map((email) => mailboxString(name, email));
}

/**
 * @param {{ store: import("./history-store.js").HistoryStore,
 *   addressBooks?: { list(complete: boolean): Promise<any[]> },
 *   folders?: { query(q: object): Promise<{ id?: string }[]> },
 *   messages?: { query(q: object): Promise<{ id?: string | null, messages: any[] }>,
 *     continueList(id: string): Promise<{ id?: string | null, messages: any[] }>, abortList?(id: string): Promise<void> },
 *   now: () => number, pause?: () => Promise<void>, log?: (m: string) => void }} deps
 *   now() in Unix seconds; pause() yields between pages (default: 50 ms)
 */
export function createHistoryImport(deps) {
  const pause = deps.pause || (() => new Promise((r) => setTimeout(r, 50)));
  const log = deps.log || (() => {});
  /** @type {Promise<string> | undefined} */
  let running;

  /** Every contact of every local address book, learned as known (count 0). */
  async function importAddressBooks(generation) {
    const day = dayOf(deps.now());
    const books = deps.addressBooks ? await deps.addressBooks.list(true) : [];
    /** @type {string[]} */
    let batch = [];
    let contacts = 0;
    for (const book of books || []) {
      if (!book || book.remote) continue;
      for (const contact of book.contacts || []) {
        if (++contacts > MAX_CONTACTS) break;
        batch.push(...contactRecipients(contact));
        if (batch.length >= CONTACT_BATCH) {
          if (!(await deps.store.learn(batch, { day, imported: true, since: generation }))) return false;
          batch = [];
          await pause();
        }
      }
    }
    return deps.store.learn(batch, { day, imported: true, since: generation, state: (s) => ({ ...s, addressBooksAt: deps.now() }) });
  }

  /** The Sent folders of every account (their subfolders too), or undefined to search everywhere. */
  async function sentFolders() {
    const found = deps.folders ? await deps.folders.query({ specialUse: ["sent"] }).catch(() => []) : [];
    const ids = (found || []).map((f) => f.id).filter((id) => typeof id === "string");
    return ids.length ? { folderId: ids, includeSubFolders: true } : {};
  }

  /**
   * The sender's messages dated in [from, to) (Unix seconds), at most `limit`, not in `skip`:
   * their recipients by the week they were sent (with the day of the week's last message).
   * @returns {Promise<{ byWeek: Map<number, Bucket>, read: number }>}
   */
  async function sentBetween(from, to, limit, skip) {
    /** @type {Map<number, Bucket>} */
    const byWeek = new Map();
    const seen = new Set();
    let read = 0;
    if (!deps.messages) return { byWeek, read };
    // Thunderbird's toDate is inclusive: one millisecond less keeps windows from overlapping.
    const where = await sentFolders();
    let page = await deps.messages.query({ ...where, fromMe: true, fromDate: new Date(from * 1000), toDate: new Date(to * 1000 - 1), messagesPerPage: PAGE_SIZE });
    for (;;) {
      for (const header of page.messages || []) {
        const id = header.headerMessageId;
        if (id && (seen.has(id) || skip.has(id))) continue; // a copy in another folder, or a send already learned
        if (id) seen.add(id);
        const sentAt = new Date(header.date).getTime() / 1000;
        const day = dayOf(Number.isFinite(sentAt) ? Math.min(Math.max(sentAt, from), to) : to);
        const week = Math.floor(day / BUCKET_DAYS);
        const bucket = byWeek.get(week) || { day, recipients: [] };
        bucket.day = Math.max(bucket.day, day);
        bucket.recipients.push(...sentRecipients(header));
        byWeek.set(week, bucket);
        read += 1;
      }
      if (!page.id) break;
      if (read >= limit) {
        if (deps.messages.abortList) await deps.messages.abortList(page.id).catch(() => {});
        break;
      }
      await pause();
      page = await deps.messages.continueList(page.id);
    }
    return { byWeek, read };
  }

  /** Learns one window's recipients, week by week (oldest first), then saves `state` with the last week. */
  async function learnByWeek(byWeek, generation, state) {
    const weeks = [...byWeek.keys()].sort((a, b) => a - b);
    for (const [i, week] of weeks.entries()) {
      const { day, recipients } = /** @type {Bucket} */ (byWeek.get(week));
      const last = i === weeks.length - 1;
      if (!(await deps.store.learn(recipients, { day, since: generation, ...(last ? { state } : {}) }))) return false;
    }
    return weeks.length ? true : deps.store.updateState(state, generation);
  }

  /** The Sent import: the first one window by window, later ones since the last. */
  async function importSent(generation) {
    const state = await deps.store.state();
    const skip = new Set(state.sentIds || []);
    const sent = state.sent || {};
    if (sent.done) {
      const now = deps.now();
      const from = sent.through ?? now;
      if (now - from < INCREMENTAL_EVERY) return true;
      const { byWeek, read } = await sentBetween(from, now, MAX_IMPORT_MESSAGES, skip);
      log(`history: ${read} sent messages since the last import`);
      return learnByWeek(byWeek, generation, (s) => ({ ...s, sent: { ...s.sent, done: true, through: now } }));
    }
    const startedAt = sent.startedAt ?? deps.now();
    const oldest = startedAt - IMPORT_DAYS * DAY;
    let doneBefore = sent.doneBefore ?? startedAt;
    let messages = sent.messages ?? 0;
    while (doneBefore > oldest && messages < MAX_IMPORT_MESSAGES) {
      const from = Math.max(oldest, doneBefore - WINDOW_DAYS * DAY);
      const { byWeek, read } = await sentBetween(from, doneBefore, MAX_IMPORT_MESSAGES - messages, skip);
      messages += read;
      doneBefore = from;
      const progress = { startedAt, doneBefore, messages };
      if (!(await learnByWeek(byWeek, generation, (s) => ({ ...s, sent: progress })))) return false;
      await pause();
    }
    log(`history: ${messages} sent messages imported`);
    return learnByWeek(new Map(), generation, (s) => ({ ...s, sent: { done: true, through: startedAt, messages } }));
  }

  async function run() {
    const generation = deps.store.generation;
    const state = await deps.store.state();
    if (!state.addressBooksAt && !(await importAddressBooks(generation))) return "stopped";
    return (await importSent(generation)) ? "done" : "stopped";
  }

  return {
    /**
     * Imports what is not yet in the history; one run at a time (a second call joins it).
     * @returns {Promise<string>} "done", "stopped" (forgotten meanwhile, or no engine), or the error
     */
    run() {
      if (!running) {
        running = run()
          .catch((e) => `failed: ${e.message || e}`)
          .finally(() => (running = undefined));
      }
      return running;
    },

    /**
     * A contact was added or changed in an address book: its addresses are known from now on.
     * @param {{ id?: string, vCard?: unknown, remote?: boolean }} contact
     */
    contactChanged(contact) {
      if (!contact || contact.remote) return Promise.resolve(false);
      const recipients = contactRecipients(contact);
      return recipients.length ? deps.store.learn(recipients, { day: dayOf(deps.now()), imported: true }) : Promise.resolve(false);
    }
  };
}
