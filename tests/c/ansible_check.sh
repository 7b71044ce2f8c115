#!/usr/bin/env bash
# examples/ansible/diagkit.yml run by the real ansible-playbook (Debian's
# ansible-core) against "hosts" that are all this machine (ansible_connection=local):
# the reports are fetched to reports/<host>.json and `diagkit merge` of them
# lands in reports/summary.txt. Statuses 1/2 are results, 3/64 fail the host.
# Exit 77 = skipped (no ansible-playbook, or diagkit not built).
set -euo pipefail
src=${DK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${DK_BINARY_DIR:-$src/build}/diagkit
ex=$src/examples/ansible
command -v ansible-playbook >/dev/null || { echo "SKIP: ansible-playbook missing (tools/deps.sh installs ansible-core)"; exit 77; }
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
hang=$src/examples/crashers/build/hang
[ -x "$hang" ] || { echo "FAIL: $hang missing: build the examples first (examples/crashers/build.sh linux)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Nothing in $HOME, no facts, no colour, no retry files, no ansible.cfg from the cwd.
export HOME=$tmp/home ANSIBLE_HOME=$tmp/ansible ANSIBLE_LOCAL_TEMP=$tmp/ansible/tmp \
  ANSIBLE_REMOTE_TEMP=$tmp/ansible/remote ANSIBLE_GATHERING=explicit ANSIBLE_NOCOLOR=1 \
  ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_CONFIG=$tmp/none.cfg ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 \
  ANSIBLE_DEPRECATION_WARNINGS=0 ANSIBLE_LOCALHOST_WARNING=0
mkdir -p "$HOME"
cd "$tmp"

fail() { echo "FAIL: $*"; [ -n "${log:-}" ] && cat "$log"; exit 1; }
expect_line() { # file regex
  grep -Eq "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "no line matching: $2"; }
}

start=$(date +%s)

# ansible-playbook on an inventory, reports to $tmp/<dir>; output in $log, exit status in $rc.
run_ansible() { # inventory reports-dir
  log=$tmp/$2.log
  set +e
  ansible-playbook -i "$1" "$ex/diagkit.yml" \
    -e diagkit_bin="$bin" -e diagkit_local="$bin" -e reports_dir="$tmp/$2" >"$log" 2>&1
  rc=$?
  set -e
}

# 1. The shipped two-host local inventory: alpha runs `true`, beta a shell that kills itself with SIGSEGV.
run_ansible "$ex/inventory-local.ini" r1
[ "$rc" -eq 0 ] || fail "ansible-playbook exited $rc on the local inventory"
for h in alpha beta; do
  [ -s "$tmp/r1/$h.json" ] || fail "report $h.json was not fetched"
  "$bin" merge "$tmp/r1/$h.json" >/dev/null || [ $? -le 2 ] || fail "$h.json is not a valid report"
done
s=$tmp/r1/summary.txt
expect_line "$s" '^exit\.signal\.sigsegv +error +1 +The program crashed with a segmentation fault'
expect_line "$s" '^ +on: beta$'
expect_line "$s" '^beta +error +1 +0 +0 +exit\.signal\.sigsegv$'
expect_line "$s" '^alpha +ok +0 +0 +1 +exit\.success$'
expect_line "$s" '^Status: ERROR \(2 report\(s\) from 2 host\(s\): 1 error, 0 warning, 0 unknown, 1 ok\)$'
# the summary is also in Ansible's own output
grep -q '"beta   error         1' "$log" || fail "the summary is not shown by ansible-playbook"

# 2. Four hosts: ok (0), crash (2), a hang killed by the timeout (1: warning), and
# a usage error (64) that must fail that host and keep it out of the summary.
cat >"$tmp/inventory.ini" <<EOF
[diagkit]
ok1    diagkit_program='["true"]'
crash1 diagkit_program='["$src/examples/crashers/build/segv"]'
slow1  diagkit_program='["$hang"]' diagkit_params='["-p", "timeout=0.3"]'
bad1   diagkit_program='["true"]' diagkit_params='["-p", "no_such_param=1"]'

[diagkit:vars]
ansible_connection=local
EOF
run_ansible "$tmp/inventory.ini" r2
[ "$rc" -eq 2 ] || fail "ansible-playbook exited $rc, want 2 (one host failed)"
expect_line "$log" '^bad1 +: ok=[0-9]+ +changed=[0-9]+ +unreachable=0 +failed=1 '
expect_line "$log" '"rc": 64'
for h in ok1 crash1 slow1; do
  expect_line "$log" "^$h +: ok=[0-9]+ +changed=[0-9]+ +unreachable=0 +failed=0 "
done
[ ! -e "$tmp/r2/bad1.json" ] || fail "the failed host's report was fetched"
s=$tmp/r2/summary.txt
expect_line "$s" '^crash1 +error +1 +0 +0 +exit\.signal\.sigsegv$'
expect_line "$s" '^slow1 +warning +0 +1 +0 +exit\.timeout$'
expect_line "$s" '^ok1 +ok +0 +0 +1 +exit\.success$'
expect_line "$s" '^Status: ERROR \(3 report\(s\) from 3 host\(s\): 1 error, 1 warning, 0 unknown, 1 ok\)$'
if grep -q bad1 "$s"; then fail "bad1 is in the summary"; fi
# nothing written under the real $HOME, nor left in the working folder
[ ! -e "$tmp/home/.ansible" ] || fail "ansible wrote into \$HOME"
echo "ok: ansible example on 2 + 4 local hosts in $(( $(date +%s) - start )) s"
