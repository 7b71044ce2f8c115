#!/usr/bin/env bash
# make demo: run the bundled playbooks against the bundled crashing programs
# (examples/crashers) and show what diagkit says about each.
set -uo pipefail
dk=${1:-build/diagkit}
crashers=examples/crashers/build

show() {
  printf '\n\033[1m$ diagkit %s\033[0m\n' "$*"
  "$dk" "$@"
  printf '(diagkit exit status %d)\n' "$?"
}

show list
show explain 0xC0000135
show explain -1073741819
show explain 139
show run exit-code -- "$crashers/segv"
show run exit-code -- "$crashers/abort"
show run exit-code -- "$crashers/exit42"
show run exit-code -p timeout=1s -- "$crashers/hang"
show run exit-code -- /nonexistent/program
[ -x "$crashers/gopanic" ] && show run exit-code -- "$crashers/gopanic"
[ -x "$crashers/godeadlock" ] && show run exit-code --format nagios -- "$crashers/godeadlock"
show run exit-code --format json -- false

# Beyond exit codes: each bundled playbook on a real program or file.
win=examples/crashers/build-win64
wine_dlls=/usr/lib/x86_64-linux-gnu/wine/x86_64-windows
[ -x "$crashers/gopanic" ] && show run go-crash -- "$crashers/gopanic"
if [ -f "$win/missingdll.exe" ] && [ -d "$wine_dlls" ]; then
  # A Windows program analysed on Linux, against Wine's DLLs as System32.
  show run missing-dll -p program="$win/missingdll.exe" -p sysroot="$wine_dlls"
  show deps "$win/wrongbits.exe" --sysroot "$wine_dlls"
fi
show run event-log -p log=tests/fixtures/evtx/application.evtx
# A Go console program registered as a Windows service: the SCM's 7000/7009
# events from a System log, and the binary itself.
[ -f "$win/goexit3.exe" ] && show run service-stops -p service=MyGoSvc -p log=tests/fixtures/evtx/system.evtx -p binary="$win/goexit3.exe"
show run service-stops -p service=api -p systemctl_text=tests/fixtures/service/show-oom.txt -p journal=tests/fixtures/service/journal-api.json
tmp=$(mktemp -d)
mkdir -p "$tmp/app/conf" && echo secret >"$tmp/app/conf/app.ini" && chmod 000 "$tmp/app/conf"
show run permissions -p path="$tmp/app/conf/app.ini" -p want=read -p user=nobody
rm -rf "$tmp"
for pb in flash-exit crash oom; do
  "$dk" info "$pb" >/dev/null 2>&1 || continue
  case $pb in
    flash-exit) [ -x "$crashers/goconfig" ] && show run flash-exit -- "$crashers/goconfig" ;;
    crash) show run crash -- "$crashers/segv" ;;
    oom) show run oom -p memory_limit=64M -- "$crashers/bigoutput" ;;
  esac
done
# Your own check (examples/custom-check, docs/writing-playbooks.md), in the
# sandbox: it may start the program only because --allow-exec says so.
[ -x "$crashers/segv" ] && show check examples/custom-check/app-starts.lua --allow-exec -- "$crashers/segv"
# A check that never ends is stopped by the sandbox's instruction budget.
spin=$(mktemp --suffix=.lua)
printf 'return diagkit.playbook{ id = "spin", title = "A check that loops forever", summary = "demo",\n  run = function() while true do end end }\n' >"$spin"
show check "$spin" --max-instructions 20000000
rm -f "$spin"
exit 0
