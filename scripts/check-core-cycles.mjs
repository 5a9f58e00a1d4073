#!/usr/bin/env node
// Fails when two modules of crates/core import each other, directly or through others.
//
// The core is layered (ARCHITECTURE.md): every top-level module may use only modules below it.
// Rust accepts cycles between modules, so this script keeps the layering: it reads each file's
// `crate::…` paths (a module folder counts as one module, `content/*` is `content`), maps
// items re-exported by lib.rs (`crate::Error`) to the module that defines them, skips
// comments and the `#[cfg(test)]` part at the end of a file (tests may reach any layer), and
// reports every group of modules that reach each other, with the lines that make the cycle.
//
//   node scripts/check-core-cycles.mjs [SRC_DIR]   (default crates/core/src)
//   node scripts/check-core-cycles.mjs --self-test (a cyclic copy of the tree must fail)

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_SRC = path.join(ROOT, 'crates/core/src');

/** Every .rs file under `dir`, as paths relative to it. */
function rustFiles(dir, prefix = '') {
  const out = [];
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = path.join(prefix, entry.name);
    if (entry.isDirectory()) out.push(...rustFiles(dir, rel));
    else if (entry.name.endsWith('.rs')) out.push(rel);
  }
  return out.sort();
}

/** The top-level module a file belongs to: `content/rules.rs` → `content`, `lib.rs` → null. */
function moduleOf(rel) {
  const first = rel.split(path.sep)[0];
  if (first === 'lib.rs') return null;
  return first.replace(/\.rs$/, '');
}

/** The code of a file without comments and without its trailing `#[cfg(test)]` part. */
function codeLines(text) {
  const lines = text.split('\n');
  const testStart = lines.findIndex((l) => /^#\[cfg\(test\)\]/.test(l));
  const code = testStart === -1 ? lines : lines.slice(0, testStart);
  return code.map((l) => l.replace(/\/\/.*$/, ''));
}

/** Item name → defining module, from lib.rs lines such as `pub use engine::{Engine, Error};`. */
function reexports(libText, modules) {
  const map = new Map();
  for (const m of libText.matchAll(/pub use (?:crate::)?(\w+)::(\{[^}]*\}|\w+)/g)) {
    if (!modules.has(m[1])) continue;
    for (const name of m[2].replace(/[{}]/g, '').split(',')) {
      const item = name.trim().split(/\s+as\s+/).pop();
      if (item) map.set(item, m[1]);
    }
  }
  return map;
}

/** The first path segments a line names after `crate::` (`crate::{a, b::c}` names a and b). */
function crateTargets(line) {
  const targets = [];
  for (const m of line.matchAll(/crate::(\{[^}]*\}?|\w+)/g)) {
    if (m[1].startsWith('{')) {
      for (const part of m[1].replace(/[{}]/g, '').split(',')) {
        const head = part.trim().split('::')[0];
        if (head) targets.push(head);
      }
    } else {
      targets.push(m[1]);
    }
  }
  return targets;
}

/** The module graph: module → Map(target module → first "file:line" that imports it). */
export function moduleGraph(srcDir) {
  const files = rustFiles(srcDir);
  const modules = new Set(files.map(moduleOf).filter(Boolean));
  const lib = path.join(srcDir, 'lib.rs');
  const items = fs.existsSync(lib) ? reexports(fs.readFileSync(lib, 'utf8'), modules) : new Map();
  const graph = new Map([...modules].map((m) => [m, new Map()]));
  for (const rel of files) {
    const from = moduleOf(rel);
    if (!from) continue;
    codeLines(fs.readFileSync(path.join(srcDir, rel), 'utf8')).forEach((line, i) => {
      for (const name of crateTargets(line)) {
        const to = modules.has(name) ? name : items.get(name);
        const edges = /** @type {Map<string, string>} */ (graph.get(from));
        if (to && to !== from && !edges.has(to)) {
          edges.set(to, `${rel}:${i + 1}`);
        }
      }
    });
  }
  return graph;
}

/** Strongly connected components with more than one module (Tarjan). */
export function cycles(graph) {
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (v) => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v).keys()) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** Prints the cycles of `srcDir` and answers whether there are none. */
function check(srcDir, print = console.log) {
  const graph = moduleGraph(srcDir);
  const found = cycles(graph);
  for (const component of found) {
    print(`import cycle between core modules: ${component.join(', ')}`);
    for (const from of component) {
      for (const [to, where] of /** @type {Map<string, string>} */ (graph.get(from))) {
        if (component.includes(to)) print(`  ${from} -> ${to}  (${where})`);
      }
    }
  }
  return found.length === 0;
}

/** A copy of the real tree passes; the same copy with one upward import fails, naming it. */
function selfTest() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sendguard-cycles-'));
  try {
    fs.cpSync(DEFAULT_SRC, tmp, { recursive: true });
    const lines = [];
    if (!check(tmp, (l) => lines.push(l))) throw new Error(`the copied tree has a cycle:\n${lines.join('\n')}`);
    // domain.rs is a leaf the engine depends on; an import back up closes a cycle.
    const leaf = path.join(tmp, 'domain.rs');
    const text = fs.readFileSync(leaf, 'utf8');
    const at = text.indexOf('\nuse ') + 1;
    fs.writeFileSync(leaf, `${text.slice(0, at)}use crate::engine::Engine;\n${text.slice(at)}`);
    if (check(tmp, (l) => lines.push(l))) throw new Error('a cycle through domain.rs went unnoticed');
    if (!lines.some((l) => l.includes('domain -> engine'))) {
      throw new Error(`the report does not name the new import:\n${lines.join('\n')}`);
    }
    console.log('check-core-cycles self-test: a cyclic copy fails, the tree passes');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const arg = process.argv[2];
if (arg === '--self-test') {
  selfTest();
} else if (!check(arg ? path.resolve(arg) : DEFAULT_SRC)) {
  process.exit(1);
} else {
  console.log('core modules: no import cycles');
}
