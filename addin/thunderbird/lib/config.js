// Where the policy comes from: server URL, tenant and pinned keyset. An administrator's
// policies.json (`3rdparty` → managed storage) wins; otherwise the options page's values.
// `storage.managed.get()` throws when no administrator policy exists, so that is caught.
// Also the administrator's one other setting: how often today's counts are reported.

/** @typedef {{ server: string, tenant: string, keyset: string }} PolicySource */
/** @typedef {PolicySource & { source: "managed" | "options" } | { source: "none" }} Config */

export const CONFIG_KEYS = ["server", "tenant", "keyset"];

/** @param {any} value @returns {value is PolicySource} */
function complete(value) {
  return Boolean(value) && CONFIG_KEYS.every((k) => typeof value[k] === "string" && value[k].trim() !== "");
}

/**
 * The server URL must be http(s) and is used without a trailing slash.
 * @param {string} server
 */
export function normaliseServer(server) {
  const url = new URL(server.trim());
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("The server must be an http or https URL.");
  return url.href.replace(/\/+$/, "");
}

/**
 * @param {{ managed: { get(keys: string[]): Promise<any> }, local: { get(key: string): Promise<any> } }} storage
 * @returns {Promise<Config>}
 */
export async function readConfig(storage) {
  let managed;
  try {
    managed = await storage.managed.get(CONFIG_KEYS);
  } catch (e) {
    managed = undefined; // No administrator policy for this extension.
  }
  if (complete(managed)) return { source: "managed", server: normaliseServer(managed.server), tenant: managed.tenant.trim(), keyset: managed.keyset };
  const local = (await storage.local.get("config")).config;
  if (complete(local)) return { source: "options", server: normaliseServer(local.server), tenant: local.tenant.trim(), keyset: local.keyset };
  return { source: "none" };
}

/** How often today's counts so far are sent (docs/privacy.md), unless an administrator says otherwise. */
export const REPORT_INTERVAL_DEFAULT_MINUTES = 60;
/** The bounds of an administrator's `reportIntervalMinutes`: no more often than twice a minute, at least daily. */
export const REPORT_INTERVAL_BOUNDS = Object.freeze({ min: 0.5, max: 1440 });

/**
 * The administrator's `reportIntervalMinutes` (policies.json → managed storage), within
 * [`REPORT_INTERVAL_BOUNDS`]; the default when none is set or it is not a number.
 * @param {{ managed: { get(keys: string[]): Promise<any> } }} storage
 * @returns {Promise<number>}
 */
export async function readReportInterval(storage) {
  let value;
  try {
    value = (await storage.managed.get(["reportIntervalMinutes"])).reportIntervalMinutes;
  } catch (e) {
    value = undefined; // No administrator policy for this extension.
  }
  if (typeof value !== "number" || !Number.isFinite(value)) return REPORT_INTERVAL_DEFAULT_MINUTES;
  return Math.min(REPORT_INTERVAL_BOUNDS.max, Math.max(REPORT_INTERVAL_BOUNDS.min, value));
}
