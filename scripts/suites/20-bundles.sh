# Signed policy bundles: an independent verifier (Python, written from docs/bundle-format.md)
# must agree with every shared test vector. The Rust tests of the vectors run in 10-rust.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
ensure_apt python3 python3-cryptography
# Debian's python3 (the one python3-cryptography is installed for), whatever else is on PATH.
/usr/bin/python3 tests/independent-verifier/verify_vectors.py
