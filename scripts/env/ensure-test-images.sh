#!/usr/bin/env bash
# Build the locally made test images (a fast no-op when they are up to date).
# Same as `npx tsx scripts/build-test-images.ts`, minus npx's ~1 s start-up cost.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node_modules/.bin/tsx scripts/build-test-images.ts
