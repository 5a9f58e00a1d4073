// Prints how long the send check takes in Node, for the numbers that matter under Outlook's
// 5-second budget (which also covers downloading the script):
//   node addin/outlook/bench.mjs
// - parsing and running the classic script, and starting the engine (WebAssembly, and the
//   pure-JavaScript fallback for runtimes without it), and the same for the HTML pages' lean
//   script (WebAssembly only);
// - one whole send through the handler (read the draft through the Office callbacks, load
//   the policy, check, build the dialog), median of many;
// - the same in headless Chromium from the packaged files (served on 127.0.0.1, so without
//   network time): from navigation to the handler being registered, then one send; with
//   commands.html (the lean engine) and, for comparison, a page loading the full commands.js;
// - the send handler with 20,000 known addresses in the sender's history against none, side by
//   side in the same run, as a ratio (issue 17's budget: at most 1.25x). Only this part:
//   node addin/outlook/bench.mjs --history
import { readFileSync } from "node:fs";
import v8 from "node:v8";
import vm from "node:vm";
import { performance } from "node:perf_hooks";
import { classicScriptPath, classicWebScriptPath, loadClassicScript } from "./test/engine.mjs";
import { send, memoryLocalStorage } from "./test/helpers.mjs";
import { HISTORY_KEY } from "./src/policy-store.js";
import { createEngineApi } from "./src/engine-api.js";
import { createPolicyCache } from "./src/policy-session.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium, openAddinPage, serveAddinDir } from "./test/chromium.mjs";
import { writePackage } from "./package.mjs";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(2)} ms`;

/**
 * The send handler (office-addin-mock, the real WebAssembly engine, localStorage as in the
 * HTML runtimes) from the call to event.completed, with a history of `size` known addresses
 * against none, the two interleaved so that both see the same machine. Two cases:
 * - a runtime that stays (Outlook keeps its event runtime between sends): each runtime keeps
 *   its policy and engine (policy-session.js, createPolicyCache); each send learns into its
 *   history and has the engine index it, after event.completed (not counted: it never delays
 *   a send);
 * - the first send of a fresh runtime (engine already started): the history is indexed in
 *   the send.
 * @param {number} size
 * @param {number} rounds
 */
/** A full garbage collection (V8's, exposed at run time). */
const collectGarbage = (() => {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc");
})();

export async function historyRatio(size = 20000, rounds = 40) {
  const engine = await loadClassicScript().SendguardEngine.instantiate({ fallback: "never" });
  // One adapter, as a runtime has (main-commands.js starts the engine once).
  const adapter = createEngineApi(engine);
  const api = async () => adapter;
  const recipients = Array.from({ length: size }, (_, i) => `Person ${i} <person.${i}@company${i % 997}.com>`);
  const history = createEngineApi(engine).learnHistory("", { recipients, now_day: 20800 });
  const draft = { to: ["Person 17 <person.17@company17.com>", "Bob <bob@army.mil>"], cc: ["carol@army.mil"], subject: "Plans", body: "x".repeat(20000) };
  /** One send on `runtime` ({ local, cache }), Outlook answering each read after
   * `hostLatencyMs` (0: at once); answers the time to event.completed. */
  const timed = async (runtime, hostLatencyMs = 0) => {
    // Collect the garbage of the previous send's learning (megabytes of strings with 20,000
    // addresses), so that it does not land in the other series' next send.
    collectGarbage();
    const t0 = performance.now();
    let t1 = 0;
    await send({ ...draft, hostLatencyMs }, { api, localStorage: runtime.local, policyCache: runtime.cache, onCompleted: () => { t1 = performance.now(); } });
    return t1 - t0;
  };
  const runtime = (text) => ({ local: memoryLocalStorage(text ? { [HISTORY_KEY]: text } : {}), cache: createPolicyCache() });
  const report = (label, known, none) => {
    const ratio = median(known) / median(none);
    console.log(`Outlook send handler, ${label}: ${size.toLocaleString("en-US")} known addresses (${(history.length / 1024).toFixed(0)} KB of history) vs none: median ${ms(median(known))} vs ${ms(median(none))}, ratio ${ratio.toFixed(2)}x`);
    return ratio;
  };
  const withHistory = runtime(history);
  const without = runtime("");
  for (let i = 0; i < 3; i++) { await timed(without); await timed(withHistory); } // warm-up
  const warm = { known: [], none: [] };
  for (let i = 0; i < rounds; i++) {
    warm.none.push(await timed(without));
    warm.known.push(await timed(withHistory));
  }
  const cold = { known: [], none: [] };
  for (let i = 0; i < Math.ceil(rounds / 4); i++) {
    cold.none.push(await timed(runtime("")));
    cold.known.push(await timed(runtime(history)));
  }
  // A real Outlook answers the draft's reads through its host (a round trip each, run in
  // parallel); the engine indexes the history meanwhile (send-handler.js).
  const HOST_MS = 20;
  const slowHost = { known: [], none: [] };
  for (let i = 0; i < Math.ceil(rounds / 4); i++) {
    slowHost.none.push(await timed(runtime(""), HOST_MS));
    slowHost.known.push(await timed(runtime(history), HOST_MS));
  }
  const ratio = report("runtime kept between sends (budget 1.25x)", warm.known, warm.none);
  report("first send of a fresh runtime", cold.known, cold.none);
  report(`first send of a fresh runtime, Outlook answering each read after ${HOST_MS} ms`, slowHost.known, slowHost.none);
  return ratio;
}

if (process.argv.includes("--history")) {
  await historyRatio();
  process.exit(0);
}

for (const script of [classicScriptPath, classicWebScriptPath]) console.log(`${script}: ${(readFileSync(script).length / 1024).toFixed(0)} KB`);
for (const [name, webAssembly, fallback, script] of /** @type {[string, boolean, string, string?][]} */ ([["WebAssembly", true, "never"], ["wasm2js fallback", false, "auto"], ["lean script, WebAssembly", true, "auto", classicWebScriptPath]])) {
  const starts = [];
  let engine;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    engine = await loadClassicScript({ webAssembly, script }).SendguardEngine.instantiate({ fallback });
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

const dir = mkdtempSync(join(tmpdir(), "sendguard-bench-"));
writeFileSync(join(dir, "policy.json"), "{}");
writePackage({ url: "https://guard.example.org", tenant: "acme", policy: join(dir, "policy.json"), engine: classicScriptPath, "engine-web": classicWebScriptPath, out: join(dir, "pkg") });
// What commands.html was before it had its lean script: the full engine of the classic runtime.
const page = readFileSync(join(dir, "pkg", "outlook", "commands.html"), "utf8");
const fullPage = page.replace('<script src="load-engine.js" data-entry="commands"></script>', '<script src="commands.js"></script>');
if (fullPage === page) throw new Error("commands.html no longer loads its engine through load-engine.js");
writeFileSync(join(dir, "pkg", "outlook", "commands-full.html"), fullPage);
const server = await serveAddinDir(join(dir, "pkg"));
const browser = await launchChromium();
try {
  for (const [name, file, noWebAssembly] of /** @type {[string, string, boolean][]} */ ([["commands.html (lean engine)", "commands.html", false], ["full engine, WebAssembly", "commands-full.html", false], ["full engine, no WebAssembly", "commands-full.html", true]])) {
    const loads = [];
    const sends = [];
    for (let i = 0; i < 7; i++) {
      const draft = { to: [{ displayName: "Colonel Smith", emailAddress: "colonel.smith@army.ml" }], cc: [], bcc: [] };
      const { tab, context } = await openAddinPage(browser, `${server.base}/outlook/${file}`, { draft, noWebAssembly });
      await tab.waitForFunction(() => typeof window.__handlers.onMessageSendHandler === "function");
      loads.push(await tab.evaluate(() => performance.now()));
      sends.push(await tab.evaluate(() => {
        const t0 = performance.now();
        return new Promise((resolve) => window.__handlers.onMessageSendHandler({ completed: () => resolve(performance.now() - t0) }));
      }));
      await context.close();
    }
    console.log(`Chromium, ${name}: page load to handler ready median ${ms(median(loads))}; first send (engine start included) median ${ms(median(sends))}`);
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}

await historyRatio();
