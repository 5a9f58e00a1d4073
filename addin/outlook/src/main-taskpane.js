// Entry point of the task pane page. Globals, set by the built script: Office (office.js),
// SendguardEngine (the WASM engine), SENDGUARD_CONFIG.
import { createTaskpane } from "./taskpane.js";
import { createEngineApi } from "./engine-api.js";
import { createPolicyStore, pickBackend, roamingBackend } from "./policy-store.js";
import { createHistoryStore, combinedHistoryStore } from "./history-store.js";
import { createFlight, createReporter } from "./reports.js";

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
  const fetchFn = typeof fetch === "function" ? fetch.bind(null) : null;
  const now = function () { return Math.floor(Date.now() / 1000); };
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
    // In classic Outlook the pane's counts stay in its own localStorage, under their own
    // install id: the send handler's roamingSettings copy is not the pane's to save.
    reports: createReporter({ backend: backend, reportUrl: SENDGUARD_CONFIG.reportUrl, fetch: fetchFn, now: now, flight: createFlight() }),
    fetch: fetchFn,
    now: now
  }).start();
});
