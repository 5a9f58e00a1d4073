#!/usr/bin/env python3
"""An independent verifier of Sendguard signed bundles and keysets, written only from
docs/bundle-format.md (no Rust), run against tests/vectors/bundles/manifest.json.

It shows the format document is enough to write a verifier, and cross-checks the Rust one:
every vector must get the same result and code. Needs Python 3 and `cryptography`.
Not a production verifier: `cryptography` does not promise ed25519-dalek's `verify_strict`
(refusing small-order keys and R), which the vectors do not exercise.
Usage: tests/independent-verifier/verify_vectors.py [VECTORS_DIR]
"""

import base64
import binascii
import hashlib
import json
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

MAX_BYTES = 1 << 20
MAX_SAFE = (1 << 53) - 1
POLICY_TYPE = "application/vnd.sendguard.policy.v1+json"
KEYSET_TYPE = "application/vnd.sendguard.keyset.v1+json"


class Refused(Exception):
    def __init__(self, code, detail=None):
        super().__init__(code)
        self.code = code
        self.detail = detail


def strict_json(data):
    """Parses JSON refusing duplicate keys (the format refuses them)."""
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError("duplicate key")
        return dict(pairs)
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=no_duplicates)
    except (ValueError, UnicodeDecodeError) as e:
        raise Refused("malformed", str(e))


def strict_b64(text):
    if not isinstance(text, str):
        raise Refused("malformed")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Refused("malformed")
    if base64.b64encode(raw).decode() != text:  # padding and unused bits must be canonical
        raise Refused("malformed")
    return raw


def exact_fields(obj, fields):
    if not isinstance(obj, dict) or set(obj) != set(fields):
        raise Refused("malformed")


def is_int(value, low, high):
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def key_id(raw_public_key):
    return hashlib.sha256(raw_public_key).hexdigest()[:32]


def pae(payload_type, payload):
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d " % (len(t), t, len(payload)) + payload


def open_envelope(data, expected_type):
    if len(data) > MAX_BYTES:
        raise Refused("too_large")
    env = strict_json(data)
    exact_fields(env, ["payloadType", "payload", "signatures"])
    if not isinstance(env["payloadType"], str) or not isinstance(env["signatures"], list):
        raise Refused("malformed")
    if env["payloadType"] != expected_type:
        raise Refused("wrong_payload_type")
    payload = strict_b64(env["payload"])
    if not 1 <= len(env["signatures"]) <= 16:
        raise Refused("malformed")
    sigs = []
    for s in env["signatures"]:
        exact_fields(s, ["keyid", "sig"])
        sig = strict_b64(s["sig"])
        if not isinstance(s["keyid"], str) or len(sig) != 64:
            raise Refused("malformed")
        sigs.append((s["keyid"], sig))
    return expected_type, payload, sigs


def check_signatures(opened, keys, revoked, threshold):
    """keys: {key id: raw public key}. Step 6 of the policy algorithm."""
    payload_type, payload, sigs = opened
    message = pae(payload_type, payload)
    valid, tried, bad, revoked_signer = [], set(), None, None
    for kid, sig in sigs:
        if kid in tried:
            continue
        tried.add(kid)
        if kid in revoked:
            revoked_signer = revoked_signer or kid
            continue
        if kid not in keys:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(keys[kid]).verify(sig, message)
            valid.append(kid)
        except InvalidSignature:
            bad = bad or kid
    if len(valid) >= max(threshold, 1):
        return valid
    if bad:
        raise Refused("bad_signature")
    if revoked_signer:
        raise Refused("revoked_key")
    raise Refused("unknown_key" if not valid else "too_few_signatures")


def check_header(st):
    if not isinstance(st["tenant"], str) or not 1 <= len(st["tenant"].encode()) <= 128:
        raise Refused("malformed")
    if not is_int(st["version"], 1, MAX_SAFE):
        raise Refused("malformed")
    if not is_int(st["issued_at"], 0, MAX_SAFE) or not is_int(st["expires_at"], st["issued_at"], MAX_SAFE):
        raise Refused("malformed")


def check_version(version, digest, held_version, held_digest):
    if version < held_version:
        raise Refused("rollback")
    if version == held_version and digest != held_digest:
        raise Refused("same_version_different_content")


def decode_keys(entries, limit):
    if not isinstance(entries, list) or len(entries) > limit:
        raise Refused("malformed")
    keys = {}
    for e in entries:
        exact_fields(e, ["id", "public_key"])
        raw = strict_b64(e["public_key"])
        if len(raw) != 32 or key_id(raw) != e["id"]:
            raise Refused("malformed")
        try:
            Ed25519PublicKey.from_public_bytes(raw)
        except ValueError:
            raise Refused("malformed")
        keys[e["id"]] = raw
    return keys


