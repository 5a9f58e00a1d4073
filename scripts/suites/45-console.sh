# The admin console (web/) in headless Chromium, driven by playwright-core, against a real
# `sendguard serve` on 127.0.0.1. Leaves a screenshot in artifacts/console.png.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
ensure_apt chromium
ensure_npm_ci tests/console
build_sendguard
# The simulator runs the engine's WebAssembly build (rebuilt only when out of date).
scripts/build-wasm
export REQUIRE_ENGINE=1
WASM_DIR="$ROOT/build/wasm/esm" ARTIFACTS="$ROOT/artifacts" node --test tests/console/
log "console screenshot: artifacts/console.png"
