// Prints how long the send check takes in Node, for the numbers that matter under Outlook's
// 5-second budget (which also covers downloading the script):
//   node addin/outlook/bench.mjs
// - parsing and running the classic script, and starting the engine (WebAssembly, and the
//   pure-JavaScript fallback for runtimes without it);
// - one whole send through the handler (read the draft through the Office callbacks, load
//   the policy, check, build the dialog), median of many.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { classicScriptPath, loadClassicScript } from "./test/engine.mjs";
import { send } from "./test/helpers.mjs";
import { createEngineApi } from "./src/engine-api.js";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(2)} ms`;

const size = readFileSync(classicScriptPath).length;
console.log(`classic script: ${(size / 1024).toFixed(0)} KB`);
for (const [name, webAssembly, fallback] of [["WebAssembly", true, "never"], ["wasm2js fallback", false, "auto"]]) {
  const starts = [];
  let engine;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    engine = await loadClassicScript({ webAssembly }).SendguardEngine.instantiate({ fallback });
    starts.push(performance.now() - t0);
  }
  const api = async () => createEngineApi(engine);
  const draft = { to: ["Colonel Smith <colonel.smith@army.ml>", "Bob <bob@army.mil>"], cc: ["carol@army.mil"], subject: "Plans", body: "x".repeat(20000) };
  const sends = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await send(draft, { api });
    sends.push(performance.now() - t0);
  }
  console.log(`${name} (${engine.kind}): script + engine start median ${ms(median(starts))}; one send (3 recipients, 20 KB body) median ${ms(median(sends))}`);
}
