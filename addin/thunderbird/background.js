// The background event page: the real Thunderbird `messenger` and the WebAssembly engine,
// handed to the wiring in lib/extension.js (which the unit tests run against a fake).

import { loadEngineApi } from "./lib/engine.js";
import { startExtension } from "./lib/extension.js";

let engineApi;
startExtension({
  messenger,
  engineApi: () => (engineApi = engineApi || loadEngineApi(messenger.runtime.getURL("engine/"))),
  fetch: (...args) => fetch(...args),
  EventSource
});
