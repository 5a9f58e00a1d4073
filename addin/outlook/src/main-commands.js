// Entry point of the event runtime: the HTML page (web, new Outlook, Mac) and classic
// Outlook's single JavaScript file run this same code. Globals, set by the built script:
// Office (office.js or Outlook's own), SendguardEngine (the WASM engine), SENDGUARD_CONFIG.
import { createSendHandler } from "./send-handler.js";
import { createEngineApi } from "./engine-api.js";
import { createPolicyStore } from "./policy-store.js";

/** @type {Promise<import("./policy-session.js").EngineApi> | null} */
let engineApi = null;

/** The engine, started once per runtime and kept for later sends. */
function loadEngineApi() {
  if (engineApi === null) {
    engineApi = SendguardEngine.instantiate().then(createEngineApi);
    // A failed start is retried on the next send rather than remembered.
    engineApi.catch(function () { engineApi = null; });
  }
  return engineApi;
}

/**
 * Classic Outlook does not run Office.onReady: everything starts inside the handler.
 * @param {any} event
 */
function onMessageSendHandler(event) {
  createSendHandler({
    office: Office,
    api: loadEngineApi,
    config: SENDGUARD_CONFIG,
    store: createPolicyStore(Office.context.roamingSettings, SENDGUARD_CONFIG.tenant),
    now: function () { return Math.floor(Date.now() / 1000); }
  })(event);
}

Office.actions.associate("onMessageSendHandler", onMessageSendHandler);
