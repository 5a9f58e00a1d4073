// Loads the engine four ways, all with one shape ({kind, version(), verifyKeyset(), Engine}):
//   esm           the wasm-bindgen ES module (console, Thunderbird)
//   classic-wasm  Outlook's classic single script, WebAssembly path
//   classic-js    the same script in a realm without WebAssembly and without text codecs
//                 (its pure-JavaScript wasm2js fallback and UTF-8 polyfill)
//   classic-web   the lean classic script of Outlook's HTML pages (no fallback), WebAssembly
// Needs `scripts/build-wasm` to have run (build/wasm/).
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BUILD = join(ROOT, "build", "wasm");
export const CLASSIC_FILE = join(BUILD, "classic", "sendguard-classic.js");
export const CLASSIC_WEB_FILE = join(BUILD, "classic", "sendguard-classic-web.js");

function requireBuild(path) {
  if (!existsSync(path)) throw new Error(`${path} is missing: run scripts/build-wasm first`);
  return path;
}

export async function loadEsm() {
  const esm = await import(requireBuild(join(BUILD, "esm", "sendguard.js")));
  esm.initSync({ module: readFileSync(join(BUILD, "esm", "sendguard_bg.wasm")) });
  return {
    kind: "esm",
    version: esm.version,
    verifyKeyset: esm.verifyKeyset,
    learnHistory: esm.learnHistory,
    trimHistory: esm.trimHistory,
    historySummary: esm.historySummary,
    Engine: esm.Engine
  };
}

/**
 * Runs a classic script (the full one unless `file` says otherwise) in a fresh realm, as
 * Outlook's JavaScript-only runtime would: no Node globals, optionally no WebAssembly and no
 * TextEncoder/TextDecoder.
 * @param {{ webAssembly: boolean, textCodecs: boolean, file?: string }} realm
 */
export function classicRealm(realm) {
  const file = realm.file || CLASSIC_FILE;
  const globals = realm.textCodecs ? { TextEncoder, TextDecoder } : {};
  const context = vm.createContext(globals);
  if (!realm.webAssembly) vm.runInContext("delete globalThis.WebAssembly", context);
  vm.runInContext(readFileSync(requireBuild(file), "utf8"), context, { filename: basename(file) });
  return context;
}

export async function loadClassic(webAssembly) {
  const context = classicRealm({ webAssembly, textCodecs: webAssembly });
  const core = await context.SendguardEngine.instantiate({ fallback: webAssembly ? "never" : "auto" });
  const expected = webAssembly ? "wasm" : "js";
  if (core.kind !== expected) throw new Error(`classic script chose ${core.kind}, expected ${expected}`);
  return core;
}

/** The lean script as a browser runs it: WebAssembly and the text codecs. */
export async function loadClassicWeb() {
  const context = classicRealm({ webAssembly: true, textCodecs: true, file: CLASSIC_WEB_FILE });
  const core = await context.SendguardEngine.instantiate();
  if (core.kind !== "wasm") throw new Error(`the lean classic script chose ${core.kind}`);
  return core;
}

/** The four engines, by name. */
export async function loadAll() {
  return {
    esm: await loadEsm(),
    "classic-wasm": await loadClassic(true),
    "classic-js": await loadClassic(false),
    "classic-web": await loadClassicWeb()
  };
}

/** Runs `fn` and returns its value, or `{error: {code, message}}` when it throws. */
export function outcome(fn) {
  try {
    return fn();
  } catch (e) {
    const error = { code: e.code, message: e.message };
    if (e.policy) error.policy = e.policy;
    if (e.keyset) error.keyset = e.keyset;
    return { error };
  }
}

/** JSON that compares values across realms (objects from a vm context are not deepEqual). */
export function canonical(value) {
  return JSON.stringify(value);
}
