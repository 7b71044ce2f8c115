#!/usr/bin/env bash
# Start-up cost of the CLI (issue 2: `diagkit list` and `diagkit explain X`
# under 15 ms median). The peer is the floor: a bare `lua5.4 -e ''`, which
# does no work at all; the ratio says what diagkit adds on top of Lua itself.
. "$(dirname "$0")/lib.sh"
bench_init cli_startup "${1:-build}"
dk="$build/diagkit"
bench_scratch
out=$scratch
hyperfine -N --warmup 20 --min-runs 200 --export-json "$out/r.json" \
  -n "lua5.4 -e ''" "lua5.4 -e ''" \
  -n "diagkit list" "$dk list" \
  -n "diagkit explain 0xC0000005" "$dk explain 0xC0000005" \
  -n "diagkit explain 139" "$dk explain 139" >/dev/null
bench_report "$out/r.json" <<'PY'
base = rs[0]["median"]
print(f"{'command':32} {'median ms':>10} {'mean ms':>9} {'vs lua5.4':>10}")
for r in rs:
    print(f"{r['command']:32} {r['median']*1000:10.2f} {r['mean']*1000:9.2f} {r['median']/base:9.1f}x")
worst = max(r["median"] for r in rs[1:]) * 1000
print(f"slowest diagkit command median: {worst:.2f} ms (target < 15 ms): {'OK' if worst < 15 else 'OVER'}")
PY
