// What the shipped package holds: no test-only host permissions, no test hook, icons at every
// size the manifest names (the same bytes tools/make-icons.mjs draws), and the dialog's
// controls in the order Fix → Send anyway → Cancel.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { iconPng, SIZES } from "../tools/make-icons.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const extension = path.resolve(here, "..");
const XPI = path.resolve(extension, "../../build/thunderbird/sendguard-thunderbird.xpi");
const manifest = JSON.parse(fs.readFileSync(path.join(extension, "manifest.json"), "utf8"));

test("the manifest asks for https hosts only (the end-to-end test adds 127.0.0.1 to its own copy)", () => {
  assert.deepEqual(manifest.host_permissions, ["https://*/*"]);
});

test("icons: 16, 32, 48 and 96 pixels, PNG, as tools/make-icons.mjs draws them", () => {
  assert.deepEqual(Object.keys(manifest.icons).map(Number), SIZES);
  for (const size of SIZES) {
    // Paths in the manifest are the package's: addin/thunderbird/ is packed as thunderbird/.
    const file = path.join(extension, manifest.icons[size].replace(/^thunderbird\//, ""));
    const png = fs.readFileSync(file);
    assert.equal(png.subarray(1, 4).toString("ascii"), "PNG", file);
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [size, size], file);
    assert.ok(png.equals(iconPng(size)), `${file} differs from what tools/make-icons.mjs draws: run it again`);
  }
});

test("the dialog loads no test hook, and its buttons come Send anyway then Cancel", () => {
  const script = fs.readFileSync(path.join(extension, "dialog/dialog.js"), "utf8");
  assert.doesNotMatch(script, /test-hook/);
  const page = fs.readFileSync(path.join(extension, "dialog/dialog.html"), "utf8");
  assert.ok(page.indexOf('id="findings"') < page.indexOf('id="send"') && page.indexOf('id="send"') < page.indexOf('id="cancel"'), "Fix (in the rows) → Send anyway → Cancel");
  assert.doesNotMatch(page, /tabindex/, "document order is the Tab order");
});

test("the packed .xpi holds the icons and nothing test-only", { skip: fs.existsSync(XPI) ? false : "run scripts/build-thunderbird first" }, () => {
  const listing = execFileSync("unzip", ["-Z1", XPI]).toString().split("\n").filter(Boolean);
  for (const size of SIZES) assert.ok(listing.includes(manifest.icons[size]), `${manifest.icons[size]} is not in the package`);
  assert.ok(!listing.some((name) => /test-hook|\/test\/|\/e2e\//.test(name)), listing.join(" "));
  const packed = JSON.parse(execFileSync("unzip", ["-p", XPI, "manifest.json"]).toString());
  assert.deepEqual(packed, manifest);
});
