// Headless Chromium for the add-in's page tests: /usr/bin/chromium through playwright-core,
// office.js replaced by browser-fake-office.js, and no request leaving the machine.
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";

export const OFFICE_JS = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js";
const fakeOffice = readFileSync(new URL("./browser-fake-office.js", import.meta.url), "utf8");

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.SENDGUARD_CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
  });
}

/**
 * Opens `url` in a fresh context whose Outlook state (draft, contextData, roamingSettings)
 * is given. Requests go to 127.0.0.1 only; `forward(url)` may map another URL to a local
 * one (served through Node, still on 127.0.0.1); everything else is refused.
 * @param {import("playwright-core").Browser} browser
 * @param {string} url
 * @param {{ draft: object, contextData?: string | null, roaming?: object, local?: object,
 *   forward?: (url: string) => string | null, noWebAssembly?: boolean }} state   local: the
 *   origin's localStorage before the page loads (where the HTML runtimes keep the policy);
 *   noWebAssembly: the page has no WebAssembly (as a browser with it switched off), so the
 *   lean engine refuses to start
 */
export async function openAddinPage(browser, url, state) {
  const context = await browser.newContext({ viewport: { width: 360, height: 520 } });
  const tab = await context.newPage();
  const errors = [];
  /** Every request the page made (URL, method, headers, body), for the privacy tests. */
  const requests = [];
  tab.on("pageerror", (e) => errors.push(e.message));
  await tab.route("**/*", async (route) => {
    const requested = route.request().url();
    requests.push({ url: requested, method: route.request().method(), headers: JSON.stringify(await route.request().allHeaders()), body: route.request().postData() || "" });
    if (requested === OFFICE_JS) return route.fulfill({ contentType: "text/javascript", body: fakeOffice });
    if (requested.startsWith("http://127.0.0.1:")) return route.continue();
    const local = state.forward ? state.forward(requested) : null;
    if (!local) return route.abort();
    // A background refresh may still be fetching when the test closes the page.
    return route.fetch({ url: local }).then((response) => route.fulfill({ response }), () => route.abort().catch(() => {})).catch(() => {});
  });
  await tab.addInitScript(([d, c, r, l, noWasm]) => {
    window.__draft = d;
    window.__contextData = c;
    window.__roaming = r;
    for (const [key, value] of Object.entries(l)) localStorage.setItem(key, value);
    if (noWasm) delete window.WebAssembly;
  }, [state.draft, state.contextData ?? null, state.roaming ?? {}, state.local ?? {}, Boolean(state.noWebAssembly)]);
  await tab.goto(url);
  return { tab, context, errors, requests };
}

/**
 * Runs one launch-event handler on an open event runtime page; answers what its
 * event.completed received (null for none).
 * @param {import("playwright-core").Page} tab
 * @param {string} name given to Office.actions.associate
 */
export async function runHandler(tab, name) {
  await tab.waitForFunction((n) => typeof window.__handlers[n] === "function", name);
  return tab.evaluate((n) => new Promise((resolve) => window.__handlers[n]({ completed: (options) => resolve(options ?? null) })), name);
}

/** The origin's localStorage as a plain object. */
export function localStorageOf(tab) {
  return tab.evaluate(() => Object.fromEntries(Object.entries(localStorage)));
}

/**
 * Runs launch-event handlers one after the other on one event runtime page (e.g. a compose
 * event, then Send); answers what each event.completed received and the page's localStorage.
 * @param {import("playwright-core").Browser} browser
 * @param {string} url
 * @param {Parameters<typeof openAddinPage>[2]} state
 * @param {string[]} handlers names given to Office.actions.associate
 */
export async function runEvents(browser, url, state, handlers) {
  const { tab, context, errors } = await openAddinPage(browser, url, state);
  const completed = [];
  for (const name of handlers) completed.push(await runHandler(tab, name));
  const local = await localStorageOf(tab);
  await context.close();
  if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
  return { completed, local };
}

/** Presses Send on the event runtime page; answers what event.completed received. */
export async function pressSend(browser, url, state) {
  return (await runEvents(browser, url, state, ["onMessageSendHandler"])).completed[0];
}

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".xml": "application/xml", ".json": "application/json" };

/**
 * Serves `dir` at /addin/ on 127.0.0.1 (as `sendguard serve` does with its add-in folder).
 * @param {string} dir
 * @returns {Promise<{ base: string, close(): Promise<void> }>} base: the /addin URL
 */
export async function serveAddinDir(dir) {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    const file = path.startsWith("/addin/") ? join(dir, path.slice("/addin/".length)) : null;
    if (!file || !file.startsWith(dir) || !existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "Content-Type": TYPES[extname(file)] || "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  return {
    base: `http://127.0.0.1:${port}/addin`,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined)))
  };
}
