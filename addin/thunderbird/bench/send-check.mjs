// Benchmark: what the extension adds to pressing Send, with the real WebAssembly engine and a
// fake `messenger` (no dialog: a clean draft). Prints numbers; asserts nothing about time.
// Run: node addin/thunderbird/bench/send-check.mjs   (after scripts/build-wasm)

import fs from "node:fs";
import { performance } from "node:perf_hooks";

import { engineApi } from "../lib/engine.js";
import { startExtension } from "../lib/extension.js";
import { fakeMessenger } from "../test/fake-messenger.mjs";

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
