// The real engine for node tests: the classic single script Outlook's classic runtime loads
// (build/wasm/classic/sendguard-classic.js from scripts/build-wasm), run in a fresh context.
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const classicScriptPath = join(repoRoot, "build", "wasm", "classic", "sendguard-classic.js");

/**
 * The globals the classic script defines (SendguardEngine, Sendguard).
 * @param {{ webAssembly?: boolean }} [options] webAssembly false hides WebAssembly, as a
 *   runtime without it would, so the wasm2js fallback runs
 */
export function loadClassicScript(options = {}) {
  const context = vm.createContext({ console });
  if (options.webAssembly === false) vm.runInContext("delete globalThis.WebAssembly", context);
  vm.runInContext(readFileSync(classicScriptPath, "utf8"), context, { filename: "sendguard-classic.js" });
  return { SendguardEngine: context.SendguardEngine, Sendguard: context.Sendguard };
}
