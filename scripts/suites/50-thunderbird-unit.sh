# Thunderbird extension: unit tests (node --test) of its wiring against a fake `messenger`,
# with the real WebAssembly engine from scripts/build-wasm.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
scripts/build-wasm
node --test addin/thunderbird/test/
