// The OnMessageSend and OnAppointmentSend (Smart Alerts) handler: read the draft (a message,
// or a meeting invite's attendees), check it on the verified policy held on this device, and
// either let it go silently or stop it with the engine's explanation (and, for messages, a
// "Fix recipients" button). It never waits on the network: when the held policy is near
// expiry it starts a background refresh and goes on. A failure of the check itself follows
// the fail mode: never a silent pass.
import { readDraft, isAppointment } from "./read-draft.js";
import { supportsMailbox } from "./office-async.js";
import { completionFor } from "./completion.js";
import { loadPolicy, freeEngine } from "./policy-session.js";
import { expirySoon } from "./refresh.js";
import { checkOrFail, couldNotCheck } from "../../shared/check.js";

/**
 * A promise's outcome as a value, so that several can settle before one decision.
 * @template T
 * @param {Promise<T>} promise
 * @returns {Promise<{ ok: true, value: T, error?: undefined } | { ok: false, error: unknown, value?: undefined }>}
 */
function settled(promise) {
  return promise.then(
    function (value) { return { ok: /** @type {true} */ (true), value: value }; },
    function (error) { return { ok: /** @type {false} */ (false), error: error }; }
  );
}

/**
 * @typedef {{ office: any, api(): Promise<import("./policy-session.js").EngineApi>,
 *   config: import("./policy-session.js").AddinConfig,
 *   store: import("./policy-session.js").PolicyStore,
 *   now(): number, refreshInBackground?: () => void }} HandlerDeps   everything from outside,
 *   injected for tests; refreshInBackground starts a refresh that nobody waits for
 */

/**
 * @param {HandlerDeps} deps
 * @returns {(event: { completed(options: any): void }) => Promise<void>}
 */
export function createSendHandler(deps) {
  return function onMessageSendHandler(event) {
    const office = deps.office;
    const item = office.context.mailbox.item;
    const client = {
      mailbox114: supportsMailbox(office, "1.14"),
      mailbox115: supportsMailbox(office, "1.15"),
      // The Fix button opens the message compose pane; meeting invites have none.
      fixButton: !isAppointment(item),
      policy: {}
    };
    /** @type {"warn" | "block"} */
    let failMode = deps.config.failMode === "block" ? "block" : "warn";
    const policyLoaded = Promise.resolve()
      .then(deps.api)
      .then(function (api) {
        const now = deps.now();
        if (deps.refreshInBackground && expirySoon(deps.store, now)) deps.refreshInBackground();
        return loadPolicy(api, deps.config, deps.store, now);
      });
    // Both settle before anything is decided: a draft that cannot be read still fails by the
    // loaded policy's fail mode.
    return Promise.all([settled(readDraft(item)), settled(policyLoaded)])
      .then(function (parts) {
        const draft = parts[0];
        const policy = parts[1];
        if (!policy.ok) throw policy.error;
        failMode = policy.value.failMode;
        client.policy = { tenant: policy.value.tenant, version: policy.value.version };
        try {
          if (!draft.ok) throw draft.error;
          return checkOrFail(policy.value.engine, draft.value, [], policy.value.failMode);
        } finally {
          freeEngine(policy.value.engine);
        }
      })
      .catch(function (e) {
        const error = /** @type {{ failMode?: "warn" | "block", message?: string }} */ (e || {});
        return couldNotCheck(error.message || String(e), error.failMode || failMode);
      })
      .then(function (verdict) {
        event.completed(completionFor(verdict, client));
      });
  };
}
