// The real policy server for tests: `sendguard serve` on 127.0.0.1 with a scratch data
// folder, its first admin token, and admin calls. Needs the `sendguard` binary (SENDGUARD_BIN,
// default target/debug/sendguard: `cargo build -p sendguard-cli`).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { requireSendguardBin, sendguardBin } from "./signed.mjs";

/**
 * Starts `sendguard serve`; answers its local URL, an admin call and stop().
 * @param {string} dataDir
 * @param {string | null} addinDir served at /addin/ (SENDGUARD_ADDIN_DIR), or none
 */
export async function startPolicyServer(dataDir, addinDir = null) {
  requireSendguardBin();
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env, RUST_LOG: "warn" };
  if (addinDir) env.SENDGUARD_ADDIN_DIR = addinDir;
  delete env.SENDGUARD_CONFIG;
  const serve = spawn(sendguardBin, ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir], { env, stdio: ["ignore", "pipe", "inherit"] });
  let token = null;
  const local = await new Promise((resolve, reject) => {
    serve.on("error", reject);
    serve.on("exit", (code) => reject(new Error(`sendguard serve exited with ${code}`)));
    createInterface({ input: serve.stdout }).on("line", (line) => {
      if (line.startsWith("sgt_")) token = line.trim();
      const address = line.match(/^sendguard: listening on (http:\/\/127\.0\.0\.1:\d+)$/);
      if (address) resolve(address[1]);
    });
  });
  return {
    local,
    /** An admin API call that must succeed. */
    async admin(method, path, body) {
      const response = await fetch(`${local}${path}`, { method, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, body: body && JSON.stringify(body) });
      assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
      return response;
    },
    stop() {
      if (serve.exitCode === null) {
        serve.removeAllListeners("exit");
        serve.kill("SIGTERM");
      }
    }
  };
}
