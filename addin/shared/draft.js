// Client recipient objects → the engine's draft format (recipients as strings:
// `"Display Name" <address>` or a bare address). Pure functions, ES2016, shared by the
// Outlook add-in (also inside its classic single script) and the Thunderbird extension.

/**
 * @typedef {{ from?: string | null, to?: string[], cc?: string[], bcc?: string[],
 *   subject?: string, body?: string, attachments?: { name: string, size?: number }[],
 *   original?: { kind: "reply" | "forward", participants: string[] } }} Draft
 *   original: the message a reply or forward answers (its From, To and Cc)
 */

/**
 * One mailbox as the engine reads it. The display name is quoted (with `\` before `"` and
 * `\`) so that commas and angle brackets in names cannot split or fake an address.
 * @param {string | null | undefined} displayName
 * @param {string} address
 * @returns {string}
 */
export function mailboxString(displayName, address) {
  const name = (displayName || "").trim();
  const addr = String(address || "").trim();
  if (name === "" || name.toLowerCase() === addr.toLowerCase()) return addr;
  return "\"" + name.replace(/[\\"]/g, "\\$&") + "\" <" + addr + ">";
}

/**
 * Outlook's recipients (`item.to.getAsync` and friends) → draft recipient strings.
 * @param {ReadonlyArray<Pick<Office.EmailAddressDetails, "emailAddress" | "displayName">> | null | undefined} recipients
 * @returns {string[]}
 */
export function outlookRecipients(recipients) {
  return (recipients || []).map(function (r) {
    return mailboxString(r.displayName, r.emailAddress);
  });
}

/**
 * A draft from what the Outlook handler read.
 * @param {{ from?: Pick<Office.EmailAddressDetails, "emailAddress" | "displayName"> | null,
 *   to?: ReadonlyArray<Pick<Office.EmailAddressDetails, "emailAddress" | "displayName">>,
 *   cc?: ReadonlyArray<Pick<Office.EmailAddressDetails, "emailAddress" | "displayName">>,
 *   bcc?: ReadonlyArray<Pick<Office.EmailAddressDetails, "emailAddress" | "displayName">>,
 *   subject?: string, body?: string,
 *   attachments?: ReadonlyArray<Pick<Office.AttachmentDetailsCompose, "name" | "size">> }} item
 * @returns {Draft}
 */
export function draftFromOutlook(item) {
  return {
    from: item.from ? mailboxString(item.from.displayName, item.from.emailAddress) : null,
    to: outlookRecipients(item.to),
    cc: outlookRecipients(item.cc),
    bcc: outlookRecipients(item.bcc),
    subject: item.subject || "",
    body: item.body || "",
    attachments: (item.attachments || []).map(function (a) {
      return { name: a.name, size: a.size || 0 };
    })
  };
}

/**
 * Thunderbird's recipients (`compose.getComposeDetails`): strings, or `{id, type}` contacts
 * and mailing lists that the extension resolves first (`contacts[id]` = their addresses,
 * already as mailbox strings). Unresolved ids are returned, not guessed.
 * @param {browser.compose.ComposeRecipientList | null | undefined} list
 * @param {Readonly<Record<string, string[]>>} contacts
 * @returns {{ recipients: string[], unresolved: string[] }}
 */
export function thunderbirdRecipients(list, contacts) {
  /** @type {string[]} */
  const recipients = [];
  /** @type {string[]} */
  const unresolved = [];
  const entries = list === null || list === undefined ? [] : Array.isArray(list) ? list : [list];
  entries.forEach(function (entry) {
    if (typeof entry === "string") {
      recipients.push(entry.trim());
    } else if (Object.prototype.hasOwnProperty.call(contacts, entry.id)) {
      contacts[entry.id].forEach(function (address) {
        recipients.push(address);
      });
    } else {
      unresolved.push(entry.id);
    }
  });
  return { recipients: recipients, unresolved: unresolved };
}

/**
 * A draft from Thunderbird's compose details.
 * @param {Pick<browser.compose.ComposeDetails, "from" | "to" | "cc" | "bcc" | "subject" | "plainTextBody">} details
 * @param {Readonly<Record<string, string[]>>} contacts resolved contacts and mailing lists, by id
 * @param {ReadonlyArray<{ name: string, size?: number }>} [attachments]
 * @returns {{ draft: Draft, unresolved: string[] }}
 */
export function draftFromThunderbird(details, contacts, attachments) {
  const to = thunderbirdRecipients(details.to, contacts);
  const cc = thunderbirdRecipients(details.cc, contacts);
  const bcc = thunderbirdRecipients(details.bcc, contacts);
  const from = typeof details.from === "string" ? details.from : null;
  return {
    draft: {
      from: from,
      to: to.recipients,
      cc: cc.recipients,
      bcc: bcc.recipients,
      subject: details.subject || "",
      body: details.plainTextBody || "",
      attachments: (attachments || []).map(function (a) {
        return { name: a.name, size: a.size || 0 };
      })
    },
    unresolved: to.unresolved.concat(cc.unresolved, bcc.unresolved)
  };
}
