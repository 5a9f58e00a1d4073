// Which keyset the add-in trusts to verify policy bundles: the one pinned at installation,
// or a newer one reached from it through updates the engine verified. The rules (a stored
// chain verified again link by link from the pinned keyset, a fetched keyset accepted only
// as an update of the trusted one, expiry judged only at the chain's end) are the core's
// (crates/core/src/trust/chain.rs), reached through the engine's `trustKeysets`; this only
// hands it the texts and keeps the answer. ES2016, synchronous (the engine's calls are), no
// storage: each add-in stores the accepted chain its own way (Thunderbird storage.local,
// Outlook roamingSettings).

/**
 * @typedef {{ tenant: string, version: number, issued_at: number, expires_at: number, digest: string }} KeysetInfo
 *   what the engine answers for a keyset it verified
 * @typedef {{ code: string, message: string }} KeysetProblem
 * @typedef {{ keyset: string, source: "pinned" | "update", info: KeysetInfo | null, chain: string[],
 *   problem: KeysetProblem | null, outcome: "updated" | "unchanged" | "refused" | null,
 *   refusal: KeysetProblem | null }} TrustAnswer
 * @typedef {(request: { tenant: string, now: number, pinned: string, stored: string[] | null,
 *   fetched?: string }) => TrustAnswer} TrustKeysets
 *   the engine's trustKeysets
 * @typedef {{ keyset: string, source: "pinned" | "update", info: KeysetInfo | null,
 *   chain: string[], problem: KeysetProblem | null, pinned: string }} KeysetTrust
 *   keyset: the one to verify bundles with; chain: what to store (empty: the pinned keyset is
 *   trusted); info null: even the pinned keyset does not verify (the engine then refuses
 *   every bundle, saying why); pinned: the pinned keyset the chain starts from
 * @typedef {{ outcome: "updated" | "unchanged" | "refused", trust: KeysetTrust,
 *   refusal: KeysetProblem | null }} KeysetUpdate
 */

/**
 * @param {TrustAnswer} answer
 * @param {string} pinned
 * @returns {KeysetTrust}
 */
function trustOf(answer, pinned) {
  return { keyset: answer.keyset, source: answer.source, info: answer.info, chain: answer.chain, problem: answer.problem, pinned: pinned };
}

/**
 * The keyset trusted now, without the network: the end of the stored chain as far as the
 * engine verifies it from the pinned keyset (for `tenant`), else the pinned one.
 * @param {TrustKeysets} trustKeysets
 * @param {{ tenant: string, now: number, pinned: string, stored: string[] | null | undefined }} input
 * @returns {KeysetTrust}
 */
export function trustedKeyset(trustKeysets, input) {
  const answer = trustKeysets({ tenant: input.tenant, now: input.now, pinned: input.pinned, stored: input.stored || null });
  return trustOf(answer, input.pinned);
}

/**
 * A keyset fetched from the server, offered as an update of the trusted one.
 * @param {TrustKeysets} trustKeysets
 * @param {{ tenant: string, now: number, trust: KeysetTrust, fetched: string }} input
 * @returns {KeysetUpdate}
 */
export function offerKeyset(trustKeysets, input) {
  const trust = input.trust;
  const answer = trustKeysets({ tenant: input.tenant, now: input.now, pinned: trust.pinned, stored: trust.chain, fetched: input.fetched });
  const outcome = answer.outcome === "updated" || answer.outcome === "unchanged" ? answer.outcome : "refused";
  return { outcome: outcome, trust: outcome === "updated" ? trustOf(answer, trust.pinned) : trust, refusal: answer.refusal };
}
