#!/usr/bin/env bash
# EVTX decoding speed (issue 7), side by side in one run with the two reference
# parsers: evtxexport (libevtx-utils) and evtx_dump.py (python3-evtx).
# Targets, single-threaded: >= 5x evtxexport and >= 50x python-evtx, XML output.
# Then the multi-thread scaling of `diagkit evtx --threads N` on a larger file
# assembled from the samples' chunks (chunks are independent).
#
#   bench/bench_evtx.sh <build dir>      (a Release build: make bench, or cmake -DCMAKE_BUILD_TYPE=Release)
#
# Needs ../shared/data/evtx (the real samples) and hyperfine; skips otherwise.
. "$(dirname "$0")/lib.sh"
bench_init evtx "${1:-build}"
dk="$build/diagkit"
data=${DK_EVTX_SAMPLES:-$src/../shared/data/evtx}
if [ ! -f "$data/security.evtx" ]; then echo "bench_evtx: skipped: no samples in $data"; exit 0; fi
bench_need hyperfine evtxexport evtx_dump.py
bench_scratch
out=$scratch
file="$data/security.evtx"
size=$(stat -c %s "$file")
records=$("$dk" evtx "$file" --format jsonl | wc -l)
echo "file: security.evtx, $size bytes, $records records; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"

hyperfine -N --warmup 2 --min-runs 10 --export-json "$out/fast.json" \
  -n "diagkit evtx (xml, 1 thread)" "$dk evtx $file --format xml --threads 1" \
  -n "diagkit evtx (jsonl, 1 thread)" "$dk evtx $file --format jsonl --threads 1" \
  -n "evtxexport -f xml" "evtxexport -f xml $file" >/dev/null
hyperfine -N --runs 2 --export-json "$out/python.json" \
  -n "evtx_dump.py (python-evtx)" "evtx_dump.py $file" >/dev/null

# a larger file: the header of security.evtx and its chunks repeated 8 times
python3 - "$file" "$out/big.evtx" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
chunks = [data[4096 + i * 65536: 4096 + (i + 1) * 65536] for i in range((len(data) - 4096) // 65536)]
chunks = [c for c in chunks if c[:8] == b'ElfChnk\0'] * 8
h = bytearray(data[:4096])
struct.pack_into('<QQ', h, 8, 0, len(chunks) - 1)
struct.pack_into('<H', h, 42, min(len(chunks), 0xFFFF))
struct.pack_into('<I', h, 124, zlib.crc32(bytes(h[:120])))
with open(sys.argv[2], 'wb') as f:
    f.write(bytes(h))
    for c in chunks:
        f.write(c)
PY
big="$out/big.evtx"
bigsize=$(stat -c %s "$big")
threads="1 2"
[ "$(nproc)" -ge 4 ] && threads="1 2 4"
[ "$(nproc)" -ge 8 ] && threads="1 2 4 8"
args=()
for t in $threads; do args+=(-n "diagkit evtx --threads $t" "$dk evtx $big --format jsonl --threads $t"); done
hyperfine -N --warmup 1 --min-runs 5 --export-json "$out/threads.json" "${args[@]}" \
  -n "evtxexport -f xml (big)" "evtxexport -f xml $big" >/dev/null

python3 - "$out" "$size" "$records" "$bigsize" <<'PY'
import json, sys
out, size, records, bigsize = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fast = json.load(open(out + "/fast.json"))["results"]
py = json.load(open(out + "/python.json"))["results"]
th = json.load(open(out + "/threads.json"))["results"]
dk = fast[0]["median"]
lib = fast[2]["median"]
pym = py[0]["median"]
print(f"{'command (security.evtx)':34} {'median':>10} {'MB/s':>8} {'records/s':>11} {'vs diagkit':>11}")
for r in fast + py:
    m = r["median"]
    print(f"{r['command']:34} {m*1000:8.1f}ms {size/m/1e6:8.1f} {records/m:11.0f} {m/dk:10.1f}x")
print(f"diagkit vs evtxexport: {lib/dk:.1f}x faster (target >= 5x): {'OK' if lib/dk >= 5 else 'UNDER'}")
print(f"diagkit vs python-evtx: {pym/dk:.0f}x faster (target >= 50x): {'OK' if pym/dk >= 50 else 'UNDER'}")
print(f"\n{'command (big.evtx, %.1f MB)' % (bigsize/1e6):34} {'median':>10} {'MB/s':>8} {'speed-up':>9}")
one = th[0]["median"]
for r in th:
    m = r["median"]
    print(f"{r['command']:34} {m*1000:8.1f}ms {bigsize/m/1e6:8.1f} {one/m:8.2f}x")
PY
