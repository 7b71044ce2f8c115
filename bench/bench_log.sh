#!/usr/bin/env bash
# diagkit.log multi-pattern scan speed (issue 5) against pcre2grep, in one run,
# on a synthetic log (default 1 GiB; DK_BENCH_LOG_MB to change) with the same
# patterns. pcre2grep -c counts lines matching any pattern; log.scan matches
# every pattern against every line and counts each. Target: >= 80% of
# pcre2grep's throughput.
#
#   bench/bench_log.sh <build dir>      (a Release build for meaningful numbers)
. "$(dirname "$0")/lib.sh"
bench_init log "${1:-build}" pcre2grep hyperfine lua5.4 python3
[ -f "$build/lua/diagkit/core.so" ] || { echo "bench_log: skipped: $build/lua/diagkit/core.so not built"; exit 0; }
bench_work
mb=${DK_BENCH_LOG_MB:-1024}
file="$work/synthetic-$mb.log"
if [ ! -s "$file" ]; then
  python3 - "$work/block.log" <<'PY'
import random, sys
random.seed(5)
users = ["alice", "bob", "carol", "dave", "erin", "svc_backup", "svc_web"]
paths = ["/api/v1/orders", "/api/v1/users/42", "/healthz", "/static/app.js", "/api/v2/search?q=disk"]
lines, size = [], 0
while size < 1 << 20:
    t = f"2026-11-23T00:{random.randint(0,59):02d}:{random.randint(0,59):02d}.{random.randint(0,999):03d}Z"
    r = random.random()
    if r < 0.01:
        l = f"{t} ERROR db: query failed: timeout after {random.randint(100,9000)}ms (conn={random.randint(1,64)})"
    elif r < 0.03:
        l = f"{t} WARN http: status={random.choice([500,502,503,504])} user={random.choice(users)} path={random.choice(paths)}"
    else:
        l = f"{t} INFO http: status={random.choice([200,200,200,204,301,404])} user={random.choice(users)} path={random.choice(paths)} bytes={random.randint(0,99999)} took={random.randint(1,900)}ms"
    lines.append(l)
    size += len(l) + 1
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
  : >"$file"
  for _ in $(seq 1 "$mb"); do cat "$work/block.log"; done >>"$file"
fi
size=$(stat -c %s "$file")
p1='ERROR'
p2='timeout after \d+ms'
p3='status=5\d\d user=(\w+)'
bench_lua_env
lua=lua5.4
echo "file: $size bytes, $(wc -l <"$file") lines; pcre2 $(pcre2grep --version | awk '{print $3}'); $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
echo "log.scan: $($lua "$src/bench/gocrash_bench/log_scan.lua" "$file" "$p1" "$p2" "$p3")"
echo "pcre2grep -c (any of 3): $(pcre2grep -c -e "$p1" -e "$p2" -e "$p3" "$file")"
hyperfine -N --warmup 1 --min-runs 3 --export-json "$work/hyperfine.json" \
  -n "log.scan, 3 patterns" "$lua $src/bench/gocrash_bench/log_scan.lua $file $p1 '$p2' '$p3'" \
  -n "pcre2grep -c, 3 patterns" "pcre2grep -c -e $p1 -e '$p2' -e '$p3' $file" \
  -n "log.scan, 1 pattern" "$lua $src/bench/gocrash_bench/log_scan.lua $file '$p2'" \
  -n "pcre2grep -c, 1 pattern" "pcre2grep -c '$p2' $file" >/dev/null
bench_report "$work/hyperfine.json" "$size" <<'PY'
res = {r["command"]: r["mean"] for r in rs}
size = int(sys.argv[2])
print(f"{'command':28s} {'s':>7s} {'MB/s':>7s}")
for name, t in res.items():
    print(f"{name:28s} {t:7.2f} {size/t/1e6:7.0f}")
for n in ("3 patterns", "1 pattern"):
    d, p = res["log.scan, " + n], res["pcre2grep -c, " + n]
    print(f"log.scan / pcre2grep throughput, {n}: {p/d*100:.0f}% (target >= 80%)")
PY
