#!/usr/bin/env bash
# Debian's chromium for the browser tests, and axe-core for the accessibility checks. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  elif [ "${CI:-}" = "true" ]; then
    echo "chromium is missing and this user cannot install it (needs root for apt-get)" >&2; exit 1
  else
    echo "note: /usr/bin/chromium is missing; browser tests will be skipped (sudo apt-get install chromium)" >&2
  fi
fi
if [ ! -f tests/ui/node_modules/axe-core/axe.min.js ]; then
  npm ci --prefix tests/ui --silent --no-audit --no-fund
fi
