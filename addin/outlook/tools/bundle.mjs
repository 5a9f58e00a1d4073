// Turns an entry module of addin/outlook/src/ and the modules it imports into ONE ES2016
// script for the classic runtime (which allows no imports), with esbuild. Imports from
// addin/shared/ are read from the `Sendguard` global that the engine's classic script defines
// (see addin/tools/build-classic.mjs), so the shared layer is in each page once.
//
// `bundleEntry` is synchronous (the packaging command is), and esbuild runs plugins only in
// its asynchronous API, so it runs this file as a child process: `node bundle.mjs ENTRY`
// prints the script.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as acorn from "acorn";
import * as esbuild from "esbuild";
import { ES2016_SCRIPT, strictScript } from "../../tools/es2016-script.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const addinDir = resolve(here, "..", "..");
const sharedDir = join(addinDir, "shared");

/** The names an ES module of addin/shared/ exports (`export function|const NAME`). */
function exportedNames(file) {
  const ast = acorn.parse(readFileSync(file, "utf8"), { ecmaVersion: 2016, sourceType: "module" });
  return ast.body.flatMap((node) => {
    if (node.type !== "ExportNamedDeclaration" || !node.declaration) return [];
    const declaration = node.declaration;
    if (declaration.type === "FunctionDeclaration") return declaration.id ? [declaration.id.name] : [];
    if (declaration.type === "VariableDeclaration") return declaration.declarations.flatMap((d) => (d.id.type === "Identifier" ? [d.id.name] : []));
    return [];
  });
}

/** esbuild plugin: `../../shared/NAME.js` becomes a module that reads the `Sendguard` global. */
const sharedFromGlobal = {
  name: "shared-from-global",
  /** @param {esbuild.PluginBuild} build */
  setup(build) {
    build.onResolve({ filter: /\/shared\/[a-z-]+\.js$/ }, (args) => {
      const path = resolve(args.resolveDir, args.path);
      if (dirname(path) !== sharedDir) return undefined;
      // Relative, so that the bundle's comments do not depend on where the repository is.
      return { path: relative(addinDir, path), namespace: "sendguard-global" };
    });
    build.onLoad({ filter: /.*/, namespace: "sendguard-global" }, (args) => ({
      contents: exportedNames(join(addinDir, args.path)).map((n) => `export var ${n} = Sendguard.${n};`).join("\n"),
      loader: "js"
    }));
  }
};

/** @param {string} entry @returns {Promise<string>} */
async function build(entry) {
  const result = await esbuild.build({
    ...ES2016_SCRIPT,
    absWorkingDir: addinDir,
    stdin: { contents: `"use strict";\nimport ${JSON.stringify(resolve(entry))};\n`, resolveDir: here, sourcefile: "outlook-entry.js" },
    plugins: [sharedFromGlobal]
  });
  return strictScript(result.outputFiles[0].text);
}

/**
 * @param {string} entry path of the entry module
 * @returns {string} an ES2016 script (an IIFE) running the entry and what it imports
 */
export function bundleEntry(entry) {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), entry], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (child.status !== 0) throw new Error(`cannot bundle ${entry}: ${child.stderr.trim()}`);
  return child.stdout;
}

export const srcDir = join(here, "..", "src");

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(await build(process.argv[2]));
}
