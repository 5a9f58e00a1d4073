# Rust: formatting, lints, no import cycle between the core's modules (the checker's own
# self-test first), unit/corpus/property tests of every crate, the wasm32 build of the core.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
cargo fmt --all -- --check
node scripts/check-core-cycles.mjs --self-test
node scripts/check-core-cycles.mjs
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace --quiet
ensure_wasm_target
cargo build --quiet -p sendguard-core --target wasm32-unknown-unknown
