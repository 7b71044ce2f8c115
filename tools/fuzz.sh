#!/usr/bin/env bash
# Runs every libFuzzer target in <build>/fuzz for <seconds> each, starting from
# its seed corpus (tests/fuzz/corpus/<name>); new inputs go to a scratch copy,
# never into the repository. A crash leaves its input in <build>/fuzz/crashes.
set -euo pipefail
build=${1:?usage: fuzz.sh <build dir> <seconds>}
seconds=${2:-60}
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$build/fuzz/crashes"
shopt -s nullglob
for target in "$build"/fuzz/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target")
  work="$build/fuzz/corpus-$name"
  mkdir -p "$work"
  seeds="$src/tests/fuzz/corpus/${name#fuzz_}"
  [ -d "$seeds" ] && cp -n "$seeds"/* "$work"/ 2>/dev/null || true
  echo "fuzz: $name for ${seconds}s"
  "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/fuzz/crashes/$name-" "$work" 2>"$build/fuzz/$name.log" \
    || { tail -n 40 "$build/fuzz/$name.log"; exit 1; }
  grep -E '^stat::number_of_executed_units|^Done' "$build/fuzz/$name.log" | tr '\n' ' '; echo
done
