// Benchmark: what the extension adds to pressing Send, with the real WebAssembly engine and a
// fake `messenger` (no dialog: a clean draft), and what the sender's history costs: the same
// send with 20,000 known addresses against none, measured side by side in one run (a ratio),
// learning from a send, and a first import. Prints numbers; asserts nothing about time.
// Run: node addin/thunderbird/bench/send-check.mjs   (after scripts/build-wasm)

import fs from "node:fs";
import { performance } from "node:perf_hooks";

import { engineApi } from "../lib/engine.js";
import { startExtension } from "../lib/extension.js";
import { fakeMessenger, vCard } from "../test/fake-messenger.mjs";

const esm = new URL("../../../build/wasm/esm/", import.meta.url);
const vectors = new URL("../../../tests/vectors/bundles/", import.meta.url);

/** Median and 99th percentile of `runs` timings of `f`, in milliseconds. */
async function measure(runs, f) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await f(i);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(runs / 2)], p99: times[Math.floor(runs * 0.99)] };
}
const ms = (x) => `${x.toFixed(3)} ms`;

const wasmBytes = fs.readFileSync(new URL("sendguard_bg.wasm", esm));
const loadStart = performance.now();
const wasm = await import(new URL("sendguard.js", esm).href);
await wasm.default({ module_or_path: wasmBytes });
const api = engineApi(wasm);
api.defaultEngine();
console.log(`engine: ${wasmBytes.length} bytes of wasm; load, instantiate and compile the built-in policy: ${ms(performance.now() - loadStart)}`);

const keyset = fs.readFileSync(new URL("keyset-v1.json", vectors), "utf8");
for (const file of ["policy-v5.json", "policy-100k.json"]) {
  const bundle = fs.readFileSync(new URL(file, vectors), "utf8");
  const t = await measure(50, () => api.verify({ bundle, keyset, tenant: "acme", held: null, now: 1767312000 }));
  console.log(`verify + compile ${file} (${bundle.length} bytes): median ${ms(t.median)}, p99 ${ms(t.p99)}`);
}

const messenger = fakeMessenger({ identity: { email: "alice@northwind.org", name: "Alice" } });
startExtension({ messenger, engineApi: async () => api, fetch: async () => /** @type {any} */ ({ status: 404, ok: false }), log: () => {} });
for (const count of [3, 100]) {
  const to = Array.from({ length: count }, (_, i) => `Person ${i} <person${i}@contoso.com>`);
  const details = { identityId: "id1", to, cc: [], bcc: [], subject: "Quarterly figures", plainTextBody: "Hello,\n".repeat(200) };
  const t = await measure(500, async () => {
    const result = await messenger.compose.onBeforeSend.fire({ id: 1 }, details);
    if (result.cancel || messenger.opened.length) throw new Error("a clean draft was held");
  });
  console.log(`onBeforeSend, clean draft, ${count} recipients: median ${ms(t.median)}, p99 ${ms(t.p99)}`);
}

// The sender's history: 20,000 known addresses against none, the same 100-recipient draft
// (people the sender writes to), the two extensions measured in turns.
const KNOWN = 20000;
const known = Array.from({ length: KNOWN }, (_, i) => `Person ${i} <person${i}@company${i % 50}.com>`);
const historyText = api.history.learn("", { recipients: known, day: 20400 });
/** An extension (with its own engine) whose storage holds `text` as the history (import done). */
function withHistory(text) {
  const state = { addressBooksAt: 1, sent: { done: true, through: Math.floor(Date.now() / 1000) } };
  const m = fakeMessenger({ identity: { email: "alice@northwind.org", name: "Alice" }, local: { history: text, historyState: state } });
  const own = engineApi(wasm);
  startExtension({ messenger: m, engineApi: async () => own, fetch: async () => /** @type {any} */ ({ status: 404, ok: false }), log: () => {} });
  return m;
}
const sides = { none: withHistory(""), [KNOWN]: withHistory(historyText) };
// 100 people at one organisation (many organisations in To would be a finding of its own).
const draft = { identityId: "id1", to: known.filter((_, i) => i % 50 === 0).slice(0, 100), cc: [], bcc: [], subject: "Quarterly figures", plainTextBody: "Hello,\n".repeat(200) };
const times = { none: [], [KNOWN]: [] };
for (let round = 0; round < 400; round++) {
  for (const [name, m] of Object.entries(sides)) {
    const start = performance.now();
    const result = await m.compose.onBeforeSend.fire({ id: 1 }, draft);
    times[name].push(performance.now() - start);
    if (result.cancel || m.opened.length) throw new Error("a draft to known people was held");
  }
}
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const [none, full] = [median(times.none), median(times[KNOWN])];
console.log(`onBeforeSend, 100 known recipients, history of ${KNOWN} addresses vs none: median ${ms(full)} vs ${ms(none)} = ${(full / none).toFixed(2)}x (history text ${historyText.length} bytes)`);

const learn = await measure(20, () => api.history.learn(historyText, { recipients: known.slice(0, 5), day: 20401 }));
console.log(`learning one 5-recipient send into ${KNOWN} addresses (what onAfterSend stores): median ${ms(learn.median)}`);

const contacts = Array.from({ length: KNOWN }, (_, i) => ({ id: `c${i}`, vCard: vCard(`Person ${i}`, `person${i}@company${i % 50}.com`) }));
const sent = Array.from({ length: 10000 }, (_, i) => ({ date: new Date(Date.now() - (i % 360) * 86400000), headerMessageId: `<m${i}@northwind.org>`, recipients: [known[(i * 7) % KNOWN]], ccList: [known[(i * 13) % KNOWN]], bccList: [] }));
const importing = fakeMessenger({ books: [{ id: "ab", contacts }], sent });
const importStart = performance.now();
const ext = startExtension({ messenger: importing, engineApi: async () => api, fetch: async () => /** @type {any} */ ({ status: 404, ok: false }), log: () => {}, pause: async () => {} });
await ext.imported;
console.log(`first import, ${KNOWN} contacts and 10,000 sent messages (no pauses): ${ms(performance.now() - importStart)}; ${(await ext.history.summary()).entries} addresses`);

// The first send after one was learned: the engine indexes a history only when it changed, and
// the extension has it do so in the background (WARM_DELAY_MS after the change), so a send a
// second later finds it indexed.
{
  const m = sides[KNOWN];
  const cold = [];
  const warm = [];
  for (let round = 0; round < 10; round++) {
    await m.compose.onAfterSend.fire({ id: 1 }, { mode: "sendNow", details: { to: [`New ${round} <new${round}@company1.com>`] } });
    await new Promise((r) => setTimeout(r, 1000)); // the learn is stored after the send, then indexed
    for (const list of [cold, warm]) {
      const start = performance.now();
      await m.compose.onBeforeSend.fire({ id: 1 }, draft);
      list.push(performance.now() - start);
    }
  }
  console.log(`onBeforeSend a second after a send was learned (${KNOWN} addresses): median ${ms(median(cold))}; the send after it: ${ms(median(warm))}`);
}
