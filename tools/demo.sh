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
exit 0
