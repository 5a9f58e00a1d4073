# Thunderbird end to end: Debian's real Thunderbird under Xvfb, the packed extension installed
# unsigned in a generated profile, a local SMTP sink, the policy server on loopback.
# Leaves a screenshot of the dialog in artifacts/thunderbird/.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
ensure_apt thunderbird xvfb x11-apps x11-utils netpbm zip
node --test --test-timeout=240000 addin/thunderbird/e2e/thunderbird.e2e.mjs
