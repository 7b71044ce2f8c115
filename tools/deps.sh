#!/usr/bin/env bash
# Installs the Debian 12 packages diagkit needs, and only those that are missing.
#   tools/deps.sh            build, test, Windows cross-build and fuzz packages
#   tools/deps.sh --bench    the above plus the tools `make bench` compares against
# Also makes sure apt has a deb-src entry: tools/win64-deps.sh builds Lua, PCRE2,
# LuaFileSystem and cmocka for Windows from `apt-get source`.
# `make` calls this every time, so the common case (nothing missing) must stay a
# single dpkg-query and a grep, with no apt-get update.
set -euo pipefail

# The one package list. clang is for the fuzz targets (libFuzzer); dpkg-dev gives
# dpkg-source, which `apt-get source` needs to unpack.
PACKAGES=(build-essential cmake pkg-config liblua5.4-dev lua5.4 lua-filesystem
  libpcre2-dev zlib1g-dev lua-busted libcmocka-dev libacl1-dev mingw-w64 wine64 wine dpkg-dev
  golang-go python3 python3-jsonschema python3-impacket clang xz-utils
  strace acl libwin-hivex-perl libhivex-bin libevtx-utils python3-evtx ansible-core chromium)
# The tests also use some of the peer tools as references: hivexregedit writes
# the fixture hives, evtxexport and python-evtx check the EVTX reader record by
# record, setfacl builds ACL trees; so those are in the list above.
BENCH_PACKAGES=(hyperfine pcre2-utils libtree pax-utils python3-pefile python3-construct)

SRC_SOURCES=/etc/apt/sources.list.d/diagkit-src.sources
SRC_LIST=/etc/apt/sources.list.d/diagkit-src.list

say() { echo "deps.sh: $*"; }
die() { echo "deps.sh: error: $*" >&2; exit 1; }

wanted=("${PACKAGES[@]}")
case ${1:-} in
  --bench) wanted+=("${BENCH_PACKAGES[@]}") ;;
  '') ;;
  *) die "usage: $0 [--bench]" ;;
esac

# Root runs apt directly; anyone else goes through sudo (which may ask for a password).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root for: $*; not root and no sudo"
  fi
}
can_root() { [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null 2>&1; }

missing=()
for p in "${wanted[@]}"; do
  # ${db:Status-Status} is "installed" only for a fully installed package; unknown
  # packages make dpkg-query fail, which also counts as missing.
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = installed ] || missing+=("$p")
done

# --- deb-src -------------------------------------------------------------------
# Any enabled deb-src line (one-line format) or deb822 stanza whose Types has deb-src.
have_deb_src() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && grep -Eqs '^[[:space:]]*deb-src[[:space:]]' "$f" && return 0
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && grep -Eqsi '^Types:.*[[:space:]]deb-src([[:space:]]|$)' "$f" && return 0
  done
  return 1
}

# shellcheck source=/dev/null
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")

# Copies the Debian entries (suites <codename>, -updates, -security; third-party
# repositories such as nodistro or cloud-sdk-* rarely publish sources) as deb-src.
deb822_src() { # file...
  awk -v cn="$codename" '
    function flush(   i, ok, s) {
      ok = (types ~ /(^|[ \t])deb([ \t]|$)/) && enabled !~ /^[ \t]*no/
      split(suites, s, /[ \t]+/); hit = 0
      for (i in s) if (s[i] == cn || s[i] == cn "-updates" || s[i] == cn "-security") hit = 1
      if (ok && hit && n) { print "Types: deb-src"; for (i = 1; i <= n; i++) print body[i]; print "" }
      n = 0; types = ""; suites = ""; enabled = ""
    }
    /^#/ { next }
    /^[ \t]*$/ { flush(); next }
    /^[Tt]ypes:/ { types = substr($0, 7); next }
    /^[Ss]uites:/ { suites = substr($0, 8) }
    /^[Ee]nabled:/ { enabled = substr($0, 9) }
    { body[++n] = $0 }
    END { flush() }' "$@"
}
oneline_src() { # file...
  # deb [options] URI suite components...
  awk -v cn="$codename" '
    $1 == "deb" {
      i = 2
      if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
      s = $(i + 1)
      if (s == cn || s == cn "-updates" || s == cn "-security" || s ~ "^" cn "/updates$") {
        sub(/^[ \t]*deb/, "deb-src"); print
      }
    }' "$@"
}

need_update=0
if ! have_deb_src; then
  can_root || die "no deb-src entry in apt sources and not root (no sudo) to add one"
  shopt -s nullglob
  src822=(/etc/apt/sources.list.d/*.sources)
  src1=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list)
  shopt -u nullglob
  out=""
  [ ${#src822[@]} -gt 0 ] && out=$(deb822_src "${src822[@]}")
  if [ -n "$out" ]; then
    say "adding deb-src entries (deb822) as $SRC_SOURCES"
    printf '# Added by diagkit tools/deps.sh: sources for tools/win64-deps.sh\n%s\n' "$out" |
      as_root tee "$SRC_SOURCES" >/dev/null
  else
    existing=()
    for f in "${src1[@]}"; do [ -f "$f" ] && existing+=("$f"); done
    [ ${#existing[@]} -gt 0 ] && out=$(oneline_src "${existing[@]}")
    [ -n "$out" ] || die "found no Debian '$codename' entry in /etc/apt to copy as deb-src; add one by hand"
    say "adding deb-src entries (one-line format) as $SRC_LIST"
    printf '# Added by diagkit tools/deps.sh: sources for tools/win64-deps.sh\n%s\n' "$out" |
      as_root tee "$SRC_LIST" >/dev/null
  fi
  need_update=1
elif ! compgen -G '/var/lib/apt/lists/*_Sources*' >/dev/null; then
  # A deb-src entry without downloaded Sources indices: apt-get source would fail.
  say "deb-src entry present but no source index downloaded yet"
  need_update=1
fi

# --- install -------------------------------------------------------------------
if [ ${#missing[@]} -eq 0 ] && [ "$need_update" -eq 0 ]; then
  exit 0
fi
can_root || die "missing packages: ${missing[*]}; not root and no sudo, so cannot install them"
say "apt-get update"
as_root apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  say "installing: ${missing[*]}"
  # Recommends stay on: clang's libFuzzer runtime (libclang-rt-14-dev) is only a
  # Recommends of clang in Debian 12. env, because sudo drops the environment.
  # ansible-core Recommends 'ansible', 500 MB of collections the tests do not use:
  # a trailing '-' tells apt-get to leave it out.
  keep_out=()
  [[ " ${missing[*]} " == *" ansible-core "* ]] && keep_out=(ansible-)
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" "${keep_out[@]}"
fi
