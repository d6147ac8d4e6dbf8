#!/usr/bin/env bash
# Make sure a RabbitMQ broker answers on 127.0.0.1:5672 and that guest/guest may log in from
# localhost (RabbitMQ's default), installing Debian's rabbitmq-server and starting it when needed.
# When it installs, the Python packages of scripts/env/ensure-python.sh go in the same apt-get call.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/env/lib.sh
. scripts/env/lib.sh

HOST=127.0.0.1
PORT=5672
BOOT_TIMEOUT=90
RABBITMQ_LOG_DIR=/var/log/rabbitmq

# True when something accepts TCP connections on the AMQP port.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$PORT" 2>/dev/null; }

# True when guest/guest can open an AMQP connection (amqplib from node_modules, ~0.2 s). Without
# node or amqplib, the broker's reply to the AMQP 0-9-1 protocol header has to do.
guest_can_log_in() {
  if command -v node >/dev/null 2>&1 && [ -d node_modules/amqplib ]; then
    timeout 15 node -e "
      require('amqplib').connect('amqp://guest:guest@$HOST:$PORT/', { timeout: 5000 })
        .then((c) => c.close()).then(() => process.exit(0), () => process.exit(1));
    " >/dev/null 2>&1
  else
    amqp_answers
  fi
}

# True when the broker answers the AMQP protocol header with a frame (connection.start).
amqp_answers() {
  local first
  first=$(timeout 5 bash -c "
    exec 3<>/dev/tcp/$HOST/$PORT || exit 1
    printf 'AMQP\\000\\000\\011\\001' >&3
    head -c 1 <&3 | od -An -tx1
  " 2>/dev/null) || return 1
  [ "$(echo "$first" | tr -d ' ')" = 01 ]
}

node_answers() { timeout 20 rabbitmq-diagnostics -q ping >/dev/null 2>&1; }


# 1. Fast path: already running and usable.
guest_can_log_in && exit 0

# 2. Install (one apt-get call, with the Python packages the wire tests need).
if ! command -v rabbitmq-server >/dev/null 2>&1; then
  if port_open; then
    die "something listens on $HOST:$PORT but guest/guest cannot log in over AMQP, and rabbitmq-server is not installed here"
  fi
  read -r -a python_missing <<<"$(bash scripts/env/ensure-python.sh --print-missing)"
  apt_install rabbitmq-server "${python_missing[@]}"
fi
is_root || node_answers || die "RabbitMQ is not running and this is not root, so it cannot be started here.
  Start it (sudo rabbitmq-server -detached, or sudo systemctl start rabbitmq-server), then run: bash scripts/setup.sh"

# 3. Start the broker unless it runs (possibly still booting, e.g. started by the package's postinst).
if ! node_answers && ! port_open; then
  if proc_running beam.smp; then
    log "an Erlang VM (beam.smp) runs but RabbitMQ does not answer yet; waiting"
  else
    log "starting rabbitmq-server (log: $RABBITMQ_LOG_DIR)"
    # Debian's wrapper drops to the rabbitmq user; -detached returns at once, the boot takes 10-20 s.
    rabbitmq-server -detached >&2 || die "rabbitmq-server -detached failed; see $RABBITMQ_LOG_DIR"
  fi
fi
if ! wait_seconds "$BOOT_TIMEOUT" node_answers; then
  tail -n 30 "$RABBITMQ_LOG_DIR"/rabbit*.log >&2 2>/dev/null || true
  die "RabbitMQ did not answer 'rabbitmq-diagnostics ping' within $BOOT_TIMEOUT s; see $RABBITMQ_LOG_DIR"
fi
# The node answers before its AMQP listener is up.
timeout 60 rabbitmqctl -q await_startup >/dev/null 2>&1 || true
wait_for 30 port_open || die "RabbitMQ runs but does not listen on $HOST:$PORT; see $RABBITMQ_LOG_DIR"

# 4. guest/guest with full rights on the default vhost (RabbitMQ's default; restored if removed).
if ! guest_can_log_in; then
  if ! rabbitmqctl -q list_users 2>/dev/null | awk '{print $1}' | grep -qx guest; then
    log "creating the RabbitMQ user guest/guest"
    rabbitmqctl -q add_user guest guest >&2
    rabbitmqctl -q set_user_tags guest administrator >&2
  else
    log "resetting the password of the RabbitMQ user guest to 'guest'"
    rabbitmqctl -q change_password guest guest >&2
  fi
  rabbitmqctl -q set_permissions -p / guest '.*' '.*' '.*' >&2
  guest_can_log_in || die "guest/guest still cannot log in to RabbitMQ on $HOST:$PORT
  (is guest removed from loopback_users, or the default vhost '/' missing? see /etc/rabbitmq/)"
fi
log "RabbitMQ is up on $HOST:$PORT (guest/guest)"
