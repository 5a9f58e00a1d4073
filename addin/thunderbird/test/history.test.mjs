// The sender's history in the extension: the vCard reader, the storage (one update at a
// time, forget), the import from address books and Sent folders (windows, pages, bounds,
// resuming, incremental runs) and what a send takes and gives. The engine's history
// functions are recorded here (what the glue hands the engine is what these tests check);
// test/history-engine.test.mjs runs the same wiring with the real engine.

import assert from "node:assert/strict";
import { test } from "node:test";

import { createHistoryImport, IMPORT_DAYS, INCREMENTAL_EVERY, MAX_IMPORT_MESSAGES, WINDOW_DAYS } from "../lib/history-import.js";
import { createHistoryStore, dayOf, HISTORY_KEY, HISTORY_STATE_KEY } from "../lib/history-store.js";
import { createSendHistory, originalOf, resolveContacts } from "../lib/send-history.js";
import { contactFromVCard, MAX_EMAILS_PER_CONTACT } from "../lib/vcard.js";
import { startExtension } from "../lib/extension.js";
import { eventually, fakeMessenger, fakeStorageArea, recordingHistoryApi, vCard } from "./fake-messenger.mjs";
import { realEngineApi } from "./real-engine.mjs";

const NOW = 1_790_000_000; // Unix seconds
const DAY = 86400;

function setup(options = {}, api = recordingHistoryApi()) {
  const messenger = fakeMessenger(options);
  const store = createHistoryStore({ storage: messenger.storage.local, history: async () => api, now: () => NOW });
  const importer = createHistoryImport({ store, addressBooks: messenger.addressBooks, folders: messenger.folders, messages: messenger.messages, now: () => NOW, pause: async () => {} });
  return { messenger, store, importer, api };
}

const sentMessage = (daysAgo, to, extra = {}) => ({ date: new Date((NOW - daysAgo * DAY) * 1000), headerMessageId: `m${daysAgo}-${to}@northwind.org`, recipients: [to], ccList: [], bccList: [], ...extra });

test("vCard: the display name and every address, folded lines, groups and escapes; bounded", () => {
  const card = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Smith\\, John\r\nitem1.EMAIL;TYPE=work:john.smith@lockheed\r\n martin.com\r\nEMAIL:jsmith@example.org\r\nNOTE:EMAIL:not@this.one\r\nEND:VCARD\r\n";
  assert.deepEqual(contactFromVCard(card), { name: "Smith, John", emails: ["john.smith@lockheedmartin.com", "jsmith@example.org"] });
  assert.deepEqual(contactFromVCard(undefined), { name: "", emails: [] });
  const many = vCard("Many", ...Array.from({ length: 50 }, (_, i) => `a${i}@example.org`));
  assert.equal(contactFromVCard(many).emails.length, MAX_EMAILS_PER_CONTACT);
});

test("first run: address books (local only) learned as known, then 12 months of Sent, window by window, day by day", async () => {
  const books = [
    { id: "ab1", contacts: [{ id: "c1", vCard: vCard("John Smith", "john.smith@lockheedmartin.com") }, { id: "c2", vCard: vCard("", "no.name@example.org") }] },
    { id: "ldap", remote: true, contacts: [{ id: "c3", vCard: vCard("Remote", "remote@example.org") }] }
  ];
  const sent = [
    sentMessage(3, "John Smith <john.smith@lockheedmartin.com>", { ccList: ["bob@contoso.com"] }),
    sentMessage(40, "carol@fabrikam.com"),
    sentMessage(400, "too.old@example.org"),
    sentMessage(5, "in.inbox@example.org", { folderId: "inbox-1" })
  ];
  const { messenger, store, importer, api } = setup({ books, sent });
  assert.equal(await importer.run(), "done");
  assert.deepEqual(api.calls[0], { recipients: ['"John Smith" <john.smith@lockheedmartin.com>', "no.name@example.org"], day: dayOf(NOW), imported: true });
  const learned = api.calls.slice(1).filter((c) => c.recipients.length);
  assert.deepEqual(learned.map((c) => [c.recipients, c.day, c.imported]), [
    [["John Smith <john.smith@lockheedmartin.com>", "bob@contoso.com"], dayOf(NOW - 3 * DAY), undefined],
    [["carol@fabrikam.com"], dayOf(NOW - 40 * DAY), undefined]
  ]);
  // Windows of 30 days, newest first, back 365 days; every query is the sender's own mail.
  const windows = messenger.messages.queries;
  assert.equal(windows.length, Math.ceil(IMPORT_DAYS / WINDOW_DAYS));
  assert.ok(windows.every((q) => q.fromMe === true && q.messagesPerPage === 100 && q.includeSubFolders === true && q.folderId.join() === "sent-1"));
  assert.equal(windows[0].toDate.getTime(), NOW * 1000 - 1, "windows do not overlap (toDate is inclusive)");
  assert.equal(windows.at(-1).fromDate.getTime(), (NOW - IMPORT_DAYS * DAY) * 1000);
  const state = await store.state();
  assert.deepEqual(state.sent, { done: true, through: NOW, messages: 2 });
  assert.equal(state.addressBooksAt, NOW);
  assert.equal((await store.summary()).entries, 5);
  assert.equal((await store.summary()).importing, false);
});

