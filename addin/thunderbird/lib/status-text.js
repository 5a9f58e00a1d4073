// The options page's one-line description of the policy in force and of the keyset that
// verifies it.

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
