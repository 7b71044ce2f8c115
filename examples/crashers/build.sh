#!/bin/sh
# Builds the crashers (see README.md):
#   examples/crashers/build.sh [linux|win64|all]     (default: linux)
# linux -> examples/crashers/build/<name>
# win64 -> examples/crashers/build-win64/<name>.exe  (mingw-w64; Go ones too)
# Configures only once; a second call with nothing changed takes about a second.
# Go programs are built when `go` is on PATH; wrongbits.exe when
# i686-w64-mingw32-gcc is.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
what=${1:-linux}
jobs=$(nproc 2>/dev/null || echo 2)

build() { # dir [cmake args...]
  dir=$1
  shift
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    cmake -S "$here" -B "$dir" "$@" >/dev/null
  fi
  cmake --build "$dir" -j "$jobs"
}

linux() {
  build "$here/build"
}

win64() {
  if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
    echo "build.sh: x86_64-w64-mingw32-gcc not found (apt-get install gcc-mingw-w64-x86-64)" >&2
    exit 1
  fi
  build "$here/build-win64" -DCMAKE_TOOLCHAIN_FILE="$here/mingw-w64-x86_64.cmake"
}

case $what in
  linux) linux ;;
  win64) win64 ;;
  all) linux && win64 ;;
  *) echo "usage: $0 [linux|win64|all]" >&2; exit 2 ;;
esac
