# Shared helpers for scripts/*: idempotent installers, so a fresh machine and CI need no
# manual set-up. Source it; do not run it.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# ensure_apt PACKAGE... : installs Debian packages that are missing (runs apt-get update once).
ensure_apt() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ ! -f /tmp/.sendguard-apt-updated ]; then $sudo apt-get update -qq && touch /tmp/.sendguard-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ensure_wasm_target : the Rust target the engine is built for in the browser and add-ins.
ensure_wasm_target() {
  rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown && return 0
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown >/dev/null
}

# ensure_cargo_tool NAME VERSION [CRATE] : installs a cargo binary at an exact version.
ensure_cargo_tool() {
  local bin="$1" version="$2" crate="${3:-$1}"
  if command -v "$bin" >/dev/null 2>&1 && "$bin" --version 2>/dev/null | grep -q "$version"; then return 0; fi
  log "installing $crate $version"
  cargo install -q "$crate" --version "$version" >/dev/null
}

# ensure_npm_ci DIR : installs DIR's npm packages exactly as its package-lock.json says, again
# only when the lock file changed since the last install.
ensure_npm_ci() {
  local dir="$1" stamp="$1/node_modules/.sendguard-lock.sha256"
  local want; want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  log "installing npm packages in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" >"$stamp"
}

# sendguard_bin [debug|release] : the path of the built `sendguard` binary, wherever cargo puts
# it (CARGO_TARGET_DIR or ./target). Tests get it as SENDGUARD_BIN.
sendguard_bin() { echo "${CARGO_TARGET_DIR:-$ROOT/target}/${1:-debug}/sendguard"; }

# build_sendguard : builds the debug `sendguard` binary (cargo skips it when up to date) and
# exports SENDGUARD_BIN for the tests that start it.
build_sendguard() {
  cargo build --quiet -p sendguard-cli
  SENDGUARD_BIN="$(sendguard_bin)"
  export SENDGUARD_BIN
}

# The one "is the build up to date" rule. A build's inputs are files and folders; their
# fingerprint is a SHA-256 over every file's path and content (git's ignored files, such as
# node_modules/ and target/, left out; outside a git checkout, every file but node_modules/)
# and the versions of rustc and node. A build takes the
# fingerprint before it starts and writes it into its stamp once it succeeded; it is up to
# date while the stamp holds the inputs' fingerprint and its outputs exist. Timestamps play
# no part: a checkout, a copy or `git stash` cannot make a stale build look fresh.
#   inputs_fingerprint INPUT...            prints the fingerprint
#   build_is_fresh STAMP FINGERPRINT OUTPUT...  true when up to date
inputs_fingerprint() {
  (
    cd "$ROOT"
    rustc --version 2>/dev/null || true
    node --version 2>/dev/null || true
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
      git ls-files -z --cached --others --exclude-standard -- "$@"
    else
      find "$@" -type f -not -path '*/node_modules/*' -print0 2>/dev/null
    fi | LC_ALL=C sort -zu | xargs -0r sha256sum 2>/dev/null || true
  ) | sha256sum | cut -d' ' -f1
}
build_is_fresh() {
  local stamp="$1" fingerprint="$2"; shift 2
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ] || return 1
  local output; for output in "$@"; do [ -e "$output" ] || return 1; done
}

# The engine for JavaScript (scripts/build-wasm): what it is built from, what it writes, and
# its stamp. Every suite and script that needs build/wasm/ calls scripts/build-wasm, which
# returns at once when the rule above says the build is up to date.
WASM_BUILD_INPUTS=(Cargo.toml Cargo.lock crates vendor addin/shared addin/tools addin/package-lock.json scripts/build-wasm)
WASM_BUILD_STAMP="$ROOT/build/wasm/.inputs.sha256"
WASM_BUILD_OUTPUTS=("$ROOT/build/wasm/esm/sendguard.js" "$ROOT/build/wasm/esm/sendguard.d.ts" "$ROOT/build/wasm/esm/sendguard_bg.wasm"
  "$ROOT/build/wasm/classic/sendguard-classic.js" "$ROOT/build/wasm/classic/sendguard-classic-web.js")
