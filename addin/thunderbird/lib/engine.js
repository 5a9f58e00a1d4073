// The WebAssembly engine (crates/wasm, built by scripts/build-wasm and packed into the .xpi
// under engine/): loads it once and adapts it to what the extension needs. Verification of
// signed bundles (signature, tenant, rollback), the expiry rule and the fail mode are the
// engine's, in Rust; this only reads what it reports.

/**
 * Loads the ES module and its .wasm from `baseUrl` (the package's engine/ folder).
 * @param {string} baseUrl ends with "/"
 */
export async function loadEngineApi(baseUrl) {
  const wasm = await import(baseUrl + "sendguard.js");
  await wasm.default({ module_or_path: baseUrl + "sendguard_bg.wasm" });
  return engineApi(wasm);
}

/**
 * @param {{ Engine: any, trustKeysets: Function, maySend: Function }} wasm the initialised module
 * @returns {import("./policy-sync.js").EngineApi}
 */
export function engineApi(wasm) {
  let builtIn;
  const bytes = (text) => new TextEncoder().encode(text);
  return {
    /** The built-in checks, for when no signed policy is held. */
    defaultEngine() {
      builtIn = builtIn || wasm.Engine.fromPolicyJson("{}");
      return builtIn;
    },
    /** Verifies the pinned keyset, then the bundle against it; throws `{code, message}`. */
    verify({ bundle, keyset, tenant, held, now }) {
      const engine = wasm.Engine.fromBundle(bytes(bundle), bytes(keyset), { tenant, held: held || null, now });
      const policy = engine.policy;
      return { engine, version: policy.version, digest: policy.digest, expiresAt: policy.expires_at, failMode: policy.fail_mode === "block" ? "block" : "warn", stale: policy.stale === true };
    },
    /** A keyset on its own, or as an update of `current`; throws `{code, message, keyset?}`. */
    trustKeysets(request) {
      return wasm.trustKeysets(request);
    },
    /** Whether a verdict lets the send go, given the sender's justification (the engine's rule). */
    maySend(verdict, justification) {
      return wasm.maySend(verdict, justification === undefined ? null : justification);
    }
  };
}
