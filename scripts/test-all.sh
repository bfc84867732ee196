#!/usr/bin/env bash
# The one command that runs every test on a fresh machine: installs what the tests need
# (npm packages from the lockfile, Debian's serf for the interop tests), type-checks, builds, tests,
# and ends with one plain line: "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash scripts/install-deps.sh
npm run typecheck
npm run build
report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" || status=$?
node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"))
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`)
' "$report" || echo "tests: 0 passed, 1 failed"
exit "$status"
