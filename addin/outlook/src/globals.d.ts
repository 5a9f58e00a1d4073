// Globals of the built scripts (addin/outlook/package.mjs): the engine's classic script and
// the configuration the packaging command pins. For the type check only.
declare const SendguardEngine: {
  instantiate(options?: { fallback?: "never" | "auto" | "always" }): Promise<{
    kind: "wasm" | "js";
    Engine: { fromPolicyJson(text: string): { check(draft: any, context: { known: string[] }): any } };
    trustKeysets: import("../../shared/keyset-trust.js").TrustKeysets;
  }>;
};
declare const SENDGUARD_CONFIG: import("./policy-session.js").AddinConfig;
