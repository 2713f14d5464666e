#!/bin/bash
# tests/packaging/man_pages.sh SOURCE_DIR TOOLS_DIR MAN_BUILD_DIR: every
# option a tool's --help prints (and each command's, for tools with
# commands) has an entry in its man page source man/TOOL.1.scd, a line that
# starts with the option in bold ("*--from* _DIR_", "*-f*, *--foreground*");
# each option of `master-drive serve` has a key in master-drive.conf(5); and
# every built page renders without a warning, in groff (-ww) and in man.
set -uo pipefail
src=$1 tools=$2 pages=$3
failures=0 checks=0
fail() { failures=$((failures + 1)); echo "FAIL: $*"; }

# The option names in `CMD... --help`.
options() {
  "$@" --help 2>&1 | sed -nE 's/^ +(-[^ ]+).*/\1/p' | tr ',' '\n' | grep -E '^-'
}
# The commands a tool's --help lists under "Subcommands:".
commands() {
  "$1" --help 2>&1 | sed -n '/^Subcommands:/,/^$/p' | sed -nE 's/^ +([a-z][a-z-]*) .*/\1/p'
}

for tool in master-image master-info master-burn master-drive master-mount; do
  page=$src/man/$tool.1.scd
  checks=$((checks + 1))
  [ -f "$page" ] || { fail "$tool has no man page (man/$tool.1.scd)"; continue; }
  for cmd in "" $(commands "$tools/$tool"); do
    for opt in $(options "$tools/$tool" $cmd); do
      checks=$((checks + 1))
      grep -E '^\*-' "$page" | grep -qF -- "*$opt*" || fail "$tool${cmd:+ $cmd}: option $opt (in \`$tool${cmd:+ $cmd} --help\`)" \
        "has no entry in man/$tool.1.scd: add a line starting with *$opt* and its description below it"
    done
  done
done

# master-drive.conf(5): a key for each option of `master-drive serve`.
conf=$src/man/master-drive.conf.5.scd
for opt in $(options "$tools/master-drive" serve); do
  case $opt in -h | --help | --config) continue ;; esac
  checks=$((checks + 1))
  grep -qE "^\*${opt#--}\* =" "$conf" || fail "master-drive serve: option $opt has no key in" \
    "man/master-drive.conf.5.scd: add a line starting with *${opt#--}* = and its description below it"
done

for page in master-drive.conf.5 vdisc.5; do
  checks=$((checks + 1))
  [ -f "$pages/$page" ] || fail "the man page $page was not built"
done
for built in "$pages"/*.[1-8]; do
  checks=$((checks + 1))
  warnings=$(groff -ww -z -man "$built" 2>&1)
  [ -z "$warnings" ] || fail "groff -ww -man $(basename "$built"): $warnings"
  checks=$((checks + 1))
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$built" 2>&1 >/dev/null)
  [ -z "$warnings" ] || fail "man --warnings $(basename "$built"): $warnings"
done

echo "$((checks - failures)) passed, $failures failed"
[ $failures = 0 ]
