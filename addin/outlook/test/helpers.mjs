// What the add-in's tests share: the handler wired to a fake Outlook and an engine.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createSendHandler } from "../src/send-handler.js";
import { createEngineApi } from "../src/engine-api.js";
import { createPolicyStore, roamingBackend } from "../src/policy-store.js";
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

/**
 * Runs one send through the handler; answers what event.completed received and the fake.
 * @param {object} draft see fakeOutlook
 * @param {{ config?: object, api?: () => Promise<any>, now?: number, refreshInBackground?: () => void }} [options]
 */
export async function send(draft, options = {}) {
  const fake = fakeOutlook(draft);
  globalThis.Office = fake.office;
  const api = options.api || (async () => createEngineApi(await realEngine()));
  const handler = createSendHandler({
    office: fake.office,
    api,
    config: options.config || config(),
    store: createPolicyStore(roamingBackend(fake.office.context.roamingSettings), (options.config || config()).tenant),
    now: () => options.now ?? 1_800_000_000,
    refreshInBackground: options.refreshInBackground
  });
  const { event, done } = sendEvent();
  await handler(event);
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
