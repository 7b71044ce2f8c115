#!/usr/bin/env bash
# Builds the third-party C libraries of the Windows build as static mingw-w64 libraries:
#   tools/win64-deps.sh OUTDIR          (the Makefile uses build-win64/deps)
# OUTDIR/include: lua.h luaconf.h lualib.h lauxlib.h lua.hpp pcre2.h lfs.h cmocka.h zlib.h zconf.h
# OUTDIR/lib:     liblua54.a libpcre2-8.a liblfs.a libcmocka.a libz.a
# Sources are Debian's own source packages (`apt-get source`, Debian patches applied),
# kept in OUTDIR/../src; nothing else is downloaded and no third-party code is in git.
# Needs a deb-src entry and dpkg-dev (tools/deps.sh sets up both); any user can run it.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
script=$(realpath "$0")
repo=$(dirname "$(dirname "$script")")
out=$(realpath -m "$1")
srcdir=$(dirname "$out")/src
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
CC=x86_64-w64-mingw32-gcc
AR=x86_64-w64-mingw32-ar
OPT=(-O2)

say() { echo "win64-deps: $*"; }
die() { echo "win64-deps: error: $*" >&2; exit 1; }

# Fast path (make test calls this every time): everything built by this version
# of the script.
products=(lib/liblua54.a lib/libpcre2-8.a lib/liblfs.a lib/libcmocka.a lib/libz.a include/zlib.h
  include/lua.h include/lauxlib.h include/lualib.h include/luaconf.h include/pcre2.h
  include/cmocka.h)
fresh() {
  local f
  for f in "${products[@]}"; do
    [ "$out/$f" -nt "$script" ] || return 1
  done
}
if fresh; then exit 0; fi

command -v "$CC" >/dev/null || die "$CC not found; run tools/deps.sh (package mingw-w64)"
command -v dpkg-source >/dev/null || die "dpkg-source not found; run tools/deps.sh (package dpkg-dev)"

start=$(date +%s)
mkdir -p "$srcdir"
# One run at a time per OUTDIR; a second one waits, then finds the work done.
exec 9>"$out.lock"
flock 9
if fresh; then exit 0; fi
# Everything is built in OUTDIR.tmp and moved into place only at the end, so an
# interrupted run (even kill -9) leaves the old OUTDIR or none, and the next run
# starts over from a clean OUTDIR.tmp.
work=$out.tmp
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
mkdir -p "$prefix/include" "$prefix/lib"

# fetch PKG: downloads PKG's source package into $srcdir (apt skips files already
# there with the right checksum), unpacks it into $work and prints the tree's path.
# Tries the candidate version first, then older ones: a mirror can list a
# security update in its Sources index yet not serve the files.
fetch() {
  local pkg=$1 v dsc versions
  versions=$(apt-cache showsrc "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -rVu)
  [ -n "$versions" ] || die "no source package '$pkg' known to apt; run tools/deps.sh (adds deb-src and runs apt-get update)"
  for v in $versions; do
    dsc="${pkg}_${v#*:}.dsc"
    if (cd "$srcdir" && apt-get source -qq --download-only "$pkg=$v" >/dev/null 2>&1); then
      dpkg-source -q -x "$srcdir/$dsc" "$work/$pkg" >/dev/null 2>&1 ||
        die "dpkg-source -x $srcdir/$dsc failed"
      say "source $pkg $v" >&2
      echo "$work/$pkg"
      return 0
    fi
    say "apt-get source $pkg=$v failed, trying an older version" >&2
  done
  die "could not download the source of $pkg (is there a deb-src entry? run tools/deps.sh)"
}

# lib NAME OBJDIR CFLAGS... -- SOURCES...: compiles in parallel, archives lib/libNAME.a.
lib() {
  local name=$1 objdir=$2 flags=() srcs=()
  shift 2
  while [ "$1" != -- ]; do flags+=("$1"); shift; done
  shift
  srcs=("$@")
  mkdir -p "$objdir"
  # gcc -c without -o writes <base>.o into the current directory.
  (cd "$objdir" && printf '%s\0' "${srcs[@]}" |
    xargs -0 -n1 -P "$jobs" "$CC" "${OPT[@]}" "${flags[@]}" -c) ||
    die "compiling $name failed"
  rm -f "$prefix/lib/lib$name.a"
  "$AR" rcs "$prefix/lib/lib$name.a" "$objdir"/*.o
  say "built lib$name.a"
}

lua=$(fetch lua5.4)
pcre=$(fetch pcre2)
lfs=$(fetch lua-filesystem)
cmocka=$(fetch cmocka)
zlib=$(fetch zlib)

# Lua: core + standard libraries, not the lua/luac programs. LUA_COMPAT_5_3 as in
# Debian's Linux build, so scripts see the same Lua on both systems. No
# LUA_BUILD_AS_DLL: the library is linked statically into diagkit.exe.
lua_srcs=()
for f in "$lua"/src/*.c; do
  case ${f##*/} in lua.c | luac.c) ;; *) lua_srcs+=("$f") ;; esac
