# The admin console (web/) in headless Chromium, driven by playwright-core, against a real
# `sendguard serve` on 127.0.0.1. Leaves a screenshot in artifacts/console.png.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
ensure_apt chromium
ensure_npm_ci tests/console
cargo build --quiet -p sendguard-cli
# The simulator runs the engine's WebAssembly build (scripts/build-wasm, from the wasm work).
if [ -x scripts/build-wasm ]; then
  # Rebuilt only when the engine's sources are newer than the build.
  wasm=build/wasm/esm/sendguard_bg.wasm
  if [ ! -f "$wasm" ] || [ -n "$(find crates/core crates/wasm Cargo.lock -newer "$wasm" | head -1)" ]; then scripts/build-wasm; fi
  export REQUIRE_ENGINE=1
fi
SENDGUARD_BIN="$ROOT/target/debug/sendguard" WASM_DIR="$ROOT/build/wasm/esm" ARTIFACTS="$ROOT/artifacts" \
  node --test tests/console/
log "console screenshot: artifacts/console.png"
