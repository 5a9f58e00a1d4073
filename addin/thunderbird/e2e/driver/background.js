// Test-only driver: asks the test's collector (on 127.0.0.1, port from config.js that the
// test writes) for one scenario at a time, composes it with compose.beginNew (or, for
// `replyTo`, answers the message with that subject to all, adding `add` to its To), presses
// Send with compose.sendMessage, and reports the outcome. A `contact` scenario adds a contact
// to the personal address book instead. What was really sent is checked by the test on its
// SMTP sink, not here.
/* global SENDGUARD_E2E */

const collector = "http://127.0.0.1:" + SENDGUARD_E2E.collectorPort;

async function post(path, body) {
  await fetch(collector + path, { method: "POST", body: JSON.stringify(body) });
}

/** Adds `{name, email}` to the personal address book (the first one that can be written). */
async function addContact(contact) {
  const books = await messenger.addressBooks.list();
  const book = books.find((b) => !b.readOnly && !b.remote);
  if (!book) throw new Error("no address book to write to");
  const vCard = `BEGIN:VCARD\r\nVERSION:4.0\r\nFN:${contact.name}\r\nEMAIL;PREF=1:${contact.email}\r\nEND:VCARD\r\n`;
  return messenger.contacts.create(book.id, { vCard });
}

/** A reply to all of the message with `scenario.replyTo` as its subject, with `scenario.add` added to To. */
async function beginReply(scenario) {
  const found = /** @type {messenger.messages.MessageList} */ (await messenger.messages.query({ subject: scenario.replyTo }));
  const original = found.messages.find((m) => m.subject === scenario.replyTo);
  if (!original) throw new Error(`no message with the subject ${scenario.replyTo}`);
  const tab = await messenger.compose.beginReply(original.id, "replyToAll", { plainTextBody: scenario.body, isPlainText: true });
  const details = await messenger.compose.getComposeDetails(/** @type {number} */ (tab.id));
  const to = Array.isArray(details.to) ? details.to : [details.to];
  await messenger.compose.setComposeDetails(/** @type {number} */ (tab.id), { to: [...to, ...(scenario.add || [])] });
  return tab;
}

async function run() {
  await post("/driver/ready", { version: (await messenger.runtime.getBrowserInfo()).version });
  for (;;) {
    const next = await (await fetch(collector + "/driver/next")).json();
    if (next.done) return;
    const scenario = next.scenario;
    let outcome;
    try {
      if (scenario.contact) {
        outcome = { result: "done", id: await addContact(scenario.contact) };
      } else {
        const tab = scenario.replyTo ? await beginReply(scenario) : await messenger.compose.beginNew({
          to: scenario.to,
          cc: scenario.cc || [],
          subject: scenario.subject,
          plainTextBody: scenario.body,
          isPlainText: true
        });
        const sent = await messenger.compose.sendMessage(/** @type {number} */ (tab.id), { mode: "sendNow" });
        outcome = { result: "sent", sent };
      }
    } catch (e) {
      outcome = { result: "failed", message: String((e && e.message) || e) };
    }
    await post("/driver/outcome", { name: scenario.name, ...outcome });
  }
}

run().catch((e) => post("/driver/outcome", { name: "driver", result: "crashed", message: String(e) }));
