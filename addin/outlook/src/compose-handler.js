// The OnNewMessageCompose / OnNewAppointmentOrganizer handler: when the user starts writing
// a reply, record the recipients it starts with (reply-snapshot.js); and refresh the keyset and policy from the server in the background (the refresh protocol's
// short time-outs, the engine's verification), so that the admin's policy reaches every
// mailbox without the pane ever opening. The event completes once the refresh is done or
// has timed out; nothing the user does waits for it. After that, the daily counts that are
// due are sent (reports.js).
import { refreshDue, refreshFromServer } from "./refresh.js";
import { snapshotReply } from "./reply-snapshot.js";

/**
 * @param {import("./refresh.js").RefreshDeps & { office?: any, log?: (message: string) => void,
 *   reports?: import("./reports.js").Reporter }} deps
 *   office: Office, whose compose item is snapshotted when it is a reply; reports: the
 *   runtime's daily report
 * @returns {(event: { completed(options?: any): void }) => Promise<void>}
 */
export function createComposeHandler(deps) {
  return function onNewComposeHandler(event) {
    // First, before the user edits the recipients; it never rejects.
    const item = deps.office && deps.office.context && deps.office.context.mailbox ? deps.office.context.mailbox.item : null;
    const snapshot = snapshotReply(item);
    const refreshed = Promise.resolve()
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
      );
    return Promise.all([snapshot, refreshed]).then(function () {
      event.completed();
      return deps.reports ? deps.reports.sendDue().then(function () {}) : undefined;
    });
  };
}
