// Entry point of the event runtime: the HTML page (web, new Outlook, Mac) and classic
// Outlook's single JavaScript file run this same code. Globals, set by the built script:
// Office (office.js or Outlook's own), SendguardEngine (the WASM engine), SENDGUARD_CONFIG.
import { createSendHandler } from "./send-handler.js";
import { createComposeHandler } from "./compose-handler.js";
import { createEngineApi } from "./engine-api.js";
import { createPolicyStore, pickBackend } from "./policy-store.js";
import { createHistoryStore } from "./history-store.js";
import { refreshFromServer } from "./refresh.js";
import { createPolicyCache } from "./policy-session.js";
import { createFlight, createReporter } from "./reports.js";

/** @type {Promise<import("./policy-session.js").EngineApi> | null} */
let engineApi = null;

/** The policy (and its engine, with the sender's history indexed) kept between sends. */
const policyCache = createPolicyCache();

/** The daily report's post in flight in this runtime (at most one). */
const reportFlight = createFlight();

/** The engine, started once per runtime and kept for later events. */
function loadEngineApi() {
  if (engineApi === null) {
    engineApi = SendguardEngine.instantiate().then(createEngineApi);
    // A failed start is retried on the next event rather than remembered.
    engineApi.catch(function () { engineApi = null; });
  }
  return engineApi;
}

/** What every handler is given: Office, the engine, the packaged config, this runtime's
 * store (the policy's, the sender's history and the daily counts'). */
function runtimeDeps() {
  const runtime = { localStorage: typeof localStorage === "undefined" ? undefined : localStorage, roamingSettings: Office.context.roamingSettings };
  const backend = pickBackend(runtime);
  const fetchFn = function (/** @type {string} */ url, /** @type {object} */ init) { return fetch(url, init); };
  const now = function () { return Math.floor(Date.now() / 1000); };
  const deps = {
    office: Office,
    api: loadEngineApi,
    config: SENDGUARD_CONFIG,
    store: createPolicyStore(backend, SENDGUARD_CONFIG.tenant),
    history: createHistoryStore(backend),
    policyCache: policyCache,
    reports: createReporter({ backend: backend, reportUrl: SENDGUARD_CONFIG.reportUrl, fetch: fetchFn, now: now, flight: reportFlight }),
    fetch: fetchFn,
    now: now
  };
  return Object.assign(deps, {
    refreshInBackground: function () { refreshFromServer(deps); }
  });
}

/**
 * Classic Outlook does not run Office.onReady: everything starts inside the handlers.
 * @param {any} event
 */
function onMessageSendHandler(event) {
  createSendHandler(runtimeDeps())(event);
}

/** @param {any} event */
function onNewComposeHandler(event) {
  createComposeHandler(runtimeDeps())(event);
}

Office.actions.associate("onMessageSendHandler", onMessageSendHandler);
// A meeting invite is checked by the same handler (it reads the attendees).
Office.actions.associate("onAppointmentSendHandler", onMessageSendHandler);
Office.actions.associate("onNewComposeHandler", onNewComposeHandler);
