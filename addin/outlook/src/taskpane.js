// The task pane ("Check recipients", and what the Smart Alerts "Fix recipients" button opens):
// one row per recipient with its reasons and one-click fixes, the policy's version, tenant
// and freshness, and how many addresses the sender's history holds with a button to forget
// them. A one-click fix is counted for the daily report, and the counts due are sent when
// the pane opens (reports.js). The engine, Office and storage are injected so that tests
// can drive it.
import { readDraft } from "./read-draft.js";
import { officeCall } from "./office-async.js";
import { loadPolicy, freeEngine } from "./policy-session.js";
import { applyFix, removeRecipient } from "./fix.js";
import { refreshFromServer } from "./refresh.js";
import { couldNotCheck } from "../../shared/check.js";
import { checkWithHistory, historyCount } from "./history.js";
import { readOriginal } from "./reply-snapshot.js";

/**
 * The fixes the Smart Alerts dialog passed (contextData), or [] when there are none.
 * @param {string | null | undefined} text
 * @returns {import("./completion.js").ProposedFix[]}
 */
export function fixesFromContext(text) {
  if (typeof text !== "string" || text === "") return [];
  try {
    const data = JSON.parse(text);
    if (!data || data.sendguard !== 1 || !Array.isArray(data.fixes)) return [];
    return data.fixes.filter(function (/** @type {any} */ f) {
      return f && typeof f.recipient === "string" && (f.field === "to" || f.field === "cc" || f.field === "bcc");
    });
  } catch (e) {
    return [];
  }
}

/**
 * The button text for a replacement: the domain swap when only the domain changes
 * ("Replace army.ml with army.mil"), the whole address otherwise.
 * @param {import("./completion.js").ProposedFix} fix
 */
export function replaceLabel(fix) {
  const from = fix.recipient;
  const to = fix.fix || "";
  const at = from.lastIndexOf("@");
  const toAt = to.lastIndexOf("@");
  if (at > 0 && toAt > 0 && from.slice(0, at) === to.slice(0, toAt)) {
    return "Replace " + from.slice(at + 1) + " with " + to.slice(toAt + 1);
  }
  return "Replace " + from + " with " + to;
}

/**
 * One line about the policy in use.
 * @param {import("./policy-session.js").PolicyInUse | null} policy
 * @param {string | null} problem
 */
export function policyLine(policy, problem) {
  if (!policy) return "No policy: " + (problem || "none loaded");
  const tenant = policy.tenant ? " for " + policy.tenant : "";
  if (!policy.version) return "Built-in policy" + tenant;
  const state = policy.stale ? "stale (expired)" : policy.source === "stored" ? "current" : "built in";
  return "Policy version " + policy.version + tenant + ": " + state;
}

/**
 * The line about the sender's history.
 * @param {{ entries: number } | null} summary
 */
export function historyLine(summary) {
  if (!summary) return "";
  const n = summary.entries;
  return n === 0
    ? "No known addresses yet: Sendguard learns the addresses you send to, on this device only."
    : "Known addresses: " + n.toLocaleString("en-US") + " (kept on this device only, to catch slips in addresses you use).";
}

/**
 * @typedef {{ document: Document, root: HTMLElement, office: any,
 *   api(): Promise<import("./policy-session.js").EngineApi>,
 *   config: import("./policy-session.js").AddinConfig,
 *   store: import("./policy-session.js").PolicyStore,
 *   history?: import("./history-store.js").HistoryStore,
 *   reports?: import("./reports.js").Reporter,
 *   fetch: typeof fetch | null, now(): number }} TaskpaneDeps   history: this runtime's
 *   store of the sender's history; reports: the page's daily report (none: nothing counted)
 */

/**
 * @param {TaskpaneDeps} deps
 */
