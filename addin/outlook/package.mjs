// Packages the Outlook add-in for one organisation: the manifest to deploy (the root
// manifest.xml with the server's URL and the chosen SendMode filled in) and the files the
// server serves under /addin/outlook/, with the tenant, keyset and fallback policy pinned.
//
//   node addin/outlook/package.mjs --url https://guard.example.org --tenant acme \
//     [--send-mode PromptUser|SoftBlock|Block] [--keyset FILE] [--bundle FILE | --policy FILE |
//     --builtin-policy] [--fail-mode warn|block] [--engine build/wasm/classic/sendguard-classic.js]
//     [--engine-web build/wasm/classic/sendguard-classic-web.js]
//     [--out build/outlook-addin] [--office-js URL]
//
// It refuses to build an add-in that could never check: it needs a way to a verified policy,
// a pinned --keyset (the add-in then fetches and verifies the server's signed policy), or a
// baked --policy / --bundle (a bundle only with --keyset, which verifies it); or
// --builtin-policy bakes the engine's built-in default policy, and says so. It prints what
// it baked, then the files written.
//
// Output: OUT/manifest.xml, OUT/microsoft-officeaddins-allowed.json (the server serves it at
// /.well-known/, so that classic Outlook's runtime may fetch from the server) and
// OUT/outlook/: commands.js (classic Outlook's JavaScript-only runtime: the full engine, with
// its JavaScript fallback), commands.html and taskpane.html (the HTML pages), whose
// load-engine.js picks commands-web.js / taskpane-web.js (the lean engine, WebAssembly only)
// or, where WebAssembly is switched off, commands.js / taskpane.js, taskpane.css, help.html,
// assets/icon-*.png. Serve OUT as the server's add-in directory (SENDGUARD_ADDIN_DIR), so
// that the files are at https://.../addin/outlook/.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { bundleEntry } from "./tools/bundle.mjs";
import { checkManifest } from "./tools/manifest-check.mjs";
import { iconPng, ICON_SIZES } from "./tools/icons.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const TEMPLATE_URL = "https://sendguard.example";
const OFFICE_JS = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js";
const SEND_MODES = ["PromptUser", "SoftBlock", "Block"];

/** A usage error: exit status 64, as the CLI's. */
class UsageError extends Error {}

/**
 * The manifest to deploy, from the template.
 * @param {string} template the root manifest.xml
 * @param {{ url: string, sendMode: string }} options
 */
export function packageManifest(template, options) {
  if (!SEND_MODES.includes(options.sendMode)) throw new UsageError(`--send-mode must be one of ${SEND_MODES.join(", ")}`);
  const occurrences = template.split(TEMPLATE_URL).length - 1;
  if (occurrences === 0) throw new Error(`the template has no ${TEMPLATE_URL} URLs`);
  const sendModes = template.match(/SendMode="[A-Za-z]+"/g) || [];
  if (sendModes.length === 0) throw new Error("the template must have a SendMode");
  return template
    // AppDomain is an origin; every other URL takes the full base (which may have a path).
    .split(`<AppDomain>${TEMPLATE_URL}</AppDomain>`).join(`<AppDomain>${new URL(options.url).origin}</AppDomain>`)
    .split(TEMPLATE_URL).join(options.url)
    // Every send event (messages, meeting invites) gets the same SendMode.
    .replace(/SendMode="[A-Za-z]+"/g, `SendMode="${options.sendMode}"`);
}

/** The server's public URL: https, no query, no trailing slash. */
export function normaliseUrl(text) {
  let url;
  try { url = new URL(text); } catch { throw new UsageError(`--url: not a URL: ${text}`); }
  if (url.protocol !== "https:") throw new UsageError("--url must be https (Outlook loads add-ins only over https)");
  if (url.search || url.hash) throw new UsageError("--url must have no query or fragment");
  return url.origin + url.pathname.replace(/\/+$/, "");
}

/** The well-known list of the scripts allowed to make cross-origin requests: the event
 * runtime's single file (classic Outlook on Windows). */
export function officeAddinsAllowed(url) {
  return JSON.stringify({ allowed: [`${url}/addin/outlook/commands.js`] }, null, 2) + "\n";
}

/** The pinned configuration, as a script line defining SENDGUARD_CONFIG. */
export function configScript(config) {
  return `var SENDGUARD_CONFIG = ${JSON.stringify(config)};\n`;
}

function readOptional(file, what) {
  if (!file) return null;
  try { return readFileSync(file, "utf8"); } catch (e) { throw new UsageError(`${what}: ${e.message}`); }
}

/**
 * What the package will check with, one line each; refuses a package that could never get a
 * verified policy.
 * @param {Record<string, string | boolean | undefined>} args the command-line options
 * @returns {string[]}
 */
export function bakedPolicySources(args) {
  const given = [args.bundle, args.policy, args["builtin-policy"]].filter(Boolean).length;
  if (given > 1) throw new UsageError("give one of --bundle, --policy or --builtin-policy");
  if (args.bundle && !args.keyset) throw new UsageError("--bundle needs --keyset: a signed bundle is verified against the pinned keyset");
  if (!args.keyset && given === 0) {
    throw new UsageError("nothing to check with: give --keyset FILE (the tenant's keyset: the add-in then fetches and verifies the server's signed policy), --policy FILE, or --builtin-policy to bake the built-in default policy");
  }
  const lines = [];
  if (args.keyset) lines.push(`baked: keyset ${args.keyset} pinned for tenant ${args.tenant}: the add-in fetches and verifies the server's signed policy`);
  if (args.bundle) lines.push(`baked: signed policy ${args.bundle}, used until a newer one is fetched`);
  if (args.policy) lines.push(`baked: policy ${args.policy}${args.keyset ? ", used until a signed policy is fetched" : ""}`);
  if (args["builtin-policy"]) lines.push(`baked: the built-in default policy (typos, lookalikes, risky destinations; no organisation lists)${args.keyset ? ", used until a signed policy is fetched" : ""}`);
  return lines;
}

