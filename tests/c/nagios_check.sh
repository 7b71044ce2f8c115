#!/usr/bin/env bash
# examples/nagios/diagkit.cfg as Nagios runs it: the command_line of
# check_diagkit is taken from the file, $USER1$ and $ARGn$ are substituted
# textually (as Nagios does) and the line is run by /bin/sh (as Nagios does for
# a line with shell characters), with diagkit linked into a plugin folder as the
# README says. The output must be a plugin status line with valid perfdata and
# the exit status 0/1/2/3, on real programs (examples/crashers).
# Exit 77 = skipped (diagkit not built).
set -euo pipefail
src=${DK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${DK_BINARY_DIR:-$src/build}/diagkit
cfg=$src/examples/nagios/diagkit.cfg
crashers=$src/examples/crashers/build
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
for c in segv abort hang; do
  [ -x "$crashers/$c" ] || { echo "FAIL: $crashers/$c missing: run examples/crashers/build.sh linux"; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/plugins"
ln -s "$bin" "$tmp/plugins/diagkit" # ln -s /usr/local/bin/diagkit $USER1$/diagkit
fails=0

# The command_line of a command, as written in the .cfg (a define command block).
command_line() {
  awk -v want="$1" '
    /^[ \t]*define[ \t]+command[ \t]*\{/ { inside = 1; name = ""; line = ""; next }
    inside && /^[ \t]*\}/ { if (name == want) { print line; found = 1 } inside = 0; next }
    inside && $1 == "command_name" { name = $2 }
    inside && $1 == "command_line" { sub(/^[ \t]*command_line[ \t]+/, ""); line = $0 }
    END { exit found ? 0 : 1 }' "$cfg"
}

# Nagios' macro substitution: $USER1$, then $ARG1$..$ARGn$ from a check_command's !-separated args.
expand() { # check_command
  local line cmd rest i=1 arg
  cmd=${1%%!*}
  line=$(command_line "$cmd") || { echo "no command '$cmd' in $cfg" >&2; return 1; }
  line=${line//\$USER1\$/$tmp/plugins}
  rest=${1#"$cmd"}
  while [ -n "$rest" ]; do
    rest=${rest#!}
    arg=${rest%%!*}
    rest=${rest#"$arg"}
    line=${line//\$ARG$i\$/$arg}
    i=$((i + 1))
  done
  line=$(printf '%s' "$line" | sed -E 's/\$ARG[0-9]+\$//g') # unset ARGs are empty
  printf '%s\n' "$line"
}

# The plugin output format (Nagios plugin development guidelines): the first line is
# "TEXT | perfdata" with one '|' at most; perfdata is 'label'=value[UOM];[warn];[crit];[min];[max].
check_output() { # file status
  local first perf item label_re='([^ '"'"'=]+|'"'"'[^'"'"']+'"'"')'
  first=$(head -n1 "$1")
  case $first in
    "DIAGKIT "*" OK - "*) [ "$2" -eq 0 ] ;;
    "DIAGKIT "*" WARNING - "*) [ "$2" -eq 1 ] ;;
    "DIAGKIT "*" CRITICAL - "*) [ "$2" -eq 2 ] ;;
    "DIAGKIT "*" UNKNOWN - "*) [ "$2" -eq 3 ] ;;
    "DIAGKIT UNKNOWN - "*) [ "$2" -eq 3 ] ;; # a usage error: no playbook ran
    *) false ;;
  esac || { echo "status line does not match exit status $2: $first"; return 1; }
  [ "$(printf '%s' "$first" | tr -cd '|' | wc -c)" -le 1 ] || { echo "more than one '|': $first"; return 1; }
  if [ "$2" -ne 3 ]; then
    case $first in *" | "*) ;; *) echo "no perfdata: $first"; return 1 ;; esac
    perf=${first#*| }
    for item in $perf; do
      [[ $item =~ ^${label_re}=-?[0-9]+(\.[0-9]+)?(s|ms|us|%|B|KB|MB|TB|c)?(\;(-?[0-9.]*)){0,4}$ ]] ||
        { echo "bad perfdata item '$item' in: $first"; return 1; }
    done
    case $perf in *"errors="*"warnings="*"duration="*) ;; *) echo "perfdata lacks errors/warnings/duration: $perf"; return 1 ;; esac
  fi
  # long output: one "SEVERITY: title" line per finding
  if [ "$(wc -l <"$1")" -gt 1 ]; then
    tail -n +2 "$1" | grep -Evq '^(INFO|WARNING|ERROR|CRITICAL): .+' &&
      { echo "bad long output:"; tail -n +2 "$1"; return 1; }
  fi
  return 0
}