test("the first import resumes after its last finished window, and counts no window twice", async () => {
  const sent = [sentMessage(5, "a@example.org"), sentMessage(70, "b@example.org")];
  const local = fakeStorageArea({ [HISTORY_STATE_KEY]: { addressBooksAt: NOW, sent: { startedAt: NOW, doneBefore: NOW - 60 * DAY, messages: 1 } }, [HISTORY_KEY]: "a@example.org\tearlier\n" });
  const api = recordingHistoryApi();
  const messenger = fakeMessenger({ sent });
  const store = createHistoryStore({ storage: local, history: async () => api, now: () => NOW });
  const importer = createHistoryImport({ store, messages: messenger.messages, now: () => NOW, pause: async () => {} });
  assert.equal(await importer.run(), "done");
  assert.equal(messenger.messages.queries[0].toDate.getTime(), (NOW - 60 * DAY) * 1000 - 1);
  assert.deepEqual(api.calls.map((c) => c.recipients).flat(), ["b@example.org"]);
  assert.deepEqual((await store.state()).sent, { done: true, through: NOW, messages: 2 });
});

test("sent mail is learned a week at a time, dated by the week's last message", async () => {
  const base = Math.floor(dayOf(NOW) / 7) * 7; // the first day of this week (days since 1970 in 7s)
  const at = (day, to) => ({ date: new Date(day * DAY * 1000 + 3600_000), headerMessageId: `<${day}.${to}>`, recipients: [to], ccList: [], bccList: [] });
  const sent = [at(base - 7, "a@example.org"), at(base - 5, "b@example.org"), at(base - 2, "a@example.org"), at(base - 8, "c@example.org")];
  const { importer, api } = setup({ sent });
  assert.equal(await importer.run(), "done");
  assert.deepEqual(api.calls.filter((c) => c.recipients.length).map((c) => [c.day, c.recipients]), [
    [base - 8, ["c@example.org"]],
    [base - 2, ["a@example.org", "b@example.org", "a@example.org"]]
  ]);
});

test("with no folder marked Sent, every folder is searched for the sender's own messages", async () => {
  const { messenger, importer, api } = setup({ sentFolders: [], sent: [sentMessage(2, "x@example.org", { folderId: "archive" })] });
  assert.equal(await importer.run(), "done");
  assert.equal(messenger.messages.queries[0].folderId, undefined);
  assert.deepEqual(api.calls.flatMap((c) => c.recipients), ["x@example.org"]);
});

test("the Sent import is bounded: it stops after MAX_IMPORT_MESSAGES and ends the list", async () => {
  const sent = Array.from({ length: MAX_IMPORT_MESSAGES + 150 }, (_, i) => sentMessage(1 + (i % 20), `r${i}@example.org`));
  const { messenger, importer, api, store } = setup({ sent });
  assert.equal(await importer.run(), "done");
  const learned = api.calls.filter((c) => !c.imported).flatMap((c) => c.recipients);
  assert.equal(learned.length, MAX_IMPORT_MESSAGES);
  assert.equal(messenger.messages.aborted.length, 1, "the message list is ended early");
  assert.equal(messenger.messages.queries.length, 1, "no further windows once the bound is reached");
  assert.equal((await store.state()).sent.messages, MAX_IMPORT_MESSAGES);
});

test("later runs read only what is newer, skip sends already learned, and wait INCREMENTAL_EVERY between runs", async () => {
  const through = NOW - 2 * DAY;
  const sent = [sentMessage(1, "new@example.org"), sentMessage(1, "already@example.org", { headerMessageId: "<known@northwind.org>" }), sentMessage(3, "older@example.org")];
  const state = { addressBooksAt: through, sent: { done: true, through }, sentIds: ["<known@northwind.org>"] };
  const { messenger, importer, api, store } = setup({ sent, local: { [HISTORY_STATE_KEY]: state } });
  assert.equal(await importer.run(), "done");
  assert.equal(messenger.messages.queries.length, 1);
  assert.equal(messenger.messages.queries[0].fromDate.getTime(), through * 1000);
  assert.deepEqual(api.calls.flatMap((c) => c.recipients), ["new@example.org"]);
  assert.equal((await store.state()).sent.through, NOW);
  // Within INCREMENTAL_EVERY of that run, nothing is queried.
  assert.ok(INCREMENTAL_EVERY > 0);
  assert.equal(await importer.run(), "done");
  assert.equal(messenger.messages.queries.length, 1);
});

