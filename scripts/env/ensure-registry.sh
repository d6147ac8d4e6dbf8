#!/usr/bin/env bash
# Make sure a local Docker registry (Debian's docker-registry, no auth) answers on $LONGSHORE_REGISTRY.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/env/lib.sh
. scripts/env/lib.sh

REGISTRY=${LONGSHORE_REGISTRY:-127.0.0.1:5000}
host=${REGISTRY%:*}
port=${REGISTRY##*:}
[ "$host" != "$REGISTRY" ] && [ -n "$port" ] || die "LONGSHORE_REGISTRY must be host:port, got '$REGISTRY'"

registry_status() { curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "http://$REGISTRY/v2/" 2>/dev/null || true; }
registry_answers() { [ "$(registry_status)" = 200 ]; }

registry_answers && exit 0

# Debian's own docker-registry service (started by the package on systemd machines) listens on :5000
# and demands htpasswd auth; ours replaces it.
stop_packaged_registry() {
  is_root || return 1
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
    log "stopping and disabling Debian's packaged docker-registry service (it demands auth)"
    systemctl disable --now docker-registry >&2 || true
  elif [ -x /etc/init.d/docker-registry ] && /etc/init.d/docker-registry status >/dev/null 2>&1; then
    log "stopping Debian's packaged docker-registry service (it demands auth)"
    /etc/init.d/docker-registry stop >&2 || true
  else
    return 1
  fi
  wait_for 10 registry_gone || true
}
registry_gone() { [ "$(registry_status)" = 000 ]; }

status=$(registry_status)
if [ "$status" != 000 ] && stop_packaged_registry; then
  status=$(registry_status)
fi
if [ "$status" != 000 ]; then
  die "something answers on http://$REGISTRY/v2/ with HTTP $status instead of an open registry
  (Debian's packaged docker-registry service demands htpasswd auth: stop it, e.g. systemctl stop docker-registry)"
fi
case "$host" in
  127.* | localhost) ;;
  *) die "the registry $REGISTRY does not answer, and it is not local so it cannot be started here" ;;
esac

command -v docker-registry >/dev/null 2>&1 || apt_install docker-registry

if is_root; then
  state=${LONGSHORE_STATE_DIR:-/var/lib/longshore}/registry
  logfile=/var/log/longshore-registry.log
else
  state=${LONGSHORE_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/longshore}/registry
  logfile=$state/registry.log
fi
mkdir -p "$state/data"
# Our own config: the packaged /etc/docker/registry/config.yml demands htpasswd auth.
cat >"$state/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
  fields:
    service: longshore-registry
storage:
  filesystem:
    rootdirectory: $state/data
  delete:
    enabled: true
http:
  addr: $REGISTRY
YAML

log "starting docker-registry on $REGISTRY (config: $state/config.yml, log: $logfile)"
pid=$(start_detached "$logfile" docker-registry serve "$state/config.yml")
if ! wait_for 30 registry_answers; then
  tail -n 20 "$logfile" >&2 || true
  kill -0 "$pid" 2>/dev/null && kill "$pid"
  die "the registry did not answer on http://$REGISTRY/v2/ within 30 s; see $logfile"
fi
log "registry is up on $REGISTRY"
