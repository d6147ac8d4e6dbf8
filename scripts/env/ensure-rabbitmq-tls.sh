#!/usr/bin/env bash
# Make sure a RabbitMQ node answers AMQP over TLS on 127.0.0.1:5671 for the broker-TLS tests,
# with a test CA, a server certificate for localhost / 127.0.0.1 and a client certificate, all
# in $TLS_DIR. The node is a second one of our own (nodename longshore-tls@localhost, its own
# config, data and log directories), not the shared node on 5672: other worktrees run tests
# against that one at any time, and restarting it to add a listener would break them.
# Idempotent: certificates are made once (again when missing or expiring), the config file is
# rewritten and the node restarted only when they changed; the fast path is one TLS login.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/env/lib.sh
. scripts/env/lib.sh

TLS_DIR=/var/lib/longshore-test/tls
NODE_DIR=/var/lib/longshore-test/rabbitmq-tls
NODENAME=longshore-tls@localhost
HOST=127.0.0.1
PORT=5671
# The Erlang distribution port: the shared node has 25672 (its AMQP port + 20000).
DIST_PORT=25671
BOOT_TIMEOUT=90
# Renew certificates that expire within 30 days.
CHECK_END=$((30 * 86400))

# True when guest can log in over TLS with our CA, checking the server's name (amqplib, ~0.2 s).
tls_login_works() {
  command -v node >/dev/null 2>&1 && [ -d node_modules/amqplib ] || return 1
  timeout 15 node -e "
    const fs = require('node:fs');
    require('amqplib').connect('amqps://guest:guest@localhost:$PORT/', {
      timeout: 5000, ca: [fs.readFileSync('$TLS_DIR/ca.pem')], servername: 'localhost',
      cert: fs.readFileSync('$TLS_DIR/client.pem'), key: fs.readFileSync('$TLS_DIR/client.key'),
    }).then((c) => c.close()).then(() => process.exit(0), () => process.exit(1));
  " >/dev/null 2>&1
}

# Runs one of RabbitMQ's own scripts as the rabbitmq user against our node (the shared node's
# Erlang cookie in /var/lib/rabbitmq, so rabbitmqctl -n reaches both).
as_rabbitmq() {
  local cmd
  printf -v cmd '%q ' "$@"
  su rabbitmq -s /bin/sh -c "cd /var/lib/rabbitmq && HOME=/var/lib/rabbitmq \
    RABBITMQ_NODENAME=$NODENAME RABBITMQ_NODE_IP_ADDRESS=$HOST RABBITMQ_DIST_PORT=$DIST_PORT \
    RABBITMQ_CONFIG_FILE=$NODE_DIR/rabbitmq.conf RABBITMQ_CONF_ENV_FILE=$NODE_DIR/rabbitmq-env.conf \
    RABBITMQ_ENABLED_PLUGINS_FILE=$NODE_DIR/enabled_plugins \
    RABBITMQ_MNESIA_BASE=$NODE_DIR/mnesia RABBITMQ_LOG_BASE=$NODE_DIR/log \
    RABBITMQ_PID_FILE=$NODE_DIR/node.pid $cmd"
}

node_answers() { timeout 20 rabbitmqctl -q -n "$NODENAME" status >/dev/null 2>&1; }


cert_valid() { [ -s "$1" ] && openssl x509 -in "$1" -noout -checkend "$CHECK_END" >/dev/null 2>&1; }

# 1. Fast path: the node runs and takes our certificates.
tls_login_works && exit 0

is_root || die "the broker-TLS test node is not running and this is not root; run bash scripts/setup.sh as root"
command -v rabbitmq-server >/dev/null 2>&1 || die "rabbitmq-server is missing; run scripts/env/ensure-rabbitmq.sh first"
command -v openssl >/dev/null 2>&1 || apt_install openssl

