# Shared helpers for scripts/env/*.sh (sourced, not executed).
# shellcheck shell=bash

log() { printf '[setup] %s\n' "$*" >&2; }
die() {
  printf '[setup] ERROR: %s\n' "$*" >&2
  exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# True when a process with this exact command name runs (no procps needed).
proc_running() {
  local comm f
  for f in /proc/[0-9]*/comm; do
    comm=$(cat "$f" 2>/dev/null) || continue
    [ "$comm" = "$1" ] && return 0
  done
  return 1
}

# True when the Debian package is installed.
pkg_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

# Install the given Debian packages in one apt-get call (apt-get update first). Root only.
apt_install() {
  [ $# -gt 0 ] || return 0
  is_root || die "need the Debian packages '$*' but not running as root; install them with: sudo apt-get install -y $*"
  command -v apt-get >/dev/null 2>&1 || die "need the packages '$*' but apt-get is not available; install them by hand"
  log "installing $* (apt-get, this takes a minute on a fresh machine)"
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
  apt-get update -qq >&2
  # With recommends (apparmor, cgroupfs-mount, ...), as Debian installs docker.io by default.
  apt-get install -y -qq "$@" >&2
}

# Wait up to $1 seconds for the command "$2 ..." to succeed.
wait_for() {
  local timeout=$1 waited=0
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$waited" -ge $((timeout * 10)) ] && return 1
    sleep 0.1
    waited=$((waited + 1))
  done
}

# Start a command fully detached (own session, no inherited stdio) logging to $1; prints its pid.
start_detached() {
  local logfile=$1
  shift
  mkdir -p "$(dirname "$logfile")"
  setsid nohup "$@" >>"$logfile" 2>&1 </dev/null &
  echo $!
}

# Like wait_for, but by the clock: each try of a slow command (an Erlang CLI, ~1 s) counts.
wait_seconds() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 1
  done
}
