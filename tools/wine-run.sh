#!/usr/bin/env bash
# Runs a Windows program under Wine in diagkit's own Wine prefix:
#   tools/wine-run.sh prog.exe [args...]
# It is CMAKE_CROSSCOMPILING_EMULATOR in cmake/mingw-w64-x86_64.cmake, so ctest runs
# every test .exe through it (several at once with ctest -j).
#
# The exit status is the program's, but Wine hands the Linux side only its low
# 8 bits: 0xC0000005 (access violation) arrives as 5, 0xC0000135 (DLL not found)
# as 53. A test that needs the full 32-bit code must read it inside Windows
# (GetExitCodeProcess in a parent .exe) and print it. See docs/windows.md.
#
# Environment: WINEPREFIX (default <repo>/build-win64/wineprefix); WINEDEBUG
# (default -all); WINE (the wine loader to use).
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 prog.exe [args...]" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)

export WINEPREFIX=${WINEPREFIX:-$repo/build-win64/wineprefix}
export WINEARCH=win64
export WINEDEBUG=${WINEDEBUG:--all}
# First boot would otherwise offer to download and install Mono and Gecko.
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
# Console programs need no display; without one Wine never opens a window.
unset DISPLAY WAYLAND_DISPLAY

# Debian's /usr/bin/wine is a wrapper that warns about the missing wine32 on
# every run; call the 64-bit loader itself.
if [ -z "${WINE:-}" ]; then
  if [ -x /usr/lib/wine/wine64 ]; then WINE=/usr/lib/wine/wine64
  elif command -v wine64 >/dev/null 2>&1; then WINE=wine64
  else WINE=wine
  fi
fi
if [ -x /usr/lib/wine/wineserver ]; then WINESERVER=/usr/lib/wine/wineserver
else WINESERVER=wineserver
fi
export WINELOADER=${WINELOADER:-$WINE}
command -v "$WINE" >/dev/null 2>&1 || { echo "wine-run.sh: $WINE not found; run tools/deps.sh" >&2; exit 127; }

ready=$WINEPREFIX/.diagkit-ready

init_prefix() {
  echo "wine-run.sh: creating Wine prefix $WINEPREFIX (once)" >&2
  "$WINE" wineboot -i >/dev/null 2>&1 || true
  "$WINESERVER" -w
  # An unhandled exception must just end the process with its exception code:
  # - AeDebug Auto=1: never ask "Do you wish to debug it?" (a message box when
  #   the program has user32 loaded);
  # - AeDebug Debugger="": no winedbg, so no register dump or backtrace (Wine
  #   still prints its one "wine: Unhandled ... starting debugger..." line);
  # - WineDbg ShowCrashDialog=0: no crash dialog should winedbg run after all.
  local reg=$WINEPREFIX/drive_c/diagkit-nodebugger.reg
  printf '%s\r\n' 'REGEDIT4' '' \
    '[HKEY_LOCAL_MACHINE\Software\Microsoft\Windows NT\CurrentVersion\AeDebug]' \
    '"Auto"="1"' '"Debugger"=""' '' \
    '[HKEY_CURRENT_USER\Software\Wine\WineDbg]' \
    '"ShowCrashDialog"=dword:00000000' '' >"$reg"
  "$WINE" regedit /S 'C:\diagkit-nodebugger.reg' >/dev/null 2>&1
  "$WINESERVER" -w # flushes the registry to disk
  rm -f "$reg"
  grep -q '"Debugger"=""' "$WINEPREFIX/system.reg" ||
    { echo "wine-run.sh: could not disable the crash debugger in $WINEPREFIX" >&2; exit 125; }
  touch "$ready"
}

if [ ! -e "$ready" ]; then
  mkdir -p "$(dirname "$WINEPREFIX")"
  # Parallel ctest jobs: the first one initialises, the others wait for it.
  exec 9>"$WINEPREFIX.lock"
  flock 9
  [ -e "$ready" ] || init_prefix
  exec 9>&-
fi

exec "$WINE" "$@"
