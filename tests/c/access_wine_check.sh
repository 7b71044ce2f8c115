#!/usr/bin/env bash
# The Windows live parts (GetFileSecurityW, RegOpenKeyExW in both views,
# RegGetKeySecurity, the process token) cross-compiled with mingw-w64 and run
# under Wine, with their error handling (missing file/key, bad root).
# Exit 77 = skipped (no mingw-w64 or no wine).
set -euo pipefail
src=${DK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cc=x86_64-w64-mingw32-gcc
command -v $cc >/dev/null || { echo "SKIP: $cc missing"; exit 77; }
command -v wine >/dev/null || { echo "SKIP: wine missing"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$cc -std=c11 -O1 -Wall -Wextra -Werror -I"$src/modules/access" -I"$src/modules/reg" -I"$src/modules/support" \
  "$src/tests/fixtures/access/wine_live.c" "$src/modules/access/access_win32.c" "$src/modules/access/sd.c" \
  "$src/modules/access/sddl.c" "$src/modules/access/sdcheck.c" "$src/modules/reg/reg_win32.c" \
  "$src/modules/support/buf.c" "$src/modules/support/error.c" "$src/modules/support/error_win32.c" \
  "$src/modules/support/text_win32.c" \
  -ladvapi32 -o "$tmp/wine_live.exe"
WINEDEBUG=-all timeout 300 wine "$tmp/wine_live.exe" 2>"$tmp/wine.err" | tr -d '\r'
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  grep -i -m5 -E "unhandled|exception|err:" "$tmp/wine.err" || true
fi
exit "$status"
