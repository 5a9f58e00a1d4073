// The native command line, the reference every JavaScript path must agree with.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./engines.mjs";

export const CLI = process.env.SENDGUARD_BIN || join(ROOT, "target", "debug", "sendguard");

/**
 * `sendguard check --format json` on one draft; answers the verdict object.
 * @param {{ policy?: object | string, known?: string[], history?: string[], draft: object }} input
 * (`history`: the lines of a history text)
 */
export function nativeVerdict(input) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: cargo build -p sendguard-cli (or set SENDGUARD_BIN)`);
  const dir = mkdtempSync(join(tmpdir(), "sendguard-parity-"));
  try {
    const args = ["check", "--format", "json"];
    if (input.policy !== undefined) {
      const text = typeof input.policy === "string" ? input.policy : JSON.stringify(input.policy);
      writeFileSync(join(dir, "policy.json"), text);
      args.push("--policy", join(dir, "policy.json"));
    }
    if (input.known !== undefined) {
      writeFileSync(join(dir, "known.txt"), input.known.join("\n") + "\n");
      args.push("--known", join(dir, "known.txt"));
    }
    if (input.history !== undefined) {
      writeFileSync(join(dir, "history.txt"), input.history.join("\n"));
      args.push("--history", join(dir, "history.txt"));
    }
    writeFileSync(join(dir, "draft.json"), JSON.stringify(input.draft));
    args.push(join(dir, "draft.json"));
    const run = spawnSync(CLI, args, { encoding: "utf8" });
    if (![0, 1, 2].includes(run.status)) throw new Error(`sendguard exited ${run.status}: ${run.stderr}`);
    return JSON.parse(run.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