test("updates go one at a time: an import batch and a send finishing together both count", async () => {
  const { store, api } = setup();
  await Promise.all([store.learn(["a@example.org"], { day: 1 }), store.learn(["b@example.org"], { day: 2 }), store.learn(["c@example.org"], { day: 3, imported: true })]);
  assert.equal((await store.text()).split("\n").filter(Boolean).length, 3);
  assert.equal(api.calls.length, 3);
});

test("Forget: the history is emptied, an import under way stops learning, and old mail is not imported again", async () => {
  let release;
  const gate = new Promise((r) => (release = r));
  const sent = Array.from({ length: 250 }, (_, i) => sentMessage(1, `r${i}@example.org`));
  const messenger = fakeMessenger({ sent, books: [{ id: "ab", contacts: [{ id: "c", vCard: vCard("A", "a@example.org") }] }] });
  const api = recordingHistoryApi();
  const store = createHistoryStore({ storage: messenger.storage.local, history: async () => api, now: () => NOW });
  const importer = createHistoryImport({ store, addressBooks: messenger.addressBooks, messages: messenger.messages, now: () => NOW, pause: () => gate });
  const run = importer.run();
  await new Promise((r) => setTimeout(r, 20));
  await store.forget();
  release();
  assert.equal(await run, "stopped");
  assert.equal(await store.text(), "");
  const state = await store.state();
  assert.deepEqual(state, { forgottenAt: NOW, updatedAt: NOW, addressBooksAt: NOW, sent: { done: true, through: NOW }, sentIds: [] });
  assert.equal(await importer.run(), "done");
  assert.equal(await store.text(), "", "nothing from before the Forget comes back");
  assert.deepEqual(await store.summary(), { entries: 0, rejected: 0, updatedAt: NOW, forgottenAt: NOW, importing: false });
});

test("a contact added or changed later is learned as known", async () => {
  const { importer, api } = setup();
  await importer.contactChanged({ id: "c9", vCard: vCard("Dana", "dana@contoso.com") });
  await importer.contactChanged({ id: "c10", remote: true, vCard: vCard("R", "r@example.org") });
  assert.deepEqual(api.calls, [{ recipients: ['"Dana" <dana@contoso.com>'], day: dayOf(NOW), imported: true }]);
});

test("reply context: the original's From, To and Cc for a reply or forward; nothing for new messages or drafts", async () => {
  const originals = { 42: { author: "Ann <ann@acme.com>", recipients: ["me@northwind.org", "Nat <nat@nato.int>"], ccList: ["x@acme.com"] } };
  const { messenger } = setup({ originals });
  assert.deepEqual(await originalOf({ type: "reply", relatedMessageId: 42 }, messenger.messages), { kind: "reply", participants: ["Ann <ann@acme.com>", "me@northwind.org", "Nat <nat@nato.int>", "x@acme.com"] });
  assert.equal((await originalOf({ type: "forward", relatedMessageId: 42 }, messenger.messages)).kind, "forward");
  assert.equal(await originalOf({ type: "new" }, messenger.messages), undefined);
  assert.equal(await originalOf({ type: "draft", relatedMessageId: 42 }, messenger.messages), undefined);
  assert.equal(await originalOf({ type: "reply", relatedMessageId: 7 }, messenger.messages), undefined, "an original that cannot be read");
});

test("address-book entries and mailing lists picked by id resolve to their addresses", async () => {
  const books = [{ id: "ab", contacts: [{ id: "c1", vCard: vCard("John Smith", "john.smith@lockheedmartin.com", "john@home.example") }] }];
  const lists = { l1: [{ vCard: vCard("Bo", "bo@contoso.com") }, { vCard: vCard("Cy", "cy@contoso.com") }] };
  const { messenger } = setup({ books, lists });
  const details = { to: [{ id: "c1", type: "contact" }, "x@example.org"], cc: [{ id: "l1", type: "mailingList" }], bcc: [{ id: "gone", type: "contact" }] };
  assert.deepEqual(await resolveContacts(details, messenger.addressBooks), { c1: ['"John Smith" <john.smith@lockheedmartin.com>'], l1: ['"Bo" <bo@contoso.com>', '"Cy" <cy@contoso.com>'] });
});

