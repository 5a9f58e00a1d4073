// A verdict → the text a sender sees: plain (every client) and Markdown (Outlook's Smart
// Alerts dialog, Mailbox 1.15), each within Outlook's 500-character limit: one line per
// recipient, most severe first, as the engine grouped and ordered them (`by_recipient`).
// ES2016.

/**
 * @typedef {{ kind: string, action: "allow" | "warn" | "block", message: string,
 *   recipient: string | null, suggestion: string | null, field?: string, fix?: string,
 *   detail?: string, justification_required?: boolean }} Finding
 * @typedef {{ recipient: string | null, field?: "to" | "cc" | "bcc", action: "allow" | "warn" | "block",
 *   fix?: string, findings: number[], line?: string }} RecipientFindings
 * @typedef {{ action: "allow" | "warn" | "block", summary: string, findings: Finding[],
 *   by_recipient?: RecipientFindings[], justification_required?: boolean }} Verdict
 */

/** Outlook's limit for `errorMessage` and `errorMessageMarkdown`. */
export const DIALOG_LIMIT = 500;

/**
 * Characters Markdown would read as formatting (`_` is common in addresses), escaped.
 * @param {string} text
 * @returns {string}
 */
export function escapeMarkdown(text) {
  return text.replace(/[\\`*_[\]#<>|~]/g, "\\$&");
}

/**
 * The dialog's heading for a verdict.
 * @param {Verdict} verdict
 * @returns {string}
 */
export function dialogHeading(verdict) {
  // A verdict that stops the mail without findings is a check that could not run.
  if (verdict.action !== "allow" && verdict.findings.length === 0) return "Sendguard could not check this email.";
  if (verdict.action === "block") {
    return verdict.justification_required
      ? "This email needs a written justification before it can go."
      : "This email cannot be sent as it is.";
  }
  return verdict.action === "warn" ? "Please check this email before sending." : "No problems found.";
}

/**
 * The dialog's lines: one per recipient row the engine wrote a line for; a verdict without
 * rows (a check that could not run) gives its summary's lines.
 * @param {Verdict} verdict
 * @returns {string[]}
 */
export function dialogLines(verdict) {
  const rows = verdict.by_recipient || [];
  const lines = [];
  for (let i = 0; i < rows.length; i++) {
    const line = rows[i].line;
    if (line) lines.push(line);
  }
  if (lines.length > 0 || verdict.action === "allow") return lines;
  return verdict.summary.split("\n").filter(function (line) {
    return line !== "" && !/^\(\+\d+ more\)$/.test(line);
  });
}

/**
 * Markdown for the Smart Alerts dialog: a bold heading, then one list item per recipient
 * (Outlook's list items end with `\r`), cut to whole items with "(+N more)" so that it fits.
 * @param {Verdict} verdict
 * @param {number} [limit]
 * @returns {string}
 */
export function dialogMarkdown(verdict, limit) {
  const max = limit || DIALOG_LIMIT;
  let text = "**" + escapeMarkdown(dialogHeading(verdict)) + "**\r\r";
  const lines = dialogLines(verdict);
  for (let i = 0; i < lines.length; i++) {
    const item = "- " + escapeMarkdown(lines[i]) + "\r";
    const rest = lines.length - i - 1;
    const more = rest > 0 ? "(+" + rest + " more)" : "";
    if (text.length + item.length + more.length > max) {
      const left = "(+" + (lines.length - i) + " more)";
      if (i === 0) {
        // Even the first line is too long: cut it, keeping the "more" note.
        const room = max - text.length - 4 - (rest > 0 ? more.length : 0);
        return text + "- " + escapeMarkdown(lines[i]).slice(0, Math.max(0, room)).replace(/\\$/, "") + "…\r" + more;
      }
      return text + left;
    }
    text += item;
  }
  return text;
}

/**
 * Plain text for any dialog: the engine's summary (already at most 500 characters).
 * @param {Verdict} verdict
 * @returns {string}
 */
export function dialogPlain(verdict) {
  return verdict.summary.length <= DIALOG_LIMIT ? verdict.summary : verdict.summary.slice(0, DIALOG_LIMIT - 1) + "…";
}

/**
 * What Outlook's `event.completed` needs for a verdict. Markdown only where the client
 * supports it (Mailbox 1.15); the plain message is always set, as Outlook requires.
 * @param {Verdict} verdict
 * @param {{ markdown?: boolean }} [options]
 * @returns {{ allowEvent: boolean, errorMessage?: string, errorMessageMarkdown?: string }}
 */
export function smartAlertsCompletion(verdict, options) {
  if (verdict.action === "allow") return { allowEvent: true };
  /** @type {{ allowEvent: boolean, errorMessage?: string, errorMessageMarkdown?: string }} */
  const completion = { allowEvent: false, errorMessage: dialogPlain(verdict) };
  if (options && options.markdown) completion.errorMessageMarkdown = dialogMarkdown(verdict);
  return completion;
}
