#!/usr/bin/env bash
# The offline hive reader against hivexregedit --export: every key and value
# equal, on hives built by script (tests/fixtures/reg) and on the real hives
# in ../shared/data/registry when that folder exists. Exit 77 = skipped.
set -euo pipefail
src=${DK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${DK_BINARY_DIR:-$src/build}
command -v hivexregedit >/dev/null || { echo "SKIP: hivexregedit missing (apt-get install libwin-hivex-perl)"; exit 77; }
[ -f "$bin/lua/diagkit/core.so" ] || { echo "SKIP: $bin/lua/diagkit/core.so not built"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The sanitizer build has its own ASan-linked Lua (tests/runner/lua_runner.c):
# a stock lua5.4 cannot load an ASan-built core.so without LD_PRELOAD tricks.
interp=lua5.4
[ -x "$bin/tests/lua_runner" ] && interp="$bin/tests/lua_runner"
lua() { ASAN_OPTIONS=detect_leaks=0 "$interp" -e "package.path='$src/scripts/?.lua;$src/scripts/?/init.lua;'..package.path; package.cpath='$bin/lua/?.so;'..package.cpath" "$@"; }

sh "$src/tests/fixtures/reg/build.sh" "$tmp/fx"
hives=("$tmp/fx/sample.hive" "$tmp/fx/big.hive")
shared="$src/../shared/data/registry"
if [ -d "$shared" ]; then
  for n in SYSTEM NTUSER.DAT UsrClass.dat SAM SECURITY BCD; do
    [ -f "$shared/$n.xz" ] || continue
    xz -dc "$shared/$n.xz" > "$tmp/$n"
    hives+=("$tmp/$n")
  done
else
  echo "note: $shared absent; comparing the script-built hives only"
fi
fail=0
for h in "${hives[@]}"; do
  lua "$src/tests/fixtures/reg/export.lua" "$h" > "$tmp/ours.reg" 2>"$tmp/ours.err"
  hivexregedit --export "$h" '\' > "$tmp/hivex.reg"
  if out=$(python3 "$src/tests/fixtures/reg/compare.py" "$tmp/ours.reg" "$tmp/hivex.reg"); then
    echo "ok   $(basename "$h"): $out"
  else
    echo "FAIL $(basename "$h"): $out"
    fail=1
  fi
done
# The damaged sample: hivex refuses it entirely; diagkit reads what is sound.
if [ -f "$shared/corrupted_system_hive.xz" ]; then
  xz -dc "$shared/corrupted_system_hive.xz" > "$tmp/corrupt"
  if hivexregedit --export "$tmp/corrupt" '\' >/dev/null 2>&1; then echo "note: hivex opened the damaged hive"; fi
  lua "$src/tests/fixtures/reg/export.lua" "$tmp/corrupt" > "$tmp/c.reg" 2>"$tmp/c.err"
  keys=$(grep -c '^\[' "$tmp/c.reg")
  echo "damaged hive: $keys keys read; $(cat "$tmp/c.err")"
  [ "$keys" -gt 1000 ] || { echo "FAIL: too few keys from the damaged hive"; fail=1; }
fi
exit $fail
