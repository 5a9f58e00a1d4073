// The options page: says whether an administrator's policy (policies.json) or these fields
// are in force, shows the policy's version and age (kept current while the page is open),
// and edits the fields when no administrator policy exists; says how many addresses the
// sender's history holds, and forgets them on request.

import { normaliseServer } from "../lib/config.js";
import { describeHistory, describeStatus } from "../lib/status-text.js";

const $ = (id) => /** @type {any} */ (document.getElementById(id));
const STATUS_REFRESH_MS = 5000;

/** Which settings are in force and the policy's status; returns what the background said. */
async function showStatus() {
  const info = await messenger.runtime.sendMessage({ type: "options-status" });
  const managed = info.source === "managed";
  $("source").textContent = managed
    ? "Your administrator set the policy server for you (policies.json); these settings cannot be changed here."
    : info.source === "options"
      ? "The policy server below is in force (no administrator policy)."
      : "No policy server is set: the built-in checks are in force.";
  $("policy-status").textContent = describeStatus(info.status, info.tenant);
  for (const id of ["server", "tenant", "keyset"]) $(id).disabled = managed;
  $("settings").querySelector("button").disabled = managed;
  await showHistory();
  return info;
}

/** How many addresses the history holds, and when it last changed. */
async function showHistory() {
  const summary = await messenger.runtime.sendMessage({ type: "options-history" });
  $("history-status").textContent = describeHistory(summary, Math.floor(Date.now() / 1000));
}

// Forget asks once more on the page itself (no modal prompt: the options page may be embedded).
$("forget").addEventListener("click", () => {
  $("forget-confirm").hidden = false;
  $("forget-yes").focus();
});
$("forget-no").addEventListener("click", () => {
  $("forget-confirm").hidden = true;
});
$("forget-yes").addEventListener("click", async () => {
  $("forget-confirm").hidden = true;
  await messenger.runtime.sendMessage({ type: "options-history-forget" });
  $("status").textContent = "Forgotten.";
  await showHistory();
});

/** The fields: the administrator's values (read only) or the user's own. */
async function fillFields(info) {
  const managed = info.source === "managed";
  const { config } = await messenger.storage.local.get("config");
  $("server").value = (managed ? info.server : config && config.server) || "";
  $("tenant").value = (managed ? info.tenant : config && config.tenant) || "";
  $("keyset").value = (!managed && config && config.keyset) || "";
}

$("settings").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const config = { server: normaliseServer($("server").value), tenant: $("tenant").value.trim(), keyset: $("keyset").value.trim() };
    await messenger.storage.local.set({ config });
    $("status").textContent = "Saved.";
  } catch (error) {
    $("status").textContent = error.message;
  }
  setTimeout(showStatus, 500);
});

$("refresh").addEventListener("click", async () => {
  const { outcome } = await messenger.runtime.sendMessage({ type: "options-refresh" });
  $("status").textContent = `Policy check: ${outcome}.`;
  showStatus();
});

showStatus().then(fillFields);
setInterval(showStatus, STATUS_REFRESH_MS);
