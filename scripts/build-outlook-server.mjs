// Builds the Outlook add-in's parts that the server assembles per tenant (release build,
// `embed-assets`; see crates/server/src/outlook.rs) into build/outlook-server/:
//   main-commands.js, main-taskpane.js   the add-in code, bundled as package.mjs bundles it
//   engine/sendguard-classic{,-web}.js    the classic engine scripts (scripts/build-wasm)
//   static/...                            the pages (office.js URL filled in), styles, help,
//                                         load-engine.js and the icons
// The per-tenant part (the SENDGUARD_CONFIG line: tenant, pinned keyset, URLs) is written
// by the server in front of engine + code, as package.mjs does for one tenant.
// Usage: node scripts/build-outlook-server.mjs (after scripts/build-wasm)
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleEntry } from "../addin/outlook/tools/bundle.mjs";
import { iconPng, ICON_SIZES } from "../addin/outlook/tools/icons.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outlook = join(root, "addin", "outlook");
const out = join(root, "build", "outlook-server");
const OFFICE_JS = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js";

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "engine"), { recursive: true });
mkdirSync(join(out, "static", "assets"), { recursive: true });
for (const entry of ["commands", "taskpane"]) {
  writeFileSync(join(out, `main-${entry}.js`), bundleEntry(join(outlook, "src", `main-${entry}.js`)));
  const page = readFileSync(join(outlook, "static", `${entry}.html`), "utf8").split("{{OFFICE_JS}}").join(OFFICE_JS);
  writeFileSync(join(out, "static", `${entry}.html`), page);
}
for (const engine of ["sendguard-classic.js", "sendguard-classic-web.js"]) {
  copyFileSync(join(root, "build", "wasm", "classic", engine), join(out, "engine", engine));
}
for (const file of ["taskpane.css", "help.html", "load-engine.js"]) copyFileSync(join(outlook, "static", file), join(out, "static", file));
for (const size of ICON_SIZES) writeFileSync(join(out, "static", "assets", `icon-${size}.png`), iconPng(size));
console.log(`built ${out}`);
