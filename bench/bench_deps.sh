#!/usr/bin/env bash
# Dependency walking (issue 4), diagkit against its peers in one run:
#  PE:  every DLL of Wine's x86_64-windows folder walked with full
#       import/export resolution against that folder: `diagkit deps` (one
#       process, one walker) vs a pefile script doing the same
#       (bench/deps_pefile.py). Target: >= 50x faster, < 64 MB RSS.
#  ELF: every ELF file in /usr/lib/x86_64-linux-gnu and /usr/bin resolved:
#       diagkit (one process) vs `ldd` and `libtree` run on each file.
#       Targets: >= 20x faster than ldd, >= 5x than libtree, and the same
#       resolved path as ldd for every library of every file (checked here).
#
#   bench/bench_deps.sh <build dir>    (a Release build for meaningful numbers)
. "$(dirname "$0")/lib.sh"
bench_init deps "${1:-build}"
bench_work
W=${DK_BENCH_WINE_DLLS:-/usr/lib/x86_64-linux-gnu/wine/x86_64-windows}
now() { date +%s.%N; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.1f}x' if b > 0 else 'inf')" "$1" "$2"; }
[ -x "$build/diagkit" ] || { echo "bench_deps: skipped: $build/diagkit not built"; exit 0; }

# ------------------------------------------------------------------ PE
if [ -d "$W" ] && /usr/bin/python3 -c "import pefile" 2>/dev/null; then
  ls "$W"/*.dll >"$work/dlls.txt"
  n=$(wc -l <"$work/dlls.txt")
  # warm the page cache, then best of 5
  "$build/diagkit" deps -f summary --sysroot "$W" $(cat "$work/dlls.txt") >"$work/pe-ours.txt" || true
  best=999
  for _ in 1 2 3 4 5; do
    t0=$(now)
    "$build/diagkit" deps -f summary --sysroot "$W" $(cat "$work/dlls.txt") >"$work/pe-ours.txt" || true
    t=$(python3 -c "print($(now) - $t0)")
    best=$(python3 -c "print(min($best, $t))")
  done
  rss=$( { /usr/bin/time -f %M "$build/diagkit" deps -f summary --sysroot "$W" $(cat "$work/dlls.txt") >/dev/null || true; } 2>&1 | tail -1)
  t0=$(now)
  peer=$(/usr/bin/python3 "$src/bench/deps_pefile.py" "$W")
  tp=$(python3 -c "print($(now) - $t0)")
  mods=$(awk '{s += $2} END {print s}' "$work/pe-ours.txt")
  printf 'PE   %d DLLs (%s modules walked): diagkit %.3f s, max RSS %d MB | pefile %.2f s (%s) | %s faster\n' \
    "$n" "$mods" "$best" "$((rss / 1024))" "$tp" "$peer" "$(ratio "$tp" "$best")"
else
  echo "PE   skipped: $W or python3-pefile missing"
fi

# ------------------------------------------------------------------ ELF
for t in ldd libtree lua5.4; do
  command -v "$t" >/dev/null || { echo "ELF  skipped: $t not installed"; exit 0; }
done
find /usr/lib/x86_64-linux-gnu /usr/bin -maxdepth 1 -type f -print0 2>/dev/null | sort -z |
  xargs -0 -n 200 python3 -c '
import sys
for p in sys.argv[1:]:
    try:
        with open(p, "rb") as f:
            h = f.read(18)
        # ELF, 64-bit, little-endian, executable or shared object
        if h[:4] == b"\x7fELF" and h[4] == 2 and h[16] in (2, 3):
            print(p)
    except OSError:
        pass' >"$work/elfs.txt"
n=$(wc -l <"$work/elfs.txt")
lua5.4 "$src/bench/deps_elf.lua" "$build" "$work/elfs.txt" >/dev/null 2>&1 # warm
best=999
for _ in 1 2 3; do
  t0=$(now)
  lua5.4 "$src/bench/deps_elf.lua" "$build" "$work/elfs.txt" >"$work/elf-ours.tsv" 2>/dev/null
  t=$(python3 -c "print($(now) - $t0)")
  best=$(python3 -c "print(min($best, $t))")
done
t0=$(now)
"$build/diagkit" deps -f summary $(cat "$work/elfs.txt") >"$work/elf-cli.txt" 2>/dev/null || true
tcli=$(python3 -c "print($(now) - $t0)")
t0=$(now)
while read -r f; do
  { ldd "$f" 2>/dev/null || true; } | sed -n "s|^[[:space:]]*\([^ ]*\) => \(.*\) (0x[0-9a-f]*)\$|$f\t\1\t\2|p; s|^[[:space:]]*\([^ ]*\) => not found\$|$f\t\1\tnot found|p"
done <"$work/elfs.txt" >"$work/elf-ldd.tsv"
tl=$(python3 -c "print($(now) - $t0)")
t0=$(now)
while read -r f; do libtree -p "$f" >/dev/null 2>&1 || true; done <"$work/elfs.txt"
tt=$(python3 -c "print($(now) - $t0)")
# Every (file, library) pair ldd resolves must resolve to the same path here.
diffs=$(python3 - "$work/elf-ldd.tsv" "$work/elf-ours.tsv" <<'PY'
import sys
ours = {}
for line in open(sys.argv[2]):
    parts = line.rstrip("\n").split("\t")
    if len(parts) == 3:
        ours.setdefault((parts[0], parts[1]), parts[2])
bad = []
n = 0
for line in open(sys.argv[1]):
    f, name, path = line.rstrip("\n").split("\t")
    n += 1
    if ours.get((f, name)) != path:
        bad.append(f"{f}: {name}: ldd {path}, diagkit {ours.get((f, name))}")
print(f"{n} pairs compared, {len(bad)} differ")
for b in bad[:20]:
    print("  " + b)
PY
)
printf 'ELF  %d files: diagkit %.3f s (one process; the CLI with text summaries %.2f s) | ldd %.1f s (%s) | libtree %.1f s (%s)\n' \
  "$n" "$best" "$tcli" "$tl" "$(ratio "$tl" "$best")" "$tt" "$(ratio "$tt" "$best")"
echo "ELF  paths vs ldd: $diffs"
