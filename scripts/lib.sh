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
