#!/bin/bash
# tests/packaging/version.sh SOURCE_DIR TOOLS_DIR VERSION: every tool's
# --version names the project version and the git revision it was built
# from; without git history (a Debian source package, a tarball) the
# revision comes from cmake/git-revision.txt when `git archive` filled it in,
# else it is "unknown"; and debian/changelog packages this version.
set -uo pipefail
src=$1 tools=$2 version=$3
failures=0 checks=0
fail() { failures=$((failures + 1)); echo "FAIL: $*"; }

head=
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
  head=$(git -C "$src" rev-parse --short=12 HEAD)
fi
for tool in master-image master-info master-burn master-drive master-mount; do
  checks=$((checks + 1))
  out=$("$tools/$tool" --version 2>&1)
  rc=$?
  [ $rc = 0 ] || { fail "$tool --version exits $rc: $out"; continue; }
  if [ -n "$head" ]; then
    [[ $out =~ ^$tool\ ${version//./\\.}\ \(git\ $head(-dirty)?\)$ ]] ||
      fail "$tool --version prints \"$out\", not \"$tool $version (git $head)\" (rebuild after a commit)"
  else
    [[ $out =~ ^$tool\ ${version//./\\.}\ \(git\ ([0-9a-f]{12}|revision\ unknown)\)$ ]] ||
      fail "$tool --version prints \"$out\""
  fi
done

# Sources without git: the revision file as a source tree has it, then as
# `git archive` writes it (export-subst).
work=$(mktemp -d /tmp/packaging-version.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/cmake"
cp "$src/cmake/git-revision.txt" "$work/cmake/"
revision() {
  cmake -DSOURCE_DIR="$work" -DVERSION="$version" -DOUT="$work/rev.h" -P "$src/cmake/git_revision.cmake" &&
    sed -nE 's/^#define DM_GIT_REVISION "(.*)"$/\1/p' "$work/rev.h"
}
checks=$((checks + 1))
got=$(revision)
[ "$got" = unknown ] || fail "without git and an unfilled cmake/git-revision.txt the revision is \"$got\", not unknown"
checks=$((checks + 1))
echo 0123456789abcdef0123456789abcdef01234567 >"$work/cmake/git-revision.txt"
got=$(revision)
[ "$got" = 0123456789ab ] || fail "from a filled-in cmake/git-revision.txt the revision is \"$got\", not 0123456789ab"
checks=$((checks + 1))
grep -qxF '$Format:%H$' "$src/cmake/git-revision.txt" && grep -q 'cmake/git-revision.txt export-subst' "$src/.gitattributes" ||
  fail "cmake/git-revision.txt must hold \$Format:%H\$ for git archive (.gitattributes export-subst)"

checks=$((checks + 1))
packaged=$(sed -nE '1s/^discmaster \(([^)]*)\).*/\1/p' "$src/debian/changelog")
[ "$packaged" = "$version" ] || fail "debian/changelog packages version \"$packaged\", the project is $version (CMakeLists.txt)"

echo "$((checks - failures)) passed, $failures failed"
[ $failures = 0 ]
