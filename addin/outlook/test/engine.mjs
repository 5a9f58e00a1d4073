// The real engine for node tests: the classic single script Outlook's classic runtime loads
// (build/wasm/classic/sendguard-classic.js from scripts/build-wasm), run in a fresh context;
// or the lean one without the JavaScript fallback that the HTML pages load.
import { readFileSync } from "node:fs";
import { basename, join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const classicScriptPath = join(repoRoot, "build", "wasm", "classic", "sendguard-classic.js");
export const classicWebScriptPath = join(repoRoot, "build", "wasm", "classic", "sendguard-classic-web.js");

/**
 * The globals the classic script defines (SendguardEngine, Sendguard).
 * @param {{ webAssembly?: boolean, script?: string }} [options] webAssembly false hides
 *   WebAssembly, as a runtime without it would, so the wasm2js fallback runs (or, in the lean
 *   script, nothing); script: classicWebScriptPath for the lean one
 */
export function loadClassicScript(options = {}) {
  const script = options.script || classicScriptPath;
  const context = vm.createContext({ console });
  if (options.webAssembly === false) vm.runInContext("delete globalThis.WebAssembly", context);
  vm.runInContext(readFileSync(script, "utf8"), context, { filename: basename(script) });
  return { SendguardEngine: context.SendguardEngine, Sendguard: context.Sendguard };
}
