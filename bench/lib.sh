# What bench/bench_*.sh share; each sources it:
#   . "$(dirname "$0")/lib.sh"
#   bench_init NAME BUILD [TOOL...]  src (the checkout), build (made absolute);
#                                    skips the benchmark (exit 0) unless every TOOL is installed
#   bench_need TOOL...               the same skip, later in a benchmark
#   bench_work                       work=$build/bench-NAME, created (kept between runs)
#   bench_scratch                    scratch: a temporary folder, removed on exit
#   bench_lua_env                    lua5.4 finds this build's diagkit (scripts and core)
#   bench_cc OUT CC-ARG...           an -O2 C11 driver (bench/*_bench/*.c and the module
#                                    sources it times), linked with modules/support
#   bench_report JSON [ARG...] <<'PY'  Python from stdin with json and sys imported and
#                                    rs = hyperfine's results in JSON (sys.argv[1]); ARGs follow
set -euo pipefail

bench_need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || { echo "bench_$bench_name: skipped: $t not installed"; exit 0; }
  done
}

bench_init() {
  bench_name=$1
  build=$(cd "$2" && pwd)
  shift 2
  src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  bench_need "$@"
}

bench_work() {
  work="$build/bench-$bench_name"
  mkdir -p "$work"
}

bench_scratch() {
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
}

bench_lua_env() {
  export LUA_PATH_5_4="$src/scripts/?.lua;$src/scripts/?/init.lua;;" LUA_CPATH_5_4="$build/lua/?.so;;"
}

bench_cc() {
  local out=$1
  shift
  # the portable support sources (the OS halves are not needed by the parsers timed here)
  cc -O2 -std=c11 -I"$src/modules/support" -o "$out" "$@" "$src/modules/support/error.c" \
    "$src/modules/support/text.c" "$src/modules/support/buf.c"
}

bench_report() {
  python3 -c "import json, sys
rs = json.load(open(sys.argv[1]))[\"results\"]
$(cat)" "$@"
}
