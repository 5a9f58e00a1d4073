// The options page's one-line descriptions: the policy in force and the keyset that verifies
// it; the sender's history (how many addresses, when it last changed).

/**
 * @param {{ version: number | null, ageSeconds?: number, stale?: boolean,
 *   error: { code: string, message: string } | null,
 *   keyset?: import("./policy-sync.js").KeysetStatus }} status  keyset: absent when unconfigured
 * @param {string | null} tenant
 */
export function describeStatus(status, tenant) {
  const parts = [];
  if (status.version === null) parts.push("No signed policy yet: the built-in checks are in force.");
  else {
    parts.push(`Policy version ${status.version}${tenant ? ` for ${tenant}` : ""}, checked ${humanAge(status.ageSeconds || 0)} ago.`);
    if (status.stale) parts.push("It is stale: the server has not confirmed it recently.");
  }
  if (status.error) parts.push(`Last problem: ${status.error.message} (${status.error.code}); the last good policy stays in force.`);
  const keyset = status.keyset;
  if (keyset) {
    if (keyset.version === null) parts.push("The pinned keyset does not verify.");
    else parts.push(`Keyset version ${keyset.version} (${keyset.source === "pinned" ? "as pinned" : "updated from the server"}).`);
    if (keyset.error) parts.push(`Keyset problem: ${keyset.error.message} (${keyset.error.code}); the keyset trusted before stays in force.`);
  }
  return parts.join(" ");
}

/** @param {number} seconds */
export function humanAge(seconds) {
  if (seconds < 90) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

/**
 * @param {{ entries: number, rejected: number, updatedAt: number | null, forgottenAt: number | null,
 *   importing: boolean }} summary  from history-store.js
 * @param {number} now Unix seconds
 */
export function describeHistory(summary, now) {
  const count = summary.entries === 1 ? "1 address" : `${summary.entries.toLocaleString("en-US")} addresses`;
  const parts = [`Sendguard knows ${count} you wrote to or keep in your address books${summary.updatedAt === null ? "." : `, last updated ${humanAge(now - summary.updatedAt)} ago.`}`];
  if (summary.importing) parts.push("It is still reading your address books and Sent folders.");
  if (summary.forgottenAt !== null) parts.push(`Forgotten ${humanAge(now - summary.forgottenAt)} ago; learned since from what you send.`);
  if (summary.rejected) parts.push(`${summary.rejected} stored line(s) could not be read and are ignored.`);
  return parts.join(" ");
}
