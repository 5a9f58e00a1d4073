// The dialog page: shows each finding with its sentence and Fix / Remove, then Cancel or
// Send anyway (with a required justification where the policy asks for one). It only talks
// to the background page, which holds the send; closing the window cancels the send.

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
  verdict.findings.forEach((finding, index) => {
    const item = document.createElement("li");
    const sentence = document.createElement("p");
    sentence.textContent = finding.message;
    const choices = document.createElement("div");
    choices.className = "choices";
    if (finding.fix && finding.recipient) choices.append(button(`Fix: send to ${finding.fix}`, "fix", () => choose(index, "fix")));
    if (finding.recipient) choices.append(button(`Remove ${finding.recipient}`, "remove", () => choose(index, "remove")));
    item.append(sentence, choices);
    list.append(item);
  });
  const blocked = verdict.action === "block";
  $("justification-box").hidden = !(blocked && verdict.justification_required);
  $("send").hidden = blocked && !verdict.justification_required;
  $("send").textContent = verdict.action === "allow" ? "Send" : "Send anyway";
}

function button(label, kind, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.dataset.kind = kind;
  b.addEventListener("click", onClick);
  return b;
}

async function choose(index, choice) {
  const answer = await ask({ type: "dialog-choose", index, choice });
  if (answer.error) return say(answer.error);
  verdict = answer.verdict;
  render();
  say(choice === "fix" ? "Recipient corrected." : "Recipient removed.");
  // Focus stays on a safe, useful control: the next finding's first button, else Send.
  const next = /** @type {HTMLElement | null} */ (document.querySelector("#findings button"));
  (next || (verdict.action === "allow" ? $("send") : $("cancel"))).focus();
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
  const opened = await ask({ type: "dialog-open" });
  if (opened.error) return say(opened.error);
  verdict = opened.verdict;
  render();
  $("cancel").addEventListener("click", cancel);
  $("send").addEventListener("click", send);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      cancel();
    }
  });
  $("cancel").focus();
  // Keeps the background event page (which holds the send) alive while the sender thinks.
  setInterval(() => ask({ type: "dialog-ping" }).catch(() => {}), PING_INTERVAL_MS);
  // End-to-end tests add a hook file to the package; the shipped package has none.
  // @ts-expect-error: test-hook.js exists only in the end-to-end tests' package.
  import("./test-hook.js").then((hook) => hook.attach()).catch(() => {});
}

start();
