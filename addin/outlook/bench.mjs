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
//   commands.html (the lean engine) and, for comparison, a page loading the full commands.js.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { classicScriptPath, classicWebScriptPath, loadClassicScript } from "./test/engine.mjs";
import { send } from "./test/helpers.mjs";
import { createEngineApi } from "./src/engine-api.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium, openAddinPage, serveAddinDir } from "./test/chromium.mjs";
import { writePackage } from "./package.mjs";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(2)} ms`;

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
