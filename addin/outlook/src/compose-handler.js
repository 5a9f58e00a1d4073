// The OnNewMessageCompose / OnNewAppointmentOrganizer handler: when the user starts writing,
// refresh the keyset and policy from the server in the background (the refresh protocol's
// short time-outs, the engine's verification), so that the admin's policy reaches every
// mailbox without the pane ever opening. The event completes once the refresh is done or
// has timed out; nothing the user does waits for it.
import { refreshDue, refreshFromServer } from "./refresh.js";

/**
 * @param {import("./refresh.js").RefreshDeps & { log?: (message: string) => void }} deps
 * @returns {(event: { completed(options?: any): void }) => Promise<void>}
 */
export function createComposeHandler(deps) {
  return function onNewComposeHandler(event) {
    return Promise.resolve()
      .then(function () {
        if (!refreshDue(deps.store, deps.now())) return null;
        return refreshFromServer(deps);
      })
      .then(
        function (result) {
          if (result && deps.log) deps.log("policy refresh: keyset " + result.keyset.status + ", policy " + result.status + " (" + result.detail + ")");
        },
        function () {
          // refreshFromServer never rejects; a store that cannot be read is retried next time.
        }
      )
      .then(function () {
        event.completed();
      });
  };
}
