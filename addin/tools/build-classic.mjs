// Assembles Outlook's classic engine scripts from the C-ABI engine build, in two variants:
//   node tools/build-classic.mjs ENGINE.wasm ENGINE.wasm2js.mjs OUT.js OUT-WEB.js
// OUT.js, the full script, is for classic Outlook's JavaScript-only runtime, where
// WebAssembly is not guaranteed: WebAssembly with a pure-JavaScript fallback (binaryen's
// wasm2js). OUT-WEB.js, the lean script, is for the HTML pages (Outlook on the web, new
// Outlook, Mac, the task pane), whose browsers have WebAssembly: no fallback, which saves
// parsing 1.5 MB of JavaScript on every cold start; without WebAssembly its `instantiate()`
// rejects with code `no_webassembly`. Each defines two globals and nothing else:
// `SendguardEngine` (the engine; see classic-glue.js, which both share) and `Sendguard`
// (the shared layer, addin/shared/*.js). Both must parse as ES2016 scripts: Outlook's older
// classic runtime (Chakra) knows nothing newer.
//
// The bundler is esbuild (one IIFE, target ES2016, local names shortened, no other
// rewriting); this file only prepares the engine's part, which esbuild cannot: in the full
// script the engine's data (Unicode tables, TLD list, …) is stored once, as `ENGINE_DATA`
// segments that the glue writes into WebAssembly memory and that the wasm2js code reads; its
// inlined wasm carries no data section. The lean script inlines the module whole (one
// decode, and WebAssembly copies its own data). Both reach the glue as the generated module
// `sendguard:engine`.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as acorn from "acorn";
import * as esbuild from "esbuild";
import { ES2016_SCRIPT, strictScript } from "./es2016-script.mjs";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const [wasmPath, wasm2jsPath, outPath, webOutPath] = process.argv.slice(2);
if (!webOutPath) {
  console.error("usage: node tools/build-classic.mjs ENGINE.wasm ENGINE.wasm2js.mjs OUT.js OUT-WEB.js");
  process.exit(64);
}

/** Cuts the given [start, end) ranges out of `source`, replacing each with `by(node)`. */
function splice(source, nodes, by) {
  let out = "";
  let at = 0;
  for (const node of [...nodes].sort((a, b) => a.start - b.start)) {
    out += source.slice(at, node.start) + by(node);
    at = node.end;
  }
  return out + source.slice(at);
}

/** Reads an unsigned LEB128 at `at`; answers [value, next position]. */
function leb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    value += (b & 127) * 2 ** shift;
    shift += 7;
    if (b < 128) return [value, at];
  }
}

/** Splits a WebAssembly MVP module into its code (every section but data) and the image
 * of its active data segments (offset → bytes). */
function splitData(wasm) {
  const kept = [wasm.subarray(0, 8)];
  const segments = [];
  for (let at = 8; at < wasm.length; ) {
    const id = wasm[at];
    const [size, start] = leb(wasm, at + 1);
    const end = start + size;
    // 12 is DataCount, which only counts the data segments (the MVP build, checked with
    // `wasm-opt --mvp-features`, has no instruction that uses it): it goes with them.
    if (id === 11) {
      let [count, p] = leb(wasm, start);
      for (; count > 0; count--) {
        if (wasm[p] !== 0 || wasm[p + 1] !== 0x41) throw new Error("unexpected data segment kind");
        let offset = 0;
        let shift = 0;
        p += 2;
        for (;;) {
          const b = wasm[p++];
          offset |= (b & 127) << shift;
          shift += 7;
          if (b < 128) break;
        }
        if (wasm[p++] !== 0x0b) throw new Error("unexpected data segment offset expression");
        const [length, data] = leb(wasm, p);
        segments.push({ offset, bytes: wasm.subarray(data, data + length) });
        p = data + length;
      }
    } else if (id !== 12) {
      kept.push(wasm.subarray(at, end));
    }
    at = end;
  }
  return { code: Buffer.concat(kept), segments };
}

/** Memory images must match: both builds start from the same bytes (zeros aside). */
function sameImage(a, b) {
  const end = (segs) => Math.max(0, ...segs.map((s) => s.offset + s.bytes.length));
  const image = (segs, size) => {
    const memory = new Uint8Array(size);
    for (const s of segs) memory.set(s.bytes, s.offset);
    return memory;
  };
  const size = Math.max(end(a), end(b));
  return Buffer.compare(image(a, size), image(b, size)) === 0;
}

/** Takes wasm2js's data strings out into `ENGINE_DATA` references; answers the new source
 * and the segments ([offset, base64]). */
function externaliseData(source) {
  const segments = [];
  const pattern = /base64DecodeToExistingUint8Array\(bufferView, (\d+), "([A-Za-z0-9+/=]*)"\)/g;
  const rewritten = source.replace(pattern, (_, offset, base64) => {
    segments.push([Number(offset), base64]);
    return `base64DecodeToExistingUint8Array(bufferView, ${offset}, ENGINE_DATA[${segments.length - 1}][1])`;
  });
  if (!segments.length) throw new Error("unexpected wasm2js output: no data segments found");
  return { source: rewritten, segments };
}

/** wasm2js writes an ES module ending in `export var x = retasmFunc.x;`: make it a function
 * body that returns the exports object. */