done
lib lua54 "$work/obj/lua" -DLUA_COMPAT_5_3 -- "${lua_srcs[@]}"
cp "$lua"/src/{lua.h,luaconf.h,lualib.h,lauxlib.h,lua.hpp} "$prefix/include/"

# PCRE2, 8-bit only, with JIT and Unicode (as Debian's libpcre2-8). Built the way
# NON-AUTOTOOLS-BUILD describes, from the shipped config.h.generic / pcre2.h.generic:
# seconds instead of a cross `configure`. pcre2_jit_compile.c includes sljit,
# pcre2_jit_match.c and pcre2_jit_misc.c; pcre2_tables.c includes pcre2_ucptables.c.
cp "$pcre/src/config.h.generic" "$pcre/src/config.h"
cp "$pcre/src/pcre2.h.generic" "$pcre/src/pcre2.h"
cp "$pcre/src/pcre2_chartables.c.dist" "$pcre/src/pcre2_chartables.c"
pcre_srcs=()
# The JIT compiler is by far the biggest unit: first, so it overlaps the rest.
for f in jit_compile auto_possess chartables compile config context convert dfa_match \
  error extuni find_bracket maketables match match_data newline ord2utf pattern_info \
  script_run serialize string_utils study substitute substring tables ucd valid_utf xclass; do
  pcre_srcs+=("$pcre/src/pcre2_$f.c")
done
lib pcre2-8 "$work/obj/pcre2" -I"$pcre/src" -DHAVE_CONFIG_H -DPCRE2_CODE_UNIT_WIDTH=8 \
  -DPCRE2_STATIC -DSUPPORT_JIT -DSUPPORT_UNICODE -DHAVE_MEMMOVE -DHAVE_STRERROR \
  -DHAVE_STDINT_H -DHAVE_INTTYPES_H -- "${pcre_srcs[@]}"
cp "$pcre/src/pcre2.h" "$prefix/include/"

# LuaFileSystem: one file; the host registers luaopen_lfs in package.preload.
# (lfs.h marks luaopen_lfs __declspec(dllexport) on Windows, so an .exe linking
# liblfs.a exports that one symbol; harmless.)
lib lfs "$work/obj/lfs" -I"$lua/src" -- "$lfs/src/lfs.c"
cp "$lfs/src/lfs.h" "$prefix/include/"

# zlib: the library sources only (diagkit.log inflates .gz logs), as its own
# win32/Makefile.gcc would build them; zconf.h is shipped ready to use.
zlib_srcs=()
for f in adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback inffast \
  inflate inftrees trees uncompr zutil; do
  zlib_srcs+=("$zlib/$f.c")
done
lib z "$work/obj/zlib" -I"$zlib" -- "${zlib_srcs[@]}"
cp "$zlib"/{zlib.h,zconf.h} "$prefix/include/"

# cmocka: its own CMake build (it generates config.h from checks), static library
# only, with this project's toolchain, so the C unit tests run as .exe under Wine.
cmake -S "$cmocka" -B "$work/obj/cmocka" -DCMAKE_TOOLCHAIN_FILE="$repo/cmake/mingw-w64-x86_64.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="${OPT[*]} -DNDEBUG" \
  -DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF >"$work/cmocka.log" 2>&1 ||
  { cat "$work/cmocka.log" >&2; die "configuring cmocka failed"; }
cmake --build "$work/obj/cmocka" --target cmocka-static -j "$jobs" >>"$work/cmocka.log" 2>&1 ||
  { cat "$work/cmocka.log" >&2; die "building cmocka failed"; }
cp "$work/obj/cmocka/src/libcmocka-static.a" "$prefix/lib/libcmocka.a"
cp "$cmocka/include/cmocka.h" "$cmocka/include/cmocka_pbc.h" "$prefix/include/"
say "built libcmocka.a"

# Into place: the old OUTDIR disappears only once the new one is complete.
rm -rf "$out.old"
[ -e "$out" ] && mv "$out" "$out.old"
mv "$prefix" "$out"
rm -rf "$out.old"
say "done in $(($(date +%s) - start)) s: $out"
