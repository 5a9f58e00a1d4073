# The admin console (web/) in headless Chromium, driven by playwright-core, against a real
# `sendguard serve` on 127.0.0.1. Leaves a screenshot in artifacts/console.png.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
ensure_apt chromium
if [ ! -d tests/console/node_modules/playwright-core ]; then
  log "installing the console tests' npm packages"
  npm ci --prefix tests/console --no-audit --no-fund --silent
fi
cargo build --quiet -p sendguard-cli
# The simulator runs the engine's WebAssembly build (scripts/build-wasm, from the wasm work).
if [ -x scripts/build-wasm ]; then
  [ -f build/wasm/esm/sendguard.js ] || scripts/build-wasm
  export REQUIRE_ENGINE=1
fi
SENDGUARD_BIN="$ROOT/target/debug/sendguard" WASM_DIR="$ROOT/build/wasm/esm" ARTIFACTS="$ROOT/artifacts" \
  node --test tests/console/
log "console screenshot: artifacts/console.png"