run_case() { # name want_status want_in_first_line check_command
  local line status
  line=$(expand "$4")
  set +e
  /bin/sh -c "$line" >"$tmp/out" 2>"$tmp/err"
  status=$?
  set -e
  if [ "$status" -ne "$2" ] || ! check_output "$tmp/out" "$status" || ! grep -qF -- "$3" <<<"$(head -n1 "$tmp/out")"; then
    echo "FAIL $1: exit $status (want $2), line: $line"
    cat "$tmp/out" "$tmp/err"
    fails=$((fails + 1))
  else
    echo "ok   $1: $(head -n1 "$tmp/out")"
  fi
}

line=$(command_line check_diagkit)
[ "$line" = '$USER1$/diagkit run $ARG1$ --format nagios $ARG2$' ] || { echo "FAIL: unexpected command_line: $line"; exit 1; }

run_case "true exits 0" 0 "DIAGKIT EXIT-CODE OK - 0 error(s), 0 warning(s)" \
  "check_diagkit!exit-code!-- /bin/true"
run_case "segv crashes" 2 "CRITICAL - 1 error(s), 0 warning(s): The program crashed with a segmentation fault" \
  "check_diagkit!exit-code!-- $crashers/segv"
run_case "abort crashes" 2 "CRITICAL - 1 error(s)" \
  "check_diagkit!exit-code!-- $crashers/abort"
run_case "hang is killed" 1 "WARNING - 0 error(s), 1 warning(s): The program was still running" \
  "check_diagkit!exit-code!-p timeout=0.3 -- $crashers/hang"
run_case "no log to read" 3 "DIAGKIT GO-CRASH UNKNOWN - could not diagnose" \
  "check_diagkit!go-crash!-p log=$tmp/missing.log"

# A usage error is the plugin's UNKNOWN (3) with a status line, not 64.
run_case "usage error" 3 "DIAGKIT UNKNOWN - unknown parameter 'nope'" \
  "check_diagkit!exit-code!-p nope=1 -- /bin/true"

# Every service in the file expands to a command line diagkit accepts (no usage
# error): its programs do not exist here, so the results are CRITICAL/UNKNOWN.
n=0
while IFS= read -r cc; do
  n=$((n + 1))
  line=$(expand "$cc")
  set +e
  /bin/sh -c "$line" >"$tmp/out" 2>"$tmp/err"
  status=$?
  set -e
  if [ "$status" -gt 3 ] || grep -q '^DIAGKIT UNKNOWN - ' "$tmp/out" || ! check_output "$tmp/out" "$status"; then
    echo "FAIL service $n ($cc): exit $status"; cat "$tmp/out" "$tmp/err"; fails=$((fails + 1))
  else
    echo "ok   service $n: $(head -n1 "$tmp/out" | cut -c1-100)"
  fi
done < <(awk '$1 == "check_command" { sub(/^[ \t]*check_command[ \t]+/, ""); print }' "$cfg")
[ "$n" -ge 2 ] || { echo "FAIL: expected at least 2 services in $cfg, found $n"; fails=$((fails + 1)); }

[ "$fails" -eq 0 ] || { echo "$fails case(s) failed"; exit 1; }
