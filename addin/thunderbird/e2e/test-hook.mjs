// The test hook the end-to-end test adds to its copy of the package (as
// thunderbird/dialog/test-hook.js; the shipped package has none). The dialog imports it once
// it has rendered; the hook reports what the dialog shows to the test's collector and plays
// the steps the test answers with, as a sender would: clicks and keys.

/** @param {number} collectorPort */
export function testHookSource(collectorPort) {
  return `// Test only: added by addin/thunderbird/e2e; never shipped.
const collector = "http://127.0.0.1:${collectorPort}";
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
export async function attach() {
  const findings = [...document.querySelectorAll("#findings li")].map((li) => ({
    message: li.querySelector("p").textContent,
    buttons: [...li.querySelectorAll("button")].map((b) => b.textContent)
  }));
  const shown = {
    heading: document.getElementById("heading").textContent,
    findings,
    focused: document.activeElement && document.activeElement.id,
    justification: !document.getElementById("justification-box").hidden,
    sendOffered: !document.getElementById("send").hidden
  };
  const plan = await (await fetch(collector + "/hook/dialog", { method: "POST", body: JSON.stringify(shown) })).json();
  for (const step of plan.steps) {
    if (step.wait) await pause(step.wait);
    if (step.type) document.querySelector(step.type.into).value = step.type.text;
    if (step.click) document.querySelector(step.click).click();
    if (step.key) document.activeElement.dispatchEvent(new KeyboardEvent("keydown", { key: step.key, bubbles: true }));
    await pause(300);
    if (step.report) {
      // The dialog's answer arrives asynchronously: wait (at most 5 s) for it to be shown.
      for (let i = 0; i < 50 && !document.getElementById("status").textContent; i++) await pause(100);
      const status = document.getElementById("status").textContent;
      await fetch(collector + "/hook/report", { method: "POST", body: JSON.stringify({ status }) });
    }
  }
}
`;
}
