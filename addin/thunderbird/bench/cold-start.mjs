// Benchmark: the ES module engine's cold start with the sender's history against none, in a
// real Thunderbird (SpiderMonkey), the runtime the ES module ships in. The same measurement as
// scripts/wasm-budgets.mjs makes in Node (V8): compile and instantiate, verify and index the
// signed 10,000-domain policy, first 100-recipient check; with 20,000 known addresses and
// without, side by side in one run, as a ratio (issue 17's budget: at most 1.25x). Prints
// numbers; asserts nothing about time.
// Thunderbird itself indexes the history off the send path where it can (extension.js: at
// start, after a policy refresh, after a change), so this is what a start costs; a send waits
// for it only when it wakes a suspended background page.
// Run: node addin/thunderbird/bench/cold-start.mjs   (after scripts/build-wasm; needs
// thunderbird, xvfb, zip: what suite 60-thunderbird-e2e installs)

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { packXpi, startThunderbird, waitFor } from "../e2e/harness.mjs";
import { COLD_PAIRS, HISTORY_SIZE, NOW, historyText, hundredRecipients, quantile, signedPolicy } from "../../../scripts/wasm-budgets.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const esm = path.join(here, "../../../build/wasm/esm");
/** Starts before the measured pairs (the glue's first fetches and compiles). */
const WARM_UP_PAIRS = 2;
/** Between two starts: Thunderbird's optimising compile of the previous module ends first. */
const PAUSE_MS = Number(process.env.PAUSE_MS || 2000);

/** The benchmark extension with its inputs, packed in `work`. */
function benchExtension(collectorPort, work) {
  const xpi = path.join(work, "cold-start-bench.xpi");
  const { bundle, keyset } = signedPolicy(10000);
  const config = { collectorPort, now: NOW, pairs: COLD_PAIRS, warmUp: WARM_UP_PAIRS, pauseMs: PAUSE_MS };
  packXpi(path.join(here, "cold-start-extension"), xpi, {
    "config.js": `export const BENCH = ${JSON.stringify(config)};\n`,
    "engine/sendguard.js": fs.readFileSync(path.join(esm, "sendguard.js")),
    "engine/sendguard_bg.wasm": fs.readFileSync(path.join(esm, "sendguard_bg.wasm")),
    "bundle.json": Buffer.from(bundle),
    "keyset.json": Buffer.from(keyset),
    "history.txt": historyText(HISTORY_SIZE),
    "draft.json": JSON.stringify(hundredRecipients())
  });
  return [{ id: "cold-start-bench@sendguard.test", xpi }];
}

let started = false;
/** @type {{ pairs?: { history: number, none: number }[], error?: string } | undefined} */
let report;
const tb = await startThunderbird({
  sender: { name: "Alice Jones", email: "alice.jones@northwind.org" },
  extensions: benchExtension,
  hookRoutes: {
    "GET /hook/go": () => ({ go: started }),
    "POST /hook/bench": (body) => {
      report = body;
    }
  }
});
try {
  started = true;
  const budgetMs = (WARM_UP_PAIRS + COLD_PAIRS) * 2 * (PAUSE_MS + 5000);
  await waitFor("the benchmark's report", () => report, budgetMs).catch((e) => {
    throw new Error(`${e.message}\n--- Thunderbird log ---\n${tb.readLog()}`);
  });
  if (!report || !report.pairs) throw new Error(`the benchmark failed in Thunderbird: ${report && report.error}`);
  const ratios = report.pairs.map((p) => p.history / p.none);
  const median = (key) => quantile(report.pairs.map((p) => p[key]), 0.5);
  console.log(
    `cold start + first check, esm, Thunderbird ${tb.thunderbirdVersion}: ${HISTORY_SIZE.toLocaleString("en")} known addresses against none ` +
      `${quantile(ratios, 0.5).toFixed(2)}x (budget <= 1.25x; quartiles ${quantile(ratios, 0.25).toFixed(2)}-${quantile(ratios, 0.75).toFixed(2)}; ` +
      `medians ${median("history").toFixed(1)} vs ${median("none").toFixed(1)} ms; ${ratios.length} pairs)`
  );
} finally {
  await tb.stop();
}
