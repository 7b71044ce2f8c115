#!/usr/bin/env bash
# The installed tree, used the three ways users use it:
#  1. the diagkit command from <prefix>/bin, finding its scripts in ../share;
#  2. `require "diagkit"` from a stock lua5.4, native part from lib/lua/5.4;
#  3. examples/embed compiled against the installed header and library with
#     pkg-config (shared, and static with --static), as a user's project would;
# and the .deb CPack makes, unpacked and run. Exit 77 = skipped (not built).
set -euo pipefail
# (No `cmd | grep -q` below: grep -q exits at the first match, the writer may
# get SIGPIPE, and pipefail turns that into a failure now and then.)
src=${DK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${DK_BINARY_DIR:-$src/build}
[ -x "$build/diagkit" ] || { echo "SKIP: $build/diagkit not built"; exit 77; }
# A sanitizer build's core.so cannot load into a stock lua5.4, nor its library
# into a program built without ASan: the plain build runs this check.
if grep -q '^DK_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "SKIP: sanitizer build (the install is checked in the plain build)"; exit 77
fi
segv=$src/examples/crashers/build/segv
[ -x "$segv" ] || { echo "FAIL: $segv missing: run examples/crashers/build.sh linux"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
pfx=$tmp/prefix
cmake --install "$build" --prefix "$pfx" >/dev/null

# 1. The command, away from the source and build trees.
cd "$tmp"
grep -q '^exit-code ' <<<"$("$pfx/bin/diagkit" list)" || fail "installed diagkit list lacks exit-code"
set +e
"$pfx/bin/diagkit" run exit-code --format nagios -- "$segv" >"$tmp/nagios.txt"
rc=$?
set -e
[ $rc -eq 2 ] || fail "installed diagkit run exit-code on segv exited $rc, not 2"
grep -q 'CRITICAL' "$tmp/nagios.txt" || fail "no CRITICAL line: $(cat "$tmp/nagios.txt")"
grep -q 'why does this program not start' <<<"$(man -l "$pfx/share/man/man1/diagkit.1" 2>/dev/null)" ||
  fail "the man page does not render"

# 2. A stock lua5.4 with only the installed tree on its paths.
out=$(LUA_PATH="$pfx/share/lua/5.4/?.lua;$pfx/share/lua/5.4/?/init.lua;;" \
  LUA_CPATH="$pfx/lib/lua/5.4/?.so;;" lua5.4 -e '
    local dk = require "diagkit"
    assert(not package.loaded["diagkit.host"], "not a stock interpreter")
    local pb = require "diagkit.playbook"
    local rep = pb.run(assert(pb.find("exit-code")), { argv = { "'"$segv"'" } })
    print(dk.codes.lookup("0xC0000005")[1].name, rep.status, rep.findings[1].id)')
[ "$out" = "STATUS_ACCESS_VIOLATION	error	exit.signal.sigsegv" ] || fail "stock lua5.4 said: $out"

# 3. The embedding example against the installed library.
export PKG_CONFIG_PATH=$pfx/lib/pkgconfig
[ "$(pkg-config --modversion diagkit)" = "$("$build/diagkit" version | awk '{print $2}')" ] ||
  fail "pkg-config version differs from diagkit version"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -o "$tmp/embed" "$src/examples/embed/embed.c" \
  $(pkg-config --cflags --libs diagkit) -lpthread -Wl,-rpath,"$pfx/lib"
set +e
"$tmp/embed" exit-code "{\"argv\": [\"$segv\"]}" >"$tmp/embed.out" 2>"$tmp/embed.err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "embed exited $rc: $(cat "$tmp/embed.err")"
grep -q '^finding 1: error exit.signal.sigsegv' "$tmp/embed.out" || fail "embed output: $(head -3 "$tmp/embed.out")"
grep -q "$pfx/lib/libdiagkit.so.0" <<<"$(ldd "$tmp/embed")" || fail "embed is not linked to the installed library"
# Cancel from the main thread after 300 ms of an endless check.
printf 'return diagkit.playbook{ id = "spin", title = "t", summary = "s", run = function() while true do end end }\n' \
  >"$tmp/spin.lua"
start=$(date +%s%N)
set +e
"$tmp/embed" --timeout-ms 300 "$tmp/spin.lua" >"$tmp/cancel.out" 2>&1
rc=$?
set -e
ms=$((($(date +%s%N) - start) / 1000000))
[ $rc -eq 3 ] && grep -q '"error":"cancelled"' "$tmp/cancel.out" || fail "cancel: rc $rc $(cat "$tmp/cancel.out")"
[ $ms -lt 3000 ] || fail "cancel took $ms ms"
# Static: libdiagkit.a and its Libs.private.
# shellcheck disable=SC2046
cc -std=c11 -o "$tmp/embed_static" "$src/examples/embed/embed.c" -I"$pfx/include" \
  "$pfx/lib/libdiagkit.a" $(pkg-config --static --libs-only-l diagkit | sed 's/-ldiagkit//') -lpthread
grep -q libdiagkit <<<"$(ldd "$tmp/embed_static")" && fail "embed_static still needs libdiagkit.so"
set +e
DIAGKIT_SCRIPTS=$pfx/share/diagkit/scripts "$tmp/embed_static" exit-code '{"argv": ["false"]}' >"$tmp/static.out" 2>&1
rc=$?
set -e
[ $rc -eq 2 ] && grep -q 'exit.nonzero' "$tmp/static.out" || fail "embed_static: rc $rc $(head -3 "$tmp/static.out")"

# 4. The .deb, unpacked (not installed: this must not touch the machine).
if command -v cpack >/dev/null && command -v dpkg-deb >/dev/null; then
  (cd "$tmp" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg" >/dev/null)
  deb=$(ls "$tmp"/pkg/*.deb)
  grep -q 'liblua5.4-0' <<<"$(dpkg-deb -f "$deb" Package Depends)" || fail "the .deb lacks its Depends"
  dpkg-deb -x "$deb" "$tmp/root"
  for f in usr/bin/diagkit usr/share/man/man1/diagkit.1 usr/include/diagkit.h usr/share/diagkit/scripts/diagkit/cli.lua \
    usr/lib/lua/5.4/diagkit/core.so usr/share/lua/5.4/diagkit/init.lua; do
    [ -e "$tmp/root/$f" ] || fail "the .deb lacks /$f"
  done
  grep -q STATUS_DLL_NOT_FOUND <<<"$("$tmp/root/usr/bin/diagkit" explain 0xC0000135)" || fail "the .deb's diagkit does not run"
  echo "deb: $(basename "$deb"), $(dpkg-deb -c "$deb" | wc -l) entries"
fi
echo "ok: installed command, stock lua5.4, embed (shared, static, cancel in $ms ms), .deb"