function fallbackFactory(source) {
  const ast = acorn.parse(source, { ecmaVersion: "latest", sourceType: "module" });
  const bad = ast.body.filter((n) => n.type === "ImportDeclaration");
  if (bad.length) throw new Error("the engine module imports something; the classic build supports none");
  const exports = ast.body.filter((n) => n.type.startsWith("Export"));
  const body = splice(source, exports, () => "");
  if (!/var retasmFunc = asmFunc\(/.test(body)) throw new Error("unexpected wasm2js output: no retasmFunc");
  return `function createFallbackExports() {\n${body}\nreturn retasmFunc;\n}\n`;
}

/** The shared layer's modules and the names they export (unique across them: the
 * `Sendguard` global holds them all). */
async function sharedModules() {
  const dir = join(here, "..", "shared");
  const files = readdirSync(dir).filter((f) => f.endsWith(".js")).sort().map((f) => join(dir, f));
  const modules = [];
  for (const file of files) modules.push({ file, names: Object.keys(await import(file)) });
  const all = modules.flatMap((m) => m.names);
  const dup = all.find((n, i) => all.indexOf(n) !== i);
  if (dup) throw new Error(`two shared modules export \`${dup}\`: the \`Sendguard\` global needs unique names`);
  return modules;
}

const engineWasm = readFileSync(wasmPath);
const wasm = splitData(engineWasm);
const fallback = externaliseData(readFileSync(wasm2jsPath, "utf8"));
const fallbackSegments = fallback.segments.map(([offset, b64]) => ({ offset, bytes: Buffer.from(b64, "base64") }));
if (!sameImage(wasm.segments, fallbackSegments)) throw new Error("wasm and wasm2js data differ: cannot share them");
const shared = await sharedModules();

/** The generated module `sendguard:engine` (see classic-glue.js) for one variant. */
function engineModule(withFallback) {
  if (!withFallback) {
    return `export var ENGINE_WASM_BASE64 = "${engineWasm.toString("base64")}";
export var ENGINE_DATA = [];
export var createFallbackExports = null;
`;
  }
  return `export var ENGINE_WASM_BASE64 = "${wasm.code.toString("base64")}";
export var ENGINE_DATA = ${JSON.stringify(fallback.segments)};
export ${fallbackFactory(fallback.source)}`;
}

/** The bundle's entry: fills in the two globals, which the banner declares. */
function entryModule() {
  const imports = shared.map((m) => `import { ${m.names.join(", ")} } from ${JSON.stringify(m.file)};`).join("\n");
  const names = shared.flatMap((m) => m.names);
  return `"use strict";
import { instantiate } from ${JSON.stringify(join(here, "classic-glue.js"))};
${imports}
SendguardEngine = { instantiate: instantiate };
Sendguard = { ${names.map((n) => `${n}: ${n}`).join(", ")} };
`;
}

/** One variant, bundled by esbuild with the engine module of this variant. */
async function bundle(withFallback) {
  const generated = {
    name: "sendguard-engine",
    setup(build) {
      build.onResolve({ filter: /^sendguard:engine$/ }, () => ({ path: "engine", namespace: "sendguard" }));
      build.onLoad({ filter: /.*/, namespace: "sendguard" }, () => ({ contents: engineModule(withFallback), loader: "js", resolveDir: here }));
    }
  };
  const banner = "var SendguardEngine, Sendguard;";
  const result = await esbuild.build({
    ...ES2016_SCRIPT,
    // Comments name files relative to addin/, whatever the repository's path.
    absWorkingDir: join(here, ".."),
    stdin: { contents: entryModule(), resolveDir: here, sourcefile: "classic-entry.js" },
    // Shorter local names and no indentation only: no rewriting of code, which stays as
    // reviewed and tested.
    minifyIdentifiers: true,
    minifyWhitespace: true,
    banner: { js: banner },
    plugins: [generated]
  });
  return strictScript(result.outputFiles[0].text, banner);
}

/** One variant, bundled, checked and written; answers its text. */
async function writeScript(path, withFallback) {
  const code = await bundle(withFallback);
  const out = `/* Sendguard's engine for Outlook: one self-contained ES2016 script, ${withFallback
    ? "for classic Outlook's JavaScript-only runtime\n * (WebAssembly, or its pure-JavaScript translation where WebAssembly is missing)"
    : "for the HTML runtimes\n * (WebAssembly only: no JavaScript fallback)"}.
 * Generated by scripts/build-wasm from crates/js-api, addin/tools/classic-glue.js and
 * addin/shared/ (bundled by esbuild); do not edit. Globals: SendguardEngine, Sendguard. */
${code}`;
  // The promise to Outlook: an ES2016 script (strictScript checked the bundle; this the whole).
  acorn.parse(out, { ecmaVersion: 2016, sourceType: "script" });
  writeFileSync(path, out);
  console.log(`${path}: ${(out.length / 1024).toFixed(0)} KB`);
  return out;
}

const full = await writeScript(outPath, true);
await writeScript(webOutPath, false);
// What each part of the full script weighs, gzipped on its own, for scripts/wasm-budgets.mjs.
const gz = (text) => gzipSync(text, { level: 9 }).length;
writeFileSync(
  outPath.replace(/\.js$/, ".sizes.json"),
  JSON.stringify({
    wasm_code_base64_gz: gz(wasm.code.toString("base64")),
    data_segments_base64_gz: gz(JSON.stringify(fallback.segments)),
    wasm2js_fallback_unmangled_gz: gz(fallbackFactory(fallback.source)),
    total_gz: gz(full)
  }, null, 1)
);
