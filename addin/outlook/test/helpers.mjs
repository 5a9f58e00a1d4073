// What the add-in's tests share: the handler wired to a fake Outlook and an engine.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createSendHandler } from "../src/send-handler.js";
import { createEngineApi } from "../src/engine-api.js";
import { createPolicyStore, pickBackend } from "../src/policy-store.js";
import { createHistoryStore } from "../src/history-store.js";
import { fakeOutlook, sendEvent } from "./fake-outlook.mjs";
import { loadClassicScript, repoRoot } from "./engine.mjs";

export { repoRoot };

let engineModule = null;
/** The real engine (WebAssembly), instantiated once for all tests. */
export async function realEngine() {
  if (engineModule === null) engineModule = await loadClassicScript().SendguardEngine.instantiate({ fallback: "never" });
  return engineModule;
}

/**
 * The packaging command's configuration with a baked plain policy.
 * @returns {any}
 */
export function config(policy = {}, extra = {}) {
  return { tenant: "acme", keyset: null, policyUrl: null, bakedBundle: null, bakedPolicy: policy === null ? null : JSON.stringify(policy), failMode: "warn", ...extra };
}

/** A Map-backed localStorage, as the HTML runtimes have. @returns {any} */
export function memoryLocalStorage(entries = {}) {
  const items = new Map(Object.entries(entries));
  return {
    getItem: (k) => (items.has(k) ? items.get(k) : null),
    setItem: (k, v) => items.set(k, String(v)),
    removeItem: (k) => items.delete(k),
    items
  };
}

/**
 * Runs one send through the handler; answers what event.completed received and the fake.
 * The policy and the sender's history live in roamingSettings (classic Outlook), or in
 * `localStorage` when given (the HTML runtimes), as pickBackend chooses.
 * @param {object} draft see fakeOutlook
 * @param {{ config?: object, api?: () => Promise<any>, now?: number, refreshInBackground?: () => void,
 *   localStorage?: ReturnType<typeof memoryLocalStorage>, onCompleted?: (options: any) => void,
 *   policyCache?: any, reporter?: (backend: any) => any }} [options]
 *   onCompleted: called inside event.completed (before any learning); policyCache: a
 *   runtime's (createPolicyCache), to send as one runtime does several times; reporter: makes
 *   the runtime's daily report (reports.js createReporter) over the store chosen
 */
export async function send(draft, options = {}) {
  const fake = fakeOutlook(draft);
  globalThis.Office = fake.office;
  const api = options.api || (async () => createEngineApi(await realEngine()));
  const backend = pickBackend({ localStorage: options.localStorage, roamingSettings: fake.office.context.roamingSettings });
  const handler = createSendHandler({
    office: fake.office,
    api,
    config: options.config || config(),
    store: createPolicyStore(backend, (options.config || config()).tenant),
    history: createHistoryStore(backend),
    now: () => options.now ?? 1_800_000_000,
    refreshInBackground: options.refreshInBackground,
    policyCache: options.policyCache,
    reports: options.reporter ? options.reporter(backend) : undefined
  });
  const { event, done } = sendEvent();
  const completed = options.onCompleted ? { completed: (o) => { options.onCompleted(o); event.completed(o); } } : event;
  await handler(completed);
  return { completed: await done, fake };
}

/** The shared corpus (tests/corpus), parsed. */
export function corpus() {
  const dir = join(repoRoot, "tests", "corpus");
  return readdirSync(dir).filter((f) => f.endsWith(".json")).sort().map((f) => ({ file: f, ...JSON.parse(readFileSync(join(dir, f), "utf8")) }));
}

/** roamingSettings records as the policy store writes them (for tenant "acme" unless told). */
export function storedBundle(bundle, tenant = "acme") {
  return JSON.stringify({ tenant, bundle, etag: "\"stored\"", fetchedAt: 1 });
}
export function heldRecord(version, digest, tenant = "acme") {
  return JSON.stringify({ tenant, held: { version, digest } });
}
