#!/usr/bin/env bash
# strace log parsing speed (issue 3): MB/s on a ~100 MB log of real strace
# output (a traced `ls -laR` and `find`, repeated), side by side with the
# cheapest possible reading of the same file (`wc -l`; grep is no ceiling: GNU
# grep stops at the first match when its output is /dev/null) as
# the ceiling. Target: >= 300 MB/s for the parser. Then Process Monitor's PML
# reader on a real capture (see the end of this file).
#
#   bench/bench_trace.sh <build dir>      (a Release build for meaningful numbers)
. "$(dirname "$0")/lib.sh"
bench_init trace "${1:-build}" strace hyperfine cc lua5.4
bench_work
bench_lua_env
mb=${DK_BENCH_TRACE_MB:-100}
log="$work/strace-$mb.log"
if [ ! -s "$log" ]; then
  strace -f -tt -y -qq -e trace=file,process,desc -o "$work/one.log" \
    sh -c 'ls -laR /usr/share/doc >/dev/null 2>&1; find /usr/lib/python3* -name "*.py" -newer /etc/hostname >/dev/null 2>&1; cat /nonexistent 2>/dev/null; true'
  : >"$log"
  while [ "$(stat -c %s "$log")" -lt $((mb * 1000 * 1000)) ]; do cat "$work/one.log" >>"$log"; done
fi
size=$(stat -c %s "$log")
echo "input: $log, $size bytes, $(wc -l <"$log") lines"

bench_cc "$work/bench_c" -I"$src/modules/trace" "$src/bench/trace_bench/bench.c" "$src/modules/trace/strace.c"
echo "parser alone (best of 5): $("$work/bench_c" "$log" 5)"

cat >"$work/lua_parse.lua" <<LUA
require "diagkit"
local ev = assert(require("diagkit.trace").strace_file(arg[1], { paths_only = arg[2] == "paths" }))
io.write(#ev, " events\n")
LUA
hyperfine -N --warmup 1 --runs 5 --export-json "$work/r.json" \
  -n "wc -l" "wc -l $log" \
  -n "trace.strace_file (paths_only)" "lua5.4 $work/lua_parse.lua $log paths" \
  -n "trace.strace_file (every event)" "lua5.4 $work/lua_parse.lua $log all" >/dev/null
bench_report "$work/r.json" "$size" <<'PY'
size = int(sys.argv[2])
base = rs[0]["median"]
print(f"{'command':34} {'median s':>9} {'MB/s':>8} {'vs wc -l':>9}")
for r in rs:
    print(f"{r['command']:34} {r['median']:9.3f} {size/1e6/r['median']:8.0f} {base/r['median']:8.2f}x")
PY

# Process Monitor PML (issue 3): the native log against the CSV export of the
# same capture (../shared/data/procmon/UTC64Process: 3,400 events), in C and
# from Lua, and against the Python procmon-parser when a checkout of it is
# named by PROCMON_PARSER (its folder with procmon_parser/; it needs the Debian
# packages python3-construct and python3-six, which `tools/deps.sh --bench`
# installs). Skipped without ../shared.
shared="$src/../shared/data/procmon"
if [ ! -f "$shared/UTC64Process.pml.xz" ] || ! command -v xz >/dev/null; then
  echo "bench_trace: PML case skipped: $shared/UTC64Process.pml.xz or xz is missing"
  exit 0
fi
xz -dc "$shared/UTC64Process.pml.xz" >"$work/p.pml"
xz -dc "$shared/UTC64Process.csv.xz" >"$work/p.csv"
bench_cc "$work/bench_pml" -I"$src/modules/trace" "$src/bench/trace_bench/bench_pml.c" \
  "$src/modules/trace/pml.c" "$src/modules/trace/procmon_csv.c"
echo "PML reader and CSV parser alone (best of 20), the same capture:"
"$work/bench_pml" "$work/p.pml" "$work/p.csv" 20
cat >"$work/lua_pml.lua" <<LUA
require "diagkit"
local trace = require "diagkit.trace"
if arg[2] == "none" then return end -- start-up only: the baseline
local ev = assert((arg[2] == "csv" and trace.procmon_csv or trace.pml)(arg[1]))
io.write(#ev, " events\n")
LUA
cmds=(-n "lua5.4 + require diagkit (baseline)" "lua5.4 $work/lua_pml.lua $work/p.pml none"
  -n "trace.pml (Lua tables)" "lua5.4 $work/lua_pml.lua $work/p.pml pml"
  -n "trace.procmon_csv (Lua tables)" "lua5.4 $work/lua_pml.lua $work/p.csv csv")
pp=${PROCMON_PARSER:-}
if [ -n "$pp" ] && [ -d "$pp/procmon_parser" ] && PYTHONPATH="$pp" /usr/bin/python3 -c 'import procmon_parser' 2>/dev/null; then
  cat >"$work/pp_read.py" <<'PY'
import sys
from procmon_parser import ProcmonLogsReader
with open(sys.argv[1], "rb") as f:
    n = 0
    for e in ProcmonLogsReader(f, should_get_stacktrace=False):
        n += len(e.process.process_name) + len(e.operation) + len(e.path or "") + e.result
print(n)
PY
  cmds+=(-n "python3 + import procmon_parser (baseline)" "env PYTHONPATH=$pp /usr/bin/python3 -c 'import procmon_parser'"
    -n "procmon-parser (Python)" "env PYTHONPATH=$pp /usr/bin/python3 $work/pp_read.py $work/p.pml")
else
  echo "bench_trace: procmon-parser not compared (set PROCMON_PARSER to a checkout of eronnen/procmon-parser)"
fi
hyperfine -N --warmup 1 --runs 10 --export-json "$work/pml.json" "${cmds[@]}" >/dev/null
bench_report "$work/pml.json" "$(stat -c %s "$work/p.pml")" "$(stat -c %s "$work/p.csv")" <<'PY'
pml, csv = int(sys.argv[2]), int(sys.argv[3])
# MB/s and events/s of the parse itself: the median less its baseline's
# (the interpreter's start-up and the module's import).
print(f"{'command (3,400 events)':44} {'median ms':>9} {'parse ms':>9} {'MB/s':>7} {'events/s':>10}")
base = 0.0
for r in rs:
    if "baseline" in r["command"]:
        base = r["median"]
        print(f"{r['command']:44} {r['median']*1e3:9.1f}")
        continue
    size = csv if "csv" in r["command"] else pml
    net = max(r["median"] - base, 1e-6)
    print(f"{r['command']:44} {r['median']*1e3:9.1f} {net*1e3:9.1f} {size/1e6/net:7.1f} {3400/net:10.0f}")
PY
