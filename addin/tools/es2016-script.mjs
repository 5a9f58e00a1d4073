// What the two bundles for Outlook's classic runtime share: esbuild's options for ONE ES2016
// script (an IIFE that imports nothing) and the last step, which keeps it strict and checks
// it. Used by build-classic.mjs (the engine scripts) and addin/outlook/tools/bundle.mjs.
import * as acorn from "acorn";

/** esbuild options: one IIFE at ES2016 (Chakra's level), nothing written to disk. */
export const ES2016_SCRIPT = /** @type {const} */ ({
  bundle: true,
  format: "iife",
  target: "es2016",
  platform: "neutral",
  legalComments: "none",
  write: false,
  logLevel: "error"
});

/**
 * esbuild writes the modules' "use strict" before its IIFE, where it is lost once the script
 * is concatenated after another (Outlook's pages: configuration, engine, add-in). Moves it
 * inside the IIFE, then checks that the text parses as an ES2016 script, so a build fails
 * here rather than at a customer.
 * @param {string} text esbuild's output for an entry that starts with "use strict"
 * @param {string} [banner] the declarations esbuild was given as its banner
 * @returns {string}
 */
export function strictScript(text, banner = "") {
  if (!text.startsWith(banner)) throw new Error("unexpected esbuild output: it does not start with its banner");
  const head = /^\s*"use strict";\s*\(\(\) => \{\n?|^\s*"use strict";\(\(\)=>\{/.exec(text.slice(banner.length));
  if (!head) throw new Error("unexpected esbuild output: no \"use strict\" before its IIFE");
  const body = text.slice(banner.length + head[0].length);
  const script = `${banner ? `${banner}\n` : ""}(() => {\n"use strict";\n${body}`;
  acorn.parse(script, { ecmaVersion: 2016, sourceType: "script" });
  return script;
}
