// A compose-mode Outlook for node tests, built on office-addin-mock: recipient fields whose
// getAsync/setAsync work on real lists, roamingSettings, the item's session data and compose
// type, requirement sets by version, and a recorder for event.completed.
import { OfficeMockObject } from "office-addin-mock";

/** "Name <addr>" or a bare address → Outlook's recipient object. */
export function recipient(text) {
  const match = /^\s*(.*?)\s*<([^<>]+)>\s*$/.exec(text);
  if (!match || match[1] === "") return { displayName: match ? match[2] : text, emailAddress: match ? match[2] : text, recipientType: "other" };
  const name = match[1].replace(/^"(.*)"$/, "$1").replace(/\\(.)/g, "$1");
  return { displayName: name, emailAddress: match[2], recipientType: "other" };
}

/** Office's callback shape: (options?, callback). */
const callbackOf = (args) => args.find((a) => typeof a === "function");

/**
 * @param {{ to?: string[], cc?: string[], bcc?: string[], from?: string, subject?: string,
 *   body?: string, attachments?: { name: string, size: number }[], mailbox?: string,
 *   roaming?: Record<string, unknown>, contextData?: string | null, failing?: string[],
 *   appointment?: boolean, composeType?: "newMail" | "reply" | "forward",
 *   session?: Record<string, string> | null, hostLatencyMs?: number, log?: string[] }} draft
 *   mailbox: the highest Mailbox requirement set the client supports ("1.12", "1.14", "1.15")
 *   appointment: a meeting invite being organised: `to` are its required attendees, `cc` its
 *   optional ones, `from` its organizer
 *   failing: methods ("to.getAsync", ...) that answer a failed AsyncResult
 *   composeType: what getComposeTypeAsync answers (default "newMail")
 *   session: the item's session data before the test (null: a client without sessionData)
 *   hostLatencyMs: each answer comes after this long (a host's round trip), not at once
 *   log: where each answer is noted ("answered to.getAsync") as it is given
 */
export function fakeOutlook(draft = {}) {
  const fields = { to: (draft.to || []).map(recipient), cc: (draft.cc || []).map(recipient), bcc: (draft.bcc || []).map(recipient) };
  const failing = new Set(draft.failing || []);
  const calls = [];
  const answer = (name, args, value) => {
    calls.push(name);
    const cb = callbackOf(args);
    const reply = () => {
      if (draft.log) draft.log.push(`answered ${name}`);
      if (failing.has(name)) cb({ status: "failed", error: { name: "GenericResponseError", message: `${name} failed` } });
      else cb({ status: "succeeded", value });
    };
    if (draft.hostLatencyMs) setTimeout(reply, draft.hostLatencyMs);
    else reply();
  };
  const recipientsField = (name) => ({
    getAsync: (...args) => answer(`${name}.getAsync`, args, fields[name].map((r) => ({ ...r }))),
    setAsync: (list, ...args) => {
      if (!failing.has(`${name}.setAsync`)) fields[name] = list.map((r) => (typeof r === "string" ? recipient(r) : { displayName: r.displayName, emailAddress: r.emailAddress, recipientType: "other" }));
      answer(`${name}.setAsync`, args, undefined);
    }
  });
  /** @type {Map<string, any>} */
  const roaming = new Map(Object.entries(draft.roaming || {}));
  const session = new Map(Object.entries(draft.session || {}));
  const sessionData = draft.session === null ? {} : {
    sessionData: {
      // Outlook answers "" for a key never set.
      getAsync: (name, ...args) => answer("sessionData.getAsync", args, session.has(name) ? session.get(name) : ""),
      setAsync: (name, value, ...args) => { session.set(name, String(value)); answer("sessionData.setAsync", args, undefined); }
    }
  };
  const saved = [];
  const [major, minor] = (draft.mailbox || "1.15").split(".").map(Number);
  const associated = {};
  /** @type {any} a partial Office.js: the typed code under test reads only what it mocks */
  const office = new OfficeMockObject({
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    actions: { associate: (name, fn) => { associated[name] = fn; } },
    context: {
      requirements: {
        isSetSupported: (set, version) => {
          const [wantMajor, wantMinor] = String(version).split(".").map(Number);
          return set === "Mailbox" && (wantMajor < major || (wantMajor === major && wantMinor <= minor));
        }
      },
      roamingSettings: {
        get: (key) => roaming.get(key),
        set: (key, value) => { roaming.set(key, value); },
        remove: (key) => { roaming.delete(key); },
        saveAsync: (...args) => { saved.push(Object.fromEntries(roaming)); answer("roamingSettings.saveAsync", args, undefined); }
      },
      mailbox: {
        item: {
          ...(draft.appointment
            ? {
                itemType: "appointment",
                requiredAttendees: { getAsync: (...args) => answer("requiredAttendees.getAsync", args, fields.to.map((r) => ({ ...r }))) },
                optionalAttendees: { getAsync: (...args) => answer("optionalAttendees.getAsync", args, fields.cc.map((r) => ({ ...r }))) },
                organizer: { getAsync: (...args) => answer("organizer.getAsync", args, draft.from ? recipient(draft.from) : null) }
              }
            : {
                itemType: "message",
                to: recipientsField("to"),
                cc: recipientsField("cc"),
                bcc: recipientsField("bcc"),
                from: { getAsync: (...args) => answer("from.getAsync", args, draft.from ? recipient(draft.from) : null) },
                getComposeTypeAsync: (...args) => answer("getComposeTypeAsync", args, { composeType: draft.composeType || "newMail", coercionType: "html" }),
                ...sessionData
              }),
          subject: { getAsync: (...args) => answer("subject.getAsync", args, draft.subject || "") },
          body: { getAsync: (coercion, ...args) => answer("body.getAsync", args, coercion === "text" ? draft.body || "" : `<p>${draft.body || ""}</p>`) },
          getAttachmentsAsync: (...args) => answer("getAttachmentsAsync", args, (draft.attachments || []).map((a, i) => ({ id: String(i), attachmentType: "file", isInline: false, ...a }))),
          getInitializationContextAsync: (...args) => answer("getInitializationContextAsync", args, draft.contextData === undefined ? null : draft.contextData)
        }
      }
    }
  }, /** @type {any} */ ("outlook"));
  return { office, fields, roaming, session, saved, calls, associated };
}

/** An event whose completed() resolves the promise it carries. */
export function sendEvent() {
  let resolve;
  const done = new Promise((r) => { resolve = r; });
  return { event: { completed: (options) => resolve(options) }, done };
}
