# The mail gateway behind a real Postfix (issue 14): a private Postfix instance on 127.0.0.1
# asks `sendguard gateway` about each RCPT TO and relays to smtp-sink (docs/gateway.md).
# Needs root or passwordless sudo (Postfix). About 10 s.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
if ! dpkg -s postfix >/dev/null 2>&1; then
  # Debian's postfix asks what kind of mail server this is; answer "none" so it installs
  # without a question and configures nothing system-wide (the test writes its own config).
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
fi
ensure_apt postfix
build_sendguard
node --test --test-timeout=120000 crates/gateway/e2e/postfix.e2e.mjs