# 2. Certificates: a CA, the server's (localhost, 127.0.0.1), a client's, and a second CA that
#    signed none of them (the "wrong CA" of the tests). Keys are RSA 2048 for the widest support.
changed=0
mkdir -p "$TLS_DIR" "$NODE_DIR"
chmod 755 /var/lib/longshore-test "$TLS_DIR"
if ! cert_valid "$TLS_DIR/ca.pem" || ! cert_valid "$TLS_DIR/server.pem" || ! cert_valid "$TLS_DIR/client.pem" ||
  ! cert_valid "$TLS_DIR/other-ca.pem" || [ ! -s "$TLS_DIR/server.key" ] || [ ! -s "$TLS_DIR/client.key" ]; then
  log "making the test CA and the broker's and a client's certificates in $TLS_DIR"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=longshore test CA' \
    -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=longshore other CA' \
    -keyout "$work/other-ca.key" -out "$work/other-ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj '/CN=localhost' \
    -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$work/server.ext"
  openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
    -days 3650 -extfile "$work/server.ext" -out "$work/server.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj '/O=longshore/CN=longshore-test-client' \
    -keyout "$work/client.key" -out "$work/client.csr" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$work/client.ext"
  openssl x509 -req -in "$work/client.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
    -days 3650 -extfile "$work/client.ext" -out "$work/client.pem" 2>/dev/null
  # The CA's key is not kept: nothing else gets signed.
  install -m 644 "$work/ca.pem" "$work/other-ca.pem" "$work/server.pem" "$work/client.pem" "$TLS_DIR/"
  install -m 640 -o root -g rabbitmq "$work/server.key" "$TLS_DIR/server.key"
  # A test-only key, read by the tests whoever runs them.
  install -m 644 "$work/client.key" "$TLS_DIR/client.key"
  changed=1
fi

# 3. The node's configuration: TLS only, peers verified when they present a certificate.
config="listeners.tcp = none
listeners.ssl.default = $HOST:$PORT
ssl_options.cacertfile = $TLS_DIR/ca.pem
ssl_options.certfile = $TLS_DIR/server.pem
ssl_options.keyfile = $TLS_DIR/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = false
loopback_users.guest = true
"
if [ "$(cat "$NODE_DIR/rabbitmq.conf" 2>/dev/null || true)" != "$config" ]; then
  printf '%s' "$config" >"$NODE_DIR/rabbitmq.conf"
  changed=1
fi
[ -f "$NODE_DIR/rabbitmq-env.conf" ] || : >"$NODE_DIR/rabbitmq-env.conf"
[ -f "$NODE_DIR/enabled_plugins" ] || echo '[].' >"$NODE_DIR/enabled_plugins"
mkdir -p "$NODE_DIR/mnesia" "$NODE_DIR/log"
chown -R rabbitmq:rabbitmq "$NODE_DIR"

# 4. (Re)start our node: restarted only when its certificates or config changed.
if node_answers && [ "$changed" = 1 ]; then
  log "restarting $NODENAME for its new TLS settings"
  timeout 60 rabbitmqctl -q -n "$NODENAME" stop >/dev/null 2>&1 || true
fi
if ! node_answers; then
  log "starting the TLS test node $NODENAME on $HOST:$PORT (log: $NODE_DIR/log)"
  as_rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server -detached >&2 ||
    die "starting $NODENAME failed; see $NODE_DIR/log"
fi
if ! wait_seconds "$BOOT_TIMEOUT" node_answers; then
  tail -n 30 "$NODE_DIR"/log/*.log >&2 2>/dev/null || true
  die "$NODENAME did not answer within $BOOT_TIMEOUT s; see $NODE_DIR/log"
fi
timeout 60 rabbitmqctl -q -n "$NODENAME" await_startup >/dev/null 2>&1 || true
wait_seconds 30 tls_login_works || {
  tail -n 30 "$NODE_DIR"/log/*.log >&2 2>/dev/null || true
  die "$NODENAME runs but guest cannot log in over TLS on $HOST:$PORT; see $NODE_DIR/log"
}
log "RabbitMQ over TLS is up on $HOST:$PORT ($NODENAME; CA and client certificate in $TLS_DIR)"
