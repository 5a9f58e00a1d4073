// Signed policies for node tests, made by the real `sendguard` CLI (keygen, keyset create,
// policy sign): a tenant with its own root and signing key in a scratch folder. Needs the
// binary (SENDGUARD_BIN, default target/debug/sendguard: `cargo build -p sendguard-cli`).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./engine.mjs";

export const sendguardBin = process.env.SENDGUARD_BIN || join(repoRoot, "target", "debug", "sendguard");

/** Fails at once, naming the fix, when the binary is not there (rather than a spawn error later). */
export function requireSendguardBin() {
  if (!existsSync(sendguardBin)) throw new Error(`${sendguardBin} is missing: run \`scripts/test 55-outlook\` (it builds it) or set SENDGUARD_BIN`);
}

/**
 * A tenant's pinned keyset and a signer of its policies (issued now, by the real clock).
 * @param {string} tenant
 * @returns {{ keyset: string, sign(policy: object, version: number, expires?: string): string, remove(): void }}
 */
export function signedTenant(tenant) {
  requireSendguardBin();
  const dir = mkdtempSync(join(tmpdir(), "sendguard-signed-"));
  const run = (args) => execFileSync(sendguardBin, args, { cwd: dir, encoding: "utf8" });
  run(["keygen", "--out", "root"]);
  run(["keygen", "--out", "signer"]);
  const keyset = run(["keyset", "create", "--tenant", tenant, "--expires", "1y", "--root", "root.pub", "--signing-key", "signer.pub", "--sign", "root.secret"]);
  return {
    keyset,
    sign(policy, version, expires = "30d") {
      writeFileSync(join(dir, "policy.json"), JSON.stringify(policy));
      return run(["policy", "sign", "--key", "signer.secret", "--tenant", tenant, "--version", String(version), "--expires", expires, "policy.json"]);
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** Unix seconds by the real clock (signed bundles are issued by it). */
export const realNow = () => Math.floor(Date.now() / 1000);
