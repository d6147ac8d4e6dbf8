#!/usr/bin/env bash
# Make sure a Docker engine answers, installing (Debian docker.io) and starting dockerd when needed.
# Also installs the other host packages the environment needs, all in one apt-get call:
# docker-registry (scripts/env/ensure-registry.sh), busybox-static (the test images) and curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/env/lib.sh
. scripts/env/lib.sh

SOCKET=/var/run/docker.sock
DOCKERD_LOG=${LONGSHORE_DOCKERD_LOG:-/var/log/longshore-dockerd.log}

engine_answers() {
  if [ -z "${DOCKER_HOST:-}" ] && command -v curl >/dev/null 2>&1; then
    [ "$(curl -fsS --max-time 5 --unix-socket "$SOCKET" http://localhost/_ping 2>/dev/null)" = OK ]
  else
    docker version >/dev/null 2>&1
  fi
}

busybox_is_static() {
  pkg_installed busybox-static && return 0
  [ -x /bin/busybox ] && command -v file >/dev/null 2>&1 && file -L /bin/busybox | grep -q 'statically linked'
}

# 1. Host packages, one apt-get call for everything that is missing.
missing=()
command -v curl >/dev/null 2>&1 || missing+=(curl)
busybox_is_static || missing+=(busybox-static)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
if ! command -v dockerd >/dev/null 2>&1 && ! engine_answers; then
  missing+=(docker.io)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if ! is_root && ! engine_answers; then
    die "no Docker engine answers on $SOCKET and this is not root, so it cannot be installed or started here.
  Install and start Docker (Debian: sudo apt-get install -y docker.io && sudo systemctl start docker),
  make sure your user may use it (sudo usermod -aG docker \$USER), then run: bash scripts/setup.sh"
  fi
  apt_install "${missing[@]}"
fi

# 2. The engine.
engine_answers && exit 0

if ! is_root; then
  if [ -S "$SOCKET" ]; then
    die "Docker's socket $SOCKET exists but does not answer for user $(id -un).
  If dockerd runs, add yourself to the docker group (sudo usermod -aG docker \$USER; log in again);
  otherwise start it (sudo systemctl start docker). Then run: bash scripts/setup.sh"
  fi
  die "no Docker engine answers on $SOCKET and this is not root, so dockerd cannot be started here.
  Start it (sudo systemctl start docker, or sudo dockerd &), then run: bash scripts/setup.sh"
fi

if proc_running dockerd; then
  log "dockerd is running but does not answer yet; waiting"
else
  log "starting dockerd (log: $DOCKERD_LOG)"
  pid=$(start_detached "$DOCKERD_LOG" dockerd)
  # Fail fast if it dies at once instead of waiting the whole minute.
  sleep 0.5
  kill -0 "$pid" 2>/dev/null || {
    tail -n 20 "$DOCKERD_LOG" >&2 || true
    die "dockerd exited at once; see $DOCKERD_LOG"
  }
fi

if ! wait_for 60 engine_answers; then
  tail -n 20 "$DOCKERD_LOG" >&2 || true
  die "the Docker engine did not answer within 60 s; see $DOCKERD_LOG"
fi
log "Docker engine is up"
