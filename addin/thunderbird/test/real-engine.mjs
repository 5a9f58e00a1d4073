// The real WebAssembly engine for unit tests, from build/wasm/esm/ (scripts/build-wasm).

import fs from "node:fs";

import { engineApi } from "../lib/engine.js";

const dir = new URL("../../../build/wasm/esm/", import.meta.url);
if (!fs.existsSync(new URL("sendguard_bg.wasm", dir))) {
  throw new Error("build/wasm/esm/ is missing: run scripts/build-wasm (scripts/suites/50-thunderbird-unit.sh does)");
}
const wasm = await import(new URL("sendguard.js", dir).href);
await wasm.default({ module_or_path: fs.readFileSync(new URL("sendguard_bg.wasm", dir)) });

export { wasm };
export const realEngineApi = engineApi(wasm);

