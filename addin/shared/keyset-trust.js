// Which keyset the add-in trusts to verify policy bundles: the one pinned at installation,
// or a newer one the engine verified as an update of it. Every signature, version, tenant,
// revocation and expiry check is the engine's (`verifyKeyset`, Rust); this only chooses what
// to hand it and keeps the answer. ES2016, synchronous (the engine's calls are), no storage:
// each add-in stores the accepted chain its own way (Thunderbird storage.local, Outlook
// roamingSettings).
//
// Rules:
// - What is stored is a chain: the updates accepted since the pinned keyset, each an update of
//   the one before (the first of the pinned one). It is trusted only as far as the engine
//   verifies it link by link from the pinned keyset, for this tenant: storage can be
//   rewritten (roamingSettings by anything with mailbox access), so only the pinned roots'
//   signatures, and those of the roots they handed over to, make it trustworthy. A chain is
//   needed because a root rotation hands trust to new roots: later keysets are signed by
//   those, not by the pinned ones.
// - Links the pinned keyset supersedes (the administrator pinned a newer one) are skipped.
// - A fetched keyset replaces the trusted one only if the engine verifies it as an update of
//   it (signed by the trusted roots and by its own, same tenant, not older, no revocation
//   dropped, not expired). Anything else is refused with the engine's code; trust stays.
//   Accepted, it is chained after the earliest keyset it also verifies against directly, so
//   the chain only grows with root rotations.
// - An expired trusted keyset still accepts its successor: otherwise a client that missed the
//   yearly renewal could never recover. Signatures, versions and revocations along the chain
//   are checked as of the earlier keyset's last valid second; the newest one's expiry as of now.

/**
 * @typedef {{ tenant: string, version: number, issued_at: number, expires_at: number, digest: string }} KeysetInfo
 *   what the engine answers for a keyset it verified
 * @typedef {(keyset: string, current: string | null, request: { tenant: string, now: number }) => KeysetInfo} VerifyKeyset
 *   the engine's verifyKeyset (as pinned when `current` is null, else as an update of
 *   `current`); throws an Error with a `code`, and for `expired` with the keyset's `keyset` info
 * @typedef {{ code: string, message: string }} KeysetProblem
 * @typedef {{ keyset: string, info: KeysetInfo }} Link
 * @typedef {{ keyset: string, source: "pinned" | "update", info: KeysetInfo | null,
 *   chain: string[], problem: KeysetProblem | null, links: Link[] }} KeysetTrust
 *   keyset: the one to verify bundles with; chain: what to store (empty: the pinned keyset is
 *   trusted); info null: even the pinned keyset does not verify (the engine then refuses
 *   every bundle, saying why); links: the pinned keyset and the chain, verified
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
 * Has the engine verify `keyset` as an update of `anchor` (throws its refusal), as of the
 * anchor's last valid second if that is past: expiry along the chain is not the question.
 * @param {VerifyKeyset} verify
 * @param {string} tenant
 * @param {number} now
 * @param {string} keyset
 * @param {Link} anchor
 * @returns {KeysetInfo}
 */
function verifyUpdate(verify, tenant, now, keyset, anchor) {
  return verify(keyset, anchor.keyset, { tenant: tenant, now: Math.min(now, anchor.info.expires_at - 1) });
}

/**
 * @param {Link[]} links the pinned keyset first, all verified
 * @param {KeysetProblem | null} problem
 * @returns {KeysetTrust}
 */
function trustOf(links, problem) {
  const last = links[links.length - 1];
  return { keyset: last.keyset, source: links.length > 1 ? "update" : "pinned", info: last.info, chain: links.slice(1).map(function (l) { return l.keyset; }), problem: problem, links: links };
}

/**
 * The keyset trusted now, without the network: the end of the stored chain as far as the
 * engine verifies it from the pinned keyset (for `tenant`), else the pinned one.
 * @param {VerifyKeyset} verify
 * @param {{ tenant: string, now: number, pinned: string, stored: string[] | null | undefined }} input
 * @returns {KeysetTrust}
 */
export function trustedKeyset(verify, input) {
  const tenant = input.tenant;
  const now = input.now;
  const pin = inspect(verify, tenant, now, input.pinned);
  if (!pin.info) return { keyset: input.pinned, source: "pinned", info: null, chain: [], problem: pin.problem, links: [] };
  /** @type {Link[]} */
  const links = [{ keyset: input.pinned, info: pin.info }];
  let problem = pin.problem;
  const stored = input.stored || [];
  for (let i = 0; i < stored.length; i++) {
    const keyset = stored[i];
    const own = inspect(verify, tenant, now, keyset);
    // Not this tenant's or not a keyset: the rest hangs on it, so it all is set aside.
    if (!own.info) return trustOf(links, problem);
    // Not newer than what is trusted: the administrator pinned this one or a newer one since
    // it was stored, and the pinned one wins (its roots may not even have signed this one).
    if (own.info.version <= links[links.length - 1].info.version) continue;
    try {
      verifyUpdate(verify, tenant, now, keyset, links[links.length - 1]);
    } catch (e) {
      return trustOf(links, problemOf(e, "the stored keyset was set aside: "));
    }
    links.push({ keyset: keyset, info: own.info });
    problem = own.problem; // an expired end of the chain still anchors its successor
  }
  return trustOf(links, problem);
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
  const links = trust.links;
  if (!trust.info || !links.length) return refuse({ code: trust.problem ? trust.problem.code : "error", message: "no trusted keyset to verify an update against" + (trust.problem ? ": " + trust.problem.message : "") });
  const current = links[links.length - 1];
  /** @type {KeysetInfo} */
  let offered;
  try {
    // The trusted roots' signatures are checked before the offered keyset is even parsed.
    offered = verifyUpdate(verify, tenant, now, input.fetched, current);
  } catch (e) {
    return refuse(problemOf(e, ""));
  }
  if (offered.digest === current.info.digest) return { outcome: "unchanged", trust: trust, refusal: null };
  if (now >= current.info.expires_at) {
    // Checked as of the trusted keyset's last valid second: now judge the offered one's expiry.
    const own = inspect(verify, tenant, now, input.fetched);
    if (own.problem) return refuse(own.problem);
  }
  // Chained after the earliest keyset it also updates directly (the trusted one at the latest).
  let from = links.length - 1;
  for (let i = 0; i < from; i++) {
    try {
      verifyUpdate(verify, tenant, now, input.fetched, links[i]);
      from = i;
    } catch (e) {
      // Not signed by those roots (handed over since): it needs the links after them.
    }
  }
  return { outcome: "updated", trust: trustOf(links.slice(0, from + 1).concat([{ keyset: input.fetched, info: offered }]), null), refusal: null };
}
