// compose.onBeforeSend: read the draft (with the sender's history and the reply context), let
// the engine judge it, and either let the send go silently or hold it until the sender
// answers our dialog. Every decision about the draft is
// the engine's (Rust, as WebAssembly); this file only gathers input and routes answers.

import { checkOrFail } from "../../shared/check.js";
import { draftFromThunderbird } from "../../shared/draft.js";

/**
 * @typedef {import("./dialog-session.js").Verdict} Verdict
 * @typedef {{ check(draft: object, context: object): Verdict } & import("./reports.js").ReportingEngine} Engine
 * @typedef {{
 *   compose: { listAttachments(tabId: number): Promise<{ name: string, size?: number }[]> },
 *   identities: { get(id: string): Promise<{ email: string, name?: string } | null> },
 *   currentEngine: () => Promise<Engine>,
 *   failMode: () => Promise<"warn" | "block">,
 *   dialogs: { ask(q: import("./dialog-session.js").Question): Promise<import("./dialog-session.js").Answer> },
 *   contacts?: (details: Record<string, any>) => Promise<Record<string, string[]>>,
 *   history?: (details: Record<string, any>) => Promise<HistoryContext>,
 *   sending?: (tabId: number, details: Record<string, any>) => unknown,
 *   report?: (engine: Engine, verdict: Verdict, ended?: import("./dialog-session.js").Answer) => Promise<void>,
 *   log?: (message: string) => void
 * }} SendGuardDeps
 *   contacts: address-book entries and mailing lists picked by id → their addresses;
 *   history: the sender's history text and the reply context;
 *   sending: told the details a send is let go with (after any Fix or Remove);
 *   report: told each check and what the sender did with it (reports.js), in the background
 * @typedef {{ history: string, original?: { kind: "reply" | "forward", participants: string[] } }} HistoryContext
 */

/** @param {SendGuardDeps} deps */
export function createSendGuard(deps) {
  const log = deps.log || (() => {});

  /** The draft as the engine reads it, from compose details plus what the tab holds. */
  async function readDraft(details, attachments, original) {
    let from = typeof details.from === "string" ? details.from : undefined;
    if (!from && details.identityId) {
      const identity = await deps.identities.get(details.identityId).catch(() => null);
      if (identity) from = identity.name ? `${identity.name} <${identity.email}>` : identity.email;
    }
    // Address-book entries by id are resolved; one that cannot be read is reported, not guessed.
    const contacts = deps.contacts ? await deps.contacts(details).catch(() => ({})) : {};
    const { draft, unresolved } = draftFromThunderbird({ ...details, from }, contacts, attachments);
    if (unresolved.length) log(`recipients not checked (address book entries that could not be read): ${unresolved.join(", ")}`);
    return original ? { ...draft, original } : draft;
  }

  /**
   * The onBeforeSend listener.
   * @param {{ id: number }} tab
   * @param {Record<string, any>} details
   * @returns {Promise<{ cancel?: boolean, details?: object }>}
   */
  return async function onBeforeSend(tab, details) {
    const attachments = await deps.compose.listAttachments(tab.id).catch(() => []);
    // The history as stored now: an import under way is never waited for. If it cannot be
    // read, the check runs without it (never a reason to stop mail).
    const context = deps.history ? await deps.history(details).catch(() => null) : null;
    // An engine that cannot load fails like a failing check: the sender is asked, and told.
    const failing = (e) => ({ check: () => { throw e; } });
    /** @param {Engine} engine @param {Record<string, any>} current */
    const judgeWith = async (engine, current) => {
      const draft = await readDraft(current, attachments, context && context.original);
      return checkOrFail(engine, draft, [], await deps.failMode(), context ? context.history : undefined);
    };
    /** @param {Record<string, any>} current */
    const judge = async (current) => judgeWith(await deps.currentEngine().catch(failing), current);
    /** Counts the check without holding the send up; a count that fails never stops mail. */
    const report = (engine, verdict, ended) => {
      if (deps.report) deps.report(engine, verdict, ended).catch((e) => log(`report: ${e.message || e}`));
    };
    /** @param {Record<string, unknown[]>} changed */
    const letGo = (changed) => {
      if (deps.sending) Promise.resolve(deps.sending(tab.id, { ...details, ...changed })).catch((e) => log(`history: ${e.message || e}`));
      return Object.keys(changed).length ? { details: changed } : {};
    };
    const engine = await deps.currentEngine().catch(failing);
    const verdict = await judgeWith(engine, details);
    if (verdict.action === "allow") {
      report(engine, verdict);
      return letGo({});
    }
    const answer = await deps.dialogs.ask({ details, verdict, recheck: judge });
    report(engine, verdict, answer);
    if ("cancel" in answer) return { cancel: true };
    return letGo(answer.details);
  };
}
