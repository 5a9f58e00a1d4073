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
 * @param {{ managed?: object, local?: object, attachments?: { name: string, size: number }[],
 *   identity?: { email: string, name?: string } }} [options]
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
      listAttachments: async () => options.attachments || []
    },
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
      getURL: (path) => `moz-extension://fake/${path}`,
      /** What a page's runtime.sendMessage answers (the background's listener). */
      sendMessage: async (message) => messenger.runtime.onMessage.fire(message, {})
    },
    alarms: {
      onAlarm: event(),
      create: (name, info) => alarmsCreated.push({ name, ...info })
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
