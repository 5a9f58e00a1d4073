// The WebAssembly engine (crates/wasm, built by scripts/build-wasm and packed into the .xpi
// under engine/): loads it once and adapts it to what the extension needs. Verification of
// signed bundles (signature, tenant, rollback, expiry) happens inside the engine, in Rust.

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
 * @param {{ Engine: any, trustKeysets: Function }} wasm the initialised module
 * @returns {{ defaultEngine(): any, verify: import("./policy-sync.js").Verify,
 *   trustKeysets: import("../../shared/keyset-trust.js").TrustKeysets }}
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
      return { engine, version: policy.version, digest: policy.digest, expiresAt: policy.expires_at, failMode: failModeOf(bundle) };
    },
    /** A keyset on its own, or as an update of `current`; throws `{code, message, keyset?}`. */
    trustKeysets(request) {
      return wasm.trustKeysets(request);
    }
  };
}

/**
 * The verified policy's `fail_mode` (what to do when a check cannot run), read from the
 * bundle's statement after the engine accepted it; "warn" unless it says "block".
 * @param {string} bundle
 * @returns {"warn" | "block"}
 */
export function failModeOf(bundle) {
  try {
    const payload = Uint8Array.from(atob(JSON.parse(bundle).payload), (c) => c.charCodeAt(0));
    const statement = JSON.parse(new TextDecoder().decode(payload));
    return JSON.parse(statement.policy).fail_mode === "block" ? "block" : "warn";
  } catch (e) {
    return "warn";
  }
}
