// A fake of the parts of Thunderbird's `messenger` the extension uses, recording what the
// extension did (windows opened, alarms created) and letting a test fire events and play the dialog.

/** An event with addListener, and `fire` for the test (answers the first listener's result). */
function event() {
  const listeners = [];
  return {
    listeners,
    addListener: (f) => listeners.push(f),
    fire: (...args) => {
      for (const f of listeners) {
        const result = f(...args);
        if (result !== undefined) return result;
      }
      return undefined;
    }
  };
}

/** A storage area backed by a Map. `get` takes a key, a list of keys, or nothing. */
export function fakeStorageArea(initial = {}) {
  const data = new Map(Object.entries(initial));
  return {
    data,
    async get(keys) {
      const list = keys === undefined || keys === null ? [...data.keys()] : Array.isArray(keys) ? keys : [keys];
      return Object.fromEntries(list.filter((k) => data.has(k)).map((k) => [k, structuredClone(data.get(k))]));
    },
    async set(items) {
      for (const [k, v] of Object.entries(items)) data.set(k, structuredClone(v));
    }
  };
}

/**
 * Records what the glue asks of the engine's history functions (a stand-in for tests of the
 * glue itself; the text is one line per learned recipient, not the engine's format).
 */
export function recordingHistoryApi() {
  const calls = [];
  return {
    calls,
    learn(text, o) {
      calls.push(structuredClone(o));
      return text + o.recipients.map((r) => `${r}\t${o.day}\t${o.imported ? "imported" : "sent"}\n`).join("");
    },
    summary(text) {
      return { entries: text.split("\n").filter(Boolean).length, last_day: null, rejected: 0 };
    }
  };
}

/** A vCard as Thunderbird gives it for a contact. */
export function vCard(name, ...emails) {
  return ["BEGIN:VCARD", "VERSION:4.0", `FN:${name}`, ...emails.map((e, i) => `EMAIL;PREF=${i + 1}:${e}`), "END:VCARD", ""].join("\r\n");
}

/**
 * A fake of messages.query over `sent` (headers with a `date`), paged like Thunderbird's
 * message lists; records each query.
 * @param {{ date: Date, headerMessageId?: string, recipients?: string[], ccList?: string[], bccList?: string[], author?: string }[]} sent
 */
function fakeMessages(sent, originals) {
  const lists = new Map();
  let nextList = 1;
  const page = (id) => {
    const { rest, size } = lists.get(id);
    const messages = rest.splice(0, size);
    if (!rest.length) lists.delete(id);
    return { id: rest.length ? id : null, messages };
  };
  const api = {
    queries: [],
    aborted: [],
    async query(q) {
      api.queries.push(q);
      // As Thunderbird: both dates inclusive; folderId limits the search to those folders.
      const inFolder = (m) => !q.folderId || q.folderId.includes(m.folderId || "sent-1");
      const found = sent.filter((m) => q.fromMe && inFolder(m) && (!q.fromDate || m.date >= q.fromDate) && (!q.toDate || m.date <= q.toDate));
      const id = `list-${nextList++}`;
      lists.set(id, { rest: found, size: q.messagesPerPage || 100 });
      return page(id);
    },
    async continueList(id) {
      if (!lists.has(id)) throw new Error(`no list ${id}`);
      return page(id);
    },
    async abortList(id) {
      api.aborted.push(id);
      lists.delete(id);
    },
    async get(id) {
      if (!(id in originals)) throw new Error(`no message ${id}`);
      return originals[id];
    }
  };
  return api;
}

/**
 * @param {{ managed?: object, local?: object, attachments?: { name: string, size: number }[],
 *   identity?: { email: string, name?: string }, books?: { id: string, remote?: boolean, contacts: { id: string, vCard: string }[] }[],
 *   lists?: Record<string, { vCard: string }[]>, sent?: any[], sentFolders?: string[], originals?: Record<number, object> }} [options]
 *   sent: messages (in folder `folderId`, default "sent-1"); sentFolders: the folders marked Sent
 *   `managed` undefined: storage.managed.get throws, as Thunderbird does without a policy.
 */
export function fakeMessenger(options = {}) {
  let nextWindowId = 100;
  const opened = [];
  const alarmsCreated = [];
  const onRemoved = event();
  const messenger = {
    opened,
    alarmsCreated,
    compose: {
      onBeforeSend: event(),
      onAfterSend: event(),
      listAttachments: async () => options.attachments || []
    },
    addressBooks: {
      list: async (complete) => structuredClone((options.books || []).map((b) => (complete ? b : { ...b, contacts: undefined }))),
      contacts: {
        onCreated: event(),
        onUpdated: event(),
        get: async (id) => {
          const contact = (options.books || []).flatMap((b) => b.contacts).find((c) => c.id === id);
          if (!contact) throw new Error(`no contact ${id}`);
          return structuredClone(contact);
        }
      },
      mailingLists: {
        listMembers: async (id) => structuredClone((options.lists || {})[id] || [])
      }
    },
    messages: fakeMessages(options.sent || [], options.originals || {}),
    folders: { query: async (q) => (q.specialUse && q.specialUse.includes("sent") ? (options.sentFolders || ["sent-1"]).map((id) => ({ id })) : []) },
    identities: { get: async () => options.identity || null },
    windows: {
      onRemoved,
      create: async (createData) => {
        const win = { id: nextWindowId++, ...createData, open: true };
        opened.push(win);
        return { id: win.id };
      },
      remove: async (id) => {
        const win = opened.find((w) => w.id === id && w.open);
        if (!win) throw new Error(`no window ${id}`);
        win.open = false;
        onRemoved.fire(id);
      }
    },
    runtime: {
      onMessage: event(),
      onSuspend: event(),
      getURL: (path) => `moz-extension://fake/${path}`,
      /** What a page's runtime.sendMessage answers (the background's listener). */
      sendMessage: async (message) => messenger.runtime.onMessage.fire(message, {})
    },
    alarms: {
      onAlarm: event(),
      create: (name, info) => alarmsCreated.push({ name, ...info }),
      /** The alarm last created under `name`, as Thunderbird keeps it across wakes of the page. */
      get: async (name) => {
        const alarm = alarmsCreated.filter((a) => a.name === name).pop();
        return alarm && { ...alarm, scheduledTime: 0 };
      }
    },
    storage: {
      managed: {
        get: async (keys) => {
          if (options.managed === undefined) throw new Error("Managed storage manifest not found");
          return fakeStorageArea(options.managed).get(keys);
        }
      },
      local: fakeStorageArea(options.local),
      onChanged: event()
    }
  };
  return messenger;
}

/** The session id of the dialog window opened last (from its URL). */
export function lastDialogSession(messenger) {
  const win = messenger.opened[messenger.opened.length - 1];
  if (!win) throw new Error("no dialog window was opened");
  return new URL(win.url).searchParams.get("session");
}

/** Resolves once `probe()` is truthy (after pending promises settle), or fails after 2 s. */
export async function eventually(probe) {
  const deadline = Date.now() + 2000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error("condition not met within 2 s");
    await new Promise((r) => setTimeout(r, 5));
  }
}
