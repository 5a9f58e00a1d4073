// Which keyset the add-in trusts to verify policy bundles: the one pinned at installation,
// or a newer one the engine verified as an update of it. Every signature, version, tenant,
// revocation and expiry check is the engine's (`verifyKeyset`, Rust); this only chooses what
// to hand it and keeps the answer. ES2016, synchronous (the engine's calls are), no storage:
// each add-in stores the accepted keyset its own way (Thunderbird storage.local, Outlook
// roamingSettings).
//
// Rules:
// - A stored keyset is trusted only if it verifies as an update of the pinned one, for this
//   tenant: storage can be rewritten (roamingSettings by anything with mailbox access), so
//   only the pinned roots' signatures make it trustworthy. One the pinned keyset supersedes
//   (the administrator pinned a newer one) gives way to the pinned one.
// - A fetched keyset replaces the trusted one only if the engine verifies it as an update of
//   it (signed by the trusted roots and by its own, same tenant, not older, no revocation
//   dropped, not expired). Anything else is refused with the engine's code; trust stays.
// - An expired trusted keyset still accepts its successor: otherwise a client that missed the
//   yearly renewal could never recover. The chain's signatures, versions and revocations are
//   checked as of the trusted keyset's last valid second; the successor's expiry as of now.

/**
 * @typedef {{ tenant: string, version: number, issued_at: number, expires_at: number, digest: string }} KeysetInfo
 *   what the engine answers for a keyset it verified
 * @typedef {(keyset: string, current: string | null, request: { tenant: string, now: number }) => KeysetInfo} VerifyKeyset
 *   the engine's verifyKeyset (as pinned when `current` is null, else as an update of
 *   `current`); throws an Error with a `code`, and for `expired` with the keyset's `keyset` info
 * @typedef {{ code: string, message: string }} KeysetProblem
 * @typedef {{ keyset: string, source: "pinned" | "update", info: KeysetInfo | null,
 *   problem: KeysetProblem | null }} KeysetTrust   info null: even the pinned keyset does not
 *   verify (the engine then refuses every bundle, saying why)
 * @typedef {{ outcome: "updated" | "unchanged" | "refused", trust: KeysetTrust,
 *   refusal: KeysetProblem | null }} KeysetUpdate
 */

/**
 * @param {unknown} e
 * @param {string} prefix
 * @returns {KeysetProblem}
 */
function problemOf(e, prefix) {
  const error = /** @type {{ code?: string, message?: string }} */ (e || {});
  return { code: error.code || "error", message: prefix + (error.message || String(e)) };
}

/**
 * @param {KeysetProblem | null} problem
 * @returns {KeysetProblem}
 */
function refusedByServer(problem) {
  return { code: problem ? problem.code : "error", message: "the server's keyset was refused: " + (problem ? problem.message : "no reason given") };
}

/**
 * A keyset checked on its own (its own roots, tenant); an expired one still answers its info.
 * @param {VerifyKeyset} verify
 * @param {string} tenant
 * @param {number} now
 * @param {string} keyset
 * @returns {{ info: KeysetInfo | null, expired: boolean, problem: KeysetProblem | null }}
 */
function inspect(verify, tenant, now, keyset) {
  try {
    return { info: verify(keyset, null, { tenant: tenant, now: now }), expired: false, problem: null };
  } catch (e) {
    const error = /** @type {{ code?: string, keyset?: KeysetInfo }} */ (e || {});
    if (error.code === "expired" && error.keyset) return { info: error.keyset, expired: true, problem: problemOf(e, "") };
    return { info: null, expired: false, problem: problemOf(e, "") };
  }
}

/**
 * The time to verify an update at: now, or the trusted keyset's last valid second if it has
 * expired (see the rules above).
 * @param {number} now
 * @param {KeysetInfo} currentInfo
 */
function updateTime(now, currentInfo) {
  return Math.min(now, currentInfo.expires_at - 1);
}

/**
 * The keyset trusted now, without the network: the stored one if it verifies as an update of
 * the pinned one (for `tenant`), else the pinned one.
 * @param {VerifyKeyset} verify
 * @param {{ tenant: string, now: number, pinned: string, stored: string | null | undefined }} input
 * @returns {KeysetTrust}
 */
export function trustedKeyset(verify, input) {
  const tenant = input.tenant;
  const now = input.now;
  const pin = inspect(verify, tenant, now, input.pinned);
  /** @type {KeysetTrust} */
  const pinned = { keyset: input.pinned, source: "pinned", info: pin.info, problem: pin.problem };
  const stored = input.stored;
  if (!stored || !pin.info || stored === input.pinned) return pinned;
  const own = inspect(verify, tenant, now, stored);
  if (!own.info) return pinned; // not this tenant's, or not a keyset: set aside, nothing to say
  // Not newer than the pinned keyset: the administrator pinned this one or a newer one since
  // it was stored, and the pinned one wins (its roots may not even have signed the stored one).
  if (own.info.version <= pin.info.version) return pinned;
  try {
    // The stored keyset may have expired since: it stays the anchor for its successor.
    verify(stored, input.pinned, { tenant: tenant, now: Math.min(updateTime(now, pin.info), own.info.expires_at - 1) });
  } catch (e) {
    return { keyset: input.pinned, source: "pinned", info: pin.info, problem: problemOf(e, "the stored keyset was set aside: ") };
  }
  return { keyset: stored, source: "update", info: own.info, problem: own.problem };
}

/**
 * A keyset fetched from the server, offered as an update of the trusted one.
 * @param {VerifyKeyset} verify
 * @param {{ tenant: string, now: number, trust: KeysetTrust, fetched: string }} input
 * @returns {KeysetUpdate}
 */
export function offerKeyset(verify, input) {
  const tenant = input.tenant;
  const now = input.now;
  const trust = input.trust;
  /** @param {KeysetProblem} problem @returns {KeysetUpdate} */
  const refuse = function (problem) {
    return { outcome: "refused", trust: trust, refusal: problem };
  };
  if (!trust.info) return refuse({ code: trust.problem ? trust.problem.code : "error", message: "no trusted keyset to verify an update against" + (trust.problem ? ": " + trust.problem.message : "") });
  const at = updateTime(now, trust.info);
  /** @type {KeysetInfo} */
  let offered;
  try {
    // The trusted roots' signatures are checked before the offered keyset is even parsed.
    offered = verify(input.fetched, trust.keyset, { tenant: tenant, now: at });
  } catch (e) {
    return refuse(refusedByServer(problemOf(e, "")));
  }
  if (offered.digest === trust.info.digest) return { outcome: "unchanged", trust: trust, refusal: null };
  if (at !== now) {
    // Checked as of the trusted keyset's last valid second: now judge the offered one's expiry.
    const own = inspect(verify, tenant, now, input.fetched);
    if (own.problem) return refuse(refusedByServer(own.problem));
  }
  return { outcome: "updated", trust: { keyset: input.fetched, source: "update", info: offered, problem: null }, refusal: null };
}
