#!/usr/bin/env bash
# Runs every benchmark in turn (each prints its table; pass --json to get each one's JSON line).
set -euo pipefail
cd "$(dirname "$0")/.."
for name in runtime wire snapshot gossip-queue member-manager assignment; do
  echo "== bench:$name"
  npm run --silent "bench:$name" -- "$@"
done
echo "== bench:cluster (N=100; run with --nodes 1000 separately, it takes minutes)"
npm run --silent bench:cluster -- --nodes 100 "$@"
