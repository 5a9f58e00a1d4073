// The OnMessageSend (Smart Alerts) handler: read the draft, check it on the verified policy
// held on this device, and either let the mail go silently or stop it with the engine's
// explanation and a "Fix recipients" button. It never waits on the network, and a failure
// of the check itself follows the policy's fail mode: never a silent pass.
import { readDraft } from "./read-draft.js";
import { supportsMailbox } from "./office-async.js";
import { completionFor } from "./completion.js";
import { loadPolicy } from "./policy-session.js";
import { checkOrFail } from "../../shared/check.js";

/**
 * The verdict when no check could run (no verified policy, the draft unreadable).
 * @param {string} why
 * @param {"warn" | "block"} failMode
 */
export function failureVerdict(why, failMode) {
  const message = "Sendguard could not check this email: " + why;
  return {
    action: failMode === "block" ? "block" : "warn",
    summary: message.length > 500 ? message.slice(0, 499) + "…" : message,
    findings: []
  };
}

/**
 * A verdict on an expired policy: what the engine found stands; a clean result becomes a
 * fail-mode notice, because "allow" on a policy the admin let lapse would be a silent pass.
 * @param {any} verdict
 * @param {{ expiresAt: number | null, failMode: "warn" | "block" }} policy
 */
export function staleVerdict(verdict, policy) {
  if (verdict.action !== "allow") return verdict;
  const since = policy.expiresAt ? " on " + new Date(policy.expiresAt * 1000).toISOString().slice(0, 10) : "";
  return failureVerdict("its policy expired" + since + ". Open Sendguard (Check recipients) to update it, or ask your administrator.", policy.failMode);
}

/**
 * Releases an engine's memory in the WebAssembly module: the event runtime may live for many
 * sends, and each send loads the policy afresh (it may have been updated meanwhile).
 * @param {any} engine
 */
export function freeEngine(engine) {
  try {
    if (engine && typeof engine.free === "function") engine.free();
  } catch (e) {
    // Already freed: nothing to release.
  }
}

/**
 * @typedef {{ office: any, api(): Promise<import("./policy-session.js").EngineApi>,
 *   config: import("./policy-session.js").AddinConfig,
 *   store: ReturnType<typeof import("./policy-store.js").createPolicyStore>,
 *   now(): number }} HandlerDeps   everything from outside, injected for tests
 */

/**
 * @param {HandlerDeps} deps
 * @returns {(event: { completed(options: any): void }) => Promise<void>}
 */
export function createSendHandler(deps) {
  return function onMessageSendHandler(event) {
    const office = deps.office;
    const client = {
      mailbox114: supportsMailbox(office, "1.14"),
      mailbox115: supportsMailbox(office, "1.15"),
      policy: {}
    };
    /** @type {"warn" | "block"} */
    let failMode = deps.config.failMode === "block" ? "block" : "warn";
    const policyLoaded = Promise.resolve()
      .then(deps.api)
      .then(function (api) {
        return loadPolicy(api, deps.config, deps.store, deps.now());
      });
    return Promise.all([readDraft(office.context.mailbox.item), policyLoaded])
      .then(function (parts) {
        const draft = parts[0];
        const policy = parts[1];
        failMode = policy.failMode;
        client.policy = { tenant: policy.tenant, version: policy.version };
        try {
          const verdict = checkOrFail(policy.engine, draft, [], policy.failMode);
          return policy.expired ? staleVerdict(verdict, policy) : verdict;
        } finally {
          freeEngine(policy.engine);
        }
      })
      .catch(function (e) {
        const error = /** @type {{ failMode?: "warn" | "block", message?: string }} */ (e || {});
        return failureVerdict(error.message || String(e), error.failMode || failMode);
      })
      .then(function (verdict) {
        event.completed(completionFor(verdict, client));
      });
  };
}
