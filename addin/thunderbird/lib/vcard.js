// The two things the sender's history needs from an address-book contact (Thunderbird hands
// contacts over as vCard text in Manifest V3): its display name (FN) and its email addresses
// (EMAIL). Not a vCard parser: every other property is skipped, and the text is bounded,
// because a contact can come from anywhere (a shared or synchronised address book).

/** Longest vCard read (longer ones are read up to here). */
export const MAX_VCARD_CHARS = 64 * 1024;
/** Most addresses taken from one contact. */
export const MAX_EMAILS_PER_CONTACT = 20;
/** Longest display name or address kept. */
const MAX_VALUE_CHARS = 320;

/**
 * A vCard's text value, unescaped (`\,` `\;` `\\` `\n`).
 * @param {string} value
 */
function unescapeValue(value) {
  return value.replace(/\\([\\,;nN])/g, (_, c) => (c === "n" || c === "N" ? " " : c)).trim();
}

/**
 * The display name and addresses of one contact.
 * @param {unknown} vCard the contact's vCard text
 * @returns {{ name: string, emails: string[] }}
 */
export function contactFromVCard(vCard) {
  if (typeof vCard !== "string") return { name: "", emails: [] };
  // Folded lines continue with a space or a tab (RFC 6350, 3.2).
  const lines = vCard.slice(0, MAX_VCARD_CHARS).replace(/\r?\n[ \t]/g, "").split(/\r?\n/);
  let name = "";
  /** @type {string[]} */
  const emails = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    // `item1.EMAIL;TYPE=work` → EMAIL (a group prefix and parameters are not needed).
    const property = line.slice(0, colon).split(";")[0].replace(/^[^.]*\./, "").toUpperCase();
    const value = unescapeValue(line.slice(colon + 1)).slice(0, MAX_VALUE_CHARS);
    if (property === "FN" && !name) name = value;
    if (property === "EMAIL" && value && emails.length < MAX_EMAILS_PER_CONTACT) emails.push(value);
  }
  return { name, emails };
}
