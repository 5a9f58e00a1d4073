# Thunderbird extension: unit tests (node --test) of its wiring against a fake `messenger`,
# with the real WebAssembly engine (built by scripts/build-thunderbird when the Rust sources
# changed, along with the .xpi).
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
scripts/build-thunderbird
node --test addin/thunderbird/test/
