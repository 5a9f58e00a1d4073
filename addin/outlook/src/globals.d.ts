// Globals of the built scripts (addin/outlook/package.mjs): the engine's classic script and
// the configuration the packaging command pins. For the type check only.
declare const SendguardEngine: {
  instantiate(options?: { fallback?: "never" | "auto" | "always" }): Promise<{
    kind: "wasm" | "js";
    Engine: {
      fromPolicyJson(text: string): { check(draft: any, context: { known?: string[]; history?: string }): any };
    };
    // The sender's history (docs/history-format.md): text in, text out; the engine ranks it.
    learnHistory(
      history: string,
      options: { recipients: string[]; now_day: number; max_entries?: number; import?: boolean }
    ): string;
    trimHistory(history: string, options: { max_bytes?: number; max_entries?: number }): string;
    historySummary(history: string): { entries: number; last_day: number | null; rejected: number };
    trustKeysets: import("../../shared/keyset-trust.js").TrustKeysets;
  }>;
};
declare const SENDGUARD_CONFIG: import("./policy-session.js").AddinConfig;
