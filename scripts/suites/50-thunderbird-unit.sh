# Thunderbird extension: unit tests (node --test) of its wiring against a fake `messenger`,
# with the real WebAssembly engine (rebuilt by scripts/build-thunderbird when out of date,
# along with the .xpi), and Mozilla's addons-linter on the packed .xpi (zero errors;
# installed from tests/addons-linter/package-lock.json).
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
scripts/build-thunderbird
node --test addin/thunderbird/test/
ensure_npm_ci tests/addons-linter
log "addons-linter on build/thunderbird/sendguard-thunderbird.xpi"
tests/addons-linter/node_modules/.bin/addons-linter --self-hosted build/thunderbird/sendguard-thunderbird.xpi
