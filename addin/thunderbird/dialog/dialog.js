// The dialog page: one row per recipient (the engine's `by_recipient`): the address, each
// reason with its detail line, one Fix (when the engine proposes a corrected address) and one
// Remove; then Send anyway and Cancel (with a required justification where the policy asks
// for one). Tab order: the first Fix, the rest of the rows, Send anyway, Cancel; the first
// Fix (else Cancel) has the focus, and Escape always cancels. It only talks to the
// background page, which holds the send; closing the window cancels the send.

import { dialogHeading } from "../../shared/dialog.js";
import { PING_INTERVAL_MS } from "../lib/dialog-session.js";

const session = new URLSearchParams(location.search).get("session") || "";
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const ask = (message) => messenger.runtime.sendMessage({ session, ...message });

/** @type {any} */
let verdict = null;

function render() {
  $("heading").textContent = verdict.action === "allow" ? "All problems are fixed. Send it now?" : dialogHeading(verdict);
  const list = $("findings");
  list.replaceChildren();
  // A verdict without findings (the check itself failed) still says why.
  $("status").textContent = verdict.findings.length === 0 && verdict.action !== "allow" ? verdict.summary : "";
  (verdict.by_recipient || []).forEach((row, index) => list.append(rowItem(row, index)));
  const blocked = verdict.action === "block";
  $("justification-box").hidden = !(blocked && verdict.justification_required);
  $("send").hidden = blocked && !verdict.justification_required;
  $("send").textContent = verdict.action === "allow" ? "Send" : "Send anyway";
}

/** One recipient: its address, its reasons (sentence, then detail), its Fix and Remove. */
function rowItem(row, index) {
  const item = document.createElement("li");
  item.className = `row row-${row.action}`;
  if (row.recipient) {
    const who = document.createElement("p");
    who.className = "recipient";
    who.textContent = row.recipient;
    item.append(who);
  }
  const reasons = document.createElement("ul");
  reasons.className = "reasons";
  for (const at of row.findings) {
    const finding = verdict.findings[at];
    const reason = document.createElement("li");
    const sentence = document.createElement("p");
    sentence.className = "message";
    sentence.textContent = finding.message;
    reason.append(sentence);
    if (finding.detail) {
      const detail = document.createElement("p");
      detail.className = "detail";
      detail.textContent = finding.detail;
      reason.append(detail);
    }
    reasons.append(reason);
  }
  item.append(reasons);
  if (row.recipient && row.field) {
    const choices = document.createElement("div");
    choices.className = "choices";
    if (row.fix) choices.append(button(`Fix: send to ${row.fix}`, "fix", () => choose(index, "fix")));
    choices.append(button(`Remove ${row.recipient}`, "remove", () => choose(index, "remove")));
    item.append(choices);
  }
  return item;
}

function button(label, kind, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.dataset.kind = kind;
  b.addEventListener("click", onClick);
  return b;
}

/** The control that has the focus first: the first Fix, else Cancel (Send once all is fixed). */
function focusFirst() {
  const fix = /** @type {HTMLElement | null} */ (document.querySelector("#findings button[data-kind=fix]"));
  (fix || (verdict.action === "allow" ? $("send") : $("cancel"))).focus();
}

async function choose(row, choice) {
  const answer = await ask({ type: "dialog-choose", row, choice });
  if (answer.error) return say(answer.error);
  verdict = answer.verdict;
  render();
  say(choice === "fix" ? "Recipient corrected." : "Recipient removed.");
  focusFirst();
}

function say(text) {
  $("status").textContent = text;
}

async function send() {
  const answer = await ask({ type: "dialog-send", justification: /** @type {HTMLTextAreaElement} */ ($("justification")).value });
  if (answer.error) {
    say(answer.error);
    if (!$("justification-box").hidden) $("justification").focus();
  }
}

const cancel = () => ask({ type: "dialog-cancel" });

async function start() {
  $("cancel").addEventListener("click", cancel);
  $("send").addEventListener("click", send);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      cancel();
    }
  });
  const opened = await ask({ type: "dialog-open" });
  if (opened.error) say(opened.error);
  else {
    verdict = opened.verdict;
    render();
    focusFirst();
  }
  // Shown: tests (and assistive tools) can tell the page is ready.
  document.body.dataset.state = "ready";
  // Keeps the background event page (which holds the send) alive while the sender thinks.
  setInterval(() => ask({ type: "dialog-ping" }).catch(() => {}), PING_INTERVAL_MS);
}

start();
