// Applies the sender's choices from the dialog (Fix: take the engine's corrected address;
// Remove: drop the recipient) to Thunderbird's compose details. Only the address part of a
// recipient changes; the display name and quoting stay exactly as Thunderbird gave them.
// The engine decides what is wrong and what the fix is; this only edits strings.

/** @typedef {"to" | "cc" | "bcc"} RecipientField */
/** @typedef {{ field: RecipientField, recipient: string, choice: "fix" | "remove", fix?: string }} Choice */

/**
 * The address inside one Thunderbird recipient string: `Name <a@b>` or a bare `a@b`.
 * @param {string} entry
 * @returns {{ start: number, end: number }} where the address is in `entry`
 */
export function addressSpan(entry) {
  const match = /<([^<>]*)>\s*$/.exec(entry);
  if (match) {
    const start = match.index + 1;
    return { start, end: start + match[1].length };
  }
  const start = entry.length - entry.trimStart().length;
  return { start, end: entry.trimEnd().length };
}

/**
 * The address of a recipient string, compared case-insensitively by callers.
 * @param {string} entry
 */
export function addressOf(entry) {
  const { start, end } = addressSpan(entry);
  return entry.slice(start, end).trim();
}

/**
 * @param {unknown} list a compose details recipient field (string, array, or nothing)
 * @returns {unknown[]}
 */
function asArray(list) {
  if (list === undefined || list === null) return [];
  return Array.isArray(list) ? list : [list];
}

/**
 * The compose details fields to set after the choices, only those that changed.
 * Entries that are not strings (address book contacts by id) are kept as they are.
 * @param {Partial<Record<RecipientField, unknown>>} details
 * @param {Choice[]} choices
 * @returns {Partial<Record<RecipientField, unknown[]>>}
 */
export function applyChoices(details, choices) {
  /** @type {Partial<Record<RecipientField, unknown[]>>} */
  const changed = {};
  for (const choice of choices) {
    const current = changed[choice.field] || asArray(details[choice.field]);
    const wanted = choice.recipient.toLowerCase();
    const index = current.findIndex((e) => typeof e === "string" && addressOf(e).toLowerCase() === wanted);
    if (index < 0) continue;
    const entry = /** @type {string} */ (current[index]);
    const next = current.slice();
    if (choice.choice === "remove") {
      next.splice(index, 1);
    } else if (choice.fix) {
      const { start, end } = addressSpan(entry);
      next[index] = entry.slice(0, start) + choice.fix + entry.slice(end);
    } else {
      continue;
    }
    changed[choice.field] = next;
  }
  return changed;
}
