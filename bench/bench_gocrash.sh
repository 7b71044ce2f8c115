#!/usr/bin/env bash
# Go goroutine-dump parsing speed (issue 5), side by side in one run:
#   - the gocrash C core alone (bench/gocrash_bench/bench.c, -O2)
#   - the Lua binding, with and without the per-goroutine tables
#   - `diagkit run go-crash` end to end
#   - the peer: a straightforward Go program with regexp (bench/gocrash_regexp),
#     standing in for panicparse, which cannot be fetched here
# on a 100,000-goroutine dump made by a real Go program
# (tests/fixtures/go/src/goroutines, GOTRACEBACK=all).
# Targets: >= 5x the peer, >= 300 MB/s.
#
#   bench/bench_gocrash.sh <build dir>     (a Release build for meaningful numbers)
. "$(dirname "$0")/lib.sh"
bench_init gocrash "${1:-build}" go hyperfine cc lua5.4
bench_work
export GOFLAGS=-mod=mod GOPROXY=off GOCACHE="$work/gocache" GOTOOLCHAIN=local GOTELEMETRY=off
n=${DK_BENCH_GOROUTINES:-100000}
dump="$work/goroutines-$n.txt"
if [ ! -s "$dump" ]; then
  (cd "$src/tests/fixtures/go/src/goroutines" && go build -trimpath -o "$work/goroutines" .)
  GOTRACEBACK=all "$work/goroutines" "$n" 2>"$dump" >/dev/null || true
fi
(cd "$src/bench/gocrash_regexp" && go build -o "$work/gocrash_regexp" .)
bench_cc "$work/bench_c" -I"$src/modules/gocrash" "$src/bench/gocrash_bench/bench.c" "$src/modules/gocrash/gocrash.c"

size=$(stat -c %s "$dump")
echo "dump: $n goroutines + main, $size bytes ($(go version | cut -d' ' -f3)); $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
bench_lua_env
lua=lua5.4
c_line=$("$work/bench_c" "$dump" 20)
lua_all=$($lua "$src/bench/gocrash_bench/lua_parse.lua" "$dump" true 5)
lua_none=$($lua "$src/bench/gocrash_bench/lua_parse.lua" "$dump" false 5)
peer_line=$("$work/gocrash_regexp" "$dump")
echo "C core:                    $c_line"
echo "Lua, goroutines=false:     $lua_none"
echo "Lua, full goroutine list:  $lua_all"
echo "Go regexp peer:            $peer_line"

hyperfine -N -i --warmup 1 --min-runs 5 --export-json "$work/hyperfine.json" \
  -n "diagkit run go-crash" "$build/diagkit run go-crash --format json -p log=$dump" \
  -n "Go regexp peer (panicparse stand-in)" "$work/gocrash_regexp $dump" >/dev/null

bench_report "$work/hyperfine.json" "$size" "$c_line" <<'PY'
res = {r["command"]: r for r in rs}
size = int(sys.argv[2])
c_ms = float(sys.argv[3].split()[0])
dk = res["diagkit run go-crash"]["mean"]
peer = res["Go regexp peer (panicparse stand-in)"]["mean"]
print(f"{'process, mean of runs':40s} {'ms':>9s} {'MB/s':>8s}")
for name, r in res.items():
    print(f"{name:40s} {r['mean']*1e3:9.1f} {size/r['mean']/1e6:8.0f}")
print(f"{'C core alone (best of 20)':40s} {c_ms:9.1f} {size/(c_ms/1e3)/1e6:8.0f}")
print(f"ratio diagkit run go-crash / peer: {peer/dk:.1f}x faster (target >= 5x)")
print(f"ratio C core / peer:               {peer/(c_ms/1e3):.1f}x faster")
PY
