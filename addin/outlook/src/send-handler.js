// The OnMessageSend and OnAppointmentSend (Smart Alerts) handler: read the draft (a message,
// or a meeting invite's attendees), check it on the verified policy held on this device, and
// either let it go silently or stop it with the engine's explanation (and, for messages, a
// "Fix recipients" button). It never waits on the network: when the held policy is near
// expiry it starts a background refresh and goes on. A failure of the check itself follows
// the fail mode: never a silent pass. The check uses the sender's history and, for a reply,
// the recipients it started with (history.js, reply-snapshot.js); a send the verdict lets go
// is learnt into the history after event.completed, so learning never delays a send. Also
// after event.completed: what Outlook saw of the send is counted for the daily report and
// the days due are sent (reports.js).
import { readDraft, isAppointment } from "./read-draft.js";
import { supportsMailbox } from "./office-async.js";
import { completionFor } from "./completion.js";
import { loadPolicy, loadPolicyCached, freeEngine } from "./policy-session.js";
import { expirySoon } from "./refresh.js";
import { couldNotCheck } from "../../shared/check.js";
import { checkWithHistory, learnFromSend, primeHistory } from "./history.js";
import { readOriginal } from "./reply-snapshot.js";

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
 *   history?: import("./history-store.js").HistoryStore,
 *   policyCache?: ReturnType<typeof import("./policy-session.js").createPolicyCache>,
 *   reports?: import("./reports.js").Reporter,
 *   now(): number, refreshInBackground?: () => void }} HandlerDeps   everything from outside,
 *   injected for tests; refreshInBackground starts a refresh that nobody waits for; history:
 *   this runtime's store of the sender's history (none: checks without one, learns nothing);
 *   policyCache: the runtime's, kept between sends (none: each send loads and frees its own);
 *   reports: the runtime's daily report (none: nothing is counted)
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
    const history = deps.history || null;
    /** The stored history, read once a send (a megabyte from storage; a read never throws). */
    const storedHistory = history ? history.read() : "";
    const now = deps.now();
    /** @type {import("./policy-session.js").EngineApi | null} */
    let engineApi = null;
    /** @type {string[] | null} the recipients to learn once the verdict lets the send go */
    let toLearn = null;
    /** @type {import("./policy-session.js").PolicyInUse | null} the policy the check ran on */
    let policyInUse = null;
    /**
     * Learns the recipients of a send that goes. Only a send that goes without a dialog is
     * known to go: the add-in is never told whether the sender chose "Send Anyway".
     * @param {import("../../shared/dialog.js").Verdict} verdict
     */
    function learn(verdict) {
      if (verdict.action !== "allow" || !history || !engineApi || !toLearn) return Promise.resolve();
      const kept = deps.policyCache && policyInUse ? policyInUse.engine : null;
      return learnFromSend(engineApi, history, toLearn, now).then(function (learnt) {
        // The runtime keeps this engine for the next send: index the new history now, while
        // nobody waits, rather than at the next Send.
        if (learnt !== null && kept) primeHistory(kept, learnt);
      });
    }

    const policyLoaded = Promise.resolve()
      .then(deps.api)
      .then(function (api) {
        engineApi = api;
        if (deps.refreshInBackground && expirySoon(deps.store, now)) deps.refreshInBackground();
        return deps.policyCache ? loadPolicyCached(deps.policyCache, api, deps.config, deps.store, now) : loadPolicy(api, deps.config, deps.store, now);
      })
      .then(function (policy) {
        // The engine indexes the history now, while Outlook is still answering the draft's
        // reads (round trips to the host): the check then finds it indexed.
        if (storedHistory) primeHistory(policy.engine, storedHistory);
        return policy;
      });
    // Both settle before anything is decided: a draft that cannot be read still fails by the
    // loaded policy's fail mode.
    const original = isAppointment(item) ? Promise.resolve(null) : readOriginal(item);
    return Promise.all([settled(readDraft(item)), settled(policyLoaded), original])
      .then(function (parts) {
        const draft = parts[0];
        const policy = parts[1];
        if (!policy.ok) throw policy.error;
        failMode = policy.value.failMode;
        client.policy = { tenant: policy.value.tenant, version: policy.value.version };
        // Freed once reported (below), unless the runtime's cache keeps it.
        policyInUse = policy.value;
        if (!draft.ok) throw draft.error;
        const d = draft.value;
        toLearn = (d.to || []).concat(d.cc || [], d.bcc || []);
        return checkWithHistory(policy.value.engine, d, storedHistory, parts[2], policy.value.failMode);
      })
      .catch(function (e) {
        const error = /** @type {{ failMode?: "warn" | "block", message?: string }} */ (e || {});
        return couldNotCheck(error.message || String(e), error.failMode || failMode);
      })
      .then(function (verdict) {
        event.completed(completionFor(verdict, client));
        // Counted with the engine that made the verdict, before it may be freed.
        const reported = deps.reports && policyInUse ? deps.reports.afterSend(policyInUse, verdict) : null;
        if (policyInUse && !deps.policyCache) freeEngine(policyInUse.engine);
        return Promise.all([learn(verdict), reported]).then(function () {});
      });
  };
}
