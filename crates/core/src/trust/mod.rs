//! Trust: whether a signed policy or keyset may be believed. A policy counts only if a key of
//! the tenant's keyset signed it, for this tenant, not older than the one held, not expired;
//! a keyset only if the pinned roots, or a chain of verified updates from them, vouch for it.
//!
//! Layers, each using only those above it: `encoding` (keys, base64, hex), `verification`
//! (what verifying answers: verified values and refusals), `envelope` (DSSE, signatures),
//! then `bundle` (policies) and `keyset` (keys), then `chain` (which keyset a client trusts).
//! Pure like the rest of the core: the clock is an argument. Format: `docs/bundle-format.md`.

pub mod bundle;
pub mod chain;
pub mod encoding;
pub mod envelope;
pub mod keyset;
pub mod verification;
