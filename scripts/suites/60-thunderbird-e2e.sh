# Thunderbird end to end: Debian's real Thunderbird under Xvfb, the packed extension installed
# unsigned in a generated profile, a local SMTP sink, the policy server (`sendguard serve`) on
# loopback (its SQLite database read with sqlite3, to check the reports it stored). Leaves a screenshot of the dialog in artifacts/thunderbird/. About 2 minutes, most
# of it the 75 s "sender thinks" scenario (SENDGUARD_E2E_QUICK=1 skips that one).
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
ensure_apt thunderbird xvfb x11-apps x11-utils netpbm zip sqlite3
build_sendguard
scripts/build-thunderbird
node --test --test-timeout=240000 addin/thunderbird/e2e/thunderbird.e2e.mjs
