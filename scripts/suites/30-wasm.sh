# WebAssembly and the add-ins' shared JavaScript: builds both WebAssembly outputs
# (scripts/build-wasm), type-checks addin/shared/ against the Office and Thunderbird types,
# runs the node tests (every corpus case and bundle vector through the ES module, the classic
# script with WebAssembly and its JavaScript fallback, and the lean classic script of
# Outlook's HTML pages, compared with the native CLI), and
# prints the size and speed budgets (marked OVER when over; see scripts/wasm-budgets.mjs).
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
scripts/build-wasm
cargo build --quiet -p sendguard-cli
(cd addin && node_modules/.bin/tsc -p tsconfig.json)
(cd addin && SENDGUARD_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/sendguard" node --test test/)
node scripts/wasm-budgets.mjs
