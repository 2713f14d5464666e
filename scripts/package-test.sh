#!/bin/bash
# The Debian packages, end to end (issue 17; README "Install"), as root on
# Debian 12:
#  1. a fresh clone of this repository's HEAD (what is committed: nothing
#     of the working tree) builds with `dpkg-buildpackage -us -uc -b`,
#     without the tests, the benchmarks and the -dbgsym packages
#     (DEB_BUILD_OPTIONS nocheck noautodbgsym parallel=2);
#  2. lintian finds no error in them (its warnings are printed);
#  3. `apt-get install ./discmaster_*.deb ./libdiscmaster-*.deb` installs
#     them, and the installed tools run from /usr/bin: --version, `man
#     master-burn`, the README's quick examples (an image, a blank virtual
#     disc, a burn onto it with emu:, the sessions through master-info,
#     xorriso reading the burned files back), the service unit in place;
#  4. everything installed in step 3 is purged again (apt-get purge), so
#     the machine is left with the packages it had.
# Not part of scripts/test.sh by default (it takes minutes: the times are
# printed); scripts/test.sh --package runs it after the suite.
#   scripts/package-test.sh [--keep | --reuse]
# --keep leaves the work directory (the packages, the logs); --reuse takes
# the packages a --keep run left there instead of building them again.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
keep=${1:-}
[ "$keep" = --reuse ] && keep=--keep
reuse=${1:-}
work=${DM_PACKAGE_WORK:-/tmp/packaging-deb}
start=$SECONDS
step() { printf '\n=== %s (%ds)\n' "$*" $((SECONDS - start)); }
[ "$(id -u)" = 0 ] || { echo "package-test: run as root (apt-get install and purge)" >&2; exit 1; }

for p in discmaster libdiscmaster-mastering0 libdiscmaster-emulator0 libdiscmaster-dev; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    echo "package-test: $p is installed already; purge it first (this script purges what it installs)" >&2
    exit 1
  fi
done

before=$(mktemp /tmp/packaging-deb-before.XXXXXX)
dpkg-query -W -f='${Package}\n' | sort >"$before"
cleanup() {
  local now added
  now=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 ~ /^[ih]i/ {print $2}' | sort)
  added=$(comm -13 "$before" <(echo "$now"))
  if [ -n "$added" ]; then
    echo "package-test: purging what it installed: $(echo $added)"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $added >/dev/null
  fi
  rm -f "$before"
  [ "$keep" = --keep ] || rm -rf "$work"
}
trap cleanup EXIT

