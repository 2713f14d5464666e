#!/bin/bash
# tests/packaging/install.sh SOURCE_DIR BUILD_DIR: `cmake --install` of the
# build into a staging prefix, then the library's example (examples/) built
# against the installed package only, once with find_package(discmaster) and
# once with pkg-config, and run: two burns onto an emu: virtual disc. Judged
# by others: the installed master-info must show the two sessions, and
# xorriso must read every file of both trees back from the second one.
# Also: the installed headers are closed under their own includes, and the
# shared libraries carry their SONAME.
set -uo pipefail
src=$1 build=$2
failures=0 checks=0
fail() { failures=$((failures + 1)); echo "FAIL: $*"; }
check() { checks=$((checks + 1)); "$@"; }
for p in xorriso jq pkg-config; do
  command -v $p >/dev/null || { echo "$p is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/packaging-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
stage=$work/prefix
cmake --install "$build" --prefix "$stage" >"$work/install.log" 2>&1 || {
  cat "$work/install.log"
  echo "FAIL: cmake --install"
  exit 1
}
libdir=$(cd "$stage" && echo lib*/libdiscmaster-mastering.so | xargs dirname)
libdir=$stage/$libdir
include=$stage/include/discmaster

# Every quoted include of an installed header is installed too.
closed() {
  local h inc
  while read -r h; do
    while read -r inc; do
      [ -f "$include/$inc" ] || fail "installed header ${h#"$include"/} includes \"$inc\", which is not installed" \
        "(add it to DM_PUBLIC_HEADERS in cmake/Install.cmake, or drop the include)"
    done < <(sed -nE 's/^#include "([^"]+)".*/\1/p' "$h")
  done < <(find "$include" -name '*.h')
}
check closed
for lib in mastering emulator; do
  check true
  soname=$(objdump -p "$libdir/libdiscmaster-$lib.so" | awk '$1 == "SONAME" {print $2}')
  [ "$soname" = "libdiscmaster-$lib.so.0" ] || fail "libdiscmaster-$lib.so has SONAME \"$soname\""
done

# Two trees, burned one after the other: the second session imports the first.
mkdir -p "$work/day1/photos" "$work/day2/notes"
printf 'first day\n' >"$work/day1/photos/a.txt"
head -c 300000 /dev/urandom >"$work/day1/photos/b.bin"
printf 'second day\n' >"$work/day2/notes/c.txt"

# burn_and_judge NAME BURN-TREE: the example's two burns and what others read.
burn_and_judge() {
  local name=$1 prog=$2 disc=$work/$1.vdisc out
  out=$("$prog" "$work/day1" "$disc" 2>&1) || { fail "$name: first burn: $out"; return; }
  echo "$out"
  out=$("$prog" "$work/day2" "$disc" 2>&1) || { fail "$name: second burn: $out"; return; }
  echo "$out"
  local info start
  info=$("$stage/bin/master-info" --json "emu:$disc") || { fail "$name: installed master-info failed"; return; }
  [ "$(jq '.sessions | length' <<<"$info")" = 2 ] || fail "$name: master-info shows no two sessions: $info"
  start=$(jq '.sessions[1].start' <<<"$info")
  rm -rf "$work/extracted"
  osirrox -indev "$disc/data.img" -load sbsector "$start" -extract / "$work/extracted" >"$work/xorriso.log" 2>&1 ||
    { fail "$name: xorriso cannot read session 2 at block $start: $(tail -3 "$work/xorriso.log")"; return; }
  local expected
  expected=$(cd "$work/day1" && find . -type f | sort; cd "$work/day2" && find . -type f | sort)
  [ "$(cd "$work/extracted" && find . -type f | sort)" = "$(sort <<<"$expected")" ] ||
    fail "$name: xorriso reads other files from session 2: $(cd "$work/extracted" && find . -type f)"
  for f in photos/a.txt photos/b.bin; do
    cmp -s "$work/day1/$f" "$work/extracted/$f" || fail "$name: $f differs as xorriso reads it"
  done
  cmp -s "$work/day2/notes/c.txt" "$work/extracted/notes/c.txt" || fail "$name: notes/c.txt differs as xorriso reads it"
}

# find_package(discmaster), shared and static.
for kind in shared static; do
  check true
  flag=OFF
  [ $kind = static ] && flag=ON
  if cmake -S "$src/examples" -B "$work/example-$kind" -G Ninja -DCMAKE_PREFIX_PATH="$stage" \
       -DEXAMPLE_STATIC=$flag >"$work/example-$kind.log" 2>&1 &&
     cmake --build "$work/example-$kind" >>"$work/example-$kind.log" 2>&1; then
    check burn_and_judge "find_package-$kind" "$work/example-$kind/burn-tree"
  else
    fail "find_package ($kind): the example does not build against the installed package:"
    tail -20 "$work/example-$kind.log"
  fi
done
if [ -n "$(readelf -d "$work/example-static/burn-tree" 2>/dev/null | grep 'libdiscmaster')" ]; then
  fail "the static example links a shared libdiscmaster"
fi

# pkg-config.
check true
export PKG_CONFIG_PATH=$libdir/pkgconfig
if flags=$(pkg-config --cflags --libs discmaster-emulator 2>&1); then
  # shellcheck disable=SC2086
  if c++ -std=c++20 -O1 -o "$work/burn-tree-pc" "$src/examples/burn_tree.cpp" $flags -Wl,-rpath,"$libdir" \
       >"$work/pc.log" 2>&1; then
    check burn_and_judge pkg-config "$work/burn-tree-pc"
  else
    fail "pkg-config: the example does not build with \`pkg-config --cflags --libs discmaster-emulator\`:"
    tail -20 "$work/pc.log"
  fi
else
  fail "pkg-config discmaster-emulator: $flags"
fi

echo "$((checks - failures)) passed, $failures failed"
[ $failures = 0 ]
