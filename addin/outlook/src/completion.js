// A verdict → the options of `event.completed` for Smart Alerts, by what the client supports:
//   Mailbox 1.12: allowEvent and the plain errorMessage;
//   Mailbox 1.14: cancelLabel "Fix recipients", commandId (the task pane button) and
//                 contextData carrying the proposed fixes; a warning also sets
//                 sendModeOverride "promptUser", so that under a SoftBlock or Block manifest
//                 the sender may still "Send Anyway" after a warning (but not after a block);
//   Mailbox 1.15: errorMessageMarkdown as well.
import { smartAlertsCompletion } from "../../shared/dialog.js";

/** The dialog's button label; Outlook allows at most 20 characters. */
export const FIX_LABEL = "Fix recipients";
/** The manifest's task pane button (`<Control id=...>`), which the dialog's button opens. */
export const FIX_COMMAND_ID = "SendguardFixButton";
/** `Office.MailboxEnums.SendModeOverride.PromptUser`, the only override Outlook offers. */
export const PROMPT_USER = "promptUser";
/** At most this many fixes travel in contextData (each is one recipient). */
export const MAX_FIXES = 20;

/**
 * @typedef {{ field: "to" | "cc" | "bcc", recipient: string, fix: string | null,
 *   suggestion: string | null, kind: string, message: string }} ProposedFix
 */

/**
 * What the task pane can act on: one per recipient row of the engine's `by_recipient` that
 * has a field (replace when the engine proposes a corrected address, otherwise remove),
 * strictest first, with the row's line as its message.
 * @param {import("../../shared/dialog.js").Verdict} verdict
 * @returns {ProposedFix[]}
 */
export function proposedFixes(verdict) {
  /** @type {ProposedFix[]} */
  const fixes = [];
  (verdict.by_recipient || []).forEach(function (row) {
    if (!row.recipient || (row.field !== "to" && row.field !== "cc" && row.field !== "bcc")) return;
    if (fixes.length >= MAX_FIXES) return;
    const lead = verdict.findings[row.findings[0]];
    fixes.push({
      field: row.field,
      recipient: row.recipient,
      fix: row.fix || null,
      suggestion: (lead && lead.suggestion) || null,
      kind: lead ? lead.kind : "",
      message: row.line || (lead ? lead.message : "")
    });
  });
  return fixes;
}

/**
 * contextData for the task pane: a string, because classic Outlook before build 2402 passes
 * only strings.
 * @param {ProposedFix[]} fixes
 * @param {{ tenant?: string, version?: number }} policy
 */
export function contextDataFor(fixes, policy) {
  return JSON.stringify({ sendguard: 1, fixes: fixes, tenant: policy.tenant || null, version: policy.version || null });
}

/**
 * @param {import("../../shared/dialog.js").Verdict} verdict
 * @param {{ mailbox114: boolean, mailbox115: boolean, fixButton?: boolean,
 *   policy: { tenant?: string, version?: number } }} client   fixButton false: no Fix button
 *   (meeting invites: the button opens the message compose pane)
 * @returns {{ allowEvent: boolean, errorMessage?: string, errorMessageMarkdown?: string,
 *   cancelLabel?: string, commandId?: string, contextData?: string, sendModeOverride?: string }}
 */
export function completionFor(verdict, client) {
  /** @type {any} */
  const options = smartAlertsCompletion(verdict, { markdown: client.mailbox115 });
  if (options.allowEvent || !client.mailbox114) return options;
  if (verdict.action === "warn") options.sendModeOverride = PROMPT_USER;
  const fixes = client.fixButton === false ? [] : proposedFixes(verdict);
  if (fixes.length > 0) {
    options.cancelLabel = FIX_LABEL;
    options.commandId = FIX_COMMAND_ID;
    options.contextData = contextDataFor(fixes, client.policy);
  }
  return options;
}
