#!/usr/bin/env node
// The history read on WebAssembly's baseline tier, steady enough to see a 3% change: each of
// N fresh processes runs with `--liftoff-only` (the tier a cold start reads the history on),
// reads the 20,000-address history of scripts/wasm-budgets.mjs 24 times into the ES module's
// engine (two texts in turn, so that each check reads anew) and prints the median of the last
// 20; the parent prints the median and range over the processes for each build, builds taking
// turns. With --hundred the draft is the 100-recipient one, so the time also holds the first
// check's lazy indexes (names, known domains); without, a one-recipient draft.
// Usage: node scripts/history-read-bench.mjs [--hundred] [ESM-BUILD-DIR ...]
//        (default build/wasm/esm, after scripts/build-wasm; give several dirs to compare)
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { historyText, hundredRecipients, quantile } from "./wasm-budgets.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const PROCESSES = 11;
const READS = 24;
const WARM_UP = 4;

const args = process.argv.slice(2);
if (args[0] === "--child") {
  await readInThisProcess(args[1], args[2] === "hundred");
} else {
  const hundred = args.includes("--hundred");
  const dirs = args.filter((a) => !a.startsWith("--")).map((d) => resolve(d));
  compare(dirs.length ? dirs : [join(ROOT, "build", "wasm", "esm")], hundred);
}

function compare(dirs, hundred) {
  const times = new Map(dirs.map((d) => [d, []]));
  for (let i = 0; i < PROCESSES; i++) {
    for (const dir of dirs) {
      const child = spawnSync(process.execPath, ["--liftoff-only", fileURLToPath(import.meta.url), "--child", dir, hundred ? "hundred" : "one"], { encoding: "utf8" });
      if (child.status !== 0) throw new Error(`the read in ${dir} failed: ${child.stderr}`);
      times.get(dir).push(Number(child.stdout));
    }
  }
  console.log(`history read of 20,000 addresses on the baseline tier (${hundred ? "100-recipient" : "one-recipient"} draft), ms over ${PROCESSES} processes:`);
  for (const [dir, xs] of times) {
    console.log(`  ${dir}: median ${quantile(xs, 0.5).toFixed(2)}, range ${quantile(xs, 0).toFixed(2)}-${quantile(xs, 1).toFixed(2)}`);
  }
}

async function readInThisProcess(dir, hundred) {
  const texts = [historyText(20000), historyText(20000) + "\n"];
  const esm = await import(join(dir, "sendguard.js"));
  esm.initSync({ module: readFileSync(join(dir, "sendguard_bg.wasm")) });
  const engine = esm.Engine.fromPolicyJson(JSON.stringify({ internal_domains: ["acme.example.com"] }));
  const draft = hundred ? hundredRecipients() : { to: ["someone@example.org"] };
  const times = [];
  for (let i = 0; i < READS; i++) {
    const start = performance.now();
    const verdict = engine.check(draft, { known: [], history: texts[i % 2] });
    if (i >= WARM_UP) times.push(performance.now() - start);
    if (!verdict.findings) throw new Error("no verdict");
  }
  process.stdout.write(quantile(times, 0.5).toFixed(3));
}