/**
 * Writes the package; answers the paths written.
 * @param {Record<string, string | undefined>} args the command-line options ("builtin-policy":
 *   any non-empty string switches it on)
 */
export function writePackage(args) {
  if (!args.url) throw new UsageError("--url is required (the server's public https URL)");
  if (!args.tenant || !/^[A-Za-z0-9._-]{1,128}$/.test(args.tenant)) throw new UsageError("--tenant is required: letters, digits, '.', '_' or '-'");
  bakedPolicySources(args);
  const failMode = args["fail-mode"] || "warn";
  if (failMode !== "warn" && failMode !== "block") throw new UsageError("--fail-mode must be warn or block");
  const url = normaliseUrl(args.url);
  const out = args.out || join(root, "build", "outlook-addin");
  const officeJs = args["office-js"] || OFFICE_JS;
  const engine = readOptional(args.engine || join(root, "build", "wasm", "classic", "sendguard-classic.js"), "--engine (run scripts/build-wasm first)");
  const engineWeb = readOptional(args["engine-web"] || join(root, "build", "wasm", "classic", "sendguard-classic-web.js"), "--engine-web (run scripts/build-wasm first)");
  // The built-in default policy is what the engine runs for an empty policy.
  const bakedPolicy = args["builtin-policy"] ? "{}" : readOptional(args.policy, "--policy");
  if (bakedPolicy !== null) {
    try { JSON.parse(bakedPolicy); } catch (e) { throw new UsageError(`--policy: not JSON: ${e.message}`); }
  }
  const config = {
    tenant: args.tenant,
    keyset: readOptional(args.keyset, "--keyset"),
    policyUrl: `${url}/v1/tenants/${encodeURIComponent(args.tenant)}/policy`,
    // Keyset updates (revoked or rotated keys) are fetched with the policy; none without a pin.
    keysetUrl: args.keyset ? `${url}/v1/tenants/${encodeURIComponent(args.tenant)}/keyset` : null,
    // The daily counts (docs/privacy.md); sent only under a signed policy that keeps reporting on.
    reportUrl: `${url}/v1/tenants/${encodeURIComponent(args.tenant)}/reports`,
    bakedBundle: readOptional(args.bundle, "--bundle"),
    bakedPolicy: bakedPolicy,
    failMode: failMode
  };

  const manifest = packageManifest(readFileSync(join(root, "manifest.xml"), "utf8"), { url, sendMode: args["send-mode"] || "PromptUser" });
  const problems = checkManifest(manifest);
  if (problems.length) throw new Error(`the packaged manifest fails the structural check:\n${problems.join("\n")}`);

  const dir = join(out, "outlook");
  mkdirSync(join(dir, "assets"), { recursive: true });
  const written = [];
  const write = (path, data) => { writeFileSync(path, data); written.push(path); };
  write(join(out, "manifest.xml"), manifest);
  write(join(out, "microsoft-officeaddins-allowed.json"), officeAddinsAllowed(url));
  for (const entry of ["commands", "taskpane"]) {
    const page = readFileSync(join(here, "static", `${entry}.html`), "utf8").split("{{OFFICE_JS}}").join(officeJs);
    write(join(dir, `${entry}.html`), page);
  }
  // ENTRY.js: the full engine, for the JavaScript-only runtime (the manifest's JSRuntime.Url),
  // which may lack WebAssembly, and for pages in a browser with WebAssembly switched off.
  // ENTRY-web.js: the lean engine, which spares the pages' cold start parsing the 1.5 MB
  // JavaScript fallback. static/load-engine.js picks one for each page.
  for (const entry of ["commands", "taskpane"]) {
    const main = bundleEntry(join(here, "src", `main-${entry}.js`));
    write(join(dir, `${entry}.js`), configScript(config) + engine + main);
    write(join(dir, `${entry}-web.js`), configScript(config) + engineWeb + main);
  }
  for (const file of ["taskpane.css", "help.html", "load-engine.js"]) write(join(dir, file), readFileSync(join(here, "static", file)));
  for (const size of ICON_SIZES) write(join(dir, "assets", `icon-${size}.png`), iconPng(size));
  return written;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  try {
    const { values } = parseArgs({
      options: {
        ...Object.fromEntries(["url", "tenant", "send-mode", "keyset", "bundle", "policy", "fail-mode", "engine", "engine-web", "out", "office-js"].map((o) => [o, { type: "string" }])),
        "builtin-policy": { type: "boolean" }
      }
    });
    const args = { ...values, "builtin-policy": values["builtin-policy"] ? "yes" : undefined };
    const written = writePackage(args);
    for (const line of bakedPolicySources(args)) console.log(line);
    for (const path of written) console.log(path);
  } catch (e) {
    console.error(`package-outlook: ${e.message}`);
    process.exit(e instanceof UsageError || e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? 64 : 1);
  }
}
