// compose.onBeforeSend: read the draft, let the engine judge it, and either let the send go
// silently or hold it until the sender answers our dialog. Every decision about the draft is
// the engine's (Rust, as WebAssembly); this file only gathers input and routes answers.

import { checkOrFail } from "../../shared/check.js";
import { draftFromThunderbird } from "../../shared/draft.js";

/**
 * @typedef {import("./dialog-session.js").Verdict} Verdict
 * @typedef {{ check(draft: object, context: object): Verdict }} Engine
 * @typedef {{
 *   compose: { listAttachments(tabId: number): Promise<{ name: string, size?: number }[]> },
 *   identities: { get(id: string): Promise<{ email: string, name?: string } | null> },
 *   currentEngine: () => Promise<Engine>,
 *   failMode: () => Promise<"warn" | "block">,
 *   dialogs: { ask(q: import("./dialog-session.js").Question): Promise<import("./dialog-session.js").Answer> },
 *   log?: (message: string) => void
 * }} SendGuardDeps
 */

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
    // An engine that cannot load fails like a failing check: the sender is asked, and told.
    const failing = (e) => ({ check: () => { throw e; } });
    /** @param {Record<string, any>} current */
    const judge = async (current) => {
      const engine = await deps.currentEngine().catch(failing);
      return checkOrFail(engine, await readDraft(current, attachments), [], await deps.failMode());
    };
    const verdict = await judge(details);
    if (verdict.action === "allow") return {};
    const answer = await deps.dialogs.ask({ details, verdict, recheck: judge });
    if ("cancel" in answer) return { cancel: true };
    return Object.keys(answer.details).length ? { details: answer.details } : {};
  };
}