def verify_keyset(data, anchor, tenant, current, now):
    """anchor: (keys, threshold) or None; current: the keyset dict being updated, or None."""
    opened = open_envelope(data, KEYSET_TYPE)
    revoked = current["revoked"] if current else []
    if anchor:
        check_signatures(opened, anchor[0], revoked, anchor[1])
    st = strict_json(opened[1])
    exact_fields(st, ["tenant", "version", "issued_at", "expires_at", "root_keys", "root_threshold",
                      "signing_keys", "revoked_key_ids"])
    check_header(st)
    roots = decode_keys(st["root_keys"], 64)
    signing = decode_keys(st["signing_keys"], 64)
    ids = list(roots) + list(signing)
    rev = st["revoked_key_ids"]
    if (not roots or not is_int(st["root_threshold"], 1, len(roots)) or len(ids) != len(set(ids))
            or not isinstance(rev, list) or len(rev) > 256 or any(r in ids for r in rev)):
        raise Refused("malformed")
    check_signatures(opened, roots, rev, st["root_threshold"])
    if st["tenant"] != tenant:
        raise Refused("wrong_tenant")
    digest = hashlib.sha256(opened[1]).digest()
    if current:
        check_version(st["version"], digest, current["version"], current["digest"])
        if any(r not in rev for r in current["revoked"]):
            raise Refused("revocation_dropped")
    keyset = {"tenant": st["tenant"], "version": st["version"], "expires_at": st["expires_at"],
              "roots": (roots, st["root_threshold"]), "signing": signing, "revoked": rev, "digest": digest}
    if now >= st["expires_at"]:
        raise Refused("expired", keyset)
    return keyset


def verify_policy(data, keyset, tenant, held, now):
    if keyset["tenant"] != tenant:
        raise Refused("wrong_tenant")
    opened = open_envelope(data, POLICY_TYPE)
    signers = check_signatures(opened, keyset["signing"], keyset["revoked"], 1)
    st = strict_json(opened[1])
    exact_fields(st, ["tenant", "version", "issued_at", "expires_at", "policy"])
    check_header(st)
    if not isinstance(st["policy"], str):
        raise Refused("malformed")
    if st["tenant"] != tenant:
        raise Refused("wrong_tenant")
    digest = hashlib.sha256(opened[1]).digest()
    if held:
        check_version(st["version"], digest, held[0], held[1])
    result = {"version": st["version"], "issued_at": st["issued_at"], "expires_at": st["expires_at"],
              "key_id": signers[0], "policy_json": st["policy"], "digest": digest.hex()}
    if now >= st["expires_at"]:
        raise Refused("expired", result)
    return result


def main():
    vectors = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "vectors" / "bundles"
    manifest = json.loads((vectors / "manifest.json").read_text())
    pinned = ({k["id"]: base64.b64decode(k["public_key"]) for k in manifest["pinned_roots"]["keys"]},
              manifest["pinned_roots"]["threshold"])
    failures, checked = [], 0
    for v in manifest["vectors"]:
        data = (vectors / v["file"]).read_bytes()
        held = (v["held"]["version"], bytes.fromhex(v["held"]["digest"])) if v["held"] else None
        trust = None
        if "keyset" in v["trust"]:
            try:
                trust = verify_keyset((vectors / v["trust"]["keyset"]).read_bytes(), None, v["tenant"], None, v["now"])
            except Refused as r:
                failures.append(f"{v['name']}: trust keyset {v['trust']['keyset']} refused: {r.code}")
                continue

        def run(data):
            if v["kind"] == "keyset":
                if trust:
                    return verify_keyset(data, trust["roots"], trust["tenant"], trust, v["now"])
                return verify_keyset(data, pinned, v["tenant"], None, v["now"])
            return verify_policy(data, trust, v["tenant"], held, v["now"])

        if v["kind"] == "policy_bit_flips":
            for i in range(len(data)):
                for bit in range(8):
                    flipped = bytearray(data)
                    flipped[i] ^= 1 << bit
                    try:
                        run(bytes(flipped))
                        failures.append(f"{v['name']}: byte {i} bit {bit} flipped was accepted")
                    except Refused:
                        pass
            checked += 1
            continue
        expect = v["expect"]
        try:
            got, code = run(data), None
        except Refused as r:
            got, code = r.detail, r.code
        if expect["result"] == "accepted" and code is not None:
            failures.append(f"{v['name']}: expected accepted, refused with {code}")
        elif expect["result"] == "refused" and code != expect["code"]:
            failures.append(f"{v['name']}: expected {expect['code']}, got {code or 'accepted'}")
        else:
            for field, want in expect.items():
                if field not in ("result", "code") and (not isinstance(got, dict) or got.get(field) != want):
                    failures.append(f"{v['name']}: {field} is {got.get(field) if isinstance(got, dict) else None!r}, expected {want!r}")
        checked += 1
    for f in failures:
        print("FAIL", f)
    print(f"independent verifier: {checked} vectors, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
