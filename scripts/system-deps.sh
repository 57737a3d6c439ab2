#!/usr/bin/env bash
# Debian's chromium for the browser tests, postgresql and nginx for the store suite and the several-
# workers test (the tests start their own servers; the packages' system services are not used), and
# axe-core for the accessibility checks. Idempotent.
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
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif [ "${CI:-}" = "true" ]; then
    echo "${missing[*]} missing and this user cannot install them (needs root for apt-get)" >&2; exit 1
  else
    echo "note: ${missing[*]} missing; PostgreSQL and nginx tests will be skipped (sudo apt-get install ${missing[*]})" >&2
  fi
fi
if [ ! -f tests/ui/node_modules/axe-core/axe.min.js ]; then
  npm ci --prefix tests/ui --silent --no-audit --no-fund
fi
