/* Loads the page's script with the right engine, before anything else on the page runs:
 * ENTRY-web.js (the lean engine, WebAssembly only) where WebAssembly exists, else ENTRY.js
 * (the full engine with its JavaScript fallback), so that a browser with WebAssembly switched
 * off (Edge's enhanced security mode, a JIT-less policy) still checks every send instead of
 * falling back to the fail mode. ENTRY is this tag's data-entry ("commands" or "taskpane").
 * document.write keeps the script parser-blocking: the send handler is registered before
 * Office can dispatch the event. ES2016, like the rest of the add-in. */
(function () {
  "use strict";
  var entry = document.currentScript.getAttribute("data-entry");
  var lean = typeof WebAssembly === "object" && typeof WebAssembly.instantiate === "function";
  // eslint-disable-next-line no-useless-escape -- "<\/script>" never closes an inline script
  document.write('<script src="' + entry + (lean ? "-web" : "") + '.js"><\/script>');
})();
