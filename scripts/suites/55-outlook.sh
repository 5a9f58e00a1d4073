# Outlook add-in: the manifest's offline structural check, node tests of the handler, policy
# cache and fix command (office-addin-mock, the real engine, the signed-bundle vectors), and
# the packaged add-in in headless Chromium (playwright-core, /usr/bin/chromium), alone and
# served by `sendguard serve` on 127.0.0.1. Screenshots go to artifacts/.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
ensure_apt chromium
ensure_npm_ci addin
# The engine's classic scripts (build/wasm/classic/sendguard-classic{,-web}.js) and the
# `sendguard` binary for the end-to-end test with the policy server (SENDGUARD_BIN); both
# are rebuilt only when out of date.
scripts/build-wasm
build_sendguard
node addin/outlook/tools/manifest-check.mjs manifest.xml
addin/node_modules/.bin/tsc -p addin/outlook/tsconfig.json
node --test --test-reporter=dot addin/outlook/test/*.test.mjs
