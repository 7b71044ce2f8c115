#!/usr/bin/env bash
# make bench: every bench/*.sh, each comparing diagkit with its peer tool in one run.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
for b in bench/bench_*.sh; do
  echo "== $b"
  bash "$b" "$build"
done
