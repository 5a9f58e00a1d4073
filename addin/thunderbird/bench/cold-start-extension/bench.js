// Benchmark only (addin/thunderbird/bench/cold-start.mjs packs it with its inputs): the ES
// module engine's cold start in Thunderbird's own JavaScript engine, as scripts/wasm-budgets.mjs
// measures it in Node: compile and instantiate the module, verify the signed 10,000-domain
// policy and index it, then the first 100-recipient check, with the sender's history of 20,000
// addresses and without, in alternate order. Each start imports a fresh copy of the glue (a new
// URL is a new module) and compiles the bytes anew (a synchronous compile is never cached).
import { BENCH } from "./config.js";

const get = async (name) => new Uint8Array(await (await fetch(name)).arrayBuffer());
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

async function coldStart(round, withHistory, inputs) {
  const history = withHistory ? inputs.history : "";
  const start = performance.now();
  const glue = await import(`./engine/sendguard.js?start=${round}-${withHistory}`);
  glue.initSync({ module: inputs.wasm });
  const engine = glue.Engine.fromBundle(inputs.bundle, inputs.keyset, { tenant: "acme", held: null, now: BENCH.now });
  const verdict = engine.check(inputs.draft, { known: [], history });
  const total = performance.now() - start;
  if (verdict.findings.length < 20) throw new Error("the check found too little");
  engine.free();
  return total;
}

async function run() {
  const inputs = {
    wasm: await get("engine/sendguard_bg.wasm"),
    bundle: await get("bundle.json"),
    keyset: await get("keyset.json"),
    history: await (await fetch("history.txt")).text(),
    draft: await (await fetch("draft.json")).json()
  };
  const pairs = [];
  for (let round = 0; round < BENCH.warmUp + BENCH.pairs; round++) {
    const order = round % 2 ? [true, false] : [false, true];
    const times = {};
    for (const withHistory of order) {
      times[withHistory ? "history" : "none"] = await coldStart(round, withHistory, inputs);
      // The optimising compiles of the previous start finish before the next one begins,
      // as they would between two starts of Thunderbird.
      await pause(BENCH.pauseMs);
    }
    if (round >= BENCH.warmUp) pairs.push(times);
  }
  return pairs;
}

const collector = `http://127.0.0.1:${BENCH.collectorPort}`;
/** Waits for the benchmark's word: Thunderbird has finished starting (its own work would
 * land in the first measurements otherwise). */
async function go() {
  for (let i = 0; i < 600; i++) {
    const answer = await (await fetch(`${collector}/hook/go`)).json();
    if (answer.go) return;
    await pause(100);
  }
  throw new Error("the benchmark never said go");
}
go().then(run).then(
  (pairs) => fetch(`${collector}/hook/bench`, { method: "POST", body: JSON.stringify({ pairs }) }),
  (error) => fetch(`${collector}/hook/bench`, { method: "POST", body: JSON.stringify({ error: String(error && error.stack || error) }) })
);
