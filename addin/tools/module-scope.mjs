// One ES2016 module as plain declarations for a shared script scope: Outlook's classic
// runtime allows no imports, so both the engine's classic script (addin/shared/) and the
// Outlook bundle (addin/outlook/src/) concatenate modules. Only named imports and
// `export function|const|let|var` are allowed, so that concatenation keeps the meaning.
import { readFileSync } from "node:fs";
import * as acorn from "acorn";

/**
 * @param {string} file the module's path
 * @param {(from: string, names: string[]) => string} replaceImport the text that stands in for
 *   `import {names} from "from"` (e.g. "" for a sibling module); throws to refuse the import
 * @returns {{code: string, imports: string[], exported: string[], declared: string[]}} the code
 *   without imports and `export` keywords, the modules imported, the names exported, and
 *   every top-level function or variable name (to refuse clashes in the shared scope)
 */
export function moduleAsDeclarations(file, replaceImport) {
  const source = readFileSync(file, "utf8");
  const ast = acorn.parse(source, { ecmaVersion: 2016, sourceType: "module" });
  const imports = [];
  const exported = [];
  const declared = [];
  const edits = [];
  for (const node of ast.body) {
    if (node.type === "ImportDeclaration") {
      const names = node.specifiers.map((s) => {
        if (s.type !== "ImportSpecifier" || s.imported.name !== s.local.name) throw new Error(`${file}: use plain named imports`);
        return s.local.name;
      });
      imports.push(node.source.value);
      edits.push({ start: node.start, end: node.end, text: replaceImport(node.source.value, names) });
      continue;
    }
    if (node.type === "ExportNamedDeclaration") {
      if (!node.declaration || node.source) throw new Error(`${file}: use \`export function|const\` only`);
      edits.push({ start: node.start, end: node.declaration.start, text: "" });
      exported.push(...namesOf(node.declaration));
    } else if (node.type.startsWith("Export")) {
      throw new Error(`${file}: ${node.type} cannot share a script scope; use \`export function|const\``);
    }
    declared.push(...namesOf(node.type === "ExportNamedDeclaration" ? node.declaration : node));
  }
  let code = "";
  let at = 0;
  for (const e of edits.sort((a, b) => a.start - b.start)) {
    code += source.slice(at, e.start) + e.text;
    at = e.end;
  }
  return { code: code + source.slice(at), imports, exported, declared };
}

function namesOf(node) {
  if (node.type === "FunctionDeclaration") return [node.id.name];
  if (node.type === "VariableDeclaration") return node.declarations.map((v) => v.id.name);
  return [];
}
