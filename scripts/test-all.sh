#!/usr/bin/env bash
# The one command that runs every test on a fresh machine: installs what the tests need
# (npm packages from the lockfile, Debian's serf for interop tests), type-checks, builds, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash scripts/install-deps.sh
npm run typecheck
npm run build
npx vitest run
