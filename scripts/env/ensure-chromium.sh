#!/usr/bin/env bash
# Make sure Debian's chromium is at /usr/bin/chromium: the dashboard's browser test drives it
# headless through playwright-core (a test tool's own browser download cannot work here).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/env/lib.sh
. scripts/env/lib.sh

CHROMIUM=/usr/bin/chromium

[ -x "$CHROMIUM" ] && exit 0
apt_install chromium
[ -x "$CHROMIUM" ] || die "$CHROMIUM is still missing after installing Debian's chromium"
log "$("$CHROMIUM" --version 2>/dev/null || echo chromium) is installed"
