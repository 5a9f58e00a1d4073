// Turns an entry module of addin/outlook/src/ and the sibling modules it imports into ONE
// ES2016 script for the classic runtime (which allows no imports): modules in dependency
// order, `export` keywords dropped, and imports from addin/shared/ read from the `Sendguard`
// global that the engine's classic script defines (see addin/tools/build-classic.mjs).
import { basename, dirname, join, resolve } from "node:path";
import * as acorn from "acorn";
import { moduleAsDeclarations } from "../../tools/module-scope.mjs";

/** One module's code for the shared scope, and the sibling modules it needs first. */
function transform(file) {
  const module = moduleAsDeclarations(file, (from, names) => {
    if (from.startsWith("./")) return "";
    if (/^\.\.\/\.\.\/shared\/[a-z-]+\.js$/.test(from)) return names.map((n) => `var ${n} = Sendguard.${n};`).join(" ");
    throw new Error(`${file}: cannot bundle an import from ${from}`);
  });
  const needs = module.imports.filter((from) => from.startsWith("./")).map((from) => resolve(dirname(file), from));
  return { code: module.code, needs, names: module.declared };
}

/**
 * @param {string} entry path of the entry module
 * @returns {string} an ES2016 script (an IIFE) running the entry and what it imports
 */
export function bundleEntry(entry) {
  const done = new Map();
  const order = [];
  const visit = (file, path) => {
    if (done.has(file)) return;
    if (path.includes(file)) throw new Error(`import cycle: ${[...path, file].map((f) => basename(f)).join(" -> ")}`);
    const module = transform(file);
    for (const need of module.needs) visit(need, [...path, file]);
    done.set(file, module);
    order.push(file);
  };
  visit(resolve(entry), []);
  const seen = new Map();
  for (const file of order) {
    for (const name of done.get(file).names) {
      if (seen.has(name)) throw new Error(`\`${name}\` is declared in ${basename(seen.get(name))} and ${basename(file)}`);
      seen.set(name, file);
    }
  }
  const body = order.map((f) => `/* ---- addin/outlook/src/${basename(f)} ---- */\n${done.get(f).code}`).join("\n");
  const script = `(function () {\n"use strict";\n${body}\n})();\n`;
  acorn.parse(script, { ecmaVersion: 2016, sourceType: "script" });
  return script;
}

export const srcDir = join(dirname(new URL(import.meta.url).pathname), "..", "src");
