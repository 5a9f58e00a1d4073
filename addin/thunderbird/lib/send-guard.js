// compose.onBeforeSend: read the draft, let the engine judge it, and either let the send go
// silently or hold it until the sender answers our dialog. Every decision about the draft is
// the engine's (Rust, as WebAssembly); this file only gathers input and routes answers.

import { draftFromThunderbird } from "../../shared/draft.js";

/**
 * @typedef {import("./dialog-session.js").Verdict} Verdict
 * @typedef {{ check(draft: object, context: object): Verdict }} Engine
 * @typedef {{
 *   compose: { listAttachments(tabId: number): Promise<{ name: string, size?: number }[]> },
 *   identities: { get(id: string): Promise<{ email: string, name?: string } | null> },
 *   currentEngine: () => Promise<Engine>,
 *   dialogs: { ask(q: import("./dialog-session.js").Question): Promise<import("./dialog-session.js").Answer> },
 *   log?: (message: string) => void
 * }} SendGuardDeps
 */

/** A verdict for when the check itself failed: the sender decides, and is told why. */
export function checkFailedVerdict(error) {
  const message = `Sendguard could not check this email (${(error && error.message) || error}). Please check the recipients yourself.`;
  return {
    action: "warn",
    summary: message,
    findings: [{ kind: "check_failed", action: "warn", recipient: null, suggestion: null, message }]
  };
}

/** @param {SendGuardDeps} deps */
export function createSendGuard(deps) {
  const log = deps.log || (() => {});

  /** The draft as the engine reads it, from compose details plus what the tab holds. */
  async function readDraft(details, attachments) {
    let from = typeof details.from === "string" ? details.from : undefined;
    if (!from && details.identityId) {
      const identity = await deps.identities.get(details.identityId).catch(() => null);
      if (identity) from = identity.name ? `${identity.name} <${identity.email}>` : identity.email;
    }
    // Contacts by id would need the addressBooks permission; they are reported, not guessed.
    const { draft, unresolved } = draftFromThunderbird({ ...details, from }, {}, attachments);
    if (unresolved.length) log(`recipients not checked (address book entries by id): ${unresolved.join(", ")}`);
    return draft;
  }

  /**
   * The onBeforeSend listener.
   * @param {{ id: number }} tab
   * @param {Record<string, any>} details
   * @returns {Promise<{ cancel?: boolean, details?: object }>}
   */
  return async function onBeforeSend(tab, details) {
    const attachments = await deps.compose.listAttachments(tab.id).catch(() => []);
    const judge = async (current) => (await deps.currentEngine()).check(await readDraft(current, attachments), { known: [] });
    let verdict;
    try {
      verdict = await judge(details);
    } catch (e) {
      verdict = checkFailedVerdict(e);
    }
    if (verdict.action === "allow") return {};
    const recheck = (current) => judge(current).catch(checkFailedVerdict);
    const answer = await deps.dialogs.ask({ details, verdict, recheck });
    if ("cancel" in answer) return { cancel: true };
    return Object.keys(answer.details).length ? { details: answer.details } : {};
  };
}
