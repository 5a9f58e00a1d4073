// Turns an entry module of addin/outlook/src/ and the sibling modules it imports into ONE
// ES2016 script for the classic runtime (which allows no imports): modules in dependency
// order, `export` keywords dropped, and imports from addin/shared/ read from the `Sendguard`
// global that the engine's classic script defines (see addin/tools/build-classic.mjs).
import { readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import * as acorn from "acorn";

/** Top-level names a module declares (to refuse clashes once modules share one scope). */
function declaredNames(ast) {
  const names = [];
  for (const node of ast.body) {
    const d = node.type === "ExportNamedDeclaration" ? node.declaration : node;
    if (!d) continue;
    if (d.type === "FunctionDeclaration") names.push(d.id.name);
    if (d.type === "VariableDeclaration") for (const v of d.declarations) names.push(v.id.name);
  }
  return names;
}

/** One module's code for the shared scope, and the sibling modules it needs first. */
function transform(file) {
  const source = readFileSync(file, "utf8");
  const ast = acorn.parse(source, { ecmaVersion: 2016, sourceType: "module" });
  const needs = [];
  const edits = [];
  for (const node of ast.body) {
    if (node.type === "ImportDeclaration") {
      const from = node.source.value;
      const names = node.specifiers.map((s) => {
        if (s.type !== "ImportSpecifier" || s.imported.name !== s.local.name) throw new Error(`${file}: use plain named imports`);
        return s.local.name;
      });
      if (from.startsWith("./")) {
        needs.push(resolve(dirname(file), from));
        edits.push({ start: node.start, end: node.end, text: "" });
      } else if (/^\.\.\/\.\.\/shared\/[a-z-]+\.js$/.test(from)) {
        edits.push({ start: node.start, end: node.end, text: names.map((n) => `var ${n} = Sendguard.${n};`).join(" ") });
      } else {
        throw new Error(`${file}: cannot bundle an import from ${from}`);
      }
    } else if (node.type === "ExportNamedDeclaration" && node.declaration && !node.source) {
      edits.push({ start: node.start, end: node.declaration.start, text: "" });
    } else if (node.type.startsWith("Export")) {
      throw new Error(`${file}: only \`export function|const\` can be bundled`);
    }
  }
  let code = "";
  let at = 0;
  for (const e of edits.sort((a, b) => a.start - b.start)) {
    code += source.slice(at, e.start) + e.text;
    at = e.end;
  }
  return { code: code + source.slice(at), needs, names: declaredNames(ast) };
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
