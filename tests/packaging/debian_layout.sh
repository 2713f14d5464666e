#!/bin/bash
# tests/packaging/debian_layout.sh SOURCE_DIR BUILD_DIR: the quick check of
# debian/ that the suite runs every time (the real package build is
# scripts/package-test.sh): debian/control and debian/changelog parse, each
# binary package has its .install file, and the .install files split exactly
# what `cmake --install` installs: every file lands in one package, and every
# line of them matches a file. The build tree is configured for its own
# prefix, not Debian's, so three paths are mapped: the multiarch library
# folder (lib/${DEB_HOST_MULTIARCH} -> lib), /etc (debhelper gives CMake
# CMAKE_INSTALL_SYSCONFDIR=/etc; here it is PREFIX/etc) and the unit folder
# debian/rules picks (/lib/systemd/system -> PREFIX/lib/systemd/system).
set -uo pipefail
src=$1 build=$2
failures=0 checks=0
fail() { failures=$((failures + 1)); echo "FAIL: $*"; }
work=$(mktemp -d /tmp/packaging-debian.XXXXXX)
trap 'rm -rf "$work"' EXIT

checks=$((checks + 1))
(cd "$src" && dpkg-parsechangelog -S Version >/dev/null) || fail "dpkg-parsechangelog cannot read debian/changelog"
checks=$((checks + 1))
packages=$(cd "$src" && dh_listpackages 2>&1) || fail "dh_listpackages: $packages"
for p in $packages; do
  checks=$((checks + 1))
  [ -f "$src/debian/$p.install" ] || fail "package $p has no debian/$p.install"
done

DESTDIR=$work/root cmake --install "$build" --prefix /usr >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; exit 1; }
(cd "$work/root" && find . -mindepth 1 \( -type f -o -type l \) | sed 's|^\./||' | sort) >"$work/installed"
: >"$work/claimed"
shopt -s nullglob
for p in $packages; do
  while read -r line; do
    [ -n "$line" ] || continue
    pattern=$(sed -e 's|/${DEB_HOST_MULTIARCH}||' -e 's|^lib/systemd/system/|usr/lib/systemd/system/|' \
      -e 's|^etc/|usr/etc/|' <<<"$line")
    checks=$((checks + 1))
    # shellcheck disable=SC2206
    matches=($work/root/$pattern)
    [ ${#matches[@]} -gt 0 ] || { fail "debian/$p.install: \"$line\" matches nothing cmake --install installs"; continue; }
    for m in "${matches[@]}"; do
      if [ -d "$m" ] && [ ! -L "$m" ]; then
        (cd "$work/root" && find "${m#"$work/root/"}" \( -type f -o -type l \)) >>"$work/claimed"
      else
        echo "${m#"$work/root/"}" >>"$work/claimed"
      fi
    done
  done <"$src/debian/$p.install"
done
checks=$((checks + 1))
unclaimed=$(comm -23 "$work/installed" <(sort -u "$work/claimed"))
[ -z "$unclaimed" ] || fail "installed by cmake --install but in no debian/*.install (so in no package):" $unclaimed
checks=$((checks + 1))
twice=$(sort "$work/claimed" | uniq -d)
[ -z "$twice" ] || fail "in two packages:" $twice

echo "$((checks - failures)) passed, $failures failed"
[ $failures = 0 ]
