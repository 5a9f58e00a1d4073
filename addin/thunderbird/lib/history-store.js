// The sender's history on this device: the engine's history text (docs/history-format.md)
// in storage.local under `history`, and `historyState` (when it last changed, how far the
// import got). The text is only stored and handed back: learning, ranking and bounding it
// (50,000 addresses, the least recent dropped) are the engine's. Updates go one at a time,
// so an import batch and a send that finish together cannot overwrite each other; a read
// never waits for them (a send uses what is stored).

export const HISTORY_KEY = "history";
export const HISTORY_STATE_KEY = "historyState";
/** How many Message-IDs of sends learned from are remembered (so the Sent import skips them). */
export const MAX_SENT_IDS = 500;

/**
 * @typedef {{ done?: boolean, startedAt?: number, doneBefore?: number, through?: number, messages?: number }} SentImport
 *   the Sent folders' import: the first one goes back in windows from `startedAt`
 *   (`doneBefore`: windows newer than this are learned), then each later run from `through`
 * @typedef {{ updatedAt?: number, addressBooksAt?: number, forgottenAt?: number,
 *   sent?: SentImport, sentIds?: string[] }} HistoryState  times in Unix seconds
 * @typedef {import("./engine.js").HistoryApi} HistoryApi
 */

/**
 * @param {{ storage: { get(k: string): Promise<any>, set(o: object): Promise<void> },
 *   history: () => Promise<HistoryApi>, now: () => number, changed?: () => void }} deps
 *   history() gives the engine's history functions (loading the engine if need be);
 *   changed() is told when the text changed
 */
export function createHistoryStore(deps) {
  /** The stored text, once read (this page is its only writer). @type {string | undefined} */
  let cached;
  /** The update under way; the next one starts after it. */
  let queue = Promise.resolve();
  /** Bumped by forget(): an import started before it stops learning. */
  let generation = 0;

  const readText = async () => {
    if (cached === undefined) {
      const value = (await deps.storage.get(HISTORY_KEY))[HISTORY_KEY];
      cached = typeof value === "string" ? value : "";
    }
    return cached;
  };
  /** @returns {Promise<HistoryState>} */
  const readState = async () => {
    const value = (await deps.storage.get(HISTORY_STATE_KEY))[HISTORY_STATE_KEY];
    return value && typeof value === "object" ? value : {};
  };

  /**
   * Runs `change` after the updates before it (one failing does not stop the next).
   * @template T
   * @param {() => Promise<T>} change
   * @returns {Promise<T>}
   */
  const serially = (change) => {
    const run = queue.then(change);
    queue = run.then(() => undefined, () => undefined);
    return run;
  };

  return {
    /** The history text as stored ("" when none): what a send is checked with. */
    text: readText,
    state: readState,
    get generation() {
      return generation;
    },

    /**
     * Learns recipients: written to once more on `day`, or known from an address book
     * (`imported`). Nothing is learned when `since` (a generation) is given and the history
     * was forgotten after it.
     * @param {string[]} recipients "Name <address>" or addresses
     * @param {{ day: number, imported?: boolean, since?: number, state?: (s: HistoryState) => HistoryState }} options
     *   state: changes to the import state saved with this text
     * @returns {Promise<boolean>} whether anything was stored
     */
    learn(recipients, options) {
      return serially(async () => {
        if (options.since !== undefined && options.since !== generation) return false;
        const api = await deps.history();
        const before = await readText();
        const text = recipients.length ? api.learn(before, { recipients, day: options.day, imported: options.imported }) : before;
        const state = await readState();
        const next = options.state ? options.state(state) : state;
        await deps.storage.set({ [HISTORY_KEY]: text, [HISTORY_STATE_KEY]: { ...next, updatedAt: text === before ? next.updatedAt : deps.now() } });
        cached = text;
        if (text !== before && deps.changed) deps.changed();
        return true;
      });
    },

    /**
     * Saves import progress without learning anything.
     * @param {(s: HistoryState) => HistoryState} change
     * @param {number} [since] a generation: nothing is saved when the history was forgotten after it
     * @returns {Promise<boolean>} whether it was saved
     */
    updateState(change, since) {
      return serially(async () => {
        if (since !== undefined && since !== generation) return false;
        await deps.storage.set({ [HISTORY_STATE_KEY]: change(await readState()) });
        return true;
      });
    },

    /**
     * Forgets every address. What was in the address books and Sent folders until now is not
     * imported again; new sends and new contacts are learned from here on.
     */
    forget() {
      generation += 1;
      return serially(async () => {
        const at = deps.now();
        cached = "";
        /** @type {HistoryState} */
        const state = { forgottenAt: at, updatedAt: at, addressBooksAt: at, sent: { done: true, through: at }, sentIds: [] };
        await deps.storage.set({ [HISTORY_KEY]: "", [HISTORY_STATE_KEY]: state });
        if (deps.changed) deps.changed();
      });
    },

    /**
     * What the options page shows: how many addresses, when last changed.
     * @returns {Promise<{ entries: number, rejected: number, updatedAt: number | null, forgottenAt: number | null,
     *   importing: boolean }>}
     */
    async summary() {
      const api = await deps.history();
      const state = await readState();
      const counts = api.summary(await readText());
      const importing = Boolean(!state.addressBooksAt || !(state.sent && state.sent.done));
      return { entries: counts.entries, rejected: counts.rejected, updatedAt: state.updatedAt ?? null, forgottenAt: state.forgottenAt ?? null, importing };
    }
  };
}

/** @typedef {ReturnType<typeof createHistoryStore>} HistoryStore */

/**
 * Days since 1970-01-01 UTC (the history's `last_day`).
 * @param {number} unixSeconds
 */
export const dayOf = (unixSeconds) => Math.floor(unixSeconds / 86400);
