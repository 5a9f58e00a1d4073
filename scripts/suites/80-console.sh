# The admin console (web/) in headless Chromium, driven by playwright-core, against a real
# `sendguard serve` on 127.0.0.1 built with every client file inside (embed-assets, as the
# release build): the console, the simulator's engine, the .xpi and the Outlook add-in. Also
# runs crates/server/tests/one_binary.rs with those files. Leaves screenshots in
# artifacts/console.png and artifacts/console-320.png (320 px wide).
# It runs last: it builds the binary with the `embed-assets` feature, and every other suite
# builds it without; one switch per run rather than a rebuild of the server crates after it.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
ensure_apt chromium
ensure_apt zip
ensure_npm_ci tests/console
ensure_npm_ci addin
# The engine, the Thunderbird package (each rebuilt only when out of date) and the Outlook
# add-in's parts, then the binary with them inside (crates/server/build.rs).
scripts/build-thunderbird
node scripts/build-outlook-server.mjs
cargo build --quiet -p sendguard-cli --features embed-assets
cargo test --quiet -p sendguard-server --features embed-assets --test one_binary
SENDGUARD_BIN="$(sendguard_bin)" REQUIRE_ENGINE=1 ARTIFACTS="$ROOT/artifacts" \
  node --test tests/console/
log "console screenshots: artifacts/console.png, artifacts/console-320.png"
