// Test-only driver: asks the test's collector (on 127.0.0.1, port from config.js that the
// test writes) for one scenario at a time, composes it with compose.beginNew, presses Send
// with compose.sendMessage, and reports the outcome. What was really sent is checked by the
// test on its SMTP sink, not here.
/* global SENDGUARD_E2E */

const collector = "http://127.0.0.1:" + SENDGUARD_E2E.collectorPort;

async function post(path, body) {
  await fetch(collector + path, { method: "POST", body: JSON.stringify(body) });
}

async function run() {
  await post("/driver/ready", { version: (await messenger.runtime.getBrowserInfo()).version });
  for (;;) {
    const next = await (await fetch(collector + "/driver/next")).json();
    if (next.done) return;
    const scenario = next.scenario;
    let outcome;
    try {
      const tab = await messenger.compose.beginNew({
        to: scenario.to,
        cc: scenario.cc || [],
        subject: scenario.subject,
        plainTextBody: scenario.body,
        isPlainText: true
      });
      const sent = await messenger.compose.sendMessage(/** @type {number} */ (tab.id), { mode: "sendNow" });
      outcome = { result: "sent", sent };
    } catch (e) {
      outcome = { result: "failed", message: String((e && e.message) || e) };
    }
    await post("/driver/outcome", { name: scenario.name, ...outcome });
  }
}

run().catch((e) => post("/driver/outcome", { name: "driver", result: "crashed", message: String(e) }));