test("a send that went out teaches its final recipients; a failed one nothing; Thunderbird 147's details win", async () => {
  const { store, api, messenger } = setup({ books: [{ id: "ab", contacts: [{ id: "c1", vCard: vCard("John Smith", "john.smith@lockheedmartin.com") }] }] });
  const learner = createSendHistory({ store, addressBooks: messenger.addressBooks, now: () => NOW });
  await learner.sending(7, { to: ["Jon <john.smith@lockheedmartin.com>"], cc: [{ id: "c1", type: "contact" }], bcc: [] });
  assert.equal(await learner.sent({ id: 7 }, { mode: "sendNow", headerMessageId: "<a@northwind.org>" }), true);
  assert.deepEqual(api.calls[0], { recipients: ["Jon <john.smith@lockheedmartin.com>", '"John Smith" <john.smith@lockheedmartin.com>'], day: dayOf(NOW), imported: undefined });
  assert.deepEqual((await store.state()).sentIds, ["<a@northwind.org>"]);

  await learner.sending(8, { to: ["failed@example.org"] });
  assert.equal(await learner.sent({ id: 8 }, { mode: "sendNow", error: "SMTP refused" }), false);
  await learner.sending(9, { to: ["stale@example.org"] });
  assert.equal(await learner.sent({ id: 9 }, { mode: "sendNow", details: { to: ["sent@example.org"] } }), true);
  assert.deepEqual(api.calls.map((c) => c.recipients), [["Jon <john.smith@lockheedmartin.com>", '"John Smith" <john.smith@lockheedmartin.com>'], ["sent@example.org"]]);
});

test("a send during the first import is checked at once with what is learned so far, and with the reply context", async () => {
  let context;
  let draft;
  const spyEngine = { check: (d, c) => ((draft = d), (context = c), { action: "allow", summary: "", findings: [] }) };
  const api = { ...realEngineApi, history: recordingHistoryApi(), defaultEngine: () => spyEngine };
  const books = [{ id: "ab", contacts: [{ id: "c1", vCard: vCard("John Smith", "john.smith@lockheedmartin.com") }] }];
  const sent = Array.from({ length: 300 }, (_, i) => sentMessage(1, `r${i}@example.org`));
  const originals = { 5: { author: "Ann <ann@acme.com>", recipients: ["alice@northwind.org"], ccList: ["nat@nato.int"] } };
  const messenger = fakeMessenger({ books, sent, originals });
  // The import stops at its first pause for good: it never finishes during this test.
  const extension = startExtension({ messenger, engineApi: async () => api, fetch: async () => assert.fail("no server"), log: () => {}, pause: () => new Promise(() => {}) });
  await eventually(() => messenger.messages.queries.length === 1);
  const result = await messenger.compose.onBeforeSend.fire({ id: 3 }, { type: "reply", relatedMessageId: 5, to: ["Ann <ann@acme.com>", "bob@acme-corp.com"], cc: ["nat@nato.int"], bcc: [], subject: "Re: plan", plainTextBody: "x" });
  assert.deepEqual(result, {});
  assert.equal(context.history, await extension.history.text());
  assert.match(context.history, /john\.smith@lockheedmartin\.com/, "the address books were learned before the Sent folders");
  assert.doesNotMatch(context.history, /r0@example\.org/, "the Sent folders' first page is still being read");
  assert.deepEqual(draft.original, { kind: "reply", participants: ["Ann <ann@acme.com>", "alice@northwind.org", "nat@nato.int"] });
  assert.equal((await messenger.runtime.sendMessage({ type: "options-history" })).importing, true);
});

test("after the history changes, the engine indexes it in the background, so the next send does not wait for it", async () => {
  const checks = [];
  const spyEngine = { check: (d, c) => (checks.push({ draft: d, history: c.history }), { action: "allow", summary: "", findings: [] }) };
  const api = { ...realEngineApi, history: recordingHistoryApi(), defaultEngine: () => spyEngine };
  const messenger = fakeMessenger({ local: { historyState: { addressBooksAt: NOW, sent: { done: true, through: Math.floor(Date.now() / 1000) } } } });
  const extension = startExtension({ messenger, engineApi: async () => api, fetch: async () => assert.fail("no server"), log: () => {}, pause: async () => {} });
  await extension.imported;
  await messenger.compose.onBeforeSend.fire({ id: 4 }, { to: ["dana@contoso.com"], cc: [], bcc: [] });
  await messenger.compose.onAfterSend.fire({ id: 4 }, { mode: "sendNow" });
  await eventually(() => checks.length === 2);
  assert.deepEqual(checks[1].draft, { to: [] }, "an empty draft, only to index the history");
  assert.match(checks[1].history, /dana@contoso\.com/);
  assert.equal(checks[1].history, await extension.history.text());
});
