// ESLint for all of the project's JavaScript (addin/, web/, scripts/, tests/console/), run
// from the repository's root: addin/node_modules/.bin/eslint -c addin/eslint.config.js
// (suite 30-wasm). ESLint's recommended rules, and the language level each part runs at:
// what Outlook's classic runtime loads must be ES2016, so its sources are parsed as ES2016.
import js from "@eslint/js";
import globals from "globals";

/** The globals that the built classic scripts define (addin/outlook/src/globals.d.ts). */
const outlookGlobals = { Office: "readonly", SendguardEngine: "readonly", Sendguard: "readonly", SENDGUARD_CONFIG: "readonly" };

export default [
  { ignores: ["**/node_modules/", "build/", "target/", "artifacts/"] },
  js.configs.recommended,
  {
    rules: {
      // `catch (e) {}` with an unused `e` is how ES2016 code writes an ignored error.
      "no-unused-vars": ["error", { caughtErrors: "none", argsIgnorePattern: "^_" }],
      "no-empty": ["error", { allowEmptyCatch: true }]
    }
  },
  {
    files: ["addin/shared/**/*.js", "addin/tools/classic-glue.js", "addin/outlook/src/**/*.js", "addin/outlook/static/**/*.js"],
    languageOptions: { ecmaVersion: 2016, sourceType: "module", globals: { ...globals.browser, ...outlookGlobals } }
  },
  {
    files: ["addin/outlook/static/**/*.js"],
    languageOptions: { sourceType: "script" }
  },
  {
    files: ["addin/thunderbird/**/*.js", "web/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.browser, ...globals.webextensions, messenger: "readonly" } }
  },
  {
    files: ["addin/thunderbird/e2e/driver/*.js"],
    languageOptions: { sourceType: "script", globals: { ...globals.browser, ...globals.webextensions, messenger: "readonly" } }
  },
  {
    files: ["**/*.mjs", "addin/outlook/test/*.js"],
    languageOptions: { ecmaVersion: 2024, sourceType: "module", globals: { ...globals.node, ...globals.browser, ...outlookGlobals } }
  }
];
