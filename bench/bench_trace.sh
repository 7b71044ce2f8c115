#!/usr/bin/env bash
# strace log parsing speed (issue 3): MB/s on a ~100 MB log of real strace
# output (a traced `ls -laR` and `find`, repeated), side by side with the
# cheapest possible reading of the same file (`wc -l`; grep is no ceiling: GNU
# grep stops at the first match when its output is /dev/null) as
# the ceiling. Target: >= 300 MB/s for the parser.
#
#   bench/bench_trace.sh <build dir>      (a Release build for meaningful numbers)
set -euo pipefail
build=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
for t in strace hyperfine cc lua5.4; do
  command -v "$t" >/dev/null || { echo "bench_trace: skipped: $t not installed"; exit 0; }
done
mb=${DK_BENCH_TRACE_MB:-100}
work="$build/bench-trace"
mkdir -p "$work"
log="$work/strace-$mb.log"
if [ ! -s "$log" ]; then
  strace -f -tt -y -qq -e trace=file,process,desc -o "$work/one.log" \
    sh -c 'ls -laR /usr/share/doc >/dev/null 2>&1; find /usr/lib/python3* -name "*.py" -newer /etc/hostname >/dev/null 2>&1; cat /nonexistent 2>/dev/null; true'
  : >"$log"
  while [ "$(stat -c %s "$log")" -lt $((mb * 1000 * 1000)) ]; do cat "$work/one.log" >>"$log"; done
fi
size=$(stat -c %s "$log")
echo "input: $log, $size bytes, $(wc -l <"$log") lines"

cc -O2 -std=c11 -I"$src/modules/trace" -o "$work/bench_c" "$src/bench/trace_bench/bench.c" "$src/modules/trace/strace.c"
echo "parser alone (best of 5): $("$work/bench_c" "$log" 5)"

cat >"$work/lua_parse.lua" <<LUA
package.path = "$src/scripts/?.lua;$src/scripts/?/init.lua;" .. package.path
package.cpath = "$build/lua/?.so;" .. package.cpath
require "diagkit"
local ev = assert(require("diagkit.trace").strace_file(arg[1], { paths_only = arg[2] == "paths" }))
io.write(#ev, " events\n")
LUA
hyperfine -N --warmup 1 --runs 5 --export-json "$work/r.json" \
  -n "wc -l" "wc -l $log" \
  -n "trace.strace_file (paths_only)" "lua5.4 $work/lua_parse.lua $log paths" \
  -n "trace.strace_file (every event)" "lua5.4 $work/lua_parse.lua $log all" >/dev/null
python3 - "$work/r.json" "$size" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
size = int(sys.argv[2])
base = rs[0]["median"]
print(f"{'command':34} {'median s':>9} {'MB/s':>8} {'vs wc -l':>9}")
for r in rs:
    print(f"{r['command']:34} {r['median']:9.3f} {size/1e6/r['median']:8.0f} {base/r['median']:8.2f}x")
PY
