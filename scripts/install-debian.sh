#!/usr/bin/env bash
# Debian packages the tests need: chromium (driven by Playwright, which downloads no browser) and
# postgresql (the store tests start their own server on loopback). One apt-get run for what is missing.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  SUDO="sudo"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# the postgresql package may start a cluster of its own; the tests do not use it
$SUDO service postgresql stop >/dev/null 2>&1 || true
