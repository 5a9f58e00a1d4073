// The test hook the end-to-end test adds to its copy of the package (as
// thunderbird/dialog/test-hook.js, loaded by the copy's dialog.html; the shipped package has
// neither). Once the dialog says it is ready, the hook reports what it shows to the test's
// collector and plays the steps the test answers with, as a sender would: clicks and keys.

/** @param {number} collectorPort */
export function testHookSource(collectorPort) {
  return `// Test only: added by addin/thunderbird/e2e; never shipped.
const collector = "http://127.0.0.1:${collectorPort}";
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
/** Opens the options page and reports what it says (its window is one of our views). */
async function inspectOptions() {
  await messenger.runtime.openOptionsPage();
  const find = () => messenger.extension.getViews().find((v) => v.location.pathname.endsWith("/options.html"));
  // A page left open by an earlier scenario is reloaded, so that what it says is fresh.
  for (const old of messenger.extension.getViews().filter((v) => v.location.pathname.endsWith("/options.html"))) {
    old.document.body.dataset.stale = "yes";
    old.location.reload();
  }
  let page;
  for (let i = 0; i < 100 && !page; i++) {
    await pause(100);
    const v = find();
    // The page fills the policy's status, then (after one more message) the history's.
    const filled = (id) => v.document.getElementById(id) && v.document.getElementById(id).textContent !== "…";
    if (v && v.document.body && !v.document.body.dataset.stale && filled("policy-status") && filled("history-status")) page = v;
  }
  const text = (id) => page.document.getElementById(id).textContent;
  const options = page ? { source: text("source"), status: text("policy-status"), history: text("history-status"), serverEditable: !page.document.getElementById("server").disabled } : null;
  await fetch(collector + "/hook/report", { method: "POST", body: JSON.stringify({ options }) });
}

/** Presses Forget (and confirms) on the options page; reports what the page says then. */
async function forgetHistory() {
  await messenger.runtime.openOptionsPage();
  let page;
  for (let i = 0; i < 100 && !page; i++) {
    await pause(100);
    page = messenger.extension.getViews().find((v) => v.location.pathname.endsWith("/options.html") && v.document.getElementById("forget-yes"));
  }
  page.document.getElementById("forget").click();
  page.document.getElementById("forget-yes").click();
  const status = () => page.document.getElementById("history-status").textContent;
  for (let i = 0; i < 50 && !/ 0 addresses/.test(status()); i++) await pause(100);
  await fetch(collector + "/hook/report", { method: "POST", body: JSON.stringify({ forgot: { history: status(), status: page.document.getElementById("status").textContent } }) });
}

/** What a control is called in reports: its id, else its kind and label. */
const nameOf = (el) => (el.id ? el.id : (el.dataset.kind || el.tagName) + ": " + el.textContent);

async function attach() {
  const rows = [...document.querySelectorAll("#findings > li")].map((li) => ({
    recipient: li.querySelector(".recipient") ? li.querySelector(".recipient").textContent : null,
    messages: [...li.querySelectorAll(".message")].map((p) => p.textContent),
    details: [...li.querySelectorAll(".detail")].map((p) => p.textContent),
    buttons: [...li.querySelectorAll("button")].map((b) => b.textContent)
  }));
  // The Tab order: every control that is shown, in document order (no tabindex is used).
  const tabOrder = [...document.querySelectorAll("button, textarea")].filter((el) => el.offsetParent !== null).map(nameOf);
  const shown = {
    heading: document.getElementById("heading").textContent,
    rows,
    tabOrder,
    focused: document.activeElement ? nameOf(document.activeElement) : null,
    justification: !document.getElementById("justification-box").hidden,
    sendOffered: !document.getElementById("send").hidden
  };
  const plan = await (await fetch(collector + "/hook/dialog", { method: "POST", body: JSON.stringify(shown) })).json();
  for (const step of plan.steps) {
    if (step.wait) await pause(step.wait);
    if (step.type) document.querySelector(step.type.into).value = step.type.text;
    if (step.click) document.querySelector(step.click).click();
    if (step.key) document.activeElement.dispatchEvent(new KeyboardEvent("keydown", { key: step.key, bubbles: true }));
    if (step.inspectOptions) await inspectOptions();
    if (step.forgetHistory) await forgetHistory();
    await pause(300);
    if (step.report) {
      // The dialog's answer arrives asynchronously: wait (at most 5 s) for it to be shown.
      for (let i = 0; i < 50 && !document.getElementById("status").textContent; i++) await pause(100);
      const status = document.getElementById("status").textContent;
      await fetch(collector + "/hook/report", { method: "POST", body: JSON.stringify({ status }) });
    }
  }
}

(async () => {
  for (let i = 0; i < 100 && document.body.dataset.state !== "ready"; i++) await pause(100);
  await attach();
})();
`;
}

/**
 * The background's test hook: reports the stored history and its state to the test's
 * collector whenever they change (and once at start), so that the test knows when an import
 * or a send was learned, and which addresses the privacy check looks for.
 * @param {number} collectorPort
 */
export function backgroundHookSource(collectorPort) {
  return `// Test only: added by addin/thunderbird/e2e; never shipped.
const collector = "http://127.0.0.1:${collectorPort}";
async function reportHistory() {
  const stored = await messenger.storage.local.get(["history", "historyState"]);
  await fetch(collector + "/hook/history", { method: "POST", body: JSON.stringify({ history: stored.history || "", state: stored.historyState || {} }) });
}
messenger.storage.onChanged.addListener((changes, area) => {
  if (area === "local" && (changes.history || changes.historyState)) reportHistory();
});
reportHistory();
`;
}

/**
 * The files the test adds to its copy of the package: the hooks, a dialog page and a
 * background that load them, and a manifest that also lets the extension reach the test's
 * servers on 127.0.0.1.
 * @param {{ manifest: string, dialogHtml: string, collectorPort: number }} shipped
 */
export function testBuildFiles(shipped) {
  const manifest = JSON.parse(shipped.manifest);
  manifest.host_permissions = [...manifest.host_permissions, "http://127.0.0.1/*"];
  manifest.background.scripts = [...manifest.background.scripts, "thunderbird/background-test-hook.js"];
  const dialogHtml = shipped.dialogHtml.replace("</head>", '  <script type="module" src="test-hook.js"></script>\n</head>');
  if (dialogHtml === shipped.dialogHtml) throw new Error("dialog.html has no </head> to add the test hook before");
  return {
    "manifest.json": JSON.stringify(manifest, null, 2),
    "thunderbird/dialog/dialog.html": dialogHtml,
    "thunderbird/dialog/test-hook.js": testHookSource(shipped.collectorPort),
    "thunderbird/background-test-hook.js": backgroundHookSource(shipped.collectorPort)
  };
}
