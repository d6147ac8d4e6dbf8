#!/usr/bin/env bash
# Make sure `ip` (Debian's iproute2) is there: the multi-host test makes network namespaces and
# veth pairs with it, one namespace per test host.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/env/lib.sh
. scripts/env/lib.sh

command -v ip >/dev/null 2>&1 && exit 0
apt_install iproute2
command -v ip >/dev/null 2>&1 || die "'ip' is still missing after installing Debian's iproute2"
