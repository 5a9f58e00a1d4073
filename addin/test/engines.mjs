// Loads the engine three ways, all with one shape ({kind, version(), Engine}):
//   esm           the wasm-bindgen ES module (console, Thunderbird)
//   classic-wasm  Outlook's classic single script, WebAssembly path
//   classic-js    the same script in a realm without WebAssembly and without text codecs
//                 (its pure-JavaScript wasm2js fallback and UTF-8 polyfill)
// Needs `scripts/build-wasm` to have run (build/wasm/).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BUILD = join(ROOT, "build", "wasm");
export const CLASSIC_FILE = join(BUILD, "classic", "sendguard-classic.js");

function requireBuild(path) {
  if (!existsSync(path)) throw new Error(`${path} is missing: run scripts/build-wasm first`);
  return path;
}

export async function loadEsm() {
  const esm = await import(requireBuild(join(BUILD, "esm", "sendguard.js")));
  esm.initSync({ module: readFileSync(join(BUILD, "esm", "sendguard_bg.wasm")) });
  return { kind: "esm", version: esm.version, Engine: esm.Engine };
}

/**
 * Runs the classic script in a fresh realm, as Outlook's JavaScript-only runtime would: no
 * Node globals, optionally no WebAssembly and no TextEncoder/TextDecoder.
 * @param {{ webAssembly: boolean, textCodecs: boolean }} realm
 */
export function classicRealm(realm) {
  const globals = realm.textCodecs ? { TextEncoder, TextDecoder } : {};
  const context = vm.createContext(globals);
  if (!realm.webAssembly) vm.runInContext("delete globalThis.WebAssembly", context);
  vm.runInContext(readFileSync(requireBuild(CLASSIC_FILE), "utf8"), context, { filename: "sendguard-classic.js" });
  return context;
}

export async function loadClassic(webAssembly) {
  const context = classicRealm({ webAssembly, textCodecs: webAssembly });
  const core = await context.SendguardEngine.instantiate({ fallback: webAssembly ? "never" : "auto" });
  const expected = webAssembly ? "wasm" : "js";
  if (core.kind !== expected) throw new Error(`classic script chose ${core.kind}, expected ${expected}`);
  return core;
}

/** The three engines, by name. */
export async function loadAll() {
  return {
    esm: await loadEsm(),
    "classic-wasm": await loadClassic(true),
    "classic-js": await loadClassic(false)
  };
}

/** Runs `fn` and returns its value, or `{error: {code, message}}` when it throws. */
export function outcome(fn) {
  try {
    return fn();
  } catch (e) {
    const error = { code: e.code, message: e.message };
    if (e.policy) error.policy = e.policy;
    return { error };
  }
}

/** JSON that compares values across realms (objects from a vm context are not deepEqual). */
export function canonical(value) {
  return JSON.stringify(value);
}