export function createTaskpane(deps) {
  const doc = deps.document;
  const item = deps.office.context.mailbox.item;
  /** @type {import("./policy-session.js").PolicyInUse | null} */
  let policy = null;
  /** @type {string | null} */
  let policyProblem = null;
  let notice = "";
  /** What the last background policy update found, when it did not bring a new policy. */
  let updateNote = "";

  /** @param {string} tag @param {string} [text] @param {string} [cls] */
  function el(tag, text, cls) {
    const node = doc.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  /**
   * @param {string} label
   * @param {() => Promise<any>} action
   * @param {string} done
   * @param {() => void} [afterDone] once the action succeeded, before the draft is checked again
   */
  function button(label, action, done, afterDone) {
    const b = /** @type {HTMLButtonElement} */ (el("button", label));
    b.type = "button";
    b.addEventListener("click", function () {
      b.disabled = true;
      action().then(
        function () {
          notice = done;
          if (afterDone) afterDone();
          return refresh();
        },
        function (/** @type {any} */ e) { notice = "Could not change the draft: " + (e && e.message ? e.message : e); return refresh(); }
      );
    });
    return b;
  }

  /**
   * Counts a one-click fix for the daily report, with the policy whose engine made `verdict`
   * (never rejects; a policy replaced since is not counted with).
   * @param {import("./policy-session.js").PolicyInUse | null} madeBy
   * @param {any} verdict
   * @param {any} row
   * @param {"fixed" | "removed"} outcome
   */
  function countFix(madeBy, verdict, row, outcome) {
    if (deps.reports && madeBy && madeBy === policy) deps.reports.afterFix(madeBy, verdict, row, outcome);
  }

  /**
   * One row per recipient (the engine's `by_recipient`): the address, each reason with its
   * detail line, then one Replace (when there is a corrected address) and one Remove.
   * @param {any} verdict
   * @param {import("./policy-session.js").PolicyInUse | null} [madeBy] the policy whose engine
   *   made the verdict; none for the rows the dialog passed, which are not counted
   */
  function render(verdict, madeBy) {
    const root = deps.root;
    while (root.firstChild) root.removeChild(root.firstChild);
    root.appendChild(el("h1", "Sendguard"));
    root.appendChild(el("p", policyLine(policy, policyProblem), "policy" + (policy && !policy.stale ? "" : " policy-warning")));
    if (updateNote) root.appendChild(el("p", updateNote, "policy policy-warning"));
    if (notice) root.appendChild(el("p", notice, "notice"));
    renderHistory(root);
    if (verdict.action === "allow") {
      root.appendChild(el("p", "No problems found in this draft.", "clean"));
      return;
    }
    const list = el("ul", undefined, "findings");
    const rows = verdict.by_recipient && verdict.by_recipient.length ? verdict.by_recipient : [{ recipient: null, action: verdict.action, findings: [] }];
    rows.forEach(function (/** @type {any} */ row) {
      const li = el("li", undefined, "finding finding-" + row.action);
      if (row.recipient) li.appendChild(el("p", row.recipient, "recipient"));
      const reasons = row.findings.length ? row.findings.map(function (/** @type {number} */ i) { return verdict.findings[i]; }) : [{ message: verdict.summary }];
      reasons.forEach(function (/** @type {any} */ finding) {
        li.appendChild(el("p", finding.message, "message"));
        if (finding.detail) li.appendChild(el("p", finding.detail, "detail"));
      });
      if (row.recipient && row.field) {
        /** @type {import("./completion.js").ProposedFix} */
        const fix = { field: row.field, recipient: row.recipient, fix: row.fix || null, suggestion: null, kind: "", message: "" };
        const actions = el("div", undefined, "actions");
        const by = madeBy || null;
        if (fix.fix) {
          actions.appendChild(button(replaceLabel(fix), function () { return applyFix(item, fix); }, replaceLabel(fix).replace(/^Replace/, "Replaced") + ". Press Send again.",
            function () { countFix(by, verdict, row, "fixed"); }));
        }
        actions.appendChild(button("Remove " + row.recipient, function () { return removeRecipient(item, fix); }, "Removed " + row.recipient + ". Press Send again.",
          function () { countFix(by, verdict, row, "removed"); }));
        li.appendChild(actions);
      }
      list.appendChild(li);
    });
    root.appendChild(list);
  }

  /** @type {{ text: string, summary: ReturnType<typeof historyCount> } | null} */
  let counted = null;

  /**
   * How many addresses are known, and the button that forgets them.
   * @param {HTMLElement} root
   */
  function renderHistory(root) {
    const store = deps.history;
    if (!store || !api) return;
    // The engine reads the whole text for its summary: only again when the text changed.
    const text = store.read();
    if (counted === null || counted.text !== text) counted = { text: text, summary: historyCount(api, text) };
    const summary = counted.summary;
    const line = historyLine(summary);
    if (!line) return;
    const section = el("div", undefined, "history");
    section.appendChild(el("p", line, "history-count"));
    if (summary && summary.entries > 0) {
      const forget = /** @type {HTMLButtonElement} */ (el("button", "Forget known addresses"));
      forget.type = "button";
      forget.addEventListener("click", function () {
        forget.disabled = true;
        store.forget().then(
          function () { notice = "Forgot every known address."; return refresh(); },
          function (/** @type {any} */ e) { notice = "Could not forget the known addresses: " + (e && e.message ? e.message : e); return refresh(); }
        );
      });
      section.appendChild(forget);
    }
    root.appendChild(section);
  }

  /**
   * The rows the Smart Alerts dialog passed (contextData), shown before the live check.
   * @param {import("./completion.js").ProposedFix[]} fixes
   */
  function verdictFromFixes(fixes) {
    return {
      action: "warn",
      summary: "",
      findings: fixes.map(function (f) { return { message: f.message, action: "warn", recipient: f.recipient, field: f.field }; }),
      by_recipient: fixes.map(function (f, i) { return { recipient: f.recipient, field: f.field, action: "warn", fix: f.fix || undefined, findings: [i] }; })
    };
  }

  /** Checks the draft as it is now and shows the result. */
  function refresh() {
    const checkedWith = policy;
    return Promise.all([readDraft(item), readOriginal(item)])
      .then(function (parts) {
        if (!checkedWith) return couldNotCheck(policyProblem || "no policy", deps.config.failMode);
        return checkWithHistory(checkedWith.engine, parts[0], deps.history ? deps.history.read() : "", parts[1], checkedWith.failMode);
      })
      .catch(function (e) {
        return couldNotCheck(e && e.message ? e.message : String(e), checkedWith ? checkedWith.failMode : deps.config.failMode);
      })
      .then(function (verdict) {
        render(verdict, checkedWith);
        return verdict;
      });
  }

  /** @type {import("./policy-session.js").EngineApi | null} */
  let api = null;

  function load() {
    return Promise.resolve()
      .then(deps.api)
      .then(function (loadedApi) {
        api = loadedApi;
        return loadPolicy(loadedApi, deps.config, deps.store, deps.now());
      })
      .then(
      function (loaded) {
        if (policy) freeEngine(policy.engine);
        policy = loaded;
        policyProblem = null;
      },
      function (e) { policy = null; policyProblem = e && e.message ? e.message : String(e); }
    );
  }

  /**
   * A pane already open when the dialog's "Fix recipients" is chosen again gets the new
   * contextData as an event (Mailbox 1.15): check the draft afresh.
   */
  function listenForNewContext() {
    const type = deps.office.EventType && deps.office.EventType.InitializationContextChanged;
    if (!type || typeof item.addHandlerAsync !== "function") return;
    item.addHandlerAsync(type, function () {
      notice = "Sendguard stopped this email again. Fix it below, then press Send again.";
      refresh();
    });
  }

  return {
    /**
     * Shows the fixes the dialog passed at once, then the live check; then refreshes the
     * policy in the background and, when a newer one arrived, checks again.
     */
    start: function () {
      const context = typeof item.getInitializationContextAsync === "function"
        ? officeCall(item, "getInitializationContextAsync", []).catch(function () { return null; })
        : Promise.resolve(null);
      listenForNewContext();
      return context
        .then(function (text) {
          const fixes = fixesFromContext(text);
          if (fixes.length) {
            notice = "Sendguard stopped this email. Fix it below, then press Send again.";
            render(verdictFromFixes(fixes));
          }
          return load();
        })
        .then(refresh)
        .then(function (verdict) {
          if (!deps.fetch || !api) return verdict;
          const fetchFn = deps.fetch;
          const loadedApi = api;
          return refreshFromServer({ fetch: fetchFn, api: function () { return Promise.resolve(loadedApi); }, config: deps.config, store: deps.store, now: deps.now }).then(function (result) {
            const keysetProblem = result.keyset.status === "failed" || result.keyset.status === "refused";
            const policyProblem = result.status === "failed" || result.status === "refused";
            if (keysetProblem || policyProblem) {
              updateNote = (keysetProblem ? "Could not update the keyset (the one trusted before stays): " + result.keyset.detail + (policyProblem ? ". " : "") : "") +
                (policyProblem ? "Could not update the policy: " + result.detail : "");
            }
            // A new keyset may set the stored policy aside (its key revoked) or admit a new one.
            if (result.status === "updated" || result.keyset.status === "updated") return load().then(refresh);
            if (updateNote) render(verdict, policy);
            return verdict;
          });
        })
        .then(function (verdict) {
          // The counts due (this page's own, in classic Outlook), once nothing else waits.
          if (deps.reports) deps.reports.sendDue();
          return verdict;
        });
    },
    refresh: refresh
  };
}
