// Entry point of the task pane page. Globals, set by the built script: Office (office.js),
// SendguardEngine (the WASM engine), SENDGUARD_CONFIG.
import { createTaskpane } from "./taskpane.js";
import { createEngineApi } from "./engine-api.js";
import { createPolicyStore, pickBackend, roamingBackend } from "./policy-store.js";
import { createHistoryStore, combinedHistoryStore } from "./history-store.js";

/**
 * Runs `start` once both Office and the page's body are ready.
 * @param {() => void} start
 */
function whenReady(start) {
  Office.onReady(function () {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  });
}

whenReady(function () {
  const root = document.getElementById("sendguard");
  if (!root) return;
  const runtime = { localStorage: typeof localStorage === "undefined" ? undefined : localStorage, roamingSettings: Office.context.roamingSettings };
  const backend = pickBackend(runtime);
  createTaskpane({
    document: document,
    root: root,
    office: Office,
    api: function () { return SendguardEngine.instantiate().then(createEngineApi); },
    config: SENDGUARD_CONFIG,
    store: createPolicyStore(backend, SENDGUARD_CONFIG.tenant),
    // The pane has localStorage even in classic Outlook, whose send handler learns into
    // roamingSettings: it shows and forgets both.
    history: backend.kind === "roamingSettings"
      ? createHistoryStore(backend)
      : combinedHistoryStore([createHistoryStore(backend), createHistoryStore(roamingBackend(Office.context.roamingSettings))]),
    fetch: typeof fetch === "function" ? fetch.bind(null) : null,
    now: function () { return Math.floor(Date.now() / 1000); }
  }).start();
});
