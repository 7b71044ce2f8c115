#!/usr/bin/env bash
# Issue 6 benchmarks, each against its peer tool in the same run:
#  1. full hive dump (every key and value, regedit-5 text) by diagkit.reg vs
#     hivexregedit --export (and hivexml, hivex's C dumper) on the same hive;
#  2. access.check on a 10-component path vs namei -l on the same path.
# Usage: bench/bench_reg.sh <build dir>. Real hives come from
# ../shared/data/registry when present, else a script-built hive is used.
. "$(dirname "$0")/lib.sh"
bench_init reg "${1:-build}" hyperfine hivexregedit hivexml namei
bench_scratch
tmp=$scratch
bench_lua_env
hives=()
shared="$src/../shared/data/registry"
for n in SYSTEM NTUSER.DAT; do
  if [ -f "$shared/$n.xz" ]; then xz -dc "$shared/$n.xz" > "$tmp/$n"; hives+=("$tmp/$n"); fi
done
if [ ${#hives[@]} -eq 0 ]; then
  sh "$src/tests/fixtures/reg/build.sh" "$tmp/fx" >/dev/null
  hives=("$tmp/fx/big.hive")
fi
echo "hive dump: diagkit.reg export vs hivexregedit --export vs hivexml"
for h in "${hives[@]}"; do
  name=$(basename "$h")
  hyperfine -N --warmup 2 --min-runs 10 --export-json "$tmp/$name.json" \
    -n "diagkit" "lua5.4 $src/tests/fixtures/reg/export.lua $h" \
    -n "hivexregedit" "hivexregedit --export $h \\" \
    -n "hivexml" "hivexml $h" --output=null >/dev/null 2>"$tmp/hf.err" || { cat "$tmp/hf.err"; exit 1; }
  bench_report "$tmp/$name.json" "$name" "$(stat -c %s "$h")" <<'PY'
rs = {r["command"]: r for r in rs}
d = rs["diagkit"]["median"]
print(f"  {sys.argv[2]} ({int(sys.argv[3])/1e6:.1f} MB): diagkit {d*1000:.1f} ms, "
      f"hivexregedit {rs['hivexregedit']['median']*1000:.1f} ms ({rs['hivexregedit']['median']/d:.1f}x slower), "
      f"hivexml {rs['hivexml']['median']*1000:.1f} ms ({rs['hivexml']['median']/d:.1f}x)")
PY
done

echo "access check on a 10-component path: diagkit vs namei -l"
deep="$tmp/c1/c2/c3/c4/c5/c6/c7/c8"
mkdir -p "$deep"
echo x > "$deep/file"
chmod -R a+rX "$tmp"
path="$deep/file"
n=$(echo "$path" | tr -cd / | wc -c)
cat > "$tmp/loop.lua" <<LUA
require "diagkit"
local access = require "diagkit.access"
local sys = require "diagkit.sys"
local N = 20000
local t0 = sys.clock_ms()
for _ = 1, N do assert(access.check("$path", "read", { user = "nobody" })) end
local per = (sys.clock_ms() - t0) / N
print(string.format("%.4f", per))
LUA
per=$(lua5.4 "$tmp/loop.lua")
hyperfine -N --warmup 10 --min-runs 100 --export-json "$tmp/n.json" \
  -n "namei -l" "namei -l $path" \
  -n "diagkit run permissions" "$build/diagkit run permissions -p path=$path -p user=nobody --format json" \
  --output=null >/dev/null 2>"$tmp/hf.err" || { cat "$tmp/hf.err"; exit 1; }
bench_report "$tmp/n.json" "$per" "$n" <<'PY'
rs = {r["command"]: r for r in rs}
per = float(sys.argv[2]) / 1000
nm = rs["namei -l"]["median"]
cli = rs["diagkit run permissions"]["median"]
print(f"  path of {sys.argv[3]} components: access.check {per*1e6:.1f} us per call in process "
      f"({nm/per:.0f}x faster than namei -l at {nm*1000:.2f} ms per run); "
      f"whole CLI run (process start, playbook, JSON report) {cli*1000:.2f} ms ({nm/cli:.2f}x namei)")
PY