if [ "$reuse" = --reuse ] && ls "$work"/discmaster_*.changes >/dev/null 2>&1; then
  step "reusing the packages in $work"
  ls -l "$work"/*.deb
else
  step "fresh clone of HEAD ($(git rev-parse --short=12 HEAD)) into $work/discmaster"
  rm -rf "$work"
  mkdir -p "$work"
  git clone -q --no-hardlinks "$repo" "$work/discmaster"

  opts="nocheck noautodbgsym parallel=2"
  step "dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS=$opts)"
  # A developer's ccache, when installed, speeds a second run (not in CI's packages).
  command -v ccache >/dev/null && export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_C_COMPILER_LAUNCHER=ccache
  build_start=$SECONDS
  (cd "$work/discmaster" && DEB_BUILD_OPTIONS="$opts" dpkg-buildpackage -us -uc -b) \
    >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; echo "package-test: dpkg-buildpackage failed" >&2; exit 1; }
  echo "built in $((SECONDS - build_start)) s:"
  ls -l "$work"/*.deb
fi

step "lintian"
lint_start=$SECONDS
lintian --fail-on error --tag-display-limit 0 "$work"/discmaster_*.changes | tee "$work/lintian.log" ||
  { echo "package-test: lintian reports errors" >&2; exit 1; }
echo "lintian: $(grep -c '^E:' "$work/lintian.log" || true) errors, $(grep -c '^W:' "$work/lintian.log" || true) warnings" \
  "in $((SECONDS - lint_start)) s"

step "apt-get install ./discmaster_*.deb and the library packages"
(cd "$work" && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ./discmaster_*.deb ./libdiscmaster-mastering0_*.deb \
  ./libdiscmaster-emulator0_*.deb ./libdiscmaster-dev_*.deb) \
  >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; echo "package-test: apt-get install failed" >&2; exit 1; }

step "the installed tools"
set +e  # every check runs; the failures are counted
failures=0
fail() { failures=$((failures + 1)); echo "FAIL: $*"; }
# expect WHAT CMD...: CMD succeeds (its output is shown).
expect() {
  local what=$1
  shift
  echo "\$ $*"
  "$@" || fail "$what: \`$*\` exits $?"
}
tmp=$work/try
mkdir -p "$tmp/photos/2026" "$tmp/more"
echo "a photo" >"$tmp/photos/2026/a.jpg"
echo "another" >"$tmp/more/b.jpg"
cd "$tmp"
for tool in master-image master-info master-burn master-drive master-mount; do
  [ "$(command -v $tool)" = /usr/bin/$tool ] || fail "$tool is not /usr/bin/$tool"
  out=$(/usr/bin/$tool --version) || fail "$tool --version exits $?"
  [[ $out =~ ^$tool\ [0-9]+\.[0-9]+\.[0-9]+\ \(git\ [0-9a-f]{12}\)$ ]] || fail "$tool --version prints \"$out\""
  echo "$out"
done
page=$(man -w master-burn) || fail "man -w master-burn finds no page"
[ "$page" = /usr/share/man/man1/master-burn.1.gz ] || fail "master-burn's page is $page"
MANWIDTH=80 man master-burn 2>&1 | grep -q -- '--drive' || fail "man master-burn does not show --drive"
for page in master-drive.conf vdisc; do man -w 5 $page >/dev/null || fail "man 5 $page finds no page"; done
expect "an image" master-image create photos.iso --from photos --volume-name PHOTOS
expect "a session appended" master-image append photos.iso --from more
expect "a blank virtual disc" master-image create disc.vdisc --media bd-r
expect "a burn onto the virtual disc" master-burn --drive emu:disc.vdisc --from photos --verify
expect "a second burn onto it" master-burn --drive emu:disc.vdisc --from more --json
expect "master-info of the disc" master-info emu:disc.vdisc
sessions=$(master-info --json emu:disc.vdisc | jq '.sessions | length')
[ "$sessions" = 2 ] || fail "master-info shows $sessions sessions on the disc, not 2"
second=$(master-info --json emu:disc.vdisc | jq ".sessions[1].start")
osirrox -indev disc.vdisc/data.img -load sbsector "$second" -extract / "$tmp/out" >/dev/null 2>&1 ||
  fail "xorriso cannot read session 2 of the disc"
cmp -s photos/2026/a.jpg out/2026/a.jpg && cmp -s more/b.jpg out/b.jpg ||
  fail "xorriso reads other files from session 2: $(cd out 2>/dev/null && find . -type f)"
[ "$(master-info --json photos.iso | jq '.sessions | length')" = 2 ] || fail "photos.iso has no two sessions"
[ -f /lib/systemd/system/master-drive.service ] || fail "no /lib/systemd/system/master-drive.service"
[ -f /etc/discmaster/master-drive.conf ] || fail "no /etc/discmaster/master-drive.conf"
[ -f /usr/share/bash-completion/completions/master-burn ] || fail "no bash completion for master-burn"
[ -f /usr/lib/x86_64-linux-gnu/cmake/discmaster/discmasterConfig.cmake ] || fail "no CMake package"
pkg-config --exists discmaster-emulator || fail "pkg-config finds no discmaster-emulator"
cd "$repo"

step "done"
if [ $failures != 0 ]; then
  echo "package-test: $failures checks failed" >&2
  exit 1
fi
echo "package-test: the packages build, pass lintian, install and work (purged again on exit)"
