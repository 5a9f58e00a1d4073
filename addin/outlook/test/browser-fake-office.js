// A fake office.js for the Chromium test, served in place of Microsoft's CDN script. It reads
// the draft from window.__draft (set by the test before the page loads; `composeType` says
// whether it is a reply) and records what the add-in does: window.__handlers
// (Office.actions.associate), window.__draft after setAsync, window.__session (the item's
// session data).
(function () {
  "use strict";
  var state = window.__draft || { to: [], cc: [], bcc: [] };
  var roaming = window.__roaming || {};
  var session = window.__session = {};
  window.__handlers = {};
  window.__itemHandlers = {};
  function answer(args, value) {
    var callback = null;
    for (var i = 0; i < args.length; i++) if (typeof args[i] === "function") callback = args[i];
    if (callback) setTimeout(function () { callback({ status: "succeeded", value: value }); }, 0);
  }
  function field(name) {
    return {
      getAsync: function () { answer(arguments, JSON.parse(JSON.stringify(state[name] || []))); },
      setAsync: function (list) {
        state[name] = list.map(function (r) { return { displayName: r.displayName, emailAddress: r.emailAddress, recipientType: "other" }; });
        answer(arguments, undefined);
      }
    };
  }
  window.Office = {
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    EventType: { InitializationContextChanged: "olkInitializationContextChanged" },
    actions: { associate: function (name, fn) { window.__handlers[name] = fn; } },
    onReady: function (callback) { setTimeout(callback, 0); return Promise.resolve({ host: "Outlook" }); },
    context: {
      requirements: { isSetSupported: function (set, version) { return set === "Mailbox" && Number(String(version).split(".")[1]) <= 15; } },
      roamingSettings: {
        get: function (key) { return roaming[key]; },
        set: function (key, value) { roaming[key] = value; },
        remove: function (key) { delete roaming[key]; },
        saveAsync: function () { answer(arguments, undefined); }
      },
      mailbox: {
        item: {
          to: field("to"), cc: field("cc"), bcc: field("bcc"),
          from: { getAsync: function () { answer(arguments, state.from || null); } },
          getComposeTypeAsync: function () { answer(arguments, { composeType: state.composeType || "newMail", coercionType: "html" }); },
          sessionData: {
            getAsync: function (name) { answer(arguments, Object.prototype.hasOwnProperty.call(session, name) ? session[name] : ""); },
            setAsync: function (name, value) { session[name] = String(value); answer(arguments, undefined); }
          },
          subject: { getAsync: function () { answer(arguments, state.subject || ""); } },
          body: { getAsync: function () { answer(arguments, state.body || ""); } },
          getAttachmentsAsync: function () { answer(arguments, state.attachments || []); },
          getInitializationContextAsync: function () { answer(arguments, window.__contextData || null); },
          addHandlerAsync: function (type, handler) {
            window.__itemHandlers[type] = handler;
            answer(Array.prototype.slice.call(arguments, 2), undefined);
          }
        }
      }
    }
  };
})();
