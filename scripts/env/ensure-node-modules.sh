#!/usr/bin/env bash
# Run `npm ci` when node_modules is missing or older than package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/env/lib.sh
. scripts/env/lib.sh

marker=node_modules/.longshore-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)

if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then
  exit 0
fi
# npm writes node_modules/.package-lock.json on every install; newer than the lock means in sync.
if [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "$want" >"$marker"
  exit 0
fi

log "node_modules missing or older than package-lock.json: running npm ci"
npm ci --no-audit --no-fund >&2
echo "$want" >"$marker"
