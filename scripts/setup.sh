#!/usr/bin/env bash
# Prepare everything tests, examples and benchmarks need. Idempotent; safe to run on a fresh machine.
#   node_modules -> Docker engine (+ host packages) -> RabbitMQ, and a TLS node of its own for the
#   broker-TLS tests -> local registry -> test images
#   -> chromium (the dashboard's browser test) -> iproute2 (the multi-host test)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/env/ensure-node-modules.sh
bash scripts/env/ensure-docker.sh
bash scripts/env/ensure-rabbitmq.sh
bash scripts/env/ensure-rabbitmq-tls.sh
bash scripts/env/ensure-python.sh
bash scripts/env/ensure-registry.sh
bash scripts/env/ensure-test-images.sh
bash scripts/env/ensure-chromium.sh
bash scripts/env/ensure-iproute2.sh
